"""Who may do what: the product's role policy, in one place.

- **Agent** (营业员): a staff membership of a hall with the agent role. Works
  the hall's counters and issues its tickets; sees its warnings.
- **Hall manager** (厅经理): a membership with the manager role, or a district
  assignment (a district manager manages every hall of the district). Does
  what an agent does there, and manages the hall: its setup in the admin,
  warnings and suggestions, plans, reports.
- **City operations** (城市运营): the city operations group. Reads every
  hall's reports, warnings and overview; acts on no counter and changes no
  setup.
- **Superusers**: everything.

A role is per hall: a manager of hall A who is an agent at hall B manages A
only. The admin's model permissions come from the role groups below, which
a data migration creates and `staff_groups_sync` keeps in step with each
user's memberships; nothing else grants them.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from config.cache import process_memo

from .models import Counter, DistrictAssignment, Outlet, StaffMembership, StaffRole

AGENT_GROUP = "营业员"
HALL_MANAGER_GROUP = "厅经理"
CITY_OPERATIONS_GROUP = "城市运营"

ROSTER_MODELS = ("staffcontract", "staffavailability", "leave", "shifttemplate", "rostershift")

# The admin's model permissions of each role group (app label -> codenames).
# What an agent does happens in the console, not the admin: no permissions.
ROLE_PERMISSIONS = {
    AGENT_GROUP: {},
    HALL_MANAGER_GROUP: {
        "halls": [
            *(
                f"{action}_{model}"
                for model in (
                    "outlet", "openinghours", "openingexception", "hallservice", "counter", "counterservice",
                    "staffmembership",
                )
                for action in ("view", "change")
            ),
            *(
                f"{action}_{model}"
                for model in ("openingexception", "openinghours", "counterservice", "staffmembership", "hallqueue")
                for action in ("add", "delete")
            ),
            "view_hallqueue", "change_hallqueue",
            "view_service",
        ],
        "queueing": [
            "view_ticket", "view_ticketevent", "view_counterevent", "view_ticketrating",
            # Displays register themselves; the manager names them.
            "view_displaydevice", "change_displaydevice",
        ],
        # What the hall's kiosks are and did; the admin shows the manager's
        # halls only. Customer records and the carrier's data stay with superusers.
        "kiosk": ["view_kioskdevice", "change_kioskdevice", "view_selfserviceaction", "view_order", "view_payment"],
        # Warnings and forecasts are read; the hall's staff plan (contracts,
        # availability, leave, shift templates, roster shifts) and the events
        # expected to change its forecast are the manager's to keep.
        "planning": [
            "view_peakwarning",
            "view_arrivalforecast",
            *(
                f"{action}_{model}"
                for model in (*ROSTER_MODELS, "forecastevent")
                for action in ("view", "add", "change", "delete")
            ),
        ],
        # Slot capacities for bookings are the manager's to set; bookings are read.
        "appointments": ["view_appointment", *(f"{action}_slotcapacity" for action in ("view", "add", "change",
                                                                                         "delete"))],
    },
    CITY_OPERATIONS_GROUP: {
        "halls": [
            f"view_{model}"
            for model in (
                "outlet", "openinghours", "openingexception", "service", "hallservice", "counter", "counterservice",
                "staffmembership", "districtassignment", "hallqueue",
            )
        ],
        "queueing": ["view_ticket", "view_ticketevent", "view_counterevent", "view_ticketrating",
                     "view_displaydevice"],
        "kiosk": ["view_kioskdevice", "view_selfserviceaction", "view_order"],
        "planning": [
            "view_peakwarning",
            "view_arrivalforecast",
            *(f"view_{model}" for model in (*ROSTER_MODELS, "forecastevent")),
        ],
        "appointments": ["view_appointment", "view_slotcapacity"],
    },
}


# --- Who is what -------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_city_operations(user) -> bool:
    """A member of the city operations group (superusers are more than that)."""
    return _active(user) and user.groups.filter(name=CITY_OPERATIONS_GROUP).exists()


def sees_every_hall(user) -> bool:
    """Superusers and city operations read every hall."""
    return _active(user) and (user.is_superuser or is_city_operations(user))


def outlets_worked_by(user) -> QuerySet[Outlet]:
    """The halls whose counters `user` may work and whose tickets they may
    issue: their memberships of any role, and the halls they manage."""
    if not _active(user):
        return Outlet.objects.none()
    if user.is_superuser:
        return Outlet.objects.all()
    return Outlet.objects.filter(
        Q(memberships__user=user) | Q(district__in=user.districts.values("district"))
    ).distinct()


def outlets_managed_by(user) -> QuerySet[Outlet]:
    """The halls `user` manages: manager memberships and district assignments."""
    if not _active(user):
        return Outlet.objects.none()
    if user.is_superuser:
        return Outlet.objects.all()
    return Outlet.objects.filter(
        Q(memberships__user=user, memberships__role=StaffRole.MANAGER)
        | Q(district__in=user.districts.values("district"))
    ).distinct()


def outlets_read_by(user) -> QuerySet[Outlet]:
    """The halls whose warnings, reports and live floor `user` may read."""
    if sees_every_hall(user):
        return Outlet.objects.all()
    return outlets_worked_by(user)


def user_can_act_on(user, outlet: Outlet) -> bool:
    """Whether `user` may work `outlet`'s counters and issue its tickets."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if StaffMembership.objects.filter(user=user, outlet=outlet).exists():
        return True
    return DistrictAssignment.objects.filter(user=user, district=outlet.district).exists()


def user_manages(user, outlet: Outlet) -> bool:
    """Whether `user` manages `outlet` (its setup, warnings, suggestions, plans)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if StaffMembership.objects.filter(user=user, outlet=outlet, role=StaffRole.MANAGER).exists():
        return True
    return DistrictAssignment.objects.filter(user=user, district=outlet.district).exists()


def user_reads(user, outlet: Outlet) -> bool:
    """Whether `user` may read `outlet`'s warnings, reports and live floor."""
    return sees_every_hall(user) or user_can_act_on(user, outlet)


# Bumped (in this process) by any change of who is staff where; see counter_access.
_access_generation = 0


def staff_access_changed() -> None:
    global _access_generation
    _access_generation += 1


def counter_access(user, counter_id: int) -> bool | None:
    """Whether `user` may work the counter; None when there is no such counter.

    Every press of a counter console asks this, so a process remembers a yes
    for AUTH_TOKEN_MEMO_SECONDS, as it remembers the token itself: a change of
    memberships, district assignments or the user applies at once in the
    process that makes it and within those seconds in the others. A no is
    never remembered."""

    def read():
        counter = Counter.objects.select_related("outlet").filter(pk=counter_id).first()
        if counter is None:
            raise Counter.DoesNotExist
        return True if user_can_act_on(user, counter.outlet) else None

    key = f"counter-access:{_access_generation}:{user.pk}:{counter_id}"
    try:
        return bool(process_memo(key, read, settings.AUTH_TOKEN_MEMO_SECONDS))
    except Counter.DoesNotExist:
        return None


# --- What a manager may do to staff ---------------------------------------------------


def roles_assignable_by(user, outlet: Outlet | None = None) -> list[str]:
    """The roles `user` may give at `outlet`: superusers and district managers
    any role; a hall manager agents only (managers are named above the hall)."""
    if not _active(user):
        return []
    if user.is_superuser or (
        outlet is not None and DistrictAssignment.objects.filter(user=user, district=outlet.district).exists()
    ):
        return list(StaffRole.values)
    if outlet is None and user.districts.exists():
        return list(StaffRole.values)
    return [StaffRole.AGENT]


def users_attachable_by(user) -> QuerySet:
    """The users `user` may attach to (or move within) the halls they manage:
    for superusers, every active user; for a manager, active users who are not
    superusers or city operations and who either belong to no hall yet or
    already belong to one of the manager's halls."""
    User = get_user_model()
    users = User.objects.filter(is_active=True)
    if not _active(user):
        return users.none()
    if user.is_superuser:
        return users
    managed = outlets_managed_by(user)
    return (
        users.filter(is_superuser=False)
        .exclude(groups__name=CITY_OPERATIONS_GROUP)
        .filter(Q(memberships__isnull=True) | Q(memberships__outlet__in=managed))
        .distinct()
    )


def membership_editable_by(user, membership: StaffMembership) -> bool:
    """A manager may change or remove a membership of a hall they manage,
    in a role they may give."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return (
        outlets_managed_by(user).filter(pk=membership.outlet_id).exists()
        and membership.role in roles_assignable_by(user, membership.outlet)
    )


def user_reads_people(user, outlet: Outlet) -> bool:
    """Whether `user` may read `outlet`'s figures per person and per counter
    (the agents report): its managers, city operations and superusers; an
    agent reads the hall's reports but not their colleagues' figures."""
    return user_manages(user, outlet) or sees_every_hall(user)
