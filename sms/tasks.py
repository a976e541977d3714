from celery import shared_task

from .backends import SmsDeliveryError
from .services import sms_deliver_now, sms_mark_failed
from .services import sms_outbox_sweep as sms_outbox_sweep_now

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def sms_deliver(self, message_id: int) -> None:
    """Deliver one outbox text; idempotent (a sent text is not sent again)."""
    try:
        sms_deliver_now(message_id=message_id)
    except SmsDeliveryError as exc:
        if self.request.retries >= MAX_RETRIES:
            sms_mark_failed(message_id=message_id, error=str(exc))
            return
        raise self.retry(exc=exc, countdown=min(300, 5 * 2 ** self.request.retries)) from exc


@shared_task(acks_late=True)
def sms_outbox_sweep() -> dict:
    """Every minute: texts left queued are sent (or, past their life, not);
    one-time codes past their life are blanked."""
    return sms_outbox_sweep_now()
