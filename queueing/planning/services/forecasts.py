"""Writing arrival forecasts: the nightly forecast of the days ahead, and the
intraday re-forecast of the rest of today.

Nightly (`arrivals_forecast_hall`): the model of planning.forecast, fitted
on the hall's last PLANNING_HISTORY_WEEKS weeks, forecasts its next
PLANNING_FORECAST_DAYS business days from the live one, times the
manager's ForecastEvents; one ArrivalForecast row per service and half hour
the hall is open, `arrivals` and `base_arrivals` alike. The rows of those
days are replaced: a slot no longer open loses its row.

Intraday (`arrivals_reforecast_hall`): today's slots still to come follow
the day's actual level so far. With A tickets taken so far and F forecast
for the same time (by the night's figures, `base_arrivals`, so that
re-forecasts never compound), the hall's ratio is

    r = (A + K_HALL) / (F + K_HALL)

that is, the ratio of actual to forecast shrunk towards 1 as if K_HALL
more tickets had come exactly as forecast: with few arrivals so far (early
morning, a quiet hall) the forecast barely moves, by midday it follows the
day. Each service's ratio is shrunk the same way towards the hall's:
r_s = (A_s + K_SERVICE r) / (F_s + K_SERVICE). A slot yet to start is its
night figure times r_s; the slot under way is what came in it so far plus
its night figure for the rest of it times r_s; slots past are left alone.
The ratios are kept within RATIO_LIMITS. Run every PLANNING_REFORECAST_MINUTES
while the hall is open; the same figures give the same rows, so a repeat
changes nothing.

Both write nothing when no figure changes; the nightly forecast replaces
the hall's days ahead whole, in one transaction, when any does.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import forecast
from ..models import ArrivalForecast
from ..selectors import (
    arrival_counts,
    event_multipliers,
    forecast_events,
    hall_live_day,
    hall_setup,
    issued_by_slot,
)
from ..slots import SLOT, SLOTS, days_between, exposure, midnight, slot_start
from .rows import rows_insert

logger = logging.getLogger(__name__)

K_HALL = 20.0
K_SERVICE = 10.0
RATIO_LIMITS = (0.25, 4.0)
PRECISION = 3  # decimals kept: a re-run that computes the same figures writes nothing
BATCH_SIZE = 2000


@dataclass
class ForecastWritten:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    history_days: int = 0
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def arrivals_forecast_hall(*, outlet_id: int, now: datetime | None = None, days: int | None = None,
                           weeks: int | None = None) -> ForecastWritten:
    """Forecast the hall's arrivals for `days` (PLANNING_FORECAST_DAYS)
    business days from its live one, from its last `weeks`
    (PLANNING_HISTORY_WEEKS) of history, and write them (see the module's
    docstring). Without enough history (planning.forecast.MIN_DAYS days with
    tickets) nothing is written. Idempotent."""
    now = now or timezone.now()
    days = days or settings.PLANNING_FORECAST_DAYS
    weeks = weeks or settings.PLANNING_HISTORY_WEEKS
    setup = hall_setup(outlet_id=outlet_id)
    live = hall_live_day(outlet_id=outlet_id, now=now)
    history_start = live - timedelta(weeks=weeks)
    counts = arrival_counts(setup=setup, start=history_start, end=live - timedelta(days=1))
    targets = days_between(live, live + timedelta(days=days - 1))
    events = forecast_events(outlet_id=outlet_id, start=history_start, end=targets[-1])
    model = forecast.fit(counts, event_multipliers(events, counts.days, counts.service_ids))
    if model is None:
        logger.info("Hall %s: %d days of history, too few to forecast", setup.code, len(counts.days))
        return ForecastWritten(history_days=len(counts.days))
    windows = [setup.window(day) for day in targets]
    share = np.array([exposure(w) for w in windows])
    predicted = model.predict(targets, share, event_multipliers(events, targets, setup.service_ids))
    wanted = {}
    for i, day in enumerate(targets):
        for k in np.flatnonzero(share[i] > 0):
            start = slot_start(day, int(k))
            for j, service_id in enumerate(setup.service_ids):
                wanted[service_id, start] = round(float(predicted[i, j, k]), PRECISION)
    open_windows = [w for w in windows if w.is_open]
    since = min((w.first_open for w in open_windows), default=midnight(live))
    since = slot_start(since.date(), int((since - midnight(since.date())) // SLOT))
    until = max((w.last_close for w in open_windows), default=midnight(targets[-1]) + SLOTS * SLOT)
    written = _replace(outlet_id, wanted, since, until, now)
    written.history_days = model.days
    written.notes = tuple(model.notes)
    return written


def _replace(outlet_id, wanted: dict, since: datetime, until: datetime, now: datetime) -> ForecastWritten:
    """Make the hall's rows with slots in [since, until) exactly `wanted`
    ((service id, slot start) -> arrivals), as night figures made `now`.

    When nothing differs, nothing is written. Otherwise the range is
    replaced whole (delete, then one insert: the nightly run changes nearly
    every figure, and rewriting is much cheaper than updating row by row)."""
    current = {
        (service_id, start): (arrivals, base)
        for service_id, start, arrivals, base in ArrivalForecast.objects.filter(
            outlet_id=outlet_id, slot_start__gte=since, slot_start__lt=until
        ).values_list("service_id", "slot_start", "arrivals", "base_arrivals")
    }
    written = ForecastWritten(
        created=sum(1 for key in wanted if key not in current),
        updated=sum(1 for key, value in wanted.items() if key in current and current[key] != (value, value)),
        deleted=sum(1 for key in current if key not in wanted),
    )
    if not written.changed:
        return written
    with transaction.atomic():
        ArrivalForecast.objects.filter(outlet_id=outlet_id, slot_start__gte=since, slot_start__lt=until).delete()
        rows_insert(ArrivalForecast, [
            {"outlet_id": outlet_id, "service_id": service_id, "slot_start": start, "arrivals": arrivals,
             "base_arrivals": arrivals, "made_at": now}
            for (service_id, start), arrivals in sorted(wanted.items(), key=lambda item: (item[0][1], item[0][0]))
        ])
    return written


def _today_rows(outlet_id: int, day: date, window) -> list[ArrivalForecast]:
    since = slot_start(day, int((window.first_open - midnight(day)) // SLOT))
    return list(
        ArrivalForecast.objects.select_for_update()
        .filter(outlet_id=outlet_id, slot_start__gte=since, slot_start__lt=window.last_close)
        .order_by("slot_start", "service_id")
    )


def reforecast_ratios(actual: dict[int, float], expected: dict[int, float]) -> dict[int, float]:
    """Each service's ratio of actual to forecast so far, shrunk towards the
    hall's, which is shrunk towards 1 (see the module's docstring)."""
    hall = (sum(actual.values()) + K_HALL) / (sum(expected.values()) + K_HALL)
    hall = float(np.clip(hall, *RATIO_LIMITS))
    ratios = {}
    for service_id in expected.keys() | actual.keys():
        a, f = actual.get(service_id, 0.0), expected.get(service_id, 0.0)
        ratios[service_id] = float(np.clip((a + K_SERVICE * hall) / (f + K_SERVICE), *RATIO_LIMITS))
    return ratios


def arrivals_reforecast_hall(*, outlet_id: int, now: datetime | None = None) -> int:
    """Re-forecast the rest of the hall's live business day from its
    arrivals so far (see the module's docstring). Returns how many rows
    changed: 0 when the hall is closed today or has no forecast for it."""
    now = now or timezone.now()
    setup = hall_setup(outlet_id=outlet_id)
    day = hall_live_day(outlet_id=outlet_id, now=now)
    window = setup.window(day)
    if not window.is_open or now < window.first_open:
        return 0
    arrived: dict[tuple[int, int], int] = {}
    for service_id, _, k, n in issued_by_slot(outlet_id, day, day):
        if slot_start(day, k) < now:
            arrived[service_id, k] = arrived.get((service_id, k), 0) + n
    with transaction.atomic():
        rows = _today_rows(outlet_id, day, window)
        if not rows:
            return 0
        actual: dict[int, float] = {}
        expected: dict[int, float] = {}
        for (service_id, _), n in arrived.items():
            actual[service_id] = actual.get(service_id, 0.0) + n
        for row in rows:
            elapsed = min(1.0, max(0.0, (now - row.slot_start) / SLOT))
            expected[row.service_id] = expected.get(row.service_id, 0.0) + row.base_arrivals * elapsed
        ratios = reforecast_ratios(actual, expected)
        changed = []
        for row in rows:
            elapsed = min(1.0, max(0.0, (now - row.slot_start) / SLOT))
            if elapsed >= 1.0:
                continue
            k = int((row.slot_start - midnight(day)) // SLOT)
            so_far = arrived.get((row.service_id, k), 0)
            arrivals = round(so_far + row.base_arrivals * ratios[row.service_id] * (1 - elapsed), PRECISION)
            if arrivals != row.arrivals:
                row.arrivals = arrivals
                row.made_at = now
                changed.append(row)
        ArrivalForecast.objects.bulk_update(changed, ["arrivals", "made_at"], batch_size=BATCH_SIZE)
    return len(changed)
