"""Writing forecasts: the nightly forecast of the days ahead, the intraday
re-forecast, their tasks and the `forecast` command."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from halls.models import OpeningException, Service
from queueing.planning import tasks
from queueing.planning.models import ArrivalForecast, ForecastEvent
from queueing.planning.services import arrivals_forecast_hall, arrivals_reforecast_hall, history_generate
from queueing.planning.services.forecasts import reforecast_ratios
from queueing.services import ticket_issue
from tests.planning.factories import DEMO_COUNTERS, SEED, at, build_hall

TODAY = date(2026, 11, 19)  # a Thursday
NIGHT = at(TODAY, 4, 30)
SMALL_HALL = DEMO_COUNTERS[:4]  # payment, enquiry, points, new line, plan change


def with_history(code: str, weeks: int = 3):
    hall = build_hall(code, SMALL_HALL)
    history_generate(outlet_ids=[hall.pk], start=TODAY - timedelta(weeks=weeks), end=TODAY - timedelta(days=1),
                     seed=SEED, now=NIGHT)
    return hall


@pytest.fixture
def hall(db):
    return with_history("T-Q01")


@pytest.fixture
def forecast_made(hall):
    arrivals_forecast_hall(outlet_id=hall.pk, now=NIGHT)
    return hall


def rows(hall, day: date | None = None) -> dict:
    qs = ArrivalForecast.objects.filter(outlet=hall)
    if day is not None:
        qs = qs.filter(slot_start__gte=at(day, 0), slot_start__lt=at(day + timedelta(days=1), 0))
    return {(r.service.code, r.slot_start): (r.arrivals, r.base_arrivals, r.made_at) for r in qs.select_related(
        "service")}


def day_total(hall, day: date, service: str | None = None) -> float:
    return sum(arrivals for (code, _), (arrivals, _, _) in rows(hall, day).items() if service in (None, code))


# --- Nightly ---------------------------------------------------------------------------------


def test_the_nightly_forecast_writes_every_service_and_half_hour_open_for_14_days(forecast_made):
    written = rows(forecast_made)

    days = {start.astimezone(at(TODAY, 0).tzinfo).date() for _, start in written}
    assert days == {TODAY + timedelta(days=i) for i in range(settings.PLANNING_FORECAST_DAYS)}
    thursday = [start for code, start in written if code == "payment" and start.date() == TODAY]
    saturday = [start for code, start in written if code == "payment" and start.date() == TODAY + timedelta(days=2)]
    assert (min(thursday), max(thursday), len(thursday)) == (at(TODAY, 8, 30), at(TODAY, 17, 30), 19)
    assert len(saturday) == 16  # 9:00-17:00
    assert {code for code, _ in written} == {"payment", "enquiry", "points", "new_line", "plan_change"}
    assert all(arrivals == base > 0 for arrivals, base, _ in written.values())


def test_the_forecast_is_near_the_halls_recent_days(forecast_made):
    week_ago = TODAY - timedelta(days=7)
    came = sum(1 for _ in forecast_made.tickets.filter(business_date=week_ago))

    assert 0.75 * came < day_total(forecast_made, TODAY) < 1.25 * came


def test_forecasting_again_writes_nothing(forecast_made):
    before = rows(forecast_made)

    written = arrivals_forecast_hall(outlet_id=forecast_made.pk, now=NIGHT + timedelta(hours=1))

    assert written.changed == 0
    assert rows(forecast_made) == before


def test_a_day_the_hall_now_closes_loses_its_forecast(forecast_made):
    closed = TODAY + timedelta(days=3)
    OpeningException.objects.create(outlet=forecast_made, date=closed, is_closed=True, note="装修")

    written = arrivals_forecast_hall(outlet_id=forecast_made.pk, now=NIGHT)

    assert written.deleted > 0
    assert rows(forecast_made, closed) == {}
    assert rows(forecast_made, closed + timedelta(days=1))


def test_an_event_multiplies_the_forecast_of_its_days(forecast_made):
    launch = TODAY + timedelta(days=5)
    before = {day: day_total(forecast_made, day, "new_line") for day in (launch, launch + timedelta(days=1))}
    others = day_total(forecast_made, launch, "payment")
    ForecastEvent.objects.create(outlet=forecast_made, service=Service.objects.get(code="new_line"),
                                 starts_on=launch, ends_on=launch, multiplier=Decimal("1.50"), note="新机发布")

    arrivals_forecast_hall(outlet_id=forecast_made.pk, now=NIGHT)

    assert day_total(forecast_made, launch, "new_line") == pytest.approx(1.5 * before[launch], rel=1e-3)
    assert day_total(forecast_made, launch + timedelta(days=1), "new_line") == pytest.approx(
        before[launch + timedelta(days=1)], rel=1e-3)
    assert day_total(forecast_made, launch, "payment") == pytest.approx(others, rel=1e-3)


def test_an_event_for_every_service_multiplies_the_whole_day(forecast_made):
    promotion = TODAY + timedelta(days=6)
    before = day_total(forecast_made, promotion)
    ForecastEvent.objects.create(outlet=forecast_made, starts_on=promotion, ends_on=promotion,
                                 multiplier=Decimal("0.50"), note="门前修路")

    arrivals_forecast_hall(outlet_id=forecast_made.pk, now=NIGHT)

    assert day_total(forecast_made, promotion) == pytest.approx(0.5 * before, rel=1e-3)


def test_a_hall_with_too_little_history_gets_no_forecast(db):
    hall = build_hall("T-Q09", SMALL_HALL)
    history_generate(outlet_ids=[hall.pk], start=TODAY - timedelta(days=5), end=TODAY - timedelta(days=1),
                     seed=SEED, now=NIGHT)

    written = arrivals_forecast_hall(outlet_id=hall.pk, now=NIGHT)

    assert (written.changed, written.history_days) == (0, 5)
    assert not ArrivalForecast.objects.filter(outlet=hall).exists()


# --- Through the day ------------------------------------------------------------------------


def issue_in(hall, service: str, start: datetime, count: int) -> None:
    for i in range(count):
        ticket_issue(outlet=hall, service_code=service, channel="kiosk", now=start + timedelta(minutes=30) * i / count)


def test_the_reforecast_moves_the_rest_of_today_towards_the_days_level(forecast_made):
    eleven = at(TODAY, 11)
    morning = {key: value for key, value in rows(forecast_made, TODAY).items() if key[1] < eleven}
    for (code, start), (_, base, _) in morning.items():
        issue_in(forecast_made, code, start, round(2 * base))  # twice what was forecast

    changed = arrivals_reforecast_hall(outlet_id=forecast_made.pk, now=eleven)

    after = rows(forecast_made, TODAY)
    later = {key: value for key, value in after.items() if key[1] >= eleven}
    assert changed == len(later)
    assert all(1.3 < arrivals / base < 2.0 for arrivals, base, _ in later.values())
    assert all(after[key][:2] == value[:2] for key, value in morning.items())  # the morning stays as forecast
    assert all(made == eleven for _, _, made in later.values())


def test_a_quiet_morning_lowers_the_rest_of_the_day(forecast_made):
    changed = arrivals_reforecast_hall(outlet_id=forecast_made.pk, now=at(TODAY, 12))  # nobody came

    later = [(arrivals, base) for (_, start), (arrivals, base, _) in rows(forecast_made, TODAY).items()
             if start >= at(TODAY, 12)]
    assert changed and all(arrivals < 0.8 * base for arrivals, base in later)


def test_the_slot_under_way_is_what_came_plus_the_rest_of_its_forecast(forecast_made):
    now = at(TODAY, 9, 15)
    issue_in(forecast_made, "payment", at(TODAY, 9), 6)

    arrivals_reforecast_hall(outlet_id=forecast_made.pk, now=now)

    arrivals, base, _ = rows(forecast_made, TODAY)["payment", at(TODAY, 9)]
    assert 6 < arrivals < 6 + base  # six came in the first quarter hour, then half the slot to come


def test_few_arrivals_barely_move_the_forecast_and_many_follow_the_day():
    few = reforecast_ratios({1: 1.0}, {1: 2.0})
    many = reforecast_ratios({1: 200.0, 2: 100.0}, {1: 100.0, 2: 50.0})

    assert 0.85 < few[1] < 1.0
    assert many[1] == pytest.approx(2.0, rel=0.1) and many[2] == pytest.approx(2.0, rel=0.1)


def test_reforecasting_again_changes_nothing(forecast_made):
    issue_in(forecast_made, "payment", at(TODAY, 9), 10)
    arrivals_reforecast_hall(outlet_id=forecast_made.pk, now=at(TODAY, 10))
    before = rows(forecast_made)

    changed = arrivals_reforecast_hall(outlet_id=forecast_made.pk, now=at(TODAY, 10))

    assert changed == 0 and rows(forecast_made) == before


def test_the_reforecast_waits_for_the_hall_to_open(forecast_made):
    before = rows(forecast_made)

    assert arrivals_reforecast_hall(outlet_id=forecast_made.pk, now=at(TODAY, 7)) == 0
    assert rows(forecast_made) == before


# --- Tasks, schedule and command -------------------------------------------------------------------


def test_the_nightly_task_forecasts_every_hall_with_a_queue(hall, celery_eager):
    quiet = with_history("T-Q02", weeks=2)
    closed_for_good = with_history("T-Q03", weeks=2)
    closed_for_good.has_queue = False
    closed_for_good.save()

    with time_machine.travel(NIGHT, tick=False):
        started = tasks.arrivals_forecast_all()

    assert started == 2
    assert rows(hall) and rows(quiet) and not rows(closed_for_good)


def test_running_the_nightly_task_again_changes_nothing(hall, celery_eager):
    with time_machine.travel(NIGHT, tick=False):
        tasks.arrivals_forecast_all()
        before = rows(hall)
        tasks.arrivals_forecast_all()

        assert tasks.arrivals_forecast(hall.pk) == 0
    assert rows(hall) == before


def test_the_reforecast_task_runs_for_the_halls_open_now(forecast_made, celery_eager):
    night_owl = build_hall("T-Q04", SMALL_HALL, all_day=True)

    with time_machine.travel(at(TODAY, 7), tick=False):
        assert tasks.arrivals_reforecast_open_halls() == 1  # only the 24-hour hall is open at 7:00
    with time_machine.travel(at(TODAY, 12), tick=False):
        assert tasks.arrivals_reforecast_open_halls() == 2
        assert tasks.arrivals_reforecast(forecast_made.pk) == 0  # done already
    assert night_owl.pk and any(base != arrivals for arrivals, base, _ in rows(forecast_made, TODAY).values())


def test_the_schedule_forecasts_nightly_and_reforecasts_through_the_day():
    from config.celery import app

    nightly = settings.CELERY_BEAT_SCHEDULE["planning-forecast-arrivals"]
    intraday = settings.CELERY_BEAT_SCHEDULE["planning-reforecast-arrivals"]

    assert nightly["task"] == "queueing.planning.tasks.arrivals_forecast_all"
    assert (nightly["schedule"].hour, nightly["schedule"].minute) == ({4}, {30})
    assert intraday["task"] == "queueing.planning.tasks.arrivals_reforecast_open_halls"
    assert intraday["schedule"] == 15 * 60
    app.loader.import_default_modules()
    assert {nightly["task"], intraday["task"]} <= set(app.tasks)


def test_the_command_forecasts_a_hall_and_says_how_it_did(hall, settings):
    settings.DEBUG = True
    out = StringIO()

    with time_machine.travel(NIGHT, tick=False):
        call_command("forecast", "--hall", hall.code, "--accuracy", stdout=out)

    assert rows(hall)
    assert "WAPE per day" in out.getvalue() and "seasonal naive" in out.getvalue()


def test_the_command_reforecasts_today_on_demand(forecast_made):
    issue_in(forecast_made, "payment", at(TODAY, 9), 20)
    out = StringIO()

    with time_machine.travel(at(TODAY, 10), tick=False):
        call_command("forecast", "--reforecast", stdout=out)

    assert "Re-forecast today: 1 halls" in out.getvalue()
    assert any(base != arrivals for arrivals, base, _ in rows(forecast_made, TODAY).values())
