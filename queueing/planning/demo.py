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

Then the demo hall's roster (`seed_rosters`): its shift templates, its
agents' contracts and skills, and its roster for this week and next,
planned against the forecast (the full seed only).

Idempotent like every step: days already there are skipped, and a forecast
that comes out the same writes nothing. A run on a later day adds the days
since the last one (and forecasts from the new day).
"""

from datetime import time, timedelta

from django.contrib.auth import get_user_model

from halls import demo_data
from halls.demo import DEMO_HALL_CODE, OutletPlan, StepResult, city_plan, demo_step
from halls.models import Outlet, Service, StaffMembership
from queueing.services import handle_times_learn

from .history import hall_profile
from .models import RosterShift, ShiftTemplate, StaffContract
from .selectors import hall_live_day
from .services import NoForecast, arrivals_forecast_hall, history_analyze, history_generate, roster_plan_week
from .slots import CounterSetup, HallSetup, ServiceSetup

DEMO_SEED = demo_data.SEED
DEMO_HALL_WEEKS = 8
SPREAD_WEEKS = 2
SMALL_WEEKS = 2
SPREAD = (("busy", 3), ("average", 4), ("quiet", 3))
ROSTER_SECONDS = 3.0  # the solver's time for each demo week


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
    if tickets:
        history_analyze()
    # What the wait estimates and the staffing plans take as each service's
    # handle time (derived rows, rewritten whole: not counted as the demo's).
    handle_times_learn()
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


# --- The demo hall's roster -------------------------------------------------------------------

# (code, name, starts, ends, break minutes, break earliest, break latest end)
DEMO_TEMPLATES = (
    ("early", "早班", time(8, 30), time(16, 30), 60, time(11), time(14)),
    ("day", "日班", time(9), time(17), 60, time(11, 30), time(14, 30)),
    ("late", "晚班", time(10), time(18), 60, time(12), time(15)),
    ("am", "上午班", time(8, 30), time(12, 30), 0, None, None),
    ("midday", "午间班", time(11), time(15), 0, None, None),
    ("pm", "下午班", time(14), time(18), 0, None, None),
    ("weekend-pm", "周末下午班", time(13), time(17), 0, None, None),
)
# username -> (hours a week, days a week, shortest and longest shift)
FULL_TIME = (40, 5, 4, 8)
PART_TIME = (20, 4, 4, 4)
DEMO_CONTRACTS = {
    **{f"demo_agent{i}": FULL_TIME for i in range(1, 14)},
    **{f"demo_agent{i}": PART_TIME for i in range(14, 17)},
}
# Who serves fewer than every service (everyone else serves them all).
DEMO_SKILLS = {
    "demo_agent14": ("payment", "points", "enquiry"),
    "demo_agent15": ("payment", "points", "enquiry"),
    "demo_agent10": ("handset", "new_line", "plan_change", "enterprise"),
}
DEMO_ROSTER_WEEKS = 2  # this week (from today) and next


@demo_step
def seed_rosters(*, small: bool) -> StepResult:
    """The demo hall's shift templates, its agents' contracts and skills, and
    (full seed) its roster for this week and next, planned against the
    forecast. A week already rostered is left as it is."""
    result = StepResult()
    hall = Outlet.objects.get(code=DEMO_HALL_CODE)
    for code, name, starts, ends, minutes, earliest, latest in DEMO_TEMPLATES:
        _, created = ShiftTemplate.objects.get_or_create(
            outlet=hall, code=code,
            defaults=dict(name=name, starts=starts, ends=ends, break_minutes=minutes, break_earliest=earliest,
                          break_latest_end=latest),
        )
        result.created += created
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_CONTRACTS)}
    for username, (hours, days, shortest, longest) in DEMO_CONTRACTS.items():
        _, created = StaffContract.objects.get_or_create(
            outlet=hall, user=users[username],
            defaults=dict(hours_per_week=hours, days_per_week=days, min_shift_hours=shortest,
                          max_shift_hours=longest),
        )
        result.created += created
    for username, codes in DEMO_SKILLS.items():
        membership = StaffMembership.objects.get(outlet=hall, user=users[username])
        if not membership.skills.exists():
            membership.skills.set(Service.objects.filter(code__in=codes))
            result.created += len(codes)
    if small:
        return result
    monday = hall_live_day(outlet_id=hall.pk)
    monday -= timedelta(days=monday.weekday())
    planned = []
    for week in range(DEMO_ROSTER_WEEKS):
        start = monday + timedelta(weeks=week)
        if RosterShift.objects.filter(outlet=hall, date__range=(start, start + timedelta(days=6))).exists():
            continue
        try:
            generated = roster_plan_week(outlet=hall, week_start=start, time_limit_seconds=ROSTER_SECONDS)
        except NoForecast:
            continue
        result.created += len(generated.shifts)
        planned.append(f"week of {start:%m-%d}: {len(generated.shifts)} shifts")
    if planned:
        result.lines["roster"] = f"{DEMO_HALL_CODE}: " + "; ".join(planned)
    return result
