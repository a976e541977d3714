"""What happens to bookings as time passes: the reminder texts before their
slot, and the no-shows after their window. Both run from Celery beat every
minute and are idempotent: a reminder goes through the SMS outbox under a
key (sent once, however often the task runs), a no-show is marked once."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sms.services import sms_queue

from ..models import Appointment, AppointmentStatus
from ..selectors import check_in_window
from .bookings import SIGNATURE, slot_release

# (kind, how long before the slot). A reminder is for a slot chosen at least
# that long before it: a booking made for in half an hour needs no reminder.
REMINDERS = (("day", timedelta(days=1)), ("hour", timedelta(hours=1)))
BATCH = 500


def _reminder_text(appointment: Appointment, kind: str) -> str:
    local = timezone.localtime(appointment.starts_at)
    opens, closes = (timezone.localtime(t) for t in check_in_window(appointment.starts_at))
    when = f"明天 {local:%H:%M}" if kind == "day" else f"今天 {local:%H:%M}"
    return (
        f"{SIGNATURE}提醒：您预约了{when}在{appointment.outlet.name}办理{appointment.service.name_zh}，"
        f"预约码 {appointment.code}。请于{opens:%H:%M}-{closes:%H:%M}到厅在取号机签到。"
        f"不能来请回复QXYY {appointment.code}取消。"
    )


def appointment_reminders_send(*, now: datetime | None = None) -> int:
    """Queue the reminders now due: the day-before one from 24 hours before
    the slot (until an hour before), the hour-before one from an hour before.
    Each reminder of a booking's slot goes once (the outbox's dedupe key
    names the booking, its slot and the kind; a moved booking is reminded of
    its new slot). Returns how many were queued."""
    now = now or timezone.now()
    sent = 0
    for index, (kind, before) in enumerate(REMINDERS):
        # Until the next (shorter) reminder is due: then that one is sent instead.
        until = REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else timedelta(0)
        due = (
            Appointment.objects.filter(status=AppointmentStatus.BOOKED, starts_at__gt=now + until,
                                       starts_at__lte=now + before)
            .select_related("outlet", "service")
            .order_by("starts_at")
        )
        for appointment in due.iterator(chunk_size=BATCH):
            if appointment.starts_at - appointment.slot_chosen_at < before:
                continue
            key = f"appointment:{appointment.pk}:{appointment.starts_at:%Y%m%d%H%M}:{kind}"
            if sms_queue(to=appointment.phone, text=_reminder_text(appointment, kind),
                         purpose="appointment_reminder", dedupe_key=key) is not None:
                sent += 1
    return sent


def appointment_no_shows_mark(*, now: datetime | None = None) -> int:
    """Bookings still booked after their check-in window become no-shows,
    and their slots are free again. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.QUEUE_APPOINTMENT_LATE_MINUTES)
    marked = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: a booking being checked in right now is left to that check-in.
            batch = list(
                Appointment.objects.select_for_update(no_key=True, skip_locked=True)
                .filter(status=AppointmentStatus.BOOKED, starts_at__lt=cutoff)
                .order_by("starts_at", "id")[:BATCH]
            )
            for appointment in batch:
                appointment.status = AppointmentStatus.NO_SHOW
                appointment.no_show_at = now
                appointment.save(update_fields=["status", "no_show_at"])
                slot_release(outlet_id=appointment.outlet_id, service_id=appointment.service_id,
                             starts_at=appointment.starts_at)
        marked += len(batch)
        if len(batch) < BATCH:
            return marked
