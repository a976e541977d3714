"""Predictive peak-flow warnings: the forecast (re-forecast through the day)
against the roster tells the manager before the lobby fills: "in 45 minutes
the hall needs 5 counters, 3 are planned"."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from halls.models import HallService, StaffRole
from queueing import services as queue
from queueing.models import HallNotice
from queueing.planning import services
from queueing.planning.models import ArrivalForecast, PeakWarning, RosterShift, WarningKind
from queueing.planning.staffing import hall_outlook, outlook_keep, outlooks_kept
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hall(db, clock, settings):
    """Payment and enquiries, one pool, open 9:00-18:00; a manager; the lunch
    peak forecast from 11:00; one agent rostered all day."""
    settings.PLANNING_SHRINKAGE = 0.0
    settings.PLANNING_STAFFING_MODEL = "erlang_c"
    floor = build_floor(code="PRED-1", hours=(time(9), time(18)))
    HallService.objects.filter(outlet=floor.hall).update(target_wait_seconds=300)
    floor.manager = UserFactory(username="manager-pred")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    rows = []
    start = MONDAY.replace(hour=9)
    while start.hour < 18:
        n = 40.0 if 11 <= start.hour < 13 else 4.0
        rows.append(ArrivalForecast(outlet=floor.hall, service=floor.payment, slot_start=start, arrivals=n,
                                    base_arrivals=n, made_at=MONDAY))
        start += timedelta(minutes=30)
    ArrivalForecast.objects.bulk_create(rows)
    RosterShift.objects.create(outlet=floor.hall, user=floor.agent, date=MONDAY.date(), starts=time(9),
                               ends=time(17))
    cache.delete(f"planning:outlook:{floor.hall.pk}")
    return floor


def predicted(floor):
    return PeakWarning.objects.filter(outlet=floor.hall, kind=WarningKind.PREDICTED, ended_at__isnull=True).first()


def look_ahead(floor):
    outlook_keep(floor.hall.pk, hall_outlook(outlet=floor.hall))
    return services.warnings_evaluate(outlet=floor.hall)


def test_a_peak_the_roster_does_not_cover_is_warned_before_it_comes(hall, clock):
    clock.move_to(MONDAY.replace(hour=10, minute=15))

    look_ahead(hall)

    warning = predicted(hall)
    assert warning is not None and warning.level == "critical"
    assert "11:00" in warning.message and "排班1个" in warning.message


def test_nothing_is_predicted_while_the_peak_is_more_than_an_hour_away(hall, clock):
    look_ahead(hall)  # 10:00: the peak starts at 11:00, its first slot is exactly an hour away

    clock.move_to(MONDAY.replace(hour=9, minute=30))
    look_ahead(hall)

    assert predicted(hall) is None


def test_a_roster_that_covers_the_peak_is_not_warned(hall, clock):
    for i in range(8):
        person = UserFactory(username=f"extra-{i}")
        member(person, hall.hall)
        RosterShift.objects.create(outlet=hall.hall, user=person, date=MONDAY.date(), starts=time(10, 30),
                                   ends=time(14, 30))
    clock.move_to(MONDAY.replace(hour=10, minute=15))

    look_ahead(hall)

    assert predicted(hall) is None


def test_a_hall_without_a_roster_compares_with_the_counters_open_now(hall, clock):
    RosterShift.objects.all().delete()
    queue.counter_open(counter_id=hall.counter2.pk, user=hall.agent)
    clock.move_to(MONDAY.replace(hour=10, minute=15))

    look_ahead(hall)

    assert "排班1个" in predicted(hall).message


def test_a_predicted_shortage_is_not_shown_to_customers(hall, clock):
    queue.counter_open(counter_id=hall.counter1.pk, user=hall.agent2)  # nobody waits long now
    clock.move_to(MONDAY.replace(hour=10, minute=15))

    look_ahead(hall)

    assert predicted(hall) is not None
    assert not HallNotice.objects.filter(outlet=hall.hall).exists()


def test_the_warning_suggests_opening_a_counter_ahead_of_time(hall, clock):
    clock.move_to(MONDAY.replace(hour=10, minute=15))

    look_ahead(hall)

    assert "open_counter" in {s.kind for s in predicted(hall).suggestions.all()}


def test_the_re_forecast_keeps_the_outlook_for_the_warnings(hall, clock, celery_eager):
    from queueing.planning.tasks import arrivals_reforecast

    arrivals_reforecast.delay(hall.hall.pk)

    kept = outlooks_kept([hall.hall.pk])[hall.hall.pk]
    assert kept[0].start == MONDAY and kept[0].planned == 1


def test_a_change_of_the_roster_refreshes_the_outlook(hall, clock, celery_eager, django_capture_on_commit_callbacks):
    person = UserFactory(username="late-addition")
    member(person, hall.hall)

    with django_capture_on_commit_callbacks(execute=True):
        services.roster_shift_create(outlet=hall.hall, user=person, day=MONDAY.date(), starts=time(11),
                                     ends=time(15))

    eleven = next(s for s in outlooks_kept([hall.hall.pk])[hall.hall.pk]
                  if timezone.localtime(s.start).hour == 11)
    assert eleven.planned == 2
