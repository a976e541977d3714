from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from halls.models import OpeningException, OpeningHours
from halls.selectors import outlet_is_open
from tests.halls.factories import OutletFactory

TZ = ZoneInfo("Asia/Shanghai")
# 2026-11-25 is a Wednesday (weekday 2).
WEDNESDAY = date(2026, 11, 25)


def at(hour, minute=0, day=WEDNESDAY):
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


@pytest.fixture
def hall(db):
    hall = OutletFactory(always_open=False)
    OpeningHours.objects.create(outlet=hall, weekday=2, opens=time(8, 30), closes=time(18, 0))
    return hall


@pytest.mark.smoke
def test_a_hall_is_open_within_its_hours(hall):
    assert outlet_is_open(hall, at(8, 30))
    assert outlet_is_open(hall, at(17, 59))


def test_a_hall_is_closed_before_opening_and_from_closing_time(hall):
    assert not outlet_is_open(hall, at(8, 29))
    assert not outlet_is_open(hall, at(18, 0))


def test_a_hall_is_closed_on_a_weekday_without_hours(hall):
    assert not outlet_is_open(hall, at(10, day=date(2026, 11, 26)))


def test_a_holiday_closes_a_hall_on_its_usual_day(hall):
    OpeningException.objects.create(outlet=hall, date=WEDNESDAY, is_closed=True, note="元旦")

    assert not outlet_is_open(hall, at(10))


def test_a_special_opening_replaces_the_usual_hours(hall):
    OpeningException.objects.create(outlet=hall, date=WEDNESDAY, opens=time(10), closes=time(14))

    assert not outlet_is_open(hall, at(9))
    assert outlet_is_open(hall, at(13, 59))


def test_hours_past_midnight_count_for_the_day_they_started(db):
    hall = OutletFactory(always_open=False)
    OpeningHours.objects.create(outlet=hall, weekday=2, opens=time(20), closes=time(2))

    assert outlet_is_open(hall, at(1, 30, day=date(2026, 11, 26)))
    assert not outlet_is_open(hall, at(2, 0, day=date(2026, 11, 26)))


def test_a_24_hour_hall_is_always_open(db):
    hall = OutletFactory()

    assert all(outlet_is_open(hall, at(h, day=date(2026, 11, d))) for h in (0, 3, 12, 23) for d in (23, 29))
