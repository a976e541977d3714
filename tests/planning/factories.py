"""Halls for planning tests: in the database (like the demo's first hall),
or as plain setups for the generator and the model without a database."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from halls import demo_data
from halls.models import OpeningException, OpeningHours, Outlet
from queueing.planning import forecast
from queueing.planning.history import draw_arrivals, hall_profile
from queueing.planning.slots import CounterSetup, DayWindow, HallSetup, ServiceSetup, days_between, exposure
from tests.halls.factories import OutletFactory, ServiceFactory, add_counter, offer

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = 2012

# The demo's first hall: eight counters and every service.
DEMO_COUNTERS = (
    ("payment", "enquiry"),
    ("payment", "points"),
    ("new_line", "plan_change"),
    ("new_line", "plan_change", "payment"),
    ("plan_change", "enquiry", "payment"),
    ("handset", "new_line"),
    ("broadband", "plan_change"),
    ("enterprise", "broadband"),
)
ALL_DAY_COUNTERS = (("payment", "points"), ("payment", "enquiry"), ("new_line", "plan_change"),
                    ("plan_change", "enquiry", "payment"))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def catalogue() -> dict:
    """The demo's services, in the database, by code."""
    return {
        spec.code: ServiceFactory(code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en, prefix=spec.prefix,
                                  default_handle_seconds=spec.default_handle_seconds,
                                  target_wait_seconds=spec.target_wait_seconds, sort_order=order)
        for order, spec in enumerate(demo_data.SERVICES, start=1)
    }


def build_hall(code: str = "T-P001", counters=DEMO_COUNTERS, *, all_day: bool = False,
               closed_on: tuple[date, ...] = ()) -> Outlet:
    """A hall open 8:30-18:00 on weekdays and 9:00-17:00 at weekends (or 24
    hours every day), offering the services its counters call."""
    services = catalogue()
    hall = OutletFactory(code=code, always_open=all_day)
    if not all_day:
        OpeningHours.objects.bulk_create(
            [OpeningHours(outlet=hall, weekday=d, opens=time(8, 30), closes=time(18)) for d in range(5)]
            + [OpeningHours(outlet=hall, weekday=d, opens=time(9), closes=time(17)) for d in (5, 6)]
        )
    for day in closed_on:
        OpeningException.objects.create(outlet=hall, date=day, is_closed=True, note="休息")
    offered = [spec.code for spec in demo_data.SERVICES if any(spec.code in c for c in counters)]
    for position, service_code in enumerate(offered):
        offer(hall, services[service_code], sort_order=position)
    for number, codes in enumerate(counters, start=1):
        add_counter(hall, number, [services[c] for c in codes])
    return hall


# --- Without a database ---------------------------------------------------------------


def plain_window(day: date, *, all_day: bool = False) -> DayWindow:
    if all_day:
        start = at(day, 4)
        return DayWindow(day, ((start, start + timedelta(days=1)),), start + timedelta(days=1))
    opens, closes = (time(8, 30), time(18)) if day.weekday() < 5 else (time(9), time(17))
    start = datetime.combine(day, opens, tzinfo=SHANGHAI)
    end = datetime.combine(day, closes, tzinfo=SHANGHAI)
    return DayWindow(day, ((start, end),), end + timedelta(minutes=30))


def plain_setup(code: str = "T-P001", counters=DEMO_COUNTERS, *, all_day: bool = False) -> HallSetup:
    """The same hall as build_hall, as a plain setup (ids made up)."""
    specs = [spec for spec in demo_data.SERVICES if any(spec.code in c for c in counters)]
    services = tuple(ServiceSetup(i, s.code, s.prefix, s.default_handle_seconds, s.target_wait_seconds)
                     for i, s in enumerate(specs, start=1))
    ids = {s.code: s.id for s in services}
    return HallSetup(
        outlet_id=1, code=code, services=services,
        counters=tuple(CounterSetup(100 + n, n, tuple(ids[c] for c in codes))
                       for n, codes in enumerate(counters, start=1)),
        window=lambda day: plain_window(day, all_day=all_day),
    )


def drawn_history(setup: HallSetup, start: date, end: date, seed: int = SEED) -> forecast.HallCounts:
    """The arrivals history generation would write for the hall, as a forecast's input."""
    profile = hall_profile(setup, seed)
    days = days_between(start, end)
    return forecast.HallCounts(
        days=days,
        service_ids=list(setup.service_ids),
        y=np.array([draw_arrivals(setup, profile, setup.window(d), seed=seed) for d in days]),
        exposure=np.array([exposure(setup.window(d)) for d in days]),
    )


def busy_counters(count: int):
    """`count` counters, the demo hall's eight over again."""
    return tuple(DEMO_COUNTERS[i % len(DEMO_COUNTERS)] for i in range(count))
