"""The kind of day a hall sees: China's public holidays and 调休 working days."""

from datetime import date

from queueing.planning.holidays import DayKind, calendar_covers, day_kind, holiday_name, is_working_day


def test_national_day_is_a_public_holiday():
    assert day_kind(date(2026, 10, 1)) == DayKind.HOLIDAY
    assert holiday_name(date(2026, 10, 1)) == "National Day"


def test_a_weekend_day_inside_a_holiday_period_is_a_holiday():
    assert day_kind(date(2026, 10, 3)) == DayKind.HOLIDAY  # a Saturday


def test_a_saturday_declared_a_working_day_is_an_adjusted_working_day():
    assert day_kind(date(2026, 10, 10)) == DayKind.ADJUSTED_WORKDAY
    assert is_working_day(date(2026, 10, 10))


def test_an_ordinary_weekend_day_is_rest_and_a_weekday_work():
    assert day_kind(date(2026, 10, 17)) == DayKind.REST
    assert day_kind(date(2026, 10, 14)) == DayKind.WORKDAY
    assert holiday_name(date(2026, 10, 17)) is None


def test_a_year_the_calendar_does_not_cover_falls_back_to_weekdays_and_weekends():
    new_years_day_2027 = date(2027, 1, 1)  # a Friday

    assert not calendar_covers(new_years_day_2027)
    assert day_kind(new_years_day_2027) == DayKind.WORKDAY
    assert day_kind(date(2027, 1, 2)) == DayKind.REST
    assert holiday_name(new_years_day_2027) is None
