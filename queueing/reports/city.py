"""The city's live overview (CONTRACT.md `GET /api/v1/city/overview/`): every
owned hall with a queue on one row, now: its line and the longest wait in
it, counters open, the worst active peak-flow warning, and today's figures.

Read in a fixed number of queries whatever the number of halls (the city
has over 200), and kept for OVERVIEW_CACHE_SECONDS: the city page polls it
every 15 seconds from many screens, and a line's estimate is itself only
kept for a few seconds (queueing.selectors.LINE_CACHE_SECONDS).

"Today" is each hall's business day of today (queueing.days): the live day,
or the calendar day once the hall has closed and its live day is tomorrow,
so that a 24-hour hall's night still counts for the day it started on.
Today's issued, served and service level come from the hall-day rollup
(kept current every REPORTS_ROLLUP_EVERY_SECONDS by the reports' task), the
same figures the reports show.
"""

import hashlib
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from config.cache import cached
from halls.models import Counter, CounterState, Outlet, OutletKind
from halls.selectors import outlet_is_open
from queueing.days import halls_with_hours
from queueing.models import Ticket, TicketStatus
from queueing.planning.models import LEVEL_RANK, PeakWarning
from queueing.selectors import halls_lines

from .measures import Tally
from .models import HallDay
from .selectors import MEASURE_FIELDS, figures

OVERVIEW_CACHE_SECONDS = 5
LEVELS = {rank: level for level, rank in LEVEL_RANK.items()}


def overview_halls(outlets=None):
    """The halls the overview lists: owned, active, with a queue (of `outlets`, a queryset)."""
    outlets = Outlet.objects.all() if outlets is None else outlets
    return outlets.filter(kind=OutletKind.OWNED_HALL, has_queue=True, is_active=True)


def city_overview(outlets, *, now: datetime | None = None) -> list[dict]:
    """One row per hall of `outlets` (a queryset of halls), in code order, read now."""
    now = now or timezone.now()
    halls = list(outlets.order_by("code").only("pk", "code", "name", "district", "lat", "lng"))
    ids = [h.pk for h in halls]
    if not ids:
        return []
    local_today = timezone.localdate(now)
    hours = halls_with_hours(ids, around=local_today)
    lines = halls_lines(ids, now, halls=hours)
    live = {pk: line["day"] for pk, line in lines.items()}
    # A hall that has closed is live on tomorrow already: today is still today.
    today = {pk: min(day, local_today) for pk, day in live.items()}

    longest = {}
    for outlet_id, day, first in (
        Ticket.objects.filter(outlet_id__in=ids, status=TicketStatus.WAITING, business_date__in=set(live.values()))
        .values("outlet_id", "business_date").annotate(first=Min("issued_at")).order_by()
        .values_list("outlet_id", "business_date", "first")
    ):
        if day == live[outlet_id]:
            longest[outlet_id] = int((now - first).total_seconds())

    counters = {
        row["outlet_id"]: row for row in (
            Counter.objects.filter(outlet_id__in=ids).values("outlet_id")
            .annotate(total=Count("id"), open=Count("id", filter=Q(state=CounterState.OPEN))).order_by()
        )
    }

    warnings: dict[int, list[int]] = {}
    for outlet_id, level in PeakWarning.objects.filter(outlet_id__in=ids, ended_at__isnull=True).values_list(
            "outlet_id", "level"):
        warnings.setdefault(outlet_id, []).append(LEVEL_RANK.get(level, 0))

    tallies: dict[int, Tally] = {}
    for row in HallDay.objects.filter(outlet_id__in=ids, date__in=set(today.values())).only(
            "outlet_id", "date", *MEASURE_FIELDS):
        if row.date == today[row.outlet_id]:
            tallies.setdefault(row.outlet_id, Tally()).add(row)

    rows = []
    for hall in halls:
        pk = hall.pk
        line = lines[pk]
        estimates = line["estimates"].services
        waiting = line["waiting"]
        # The hall's wait is its worst-off line's: what a ticket taken now waits
        # in the slowest service that has customers waiting (or any, when none wait).
        busy = [e.seconds for sid, e in estimates.items() if waiting.get(sid)]
        ranks = warnings.get(pk, [])
        day = figures(tallies.get(pk, Tally()))
        c = counters.get(pk, {"total": 0, "open": 0})
        rows.append({
            "code": hall.code,
            "name": hall.name,
            "district": hall.district,
            "lat": None if hall.lat is None else float(hall.lat),
            "lng": None if hall.lng is None else float(hall.lng),
            "is_open": outlet_is_open(hours.get(pk, hall), now),
            "waiting": sum(waiting.values()),
            "longest_wait_seconds": longest.get(pk, 0),
            "estimated_wait_seconds": max(busy, default=0),
            "open_counters": c["open"],
            "counters": c["total"],
            "warning_level": LEVELS[max(ranks)] if ranks else None,
            "warnings": len(ranks),
            "business_date": today[pk].isoformat(),
            "issued_today": day["issued"],
            "served_today": day["served"],
            "service_level_today": day["service_level"],
        })
    return rows


def city_overview_kept(outlets) -> dict:
    """{"generated_at", "halls": city_overview(...)}, kept OVERVIEW_CACHE_SECONDS
    per set of halls (city operations all share one)."""
    ids = list(outlets.order_by("pk").values_list("pk", flat=True))
    digest = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:16]

    def compute():
        now = timezone.now()
        return {"generated_at": timezone.localtime(now).isoformat(),
                "halls": city_overview(Outlet.objects.filter(pk__in=ids), now=now)}

    return cached(f"city-overview:{digest}", compute, OVERVIEW_CACHE_SECONDS)
