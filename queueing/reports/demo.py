"""The demo's report rollups, a step of `seed_demo` (see halls.demo): every
hall-day of the generated history gets its rollups, so the reports show
weeks of figures at once. Idempotent: hall-days that have them are left
alone (the live ones are kept current by the rollup task)."""

from halls.demo import StepResult, demo_step
from queueing.models import Ticket

from .models import HallDay
from .services import rollups_refresh_day


@demo_step
def seed_rollups(*, small: bool) -> StepResult:
    """Rollups for every hall-day with tickets that has none yet."""
    result = StepResult()
    wanted = set(Ticket.objects.values_list("outlet_id", "business_date").distinct().order_by())
    have = set(HallDay.objects.values_list("outlet_id", "date"))
    by_day: dict = {}
    for outlet_id, day in sorted(wanted - have):
        by_day.setdefault(day, []).append(outlet_id)
    hall_days = 0
    for day, ids in sorted(by_day.items()):
        written = rollups_refresh_day(outlet_ids=ids, day=day)
        result.created += written.rows
        hall_days += written.hall_days
    if hall_days:
        result.lines["reports"] = f"rollups for {hall_days} hall-days of history"
    return result
