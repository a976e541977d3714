"""Reads about the outlet network shared by the API, the admin and the queue."""

from datetime import datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Counter, CounterService, HallService, Outlet, StaffRole


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
