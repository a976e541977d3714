"""Reads of appointments shared by the API, the pages and the services: the
slots a hall offers on a day, a customer's bookings, the daily figures."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from halls.models import Outlet, Service
from halls.selectors import outlet_opening_intervals

from .models import Appointment, AppointmentStatus, SlotCapacity, SlotLoad


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


def bookable_days(now: datetime | None = None) -> list[date]:
    """The days slots can be booked on: today and the next days
    (QUEUE_APPOINTMENT_DAYS_AHEAD in all)."""
    today = timezone.localdate(now or timezone.now())
    return [today + timedelta(days=n) for n in range(settings.QUEUE_APPOINTMENT_DAYS_AHEAD)]


def _open_between(outlet: Outlet, day: date) -> list[tuple[datetime, datetime]]:
    # Hours past midnight count for the day they started on: yesterday's too.
    return [*outlet_opening_intervals(outlet, day - timedelta(days=1)), *outlet_opening_intervals(outlet, day)]


def hall_slots(*, outlet: Outlet, service: Service, day: date, now: datetime | None = None,
               upcoming_only: bool = True) -> list[Slot]:
    """The slots of `service` at the hall on `day`, in time order, with their
    capacity and bookings: the manager's capacities of that weekday, cut into
    slots, where the whole slot lies within the hall's opening on the day.
    `upcoming_only`: only slots that start after `now`."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    capacities = SlotCapacity.objects.filter(outlet=outlet, service=service, weekday=day.weekday()).order_by("starts")
    opening = _open_between(outlet, day)
    slots: dict[datetime, tuple[datetime, int]] = {}
    for capacity in capacities:
        length = timedelta(minutes=capacity.slot_minutes)
        start = datetime.combine(day, capacity.starts, tzinfo=tz)
        last = datetime.combine(day, capacity.ends, tzinfo=tz)
        while start + length <= last:
            end = start + length
            if start not in slots and any(o <= start and end <= c for o, c in opening):
                slots[start] = (end, capacity.per_slot)
            start = end
    if upcoming_only:
        slots = {start: v for start, v in slots.items() if start > now}
    if not slots:
        return []
    loads = dict(
        SlotLoad.objects.filter(outlet=outlet, service=service, starts_at__in=list(slots))
        .values_list("starts_at", "booked")
    )
    return [
        Slot(starts_at=start, ends_at=end, capacity=per_slot, booked=loads.get(start, 0))
        for start, (end, per_slot) in sorted(slots.items())
    ]


def slot_at(*, outlet: Outlet, service: Service, starts_at: datetime, now: datetime | None = None) -> Slot | None:
    """The upcoming slot that starts exactly at `starts_at`, or None."""
    day = timezone.localtime(starts_at).date()
    return next((s for s in hall_slots(outlet=outlet, service=service, day=day, now=now)
                 if s.starts_at == starts_at), None)


def hall_services_bookable(*, outlet: Outlet) -> list[Service]:
    """The services of the hall with any slot capacity set, in catalogue order."""
    ids = SlotCapacity.objects.filter(outlet=outlet).values("service_id")
    return list(
        Service.objects.filter(pk__in=ids, hall_services__outlet=outlet, hall_services__is_active=True)
        .order_by("sort_order", "code")
    )


def customer_appointments(*, phone: str) -> QuerySet[Appointment]:
    """The phone's bookings, the coming ones first (by slot), then the past."""
    return (
        Appointment.objects.filter(phone=phone)
        .select_related("outlet", "service", "ticket")
        .order_by("-starts_at", "-id")
    )


def active_count(*, phone: str) -> int:
    """Bookings the phone holds and has not used yet."""
    return Appointment.objects.filter(phone=phone, status=AppointmentStatus.BOOKED).count()


def check_in_window(starts_at: datetime) -> tuple[datetime, datetime]:
    """When a booking of a slot starting at `starts_at` can be checked in."""
    return (starts_at - timedelta(minutes=settings.QUEUE_APPOINTMENT_EARLY_MINUTES),
            starts_at + timedelta(minutes=settings.QUEUE_APPOINTMENT_LATE_MINUTES))


def hall_appointment_days(*, outlet: Outlet, start: date, end: date) -> list[dict]:
    """Per day of slot (the hall's local date) from `start` to `end`: the
    bookings made for it (cancelled ones aside), and how many were checked
    in within their window, late (walk-ins) and no-shows; cancelled apart.
    Every day of the range, zeros included."""
    tz = timezone.get_current_timezone()
    rows = (
        Appointment.objects.filter(
            outlet=outlet,
            starts_at__gte=datetime.combine(start, datetime.min.time(), tzinfo=tz),
            starts_at__lt=datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz),
        )
        .annotate(day=TruncDate("starts_at", tzinfo=tz))
        .values("day")
        .annotate(
            booked=Count("id", filter=~Q(status=AppointmentStatus.CANCELLED)),
            checked_in=Count("id", filter=Q(status=AppointmentStatus.CHECKED_IN)),
            late=Count("id", filter=Q(status=AppointmentStatus.LATE)),
            no_show=Count("id", filter=Q(status=AppointmentStatus.NO_SHOW)),
            cancelled=Count("id", filter=Q(status=AppointmentStatus.CANCELLED)),
        )
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    days = []
    day = start
    while day <= end:
        row = by_day.get(day, {})
        days.append({"date": day, **{k: row.get(k, 0) for k in ("booked", "checked_in", "late", "no_show",
                                                                 "cancelled")}})
        day += timedelta(days=1)
    return days

