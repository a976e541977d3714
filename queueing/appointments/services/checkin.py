"""Checking a booking in at the hall: its ticket.

Within the window around its slot (QUEUE_APPOINTMENT_EARLY_MINUTES before
the start to QUEUE_APPOINTMENT_LATE_MINUTES after), the ticket joins its
line at min(now, slot start): ahead of the walk-ins who came after the slot
began, behind those who came before. Earlier is refused with the time to come
back; later, the same business day, it is a walk-in ticket and the booking
counts as late. One ticket per booking, however often it is checked in.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from config.api import NotFound
from halls.models import Outlet
from queueing.days import business_day_of
from queueing.models import ACTIVE_AT_COUNTER, Channel, Ticket, TicketStatus
from queueing.services import ticket_issue

from ..errors import NotInWindow
from ..models import WITH_TICKET, Appointment, AppointmentStatus
from ..selectors import check_in_window
from .bookings import lock_own, slot_release


def _for_phone(outlet: Outlet, phone: str, now: datetime) -> str:
    """The code of the booking a phone checks in at the hall now: a booking
    already checked in whose ticket is still in the hall; else the earliest
    booked one whose window has not ended; else the latest of today's."""
    today = timezone.localdate(now)
    todays = list(
        Appointment.objects.filter(outlet=outlet, phone=phone, starts_at__date=today)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("ticket")
        .order_by("starts_at", "id")
    )
    live = (TicketStatus.WAITING, *ACTIVE_AT_COUNTER)
    for a in todays:
        if a.status in WITH_TICKET and a.ticket.status in live:
            return a.code
    for a in todays:
        if a.status == AppointmentStatus.BOOKED and now <= check_in_window(a.starts_at)[1]:
            return a.code
    if not todays:
        raise NotFound("该手机号今天在本厅没有预约 / This phone has no booking at this hall today.")
    return todays[-1].code


def appointment_check_in(*, outlet: Outlet, code: str | None = None, phone: str | None = None,
                         now: datetime | None = None) -> tuple[Appointment, Ticket, bool]:
    """Check in the booking `code` (or the phone's booking of today) at the
    hall. Returns (appointment, ticket, created): a booking checked in before
    answers with its ticket.

    Raises NotFound (no such booking at this hall), NotInWindow (too early,
    or its day is over), AppointmentNotActive (cancelled), and what issuing
    a ticket raises (HallClosed, DailyCapReached)."""
    now = now or timezone.now()
    if code is None:
        code = _for_phone(outlet, phone, now)
    with transaction.atomic():
        appointment = lock_own(code=code, phone=None)
        if appointment.outlet_id != outlet.pk:
            raise NotFound("本厅没有这个预约 / This hall has no such booking.")
        if appointment.ticket_id is not None:
            return appointment, appointment.ticket, False
        if appointment.status == AppointmentStatus.CANCELLED:
            raise NotInWindow("该预约已取消 / This booking was cancelled.", code="appointment_cancelled")
        opens, closes = check_in_window(appointment.starts_at)
        if now < opens:
            local = timezone.localtime(opens)
            day = "" if local.date() == timezone.localdate(now) else f"{local.month}月{local.day}日 "
            day_en = "" if not day else f"{local:%Y-%m-%d} "
            raise NotInWindow(
                f"还未到签到时间，请于 {day}{local:%H:%M} 后再来签到 / "
                f"Too early to check in: please come back at {day_en}{local:%H:%M}."
            )
        late = now > closes
        if late and business_day_of(outlet, now) != business_day_of(outlet, appointment.starts_at):
            raise NotInWindow("该预约已过期 / This booking has expired.")
        ticket, _ = ticket_issue(
            outlet=outlet,
            service_code=appointment.service.code,
            channel=Channel.APPOINTMENT,
            phone=appointment.phone,
            idempotency_key=f"appointment:{appointment.pk}",
            now=now,
            queued_at=None if late else min(now, appointment.starts_at),
        )
        held = appointment.status == AppointmentStatus.BOOKED
        appointment.status = AppointmentStatus.LATE if late else AppointmentStatus.CHECKED_IN
        appointment.ticket = ticket
        appointment.checked_in_at = now
        appointment.save(update_fields=["status", "ticket", "checked_in_at"])
        if late and held:
            # A late booking is a walk-in: it no longer holds its slot.
            slot_release(outlet_id=appointment.outlet_id, service_id=appointment.service_id,
                         starts_at=appointment.starts_at)
    return appointment, ticket, True
