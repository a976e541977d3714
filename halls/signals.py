"""Forget a hall's cached setup (halls.selectors.hall_with_setup) when any
part of it changes: the outlet, its hours and exceptions, its offers, or a
service it offers."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import HallService, OpeningException, OpeningHours, Outlet, Service
from .selectors import hall_setup_forget


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
