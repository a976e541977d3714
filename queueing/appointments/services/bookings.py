"""Booking, cancelling and moving a slot.

A slot's bookings are counted in its SlotLoad row, changed in the same
transaction as the booking with one conditional upsert: the row lock it takes
orders concurrent bookers across every process, and the condition refuses the
one past the slot's capacity (SlotFull). Lock order: the appointment row,
then the slot loads in time order (a move takes two).
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from config.api import InvalidInput, NotFound
from halls.errors import NoQueue, UnknownService
from halls.models import Outlet
from halls.selectors import hall_offered_service
from sms.services import sms_queue

from ..errors import AlreadyBooked, AppointmentLimitReached, AppointmentNotActive, SlotFull
from ..models import Appointment, AppointmentChannel, AppointmentStatus, SlotLoad
from ..selectors import active_count, bookable_days, check_in_window, slot_at

# No 0/O, 1/I/L: a code read from a screen or typed at a kiosk is not misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
SIGNATURE = "【营业厅预约】"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def slot_take(*, outlet_id: int, service_id: int, starts_at: datetime, capacity: int) -> None:
    """Count one more booking into a slot, in the caller's transaction, or
    raise SlotFull when it already holds `capacity`. One upsert: never a
    count followed by a write."""
    table = SlotLoad._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (outlet_id, service_id, starts_at, booked) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (outlet_id, service_id, starts_at) DO UPDATE SET booked = {table}.booked + 1 "
            f"WHERE {table}.booked < %s RETURNING booked",
            [outlet_id, service_id, connection.ops.adapt_datetimefield_value(starts_at), capacity],
        )
        if cursor.fetchone() is None:
            raise SlotFull()


def slot_release(*, outlet_id: int, service_id: int, starts_at: datetime) -> None:
    """Count one booking out of its slot, in the caller's transaction."""
    SlotLoad.objects.filter(outlet_id=outlet_id, service_id=service_id, starts_at=starts_at, booked__gt=0).update(
        booked=F("booked") - 1
    )


def _upcoming_slot(outlet: Outlet, service, starts_at: datetime, now: datetime):
    """The slot that starts at `starts_at`, bookable now; InvalidInput otherwise."""
    local = timezone.localtime(starts_at)
    if local.date() not in bookable_days(now):
        raise InvalidInput(fields={"starts_at": [
            f"只能预约今天起 {settings.QUEUE_APPOINTMENT_DAYS_AHEAD} 天内的时段 / "
            f"Slots can be booked up to {settings.QUEUE_APPOINTMENT_DAYS_AHEAD} days ahead."]})
    slot = slot_at(outlet=outlet, service=service, starts_at=starts_at, now=now)
    if slot is None:
        raise InvalidInput(fields={"starts_at": [
            "该时间没有可预约的时段（或已过去） / There is no bookable slot at this time (or it has passed)."]})
    return slot


def _hall_service(outlet: Outlet, service_code: str):
    if not outlet.has_queue or not outlet.is_active:
        raise NoQueue()
    offered = hall_offered_service(outlet, service_code)
    if offered is None:
        raise UnknownService(fields={"service": [f"Unknown service: {service_code}"]})
    return offered.service


def _when(starts_at: datetime) -> str:
    local = timezone.localtime(starts_at)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def appointment_book(*, outlet: Outlet, service_code: str, phone: str, starts_at: datetime, channel: str,
                     idempotency_key: str | None = None, now: datetime | None = None) -> tuple[Appointment, bool]:
    """Book the slot of a service at the hall that starts at `starts_at` for
    `phone`. Returns (appointment, created); the same `idempotency_key` from
    the same phone returns the first booking. Texts the booking code.

    Raises NoQueue, UnknownService, InvalidInput (no such upcoming slot),
    AlreadyBooked, AppointmentLimitReached (QUEUE_APPOINTMENT_PHONE_LIMIT),
    SlotFull."""
    now = now or timezone.now()
    if idempotency_key:
        existing = Appointment.objects.filter(phone=phone, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    service = _hall_service(outlet, service_code)
    slot = _upcoming_slot(outlet, service, starts_at, now)
    if Appointment.objects.filter(phone=phone, outlet=outlet, service=service, starts_at=slot.starts_at,
                                  status=AppointmentStatus.BOOKED).exists():
        raise AlreadyBooked()
    if active_count(phone=phone) >= settings.QUEUE_APPOINTMENT_PHONE_LIMIT:
        raise AppointmentLimitReached()
    try:
        with transaction.atomic():
            slot_take(outlet_id=outlet.pk, service_id=service.pk, starts_at=slot.starts_at, capacity=slot.capacity)
            appointment = _create_with_code(
                outlet=outlet, service=service, phone=phone, starts_at=slot.starts_at, ends_at=slot.ends_at,
                channel=channel, created_at=now, idempotency_key=idempotency_key,
            )
            opens, closes = check_in_window(slot.starts_at)
            # A booking by text is confirmed by the SMS hall's reply.
            if channel != AppointmentChannel.SMS:
                sms_queue(
                    to=phone, purpose="appointment_booked",
                    text=(f"{SIGNATURE}您已预约{_when(slot.starts_at)}在{outlet.name}办理{service.name_zh}，"
                          f"预约码 {appointment.code}。请于{timezone.localtime(opens):%H:%M}-"
                          f"{timezone.localtime(closes):%H:%M}到厅，在取号机输入预约码或手机号签到。"
                          f"取消请回复QXYY {appointment.code}。"),
                )
    except IntegrityError:
        if idempotency_key:
            existing = Appointment.objects.filter(phone=phone, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        # The same phone booked the same slot at the same moment.
        raise AlreadyBooked() from None
    return appointment, True


def _create_with_code(**fields) -> Appointment:
    """Create the appointment with a new unique code (a clash, one in about
    10^8 codes, draws again)."""
    for _ in range(5):
        code = new_code()
        if Appointment.objects.filter(code=code).exists():
            continue
        try:
            with transaction.atomic():
                return Appointment.objects.create(code=code, slot_chosen_at=fields["created_at"], **fields)
        except IntegrityError:
            if not Appointment.objects.filter(code=code).exists():
                raise
    raise RuntimeError("Could not draw a free booking code.")


def lock_own(*, code: str, phone: str | None) -> Appointment:
    """The appointment `code`, locked (in the caller's transaction); with a
    `phone`, only that phone's. NotFound otherwise: someone else's booking
    is not there for them."""
    queryset = Appointment.objects.select_for_update(no_key=True).select_related("outlet", "service")
    if phone is not None:
        queryset = queryset.filter(phone=phone)
    appointment = queryset.filter(code=(code or "").strip().upper()).first()
    if appointment is None:
        raise NotFound("没有这个预约 / No such booking.")
    return appointment


def appointment_cancel(*, code: str, phone: str | None, now: datetime | None = None) -> Appointment:
    """The customer (`phone`) cancels a booking they hold and not yet used:
    its slot is free again. Raises NotFound, AppointmentNotActive."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = lock_own(code=code, phone=phone)
        if appointment.status != AppointmentStatus.BOOKED:
            raise AppointmentNotActive()
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        appointment.save(update_fields=["status", "cancelled_at"])
        slot_release(outlet_id=appointment.outlet_id, service_id=appointment.service_id,
                     starts_at=appointment.starts_at)
    return appointment


def appointment_move(*, code: str, phone: str | None, starts_at: datetime, now: datetime | None = None) -> Appointment:
    """Move a booking to another upcoming slot of the same hall and service;
    it keeps its code. The old slot is free again only when the new one is
    taken. Raises NotFound, AppointmentNotActive, InvalidInput, SlotFull."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = lock_own(code=code, phone=phone)
        if appointment.status != AppointmentStatus.BOOKED:
            raise AppointmentNotActive()
        if appointment.starts_at == starts_at:
            return appointment
        slot = _upcoming_slot(appointment.outlet, appointment.service, starts_at, now)
        old = appointment.starts_at
        ids = {"outlet_id": appointment.outlet_id, "service_id": appointment.service_id}
        # Two load rows, locked in time order: two moves between the same
        # slots in opposite directions cannot deadlock.
        for at in sorted((old, slot.starts_at)):
            if at == old:
                slot_release(**ids, starts_at=old)
            else:
                slot_take(**ids, starts_at=slot.starts_at, capacity=slot.capacity)
        appointment.starts_at, appointment.ends_at = slot.starts_at, slot.ends_at
        appointment.slot_chosen_at = now
        appointment.moved_count += 1
        try:
            with transaction.atomic():
                appointment.save(update_fields=["starts_at", "ends_at", "slot_chosen_at", "moved_count"])
        except IntegrityError:
            raise AlreadyBooked() from None
        sms_queue(
            to=appointment.phone, purpose="appointment_moved",
            text=(f"{SIGNATURE}您的预约 {appointment.code} 已改到{_when(slot.starts_at)}"
                  f"（{appointment.outlet.name}，{appointment.service.name_zh}）。"),
        )
    return appointment
