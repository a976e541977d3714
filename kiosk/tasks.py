"""Self-service background work. Tasks take ids, re-read rows, call a service,
and are idempotent: running one twice changes nothing the second time."""

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from .models import PrintJobState
from .services.auth import credentials_purge
from .services.numbers import holds_release_expired, number_orders_expire
from .services.orders import order_fulfil as order_fulfil_now
from .services.orders import order_refund as order_refund_now
from .services.orders import orders_fulfil_paid as orders_fulfil_paid_now
from .services.orders import orders_refund_failed as orders_refund_failed_now
from .services.receipts import print_job_run, print_jobs_purge
from .services.receipts import print_jobs_sweep as print_jobs_sweep_now
from .services.reminders import usage_reminders_check
from .services.sms_hall import sms_dialogs_purge

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def order_fulfil(self, order_id: int) -> str | None:
    """Fulfil a paid order (credit the top-up, sell and activate the number), once."""
    try:
        order = order_fulfil_now(order_id=order_id)
    except DatabaseError as exc:
        # The sweep would get to it too; retrying gets there sooner.
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries)) from exc
    return order.status if order is not None else None


@shared_task(acks_late=True)
def orders_fulfil_paid() -> int:
    """The sweep (every few seconds on beat): paid orders whose task was lost."""
    return orders_fulfil_paid_now()


@shared_task(acks_late=True)
def order_refund(order_id: int) -> None:
    """Give a failed order's money back (once: a refunded order is left alone)."""
    order_refund_now(order_id=order_id)


@shared_task(acks_late=True)
def orders_refund_failed() -> int:
    """The refund sweep (every minute on beat): failed orders whose refund errored."""
    return orders_refund_failed_now()


@shared_task(acks_late=True)
def number_orders_expire_unpaid() -> int:
    """Number orders not paid while their number was held expire; the numbers go back to stock."""
    return number_orders_expire()


@shared_task(acks_late=True)
def number_holds_release() -> int:
    """Numbers whose 15-minute hold has ended go back to stock."""
    return holds_release_expired()


@shared_task(acks_late=True)
def check_usage_reminders(msisdn: str, at: str | None = None) -> list[str]:
    """Text the data-usage reminders a usage record has newly earned (once per threshold and month)."""
    return usage_reminders_check(msisdn=msisdn, now=datetime.fromisoformat(at) if at else None)


@shared_task(bind=True, acks_late=True)
def receipt_print(self, job_id: int) -> str | None:
    """Print a queued print job on its kiosk's network printer, once: a job
    printing, printed or failed is left alone, so a message delivered twice
    prints one receipt. A printer that fails is tried again after 1, 2, 4...
    seconds, KIOSK_PRINT_ATTEMPTS times in all; then the job fails."""
    job = print_job_run(job_id=job_id)
    if job is not None and job.state == PrintJobState.QUEUED:
        # The attempt failed and attempts are left (a lost retry is sent again by the sweep).
        raise self.retry(countdown=min(8, 2 ** max(0, job.attempts - 1)), max_retries=settings.KIOSK_PRINT_ATTEMPTS)
    return job.state if job is not None else None


@shared_task(acks_late=True)
def print_jobs_sweep() -> int:
    """The print sweep (every 15 s on beat): jobs whose task was lost are sent
    again; those nobody waits for any more, or whose worker died, fail."""
    return print_jobs_sweep_now()


@shared_task(acks_late=True)
def self_service_purge() -> int:
    """Drop ended one-time codes, sessions and SMS-hall dialogs, and print jobs older than a day."""
    return credentials_purge() + sms_dialogs_purge() + print_jobs_purge()
