"""Queueing texts. Every text is a row in the outbox first; a Celery task
delivers it after commit and retries on failure, so a slow or broken gateway
never blocks or breaks the action that caused the text."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.metrics import sms_handed_on_commit
from config.tasks import enqueue

from .backends import SmsDeliveryError, get_backend
from .models import SmsMessage, SmsStatus


def sms_queue(*, to: str, text: str, purpose: str, dedupe_key: str | None = None) -> SmsMessage | None:
    """Record a text and deliver it after commit. With `dedupe_key`, a text
    already queued under that key is not queued again (returns None)."""
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(to=to, text=text, purpose=purpose, dedupe_key=dedupe_key)
    except IntegrityError:
        if dedupe_key and SmsMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    message_id = message.pk
    transaction.on_commit(lambda: enqueue("sms.tasks.sms_deliver", message_id), robust=True)
    return message


def sms_deliver_now(*, message_id: int) -> bool:
    """Hand one queued text to the backend. True when delivered (or already was).

    Raises SmsDeliveryError for the caller (the task) to retry."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status == SmsStatus.SENT:
            return True
        message.attempts += 1
        message.save(update_fields=["attempts"])
    backend = get_backend()
    try:
        backend.send(to=message.to, text=message.text)
    except SmsDeliveryError as exc:
        SmsMessage.objects.filter(pk=message_id).update(last_error=str(exc)[:300], backend=backend.name)
        sms_handed_on_commit(purpose=message.purpose, outcome="error")
        raise
    SmsMessage.objects.filter(pk=message_id).update(
        status=SmsStatus.SENT, sent_at=timezone.now(), backend=backend.name, last_error=""
    )
    sms_handed_on_commit(purpose=message.purpose, outcome="sent")
    return True


def sms_mark_failed(*, message_id: int, error: str) -> None:
    failed = SmsMessage.objects.filter(pk=message_id).exclude(status=SmsStatus.SENT).update(
        status=SmsStatus.FAILED, last_error=error[:300]
    )
    if failed:
        purpose = SmsMessage.objects.filter(pk=message_id).values_list("purpose", flat=True).first()
        sms_handed_on_commit(purpose=purpose or "unknown", outcome="failed")
