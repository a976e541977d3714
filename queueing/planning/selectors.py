"""Planning's reads: a hall's setup and business days as planning sees
them, arrivals from the event log, forecasts, handle times, and how well
the forecast did on the weeks just past.

For the planning page and the peak-flow warnings:

- `forecast_for_day(outlet_id, day)`: {service code: [(slot start, arrivals)]}
- `forecast_next(outlet_id, service_id, minutes)`: arrivals expected from now
- `arrivals_actual(outlet_id, day)`: {service code: [(slot start, tickets taken)]}
- `handle_time_profile(outlet_id)`: {service code: {hour: HandleTimes}}
- `forecast_accuracy(outlet_id)`: WAPE on the last two weeks against seasonal naive
"""

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Case, Count, IntegerField, Prefetch, When
from django.db.models.functions import TruncHour
from django.utils import timezone

from halls.models import Counter, CounterService, HallService, Outlet
from halls.selectors import outlet_is_open, outlet_opening_intervals
from queueing.days import business_day_close_at, business_day_live, day_ends_at, halls_with_hours
from queueing.models import Ticket, TicketEvent, TicketEventKind, TicketSequence, TicketStatus

from . import forecast
from .models import ArrivalForecast, ForecastEvent, HistoryDay
from .slots import (
    SLOT,
    SLOTS,
    CounterSetup,
    DayWindow,
    HallSetup,
    ServiceSetup,
    days_between,
    exposure,
    midnight,
    slot_start,
)

# --- A hall as planning sees it ---------------------------------------------------------


def hall_day_window(outlet: Outlet, day: date) -> DayWindow:
    """The hall's business day `day` (its hours prefetched, as
    queueing.days.halls_with_hours gives them): tickets are taken within its
    opening intervals; a day open 24 hours runs from QUEUE_DAY_ENDS_AT to
    QUEUE_DAY_ENDS_AT the next morning, as the live queue counts it."""
    intervals = outlet_opening_intervals(outlet, day)
    if not intervals:
        return DayWindow(day, (), None)
    closes = business_day_close_at(outlet, day)
    if any(end - start >= timedelta(hours=24) for start, end in intervals):
        ends = day_ends_at()
        start = midnight(day) + timedelta(hours=ends.hour, minutes=ends.minute)
        return DayWindow(day, ((start, closes),), closes)
    return DayWindow(day, tuple(sorted(intervals)), closes)


def hall_setup(*, outlet_id: int) -> HallSetup:
    """The hall's active services (with its prefixes, in kiosk order), its
    counters with the services each calls, and its business days."""
    outlet = halls_with_hours([outlet_id])[outlet_id]
    offers = (
        HallService.objects.filter(outlet_id=outlet_id, is_active=True)
        .select_related("service")
        .order_by("sort_order", "service__sort_order", "service__code")
    )
    services = tuple(
        ServiceSetup(hs.service_id, hs.service.code, hs.prefix, hs.service.default_handle_seconds,
                     hs.service.target_wait_seconds)
        for hs in offers
    )
    counters = Counter.objects.filter(outlet_id=outlet_id).order_by("number").prefetch_related(
        Prefetch("counter_services", queryset=CounterService.objects.order_by("position"))
    )
    return HallSetup(
        outlet_id=outlet.pk,
        code=outlet.code,
        services=services,
        counters=tuple(
            CounterSetup(c.pk, c.number, tuple(cs.service_id for cs in c.counter_services.all())) for c in counters
        ),
        window=functools.lru_cache(maxsize=None)(functools.partial(hall_day_window, outlet)),
    )


def hall_live_day(*, outlet_id: int, now: datetime | None = None) -> date:
    """The business day the hall's live queue is on (queueing.days.business_day_live)."""
    return business_day_live(halls_with_hours([outlet_id])[outlet_id], now)


def halls_with_a_queue() -> list[int]:
    return list(Outlet.objects.filter(has_queue=True, is_active=True).order_by("code").values_list("pk", flat=True))


def halls_open_now(now: datetime | None = None) -> list[int]:
    """The halls with a queue that are open at `now`."""
    now = now or timezone.now()
    halls = halls_with_hours(halls_with_a_queue())
    return [pk for pk, outlet in sorted(halls.items()) if outlet_is_open(outlet, now)]


def history_days_taken(*, outlet_id: int, start: date, end: date) -> set[date]:
    """The hall's business days from `start` to `end` that already have
    tickets, numbers or generated history: generating them again is skipped."""
    taken = set(
        Ticket.objects.filter(outlet_id=outlet_id, business_date__range=(start, end))
        .order_by().values_list("business_date", flat=True).distinct()
    )
    taken |= set(
        TicketSequence.objects.filter(outlet_id=outlet_id, business_date__range=(start, end))
        .values_list("business_date", flat=True)
    )
    taken |= set(
        HistoryDay.objects.filter(outlet_id=outlet_id, business_date__range=(start, end))
        .values_list("business_date", flat=True)
    )
    return taken


# --- Arrivals from the event log ---------------------------------------------------------


def issued_by_slot(outlet_id: int, start: date, end: date):
    """(service id, business day, slot of that day's grid, tickets taken) from
    the `issued` events of the hall's business days `start` to `end`: a
    ticket counts for the service it was taken for, whatever happened after."""
    since = midnight(start)
    until = midnight(end) + SLOTS * SLOT
    rows = (
        TicketEvent.objects.filter(outlet_id=outlet_id, kind=TicketEventKind.ISSUED, at__gte=since, at__lt=until,
                                   ticket__business_date__range=(start, end))
        .annotate(
            hour=TruncHour("at"),
            half=Case(When(at__minute__gte=30, then=1), default=0, output_field=IntegerField()),
        )
        .values_list("service_id", "ticket__business_date", "hour", "half")
        .annotate(n=Count("id"))
        .order_by()
    )
    for service_id, day, hour, half, n in rows:
        k = int((hour - midnight(day)) // SLOT) + half
        if 0 <= k < SLOTS:
            yield service_id, day, k, n


def arrival_counts(*, setup: HallSetup, start: date, end: date) -> forecast.HallCounts:
    """Tickets taken per business day, service and slot, from `start` to
    `end`, with each slot's share of opening time: a forecast's history.

    Only days the hall was open and took at least one ticket count: a day
    without a single ticket is read as a day the system was not in use
    (before it started, a closure not entered), not as a day nobody came."""
    days = days_between(start, end) if start <= end else []
    day_index = {d: i for i, d in enumerate(days)}
    service_index = {sid: i for i, sid in enumerate(setup.service_ids)}
    y = np.zeros((len(days), len(service_index), SLOTS))
    for service_id, day, k, n in issued_by_slot(setup.outlet_id, start, end):
        if service_id in service_index and day in day_index:
            y[day_index[day], service_index[service_id], k] += n
    share = np.array([exposure(setup.window(d)) for d in days]).reshape(len(days), SLOTS)
    keep = [i for i in range(len(days)) if share[i].sum() > 0 and y[i].sum() > 0]
    return forecast.HallCounts(
        days=[days[i] for i in keep], service_ids=list(setup.service_ids), y=y[keep], exposure=share[keep],
    )


def arrivals_actual(outlet_id: int, day: date) -> dict[str, list[tuple[datetime, int]]]:
    """Tickets taken on the hall's business day `day`, per service code and
    half-hour slot (slots without a ticket left out), from the event log:
    a ticket counts for the service it was taken for."""
    codes = dict(HallService.objects.filter(outlet_id=outlet_id).values_list("service_id", "service__code"))
    out: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for service_id, _, k, n in sorted(issued_by_slot(outlet_id, day, day), key=lambda row: (row[0], row[2])):
        out[codes.get(service_id, str(service_id))].append((slot_start(day, k), n))
    return dict(out)


# --- Forecasts ---------------------------------------------------------------------------


def forecast_events(*, outlet_id: int, start: date, end: date) -> list[ForecastEvent]:
    """The hall's forecast events that touch `start` to `end`."""
    return list(ForecastEvent.objects.filter(outlet_id=outlet_id, starts_on__lte=end, ends_on__gte=start))


def event_multipliers(events, days: list[date], service_ids) -> np.ndarray:
    """days x services: the product of the multipliers of the events on each day and service."""
    m = np.ones((len(days), len(service_ids)))
    column = {sid: j for j, sid in enumerate(service_ids)}
    for i, day in enumerate(days):
        for event in events:
            if event.starts_on <= day <= event.ends_on:
                if event.service_id is None:
                    m[i] *= float(event.multiplier)
                elif event.service_id in column:
                    m[i, column[event.service_id]] *= float(event.multiplier)
    return m


def _day_span(outlet_id: int, day: date) -> tuple[datetime, datetime]:
    """From the start of the business day's first slot to the end of its last."""
    window = hall_day_window(halls_with_hours([outlet_id])[outlet_id], day)
    if not window.is_open:
        return midnight(day), midnight(day)
    first = slot_start(day, int((window.first_open - midnight(day)) // SLOT))
    return first, window.last_close


def forecast_for_day(outlet_id: int, day: date) -> dict[str, list[tuple[datetime, float]]]:
    """The forecast arrivals of the hall's business day `day`, per service
    code, one (slot start, arrivals) per half hour the hall is open, in
    order; {} when there is no forecast for that day."""
    since, until = _day_span(outlet_id, day)
    rows = (
        ArrivalForecast.objects.filter(outlet_id=outlet_id, slot_start__gte=since, slot_start__lt=until)
        .order_by("service__sort_order", "service__code", "slot_start")
        .values_list("service__code", "slot_start", "arrivals")
    )
    out: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for code, start, arrivals in rows:
        out[code].append((timezone.localtime(start), arrivals))
    return dict(out)


def forecast_next(outlet_id: int, service_id: int, minutes: int, now: datetime | None = None) -> float:
    """Arrivals of one service expected in the hall in the next `minutes`
    from `now`, by its current forecast (a slot partly in the window counts
    in proportion). 0.0 when nothing is forecast."""
    now = now or timezone.now()
    until = now + timedelta(minutes=minutes)
    rows = ArrivalForecast.objects.filter(
        outlet_id=outlet_id, service_id=service_id, slot_start__gt=now - SLOT, slot_start__lt=until
    ).values_list("slot_start", "arrivals")
    total = 0.0
    for start, arrivals in rows:
        overlap = (min(start + SLOT, until) - max(start, now)) / SLOT
        total += arrivals * max(0.0, overlap)
    return total


# --- Handle times ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HandleTimes:
    mean: float  # seconds
    sd: float
    samples: int


def handle_time_profile(outlet_id: int, *, weeks: int | None = None,
                        now: datetime | None = None) -> dict[str, dict[int, HandleTimes]]:
    """Handle times (start to finish of service) of the hall's served
    tickets over the last `weeks` (PLANNING_HISTORY_WEEKS), per service code
    and local hour of the start: mean and standard deviation in seconds, and
    how many tickets they come from."""
    now = now or timezone.now()
    weeks = weeks or settings.PLANNING_HISTORY_WEEKS
    today = timezone.localdate(now)
    rows = (
        Ticket.objects.filter(outlet_id=outlet_id, status=TicketStatus.DONE, started_at__isnull=False,
                              finished_at__isnull=False,
                              business_date__range=(today - timedelta(weeks=weeks), today))
        .values_list("service__code", "started_at", "finished_at")
        .order_by()
    )
    samples: dict[tuple[str, int], list[float]] = defaultdict(list)
    for code, started, finished in rows:
        samples[code, timezone.localtime(started).hour].append((finished - started).total_seconds())
    out: dict[str, dict[int, HandleTimes]] = defaultdict(dict)
    for (code, hour), values in sorted(samples.items()):
        arr = np.array(values)
        out[code][hour] = HandleTimes(float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, len(arr))
    return dict(out)


# --- How good the forecast is ----------------------------------------------------------------


def forecast_accuracy(outlet_id: int, *, holdout_days: int = 14, weeks: int | None = None,
                      now: datetime | None = None) -> forecast.Accuracy | None:
    """How the forecast would have done on the hall's last `holdout_days`
    days: fitted on the PLANNING_HISTORY_WEEKS weeks before them, as the
    nightly forecast is, against the seasonal naive forecast (the same slot
    a week earlier) and the Poisson floor (see forecast.accuracy). None
    without enough history."""
    weeks = weeks or settings.PLANNING_HISTORY_WEEKS
    setup = hall_setup(outlet_id=outlet_id)
    end = hall_live_day(outlet_id=outlet_id, now=now) - timedelta(days=1)
    start = end - timedelta(days=weeks * 7 + holdout_days - 1)
    counts = arrival_counts(setup=setup, start=start, end=end)
    events = forecast_events(outlet_id=outlet_id, start=start, end=end)
    multipliers = event_multipliers(events, counts.days, counts.service_ids)
    return forecast.accuracy(counts, holdout_days=holdout_days, multipliers=multipliers,
                             slot_label=lambda k: slot_start(end, k).strftime("%H:%M"))

