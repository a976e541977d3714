"""Concerns that must follow changes made anywhere (the admin, seed_demo, a
shell) without the code making them knowing:

- a hall's cached setup (halls.selectors.hall_with_setup) is forgotten when
  any part of it changes: the outlet, its hours and exceptions, its offers,
  or a service it offers;
- who may work which counter (halls.roles.counter_access) is forgotten when
  staff memberships, district assignments or a user change;
- a user's role groups and staff status follow their memberships and
  district assignments (halls.services.staff_groups_sync)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import DistrictAssignment, HallService, OpeningException, OpeningHours, Outlet, Service, StaffMembership
from .roles import staff_access_changed
from .selectors import hall_setup_forget
from .services import staff_groups_sync


@receiver([post_save, post_delete], sender=Outlet, dispatch_uid="hall-setup-outlet")
def _outlet_changed(sender, instance, **kwargs):
    hall_setup_forget(instance.code)


@receiver([post_save, post_delete], sender=OpeningHours, dispatch_uid="hall-setup-hours")
@receiver([post_save, post_delete], sender=OpeningException, dispatch_uid="hall-setup-exceptions")
@receiver([post_save, post_delete], sender=HallService, dispatch_uid="hall-setup-offers")
def _part_changed(sender, instance, **kwargs):
    code = Outlet.objects.filter(pk=instance.outlet_id).values_list("code", flat=True).first()
    if code:
        hall_setup_forget(code)


@receiver([post_save, post_delete], sender=Service, dispatch_uid="hall-setup-service")
def _service_changed(sender, instance, **kwargs):
    codes = Outlet.objects.filter(hall_services__service_id=instance.pk).values_list("code", flat=True)
    hall_setup_forget(*codes)


@receiver([post_save, post_delete], sender=StaffMembership, dispatch_uid="counter-access-membership")
@receiver([post_save, post_delete], sender=DistrictAssignment, dispatch_uid="counter-access-district")
@receiver([post_save, post_delete], sender=get_user_model(), dispatch_uid="counter-access-user")
def _staff_access_changed(sender, instance, **kwargs):
    staff_access_changed()


@receiver([post_save, post_delete], sender=StaffMembership, dispatch_uid="role-groups-membership")
@receiver([post_save, post_delete], sender=DistrictAssignment, dispatch_uid="role-groups-district")
def _roles_changed(sender, instance, **kwargs):
    User = get_user_model()
    user = User.objects.filter(pk=instance.user_id).first()  # gone when the user itself was deleted
    staff_groups_sync(user=user)
