"""China's public holidays and adjusted working days (调休), as the kind of
day a hall sees.

The calendar comes from `chinese_calendar`, which carries the State
Council's announced calendars for 2004-2026 and raises NotImplementedError
for any other year. For a year it does not cover, every date falls back to
plain weekday/weekend: Monday to Friday are working days, Saturday and
Sunday rest days, and there are no public holidays and no 调休. A hall's own
dated closures (halls.OpeningException) still apply, and a manager can enter
a known holiday beyond the calendar as a ForecastEvent. `calendar_covers`
says whether a date's kind is the announced one or the fallback.

Four kinds of day:

- WORKDAY: Monday to Friday, not a holiday.
- ADJUSTED_WORKDAY: a Saturday or Sunday declared a working day in exchange
  for a holiday weekday (调休); halls are as busy as on a weekday.
- REST: a Saturday or Sunday that is simply the weekend.
- HOLIDAY: a day of a public holiday period (New Year, Spring Festival,
  Qingming, Labour Day, Dragon Boat, Mid-autumn, National Day), weekend days
  inside the period included; halls are quiet or closed.
"""

import functools
from datetime import date
from enum import StrEnum

import chinese_calendar


class DayKind(StrEnum):
    WORKDAY = "workday"
    ADJUSTED_WORKDAY = "adjusted_workday"
    REST = "rest"
    HOLIDAY = "holiday"


WORKING = (DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY)


@functools.lru_cache(maxsize=8192)
def _detail(day: date) -> tuple[bool, str | None] | None:
    """(is a rest day, holiday name) from the calendar; None outside its years."""
    try:
        return chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None


def calendar_covers(day: date) -> bool:
    """Whether the announced calendar knows `day`'s year (else the weekday/weekend fallback applies)."""
    return _detail(day) is not None


def day_kind(day: date) -> DayKind:
    """What kind of day `day` is in mainland China (see the module's docstring)."""
    weekend = day.weekday() >= 5
    detail = _detail(day)
    if detail is None:
        return DayKind.REST if weekend else DayKind.WORKDAY
    resting, name = detail
    if resting:
        return DayKind.HOLIDAY if name else DayKind.REST
    return DayKind.ADJUSTED_WORKDAY if weekend else DayKind.WORKDAY


def is_working_day(day: date) -> bool:
    return day_kind(day) in WORKING


def holiday_name(day: date) -> str | None:
    """The holiday's English name ("National Day") on a holiday, else None."""
    detail = _detail(day)
    return detail[1] if detail is not None and detail[0] else None
