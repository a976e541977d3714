"""The queue's business day: which day a ticket belongs to, when that day
closes, and which day a hall's live queue is on now.

A ticket never outlives its business day (CONTRACT.md). A hall's day D
closes at the end of its last opening interval that starts on D, plus
QUEUE_CLOSE_GRACE_MINUTES; a day on which the hall is open 24 hours closes
at QUEUE_DAY_ENDS_AT the next morning, which is also where its numbering
starts again. Hours past midnight count for the day they started on.

Everything here is a pure function of the hall's hours (prefetched, as
halls.selectors.hall_with_setup gives them) and the time it is given: the
live path filters by `business_day_live`, the closing task closes every day
before it, so both agree on what is over even when the task has not run.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from halls.models import OpeningException, OpeningHours, Outlet
from halls.selectors import hall_with_setup, outlet_opening_intervals

ALL_DAY = timedelta(hours=24)


def day_ends_at() -> time:
    """QUEUE_DAY_ENDS_AT ("HH:MM"): where a 24-hour hall's day ends."""
    hours, minutes = settings.QUEUE_DAY_ENDS_AT.split(":")
    return time(int(hours), int(minutes))


def _ends_offset() -> timedelta:
    ends = day_ends_at()
    return timedelta(hours=ends.hour, minutes=ends.minute)


def _is_all_day(intervals) -> bool:
    return any(end - start >= ALL_DAY for start, end in intervals)


def business_day_close_at(outlet: Outlet, day: date) -> datetime | None:
    """When the hall's business day `day` closes; None when the hall does not
    open that day (then nothing of that day is live)."""
    intervals = outlet_opening_intervals(outlet, day)
    if not intervals:
        return None
    if _is_all_day(intervals):
        return datetime.combine(day + timedelta(days=1), day_ends_at(), tzinfo=timezone.get_current_timezone())
    return max(end for _, end in intervals) + timedelta(minutes=settings.QUEUE_CLOSE_GRACE_MINUTES)


def business_day_of(outlet: Outlet, at: datetime) -> date:
    """The business day a ticket taken at `at` belongs to (the hall open then).

    The day whose opening interval holds `at`; on a 24-hour day, the day that
    began at the last QUEUE_DAY_ENDS_AT before `at`."""
    local = timezone.localtime(at)
    shifted = (local - _ends_offset()).date()
    if _is_all_day(outlet_opening_intervals(outlet, shifted)) and local < business_day_close_at(outlet, shifted):
        return shifted
    today = local.date()
    for day in (today - timedelta(days=1), today):
        for start, end in outlet_opening_intervals(outlet, day):
            if start <= local < end:
                return day
    return today


def business_day_live(outlet: Outlet, now: datetime | None = None) -> date:
    """The business day whose tickets the hall's live queue serves now: the
    earliest of yesterday and today that has not closed yet, or, when both
    have, tomorrow (a day without tickets yet). Tickets of any day before it
    are over: never called, counted or texted."""
    local = timezone.localtime(now or timezone.now())
    today = local.date()
    for day in (today - timedelta(days=1), today):
        closes = business_day_close_at(outlet, day)
        if closes is not None and local < closes:
            return day
    return today + timedelta(days=1)


def hall_day_live(outlet: Outlet, now: datetime | None = None) -> date:
    """business_day_live, with the hall's hours from its cached setup (the
    live path asks on every call and every count)."""
    hall = hall_with_setup(code=outlet.code)
    return business_day_live(hall if hall is not None and hall.pk == outlet.pk else outlet, now)


def halls_with_hours(outlet_ids, around: date | None = None) -> dict[int, Outlet]:
    """Outlets with their hours and exceptions prefetched, in three queries;
    with `around`, only the exceptions of the days near it (enough for the
    business day and opening of that day)."""
    exceptions = OpeningException.objects.order_by("date")
    if around is not None:
        exceptions = exceptions.filter(date__range=(around - timedelta(days=2), around + timedelta(days=1)))
    outlets = Outlet.objects.filter(pk__in=list(outlet_ids)).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        Prefetch("opening_exceptions", queryset=exceptions),
    )
    return {outlet.pk: outlet for outlet in outlets}


def live_days(outlet_ids, now: datetime | None = None, *, halls: dict | None = None) -> dict[int, date]:
    """business_day_live for many halls at once (`halls`: halls_with_hours already read)."""
    now = now or timezone.now()
    halls = halls if halls is not None else halls_with_hours(outlet_ids, around=timezone.localdate(now))
    return {pk: business_day_live(halls[pk], now) for pk in outlet_ids if pk in halls}
