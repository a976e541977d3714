"""Queueing texts. Every text is a row in the outbox first; a Celery task
delivers it after commit and retries on failure, so a slow or broken gateway
never blocks or breaks the action that caused the text.

Texts cost money: past SMS_HOURLY_BUDGET texts in a clock hour, only the
purposes in SMS_BUDGET_EXEMPT_PURPOSES (one-time codes, "your turn" calls)
still go; the others are kept in the outbox as `skipped`, and the first text
over the budget each hour is logged as an error for the operators."""

import logging
import re
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.metrics import sms_handed_on_commit
from config.ratelimit import window_count
from config.tasks import enqueue

from .backends import SmsDeliveryError, get_backend
from .models import SmsMessage, SmsStatus

logger = logging.getLogger(__name__)

BUDGET_WINDOW_SECONDS = 3600
EXPIRED_UNSENT = "expired before it could be sent"
# A text still queued this long after it was written (or after the sweep last
# handed it on) has no task left: its delivery, retries and all, ends within
# about three minutes (sms.tasks).
STUCK_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500
CODE_DIGITS = re.compile(r"[0-9]{4,}")


def _budget_flag_key() -> str:
    return f"sms-budget-exhausted:{int(time.time() // BUDGET_WINDOW_SECONDS)}"


def _over_budget() -> bool:
    """Count one more text this hour; True when it is past the budget (never
    while the budget is off or the shared cache cannot count)."""
    budget = settings.SMS_HOURLY_BUDGET
    if not budget:
        return False
    used = window_count(scope="sms-budget", key="all", window_seconds=BUDGET_WINDOW_SECONDS)
    if used is None or used <= budget:
        return False
    try:
        first = cache.add(_budget_flag_key(), 1, timeout=BUDGET_WINDOW_SECONDS + 60)
    except Exception:  # noqa: BLE001 - counted a moment ago; an alert per text beats none
        first = True
    if first:
        logger.error(
            "SMS hourly budget of %s texts reached: until the hour is over only %s texts are sent",
            budget, ", ".join(settings.SMS_BUDGET_EXEMPT_PURPOSES) or "no",
        )
    return True


def sms_budget_exhausted() -> bool:
    """Whether this clock hour's text budget has run out (for the operators' screens)."""
    try:
        return bool(cache.get(_budget_flag_key()))
    except Exception:  # noqa: BLE001
        return False


def sms_queue(
    *, to: str, text: str, purpose: str, dedupe_key: str | None = None, expires_at: datetime | None = None
) -> SmsMessage | None:
    """Record a text and deliver it after commit. With `dedupe_key`, a text
    already queued under that key is not queued again (returns None). Past
    the hourly budget a text of a purpose not exempt from it is recorded as
    `skipped` and not sent. With `expires_at` (a one-time code's end), the
    text is never sent later, and its digits are blanked after it."""
    skipped = _over_budget() and purpose not in settings.SMS_BUDGET_EXEMPT_PURPOSES
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                to=to, text=text, purpose=purpose, dedupe_key=dedupe_key, expires_at=expires_at,
                status=SmsStatus.SKIPPED if skipped else SmsStatus.QUEUED,
                last_error="over the hourly budget" if skipped else "",
            )
    except IntegrityError:
        if dedupe_key and SmsMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if skipped:
        return message
    message_id = message.pk
    transaction.on_commit(lambda: enqueue("sms.tasks.sms_deliver", message_id), robust=True)
    return message


def sms_deliver_now(*, message_id: int) -> bool:
    """Hand one queued text to the backend. True when delivered (or already was).

    Raises SmsDeliveryError for the caller (the task) to retry."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status in (SmsStatus.SENT, SmsStatus.SKIPPED):
            return True
        if message.expires_at is not None and message.expires_at <= timezone.now():
            # A code that can no longer be used is not worth a text.
            message.status, message.last_error = SmsStatus.FAILED, EXPIRED_UNSENT
            message.save(update_fields=["status", "last_error"])
            return False
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


def sms_outbox_sweep(*, now: datetime | None = None) -> dict:
    """The outbox sweep (every minute on beat). Texts still `queued` long
    after they were written (a lost broker message, no worker at the time)
    are handed to a worker again, once per STUCK_AFTER; those that have
    expired (one-time codes past their life) are marked failed instead of
    sent. The digits of texts past their life are blanked, the rows kept.
    Returns how many texts it resent, expired and blanked."""
    now = now or timezone.now()
    queued = SmsMessage.objects.filter(status=SmsStatus.QUEUED, created_at__lte=now - STUCK_AFTER)
    expired = queued.filter(expires_at__lte=now).update(status=SmsStatus.FAILED, last_error=EXPIRED_UNSENT)
    stuck = list(
        queued.filter(Q(swept_at__isnull=True) | Q(swept_at__lte=now - STUCK_AFTER))
        .order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    # Stamped first: a sweep that runs again before a worker gets to them
    # does not hand them on twice.
    SmsMessage.objects.filter(pk__in=stuck, status=SmsStatus.QUEUED).update(swept_at=now)
    for message_id in stuck:
        enqueue("sms.tasks.sms_deliver", message_id)
    if stuck:
        logger.warning("Resent %s texts left queued (a lost task or no worker)", len(stuck))
    blanked = 0
    for message in SmsMessage.objects.filter(expires_at__lte=now, text__regex=r"[0-9]{4}").only("pk", "text")[
        :SWEEP_BATCH
    ]:
        text = CODE_DIGITS.sub(lambda match: "*" * len(match.group()), message.text)
        blanked += SmsMessage.objects.filter(pk=message.pk).update(text=text)
    return {"resent": len(stuck), "expired": expired, "blanked": blanked}
