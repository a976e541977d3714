"""The demo's ticket history and arrival forecasts, a step of `seed_demo`
(see halls.demo).

History up to yesterday (planning.history, seed DEMO_SEED) for the demo
manager's hall, DEMO_HALL_CODE: DEMO_HALL_WEEKS weeks, enough to forecast
from and to see its weeks and months; and SPREAD_WEEKS weeks for a spread
of the city's halls, chosen by their drawn volume: the middle of the busy
ones, of the average ones and the quietest, and a 24-hour hall. Then the
forecast of those halls for the days ahead. `--small`: the demo hall only,
SMALL_WEEKS weeks (the small city is for tests). Not all 212 halls: the
whole seed stays within a minute (`manage.py generate_history` fills any
other hall).

Idempotent like every step: days already there are skipped, and a forecast
that comes out the same writes nothing. A run on a later day adds the days
since the last one (and forecasts from the new day).
"""

from datetime import timedelta

from halls import demo_data
from halls.demo import DEMO_HALL_CODE, OutletPlan, StepResult, city_plan, demo_step
from halls.models import Outlet

from .history import hall_profile
from .selectors import hall_live_day
from .services import arrivals_forecast_hall, history_generate
from .slots import CounterSetup, HallSetup, ServiceSetup

DEMO_SEED = demo_data.SEED
DEMO_HALL_WEEKS = 8
SPREAD_WEEKS = 2
SMALL_WEEKS = 2
SPREAD = (("busy", 3), ("average", 4), ("quiet", 3))


def _planned_profile(hall: OutletPlan):
    """The hall's drawn profile, from its plan alone (its volume depends on its code and counters)."""
    setup = HallSetup(
        outlet_id=0, code=hall.code,
        services=tuple(ServiceSetup(i, code, "A", 300, 600) for i, code in enumerate(hall.services)),
        counters=tuple(CounterSetup(i, i + 1, ()) for i in range(len(hall.counters))),
        window=None,
    )
    return hall_profile(setup, DEMO_SEED)


def history_plan(*, small: bool) -> list[tuple[str, int]]:
    """(hall code, weeks of history) for the demo."""
    if small:
        return [(DEMO_HALL_CODE, SMALL_WEEKS)]
    halls = [hall for hall in city_plan() if hall.has_queue and hall.code != DEMO_HALL_CODE]
    profiles = {hall.code: _planned_profile(hall) for hall in halls}
    chosen = []
    for tier, count in SPREAD:
        daytime = sorted(
            (hall for hall in halls if not hall.is_all_day and profiles[hall.code].tier == tier),
            key=lambda hall: (profiles[hall.code].volume, hall.code),
        )
        if tier == "quiet":
            chosen += daytime[:count]
        else:
            middle = max(0, len(daytime) // 2 - count // 2)
            chosen += daytime[middle:middle + count]
    chosen += [hall for hall in halls if hall.is_all_day][:1]
    return [(DEMO_HALL_CODE, DEMO_HALL_WEEKS)] + [(hall.code, SPREAD_WEEKS) for hall in chosen]


@demo_step
def seed_history(*, small: bool) -> StepResult:
    """Ticket history up to yesterday for the demo hall and a spread of halls, and their forecasts."""
    result = StepResult()
    plan = history_plan(small=small)
    outlets = dict(Outlet.objects.filter(code__in=[code for code, _ in plan]).values_list("code", "pk"))
    tickets = days = 0
    for code, weeks in plan:
        outlet_id = outlets[code]
        yesterday = hall_live_day(outlet_id=outlet_id) - timedelta(days=1)
        written = history_generate(outlet_ids=[outlet_id], start=yesterday - timedelta(weeks=weeks, days=-1),
                                   end=yesterday, seed=DEMO_SEED)
        result.created += written.days + written.tickets + written.events + written.counter_events
        tickets += written.tickets
        days += written.days
    forecasts = 0
    for code, _ in plan:
        forecast = arrivals_forecast_hall(outlet_id=outlets[code])
        result.created += forecast.created
        result.updated += forecast.updated + forecast.deleted
        forecasts += forecast.created + forecast.updated
    weeks = dict(plan)
    result.lines["ticket history"] = (
        f"{weeks[DEMO_HALL_CODE]} weeks at {DEMO_HALL_CODE}"
        + (f", {SPREAD_WEEKS} weeks at {len(plan) - 1} more halls ({', '.join(c for c, _ in plan[1:])})"
           if len(plan) > 1 else "")
        + f"; this run: {days} days, {tickets} tickets written, {forecasts} forecast slots written"
    )
    return result
