"""Reads about the outlet network shared by the API, the admin and the queue."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from config.cache import cached, forget, process_memo

from .models import Counter, CounterService, HallService, OpeningException, OpeningHours, Outlet, StaffRole

# A hall's setup changes a few times a year and is read on every ticket issued:
# it is cached, forgotten after commit of any change to it (halls.signals), and
# kept at most this long whatever happens (a bulk update sends no signal).
HALL_CACHE_SECONDS = 60
# ...and each process keeps its copy this long (a change reaches the other
# processes that much later).
HALL_LOCAL_SECONDS = 5


def outlet_list(*, kind=None, district=None, has_queue=None, q=None) -> QuerySet[Outlet]:
    outlets = Outlet.objects.filter(is_active=True)
    if kind:
        outlets = outlets.filter(kind=kind)
    if district:
        outlets = outlets.filter(district=district)
    if has_queue is not None:
        outlets = outlets.filter(has_queue=has_queue)
    if q:
        outlets = outlets.filter(Q(name__icontains=q) | Q(address__icontains=q) | Q(code__iexact=q))
    return outlets.order_by("code")


def outlet_detail(*, code: str) -> Outlet:
    """The outlet with its services and counters prefetched; raises Outlet.DoesNotExist."""
    return Outlet.objects.prefetch_related(
        Prefetch("hall_services", queryset=HallService.objects.filter(is_active=True).select_related("service")),
        Prefetch(
            "counters",
            queryset=Counter.objects.order_by("number").prefetch_related(
                Prefetch("counter_services", queryset=CounterService.objects.select_related("service"))
            ),
        ),
    ).get(code=code, is_active=True)


def _hall_cache_key(code: str) -> str:
    return f"hall-setup:{code}"


def hall_with_setup(*, code: str) -> Outlet | None:
    """The active outlet `code` with its opening hours, dated exceptions and
    offered services (with the service) prefetched; None when there is none.

    Cached (HALL_CACHE_SECONDS): the issue path asks for it on every ticket."""

    def read():
        # Ordered within the hall: the models' default ordering starts with
        # the outlet, which would join it and sort by its code for nothing.
        return (
            Outlet.objects.filter(code=code, is_active=True)
            .prefetch_related(
                Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
                Prefetch("opening_exceptions", queryset=OpeningException.objects.order_by("date")),
                Prefetch(
                    "hall_services",
                    queryset=HallService.objects.filter(is_active=True).select_related("service")
                    .order_by("sort_order", "service__sort_order"),
                ),
            )
            .first()
        )

    return cached(_hall_cache_key(code), read, HALL_CACHE_SECONDS, local_seconds=HALL_LOCAL_SECONDS)


def hall_setup_forget(*codes: str) -> None:
    """Forget the cached setup of these halls (see config.cache.forget)."""
    forget(*(_hall_cache_key(code) for code in codes))


def hall_offered_service(outlet: Outlet, service_code: str) -> HallService | None:
    """The hall's active offer of a service (with the service), or None.

    Uses the offers prefetched by hall_with_setup when they are there."""
    prefetched = getattr(outlet, "_prefetched_objects_cache", {}).get("hall_services")
    if prefetched is not None:
        return next((hs for hs in prefetched if hs.service.code == service_code), None)
    # One row at most (a hall offers a service once): no default ordering, which
    # would join the outlet to sort by its code.
    return (
        HallService.objects.filter(outlet=outlet, service__code=service_code, is_active=True)
        .select_related("service")
        .order_by()
        .first()
    )


def _intervals_for(outlet: Outlet, day) -> list[tuple[datetime, datetime]]:
    """Opening intervals that start on `day`, as aware datetimes in the hall's zone."""
    tz = timezone.get_current_timezone()
    exception = next((e for e in outlet.opening_exceptions.all() if e.date == day), None)
    if exception is not None:
        spans = [] if exception.is_closed else [(exception.opens, exception.closes)]
    else:
        spans = [(h.opens, h.closes) for h in outlet.opening_hours.all() if h.weekday == day.weekday()]
    intervals = []
    for opens, closes in spans:
        start = datetime.combine(day, opens, tzinfo=tz)
        end_day = day if closes > opens else day + timedelta(days=1)
        end = datetime.combine(end_day, closes, tzinfo=tz)
        intervals.append((start, end))
    return intervals


def outlet_opening_intervals(outlet: Outlet, day) -> list[tuple[datetime, datetime]]:
    """The hall's opening intervals that start on `day` (exceptions override the weekday)."""
    return _intervals_for(outlet, day)


def outlet_is_open(outlet: Outlet, at: datetime | None = None) -> bool:
    """Whether the hall is open at `at` (default now). Hours past midnight count
    for the day they started on."""
    at = timezone.localtime(at or timezone.now())
    today = at.date()
    for day in (today - timedelta(days=1), today):
        for start, end in _intervals_for(outlet, day):
            if start <= at < end:
                return True
    return False


def outlets_for_user(user) -> QuerySet[Outlet]:
    """The outlets a staff member may act on."""
    if not user.is_authenticated:
        return Outlet.objects.none()
    if user.is_superuser:
        return Outlet.objects.all()
    return Outlet.objects.filter(
        Q(memberships__user=user) | Q(district__in=user.districts.values("district"))
    ).distinct()


def user_can_act_on(user, outlet: Outlet) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if outlet.memberships.filter(user=user).exists():
        return True
    return user.districts.filter(district=outlet.district).exists()


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


def user_manages(user, outlet: Outlet) -> bool:
    """Hall managers (and district managers, superusers) manage a hall's setup."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if outlet.memberships.filter(user=user, role=StaffRole.MANAGER).exists():
        return True
    return user.districts.filter(district=outlet.district).exists()


ALL_DAY = (time(0), time(0))
