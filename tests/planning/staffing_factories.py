"""Halls with a forecast and staff, for the staffing tests."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from halls.models import OpeningHours
from queueing.planning.models import ArrivalForecast, StaffContract
from tests.halls.factories import OutletFactory, ServiceFactory, UserFactory, add_counter, member, offer

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 12, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def forecast(hall, service, day: date, per_slot, *, first=time(9), last=time(17)):
    """`per_slot` arrivals forecast in every half hour from `first` to `last`
    (a number, or a function of the slot's start)."""
    start, end = at(day, first.hour, first.minute), at(day, last.hour, last.minute)
    rows = []
    while start < end:
        n = per_slot(start) if callable(per_slot) else per_slot
        rows.append(ArrivalForecast(outlet=hall, service=service, slot_start=start, arrivals=n, base_arrivals=n,
                                    made_at=timezone.now()))
        start += timedelta(minutes=30)
    ArrivalForecast.objects.bulk_create(rows)


def one_service_hall(*, handle=180, target_wait=20, counters=20):
    """A hall open 9:00-17:00 every day with one service and many counters."""
    hall = OutletFactory(always_open=False)
    OpeningHours.objects.bulk_create(
        [OpeningHours(outlet=hall, weekday=d, opens=time(9), closes=time(17)) for d in range(7)]
    )
    service = ServiceFactory(code="payment", name_zh="缴费充值", name_en="Payment", prefix="A",
                             default_handle_seconds=handle, target_wait_seconds=target_wait)
    offer(hall, service)
    for n in range(1, counters + 1):
        add_counter(hall, n, [service])
    return hall, service


def staffed(hall, n=4):
    people = []
    for i in range(n):
        user = UserFactory(username=f"s{i}-{hall.code}")
        member(user, hall)
        StaffContract.objects.create(outlet=hall, user=user, hours_per_week=40, min_shift_hours=4,
                                     max_shift_hours=8)
        people.append(user)
    hall.shift_templates.create(code="day", starts=time(9), ends=time(17), break_minutes=60,
                                break_earliest=time(11), break_latest_end=time(14))
    hall.shift_templates.create(code="am", starts=time(9), ends=time(13))
    hall.shift_templates.create(code="pm", starts=time(13), ends=time(17))
    return people
