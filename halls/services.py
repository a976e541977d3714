"""Writes of the outlet network that are more than a form's save."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import DistrictAssignment, StaffMembership, StaffRole
from .roles import AGENT_GROUP, CITY_OPERATIONS_GROUP, HALL_MANAGER_GROUP


def staff_groups_sync(*, user) -> None:
    """Bring `user`'s role groups and staff status in step with their
    memberships and district assignments: the agent group with an agent
    membership, the hall manager group with a manager membership or a
    district, and staff status (the admin's door) for managers, city
    operations and superusers only. Other groups are left alone."""
    if user is None or user.pk is None:
        return
    with transaction.atomic():
        roles = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
        manages = StaffRole.MANAGER in roles or DistrictAssignment.objects.filter(user=user).exists()
        wanted = {AGENT_GROUP: StaffRole.AGENT in roles, HALL_MANAGER_GROUP: manages}
        groups = {g.name: g for g in Group.objects.filter(name__in=wanted)}
        current = set(user.groups.filter(name__in=wanted).values_list("name", flat=True))
        for name, member in wanted.items():
            if name not in groups:
                continue  # before the migration that makes them
            if member and name not in current:
                user.groups.add(groups[name])
            elif not member and name in current:
                user.groups.remove(groups[name])
        is_staff = user.is_superuser or manages or user.groups.filter(name=CITY_OPERATIONS_GROUP).exists()
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])
