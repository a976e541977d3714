"""seed_demo's planning step: ticket history and forecasts for the demo hall
(and, in the full city, a spread of halls), safe to run again."""

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from halls.demo import DEMO_HALL_CODE, city_plan
from queueing.models import Ticket
from queueing.planning import demo as planning_demo
from queueing.planning.models import ArrivalForecast, HistoryDay
from tests.planning.factories import at

TODAY = date(2026, 11, 20)
MORNING = at(TODAY, 7)


@pytest.fixture(autouse=True)
def _demo_allowed(settings):
    """The demo's published sign-ins are refused with DEBUG off; a demo runs with it on."""
    settings.DEBUG = True


def seed(*args, now=MORNING) -> str:
    out = StringIO()
    with time_machine.travel(now, tick=False):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def history_days(code: str) -> list[date]:
    return sorted(set(Ticket.objects.filter(outlet__code=code).values_list("business_date", flat=True)))


def test_the_full_plan_gives_the_demo_hall_eight_weeks_and_a_dozen_halls_from_busy_to_quiet():
    plan = planning_demo.history_plan(small=False)
    halls = {hall.code: hall for hall in city_plan()}

    tiers = {planning_demo._planned_profile(halls[code]).tier for code, _ in plan}
    assert plan[0] == (DEMO_HALL_CODE, 8)
    assert len(plan) == 12 and len(set(plan)) == 12
    assert tiers == {"busy", "average", "quiet"}
    assert any(halls[code].is_all_day for code, _ in plan)


def test_the_small_seed_builds_two_weeks_of_history_and_a_forecast_for_the_demo_hall(db):
    output = seed("--small")

    yesterday = TODAY - timedelta(days=1)
    assert history_days(DEMO_HALL_CODE) == [yesterday - timedelta(days=i) for i in range(13, -1, -1)]
    assert ArrivalForecast.objects.filter(outlet__code=DEMO_HALL_CODE, slot_start__gte=at(TODAY, 0)).exists()
    assert "ticket history: 2 weeks at ZZ-H001" in output


def test_the_seed_builds_eight_weeks_of_history_for_the_demo_hall(db, monkeypatch):
    monkeypatch.setattr(planning_demo, "history_plan", lambda small: [(DEMO_HALL_CODE, 8)])

    seed("--small")

    days = history_days(DEMO_HALL_CODE)
    assert (days[0], days[-1], len(days)) == (TODAY - timedelta(weeks=8), TODAY - timedelta(days=1), 56)
    assert HistoryDay.objects.filter(outlet__code=DEMO_HALL_CODE).count() == 56


def test_seeding_again_writes_no_history_and_no_forecast(db):
    seed("--small")
    before = (Ticket.objects.count(), list(ArrivalForecast.objects.order_by("pk").values_list(
        "pk", "arrivals", "made_at")))

    output = seed("--small")

    assert "0 rows created, 0 updated" in output
    assert (Ticket.objects.count(), list(ArrivalForecast.objects.order_by("pk").values_list(
        "pk", "arrivals", "made_at"))) == before


def test_a_seed_on_a_later_day_adds_the_days_since(db):
    seed("--small")

    seed("--small", now=MORNING + timedelta(days=1))

    assert history_days(DEMO_HALL_CODE)[-1] == TODAY
    assert len(history_days(DEMO_HALL_CODE)) == 15
