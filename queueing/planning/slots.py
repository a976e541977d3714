"""A hall's business day as planning sees it: when tickets can be taken, when
the day closes, and its half-hour slots; and the setup (services, counters)
that history and forecasts are made for.

Slots are the 30 minutes from each :00 and :30 of local time. A day's slots
are counted from its local midnight, SLOTS of them (28 hours), so that a
24-hour hall's day, which runs to QUEUE_DAY_ENDS_AT the next morning, fits
the same grid as a daytime hall's: slot k of any day starts at midnight +
k x 30 minutes. Everything here is plain values: the database is read by
`selectors.hall_setup`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.utils import timezone

SLOT = timedelta(minutes=30)
SLOT_SECONDS = 1800
SLOTS = 56  # 28 hours from the day's midnight


@dataclass(frozen=True)
class DayWindow:
    """One business day of a hall: the intervals in which tickets may be
    taken (the hall is open), and when the day closes (what still waits is
    cancelled then). A day the hall does not open has no intervals."""

    day: date
    opens: tuple[tuple[datetime, datetime], ...]
    closes_at: datetime | None

    @property
    def is_open(self) -> bool:
        return bool(self.opens)

    @property
    def first_open(self) -> datetime:
        return self.opens[0][0]

    @property
    def last_close(self) -> datetime:
        """When the last interval ends: no ticket is taken after it."""
        return self.opens[-1][1]


@dataclass(frozen=True)
class ServiceSetup:
    id: int
    code: str
    prefix: str
    handle_seconds: int
    target_wait_seconds: int


@dataclass(frozen=True)
class CounterSetup:
    id: int
    number: int
    service_ids: tuple[int, ...]


@dataclass(frozen=True)
class HallSetup:
    """What planning needs to know of a hall: its services (with the prefix
    they carry there), its counters and the services each calls, and its
    business day window for any date."""

    outlet_id: int
    code: str
    services: tuple[ServiceSetup, ...]
    counters: tuple[CounterSetup, ...]
    window: Callable[[date], DayWindow]

    @property
    def service_ids(self) -> tuple[int, ...]:
        return tuple(s.id for s in self.services)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def slot_start(day: date, k: int) -> datetime:
    return midnight(day) + k * SLOT


def slot_of(day: date, at: datetime) -> int:
    """The slot of `day`'s grid that `at` falls in (may be outside 0..SLOTS-1)."""
    return int((at - midnight(day)) // SLOT)


def exposure(window: DayWindow) -> np.ndarray:
    """The share of each slot of the day's grid in which tickets can be taken (0 to 1)."""
    share = np.zeros(SLOTS)
    base = midnight(window.day)
    for start, end in window.opens:
        a = (start - base).total_seconds() / SLOT_SECONDS
        b = (end - base).total_seconds() / SLOT_SECONDS
        for k in range(max(0, int(np.floor(a))), min(SLOTS, int(np.ceil(b)))):
            share[k] += max(0.0, min(b, k + 1) - max(a, k))
    return np.clip(share, 0.0, 1.0)


def open_slots(window: DayWindow) -> list[int]:
    return [k for k, share in enumerate(exposure(window)) if share > 0]


def days_between(start: date, end: date) -> list[date]:
    """Every date from `start` to `end`, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
