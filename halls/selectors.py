"""Reads about the outlet network shared by the API, the admin and the queue."""

from datetime import datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from config.cache import cached, forget

from .models import Counter, CounterService, HallService, OpeningException, OpeningHours, Outlet

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


ALL_DAY = (time(0), time(0))
