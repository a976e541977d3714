"""Receipts a kiosk prints: a ticket, or an order (top-up, new number).

`ticket_receipt` and `order_receipt` build the receipt of something the kiosk's
hall issued or the kiosk sold. A kiosk with a network printer prints it
through a print job, never from its own request (a slow or dead printer must
not hold a web server's thread): `print_job_create` keeps the receipt as it
stands and starts the `kiosk.tasks.receipt_print` task once the job commits;
the worker prints it (`print_job_run`); the kiosk follows the job
(`print_job_get`) until it is printed or failed. `print_jobs_sweep` sends
again the jobs whose task was lost and fails those nobody waits for any more.

Nothing here changes the ticket or the order: a failed print loses nothing,
and printing again prints the same receipt.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from config.api import DomainError, NotFound
from config.phones import mask_phone
from config.tasks import enqueue
from queueing.models import Ticket
from queueing.selectors import ticket_progress

from ..errors import PrinterUnavailable, PrintInterrupted, PrintJobNotFound, PrintTimedOut
from ..models import ActionResult, KioskDevice, Order, OrderKind, OrderStatus, PrintJob, PrintJobState, format_yuan
from ..printing import Receipt, network_printer
from .actions import Origin, action_log, action_record

logger = logging.getLogger(__name__)

PRINT_TASK = "kiosk.tasks.receipt_print"
# A queued job no worker took this long after it was sent: its task was lost
# (a broker restart, no worker up). The sweep sends it again.
PRINT_RESEND_AFTER = timedelta(seconds=30)
# A job a worker took this long ago and has not finished: that worker died
# while printing (a network printer is given up on after seconds). Whether
# the receipt came out is unknown, so the job fails and the customer may
# print again, rather than the sweep risking a second receipt.
PRINT_CLAIM_TIMEOUT = timedelta(seconds=30)
# Print jobs are kept this long (their outcome stays in the action log).
PRINT_JOBS_KEEP = timedelta(days=1)
SWEEP_BATCH = 200


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def ticket_receipt(*, kiosk: KioskDevice, ticket_token: str, track_url: str) -> Receipt:
    """The receipt of a ticket of the kiosk's hall (NotFound for any other)."""
    ticket = (
        Ticket.objects.select_related("outlet", "service")
        .filter(token=ticket_token, outlet_id=kiosk.outlet_id)
        .first()
    )
    if ticket is None:
        raise NotFound("没有这张号票 / No such ticket in this hall.")
    progress = ticket_progress(ticket)
    ahead = progress.get("position")
    lines = [("业务 Service", ticket.service.name_zh)]
    if ahead is not None:
        lines.append(("前面还有 Ahead", f"{ahead - 1} 人"))
    wait = progress.get("estimated_wait_seconds")
    if ahead is not None and wait is not None:
        lines.append(("预计等候 Wait", f"约 {max(1, round(wait / 60))} 分钟"))
    lines.append(("取号时间 Time", _local(ticket.issued_at)))
    return Receipt(
        title=ticket.outlet.name,
        headline=ticket.number,
        headline_label="您的号码 Your number",
        lines=tuple(lines),
        qr_url=track_url,
        qr_caption="扫码查看排队进度 Scan to follow your place",
        footer=("请留意叫号，过号请重新取号", "Please listen for your number"),
    )


ORDER_TITLES = {OrderKind.TOPUP: "缴费凭条 Top-up receipt", OrderKind.NUMBER: "选号入网凭条 New number receipt"}


def order_receipt(*, kiosk: KioskDevice, order_no: str) -> Receipt:
    """The receipt of an order this kiosk took (NotFound for any other)."""
    order = Order.objects.filter(order_no=order_no, kiosk=kiosk).first()
    if order is None:
        raise NotFound("没有这笔订单 / No such order at this kiosk.")
    lines = [("订单号 Order", order.order_no)]
    if order.kind == OrderKind.TOPUP:
        lines.append(("充值号码 Number", mask_phone(order.msisdn)))
    else:
        lines.append(("新号码 New number", order.msisdn))
    lines += [
        ("金额 Amount", format_yuan(order.amount_fen)),
        ("状态 Status", OrderStatus(order.status).label),
        ("下单时间 Ordered", _local(order.created_at)),
    ]
    if order.paid_at:
        lines.append(("支付时间 Paid", _local(order.paid_at)))
    return Receipt(
        title=kiosk.outlet.name,
        headline=format_yuan(order.amount_fen),
        headline_label=ORDER_TITLES[OrderKind(order.kind)],
        lines=tuple(lines),
        footer=("请妥善保管本凭条", "Please keep this receipt"),
    )


def print_job_create(*, kiosk: KioskDevice, receipt: Receipt, what: str, origin: Origin) -> PrintJob:
    """Queue `receipt` (what: "ticket:<token>" or "order:<order no>") for the
    kiosk's network printer and return its job, queued. The printer is not
    contacted here: a worker prints the receipt as it stands now, once the
    job commits. A kiosk without a printer address: PrinterUnavailable (503)
    at once and no job, the refusal logged."""
    if not kiosk.printer_address:
        with action_log(origin, "receipt_print", detail={"what": what}):
            raise PrinterUnavailable()
    now = timezone.now()
    with transaction.atomic():
        job = PrintJob.objects.create(kiosk=kiosk, what=what, receipt=receipt.as_json(), created_at=now,
                                      queued_at=now)
        job_id = job.pk
        # robust: the job is committed whatever the broker does; a task that
        # cannot be sent (or is lost) is sent again by the sweep.
        transaction.on_commit(lambda: enqueue(PRINT_TASK, job_id), robust=True)
    return job


def print_job_get(*, kiosk: KioskDevice, job_id: int) -> PrintJob:
    """A print job of this kiosk, without its receipt (PrintJobNotFound for
    any other, another kiosk's too)."""
    job = PrintJob.objects.defer("receipt").filter(pk=job_id, kiosk=kiosk).first()
    if job is None:
        raise PrintJobNotFound()
    return job


def _patience() -> timedelta:
    return timedelta(seconds=settings.KIOSK_PRINT_PATIENCE_SECONDS)


def _stale(now: datetime) -> Q:
    """Queued jobs the customer no longer waits for (the kiosk stopped
    waiting too): they fail rather than print minutes late."""
    return Q(state=PrintJobState.QUEUED, created_at__lte=now - _patience())


def _detail(job: PrintJob) -> dict:
    return {"what": job.what, "job": job.pk, "attempts": job.attempts}


def _give_up(jobs: QuerySet, error: DomainError, now: datetime) -> int:
    """Fail the jobs of `jobs` with `error`'s message and log each; `jobs`
    says which still qualify, and is asked again as each one is failed."""
    failed = 0
    for job in jobs.only("pk", "kiosk_id", "what", "attempts").order_by("pk")[:SWEEP_BATCH]:
        if jobs.filter(pk=job.pk).update(state=PrintJobState.FAILED, error_code=error.code, error=error.message,
                                         finished_at=now):
            action_record(Origin.for_kiosk(job.kiosk_id), "receipt_print", result=ActionResult.REFUSED,
                          error_code=error.code, detail=_detail(job))
            failed += 1
    return failed


def print_job_run(*, job_id: int, now: datetime | None = None) -> PrintJob | None:
    """One attempt at printing a queued job, for the worker. Returns the job
    as it stands (None if there is no such job):

    - printed: it came out;
    - queued again (attempts counted, the error kept): the printer failed and
      attempts are left, the caller tries again a little later;
    - failed: the printer failed KIOSK_PRINT_ATTEMPTS times, or the job is
      older than KIOSK_PRINT_PATIENCE_SECONDS (the customer has stopped
      waiting: it is never printed that late);
    - as it was, when it is not queued: a job printing, printed or failed is
      left alone, so a task delivered twice prints one receipt.

    The job is claimed with one conditional UPDATE (queued -> printing: of
    any number of workers, one wins), printed outside any transaction, and
    its outcome recorded if the claim is still its worker's. The outcome
    (printed, or failed) goes to the self-service action log once per job.
    Must be called outside any transaction."""
    now = now or timezone.now()
    jobs = PrintJob.objects.filter(pk=job_id)
    _give_up(jobs.filter(_stale(now)), PrintTimedOut(), now)
    claimed = jobs.filter(state=PrintJobState.QUEUED).update(
        state=PrintJobState.PRINTING, attempts=F("attempts") + 1, claimed_at=now)
    job = jobs.select_related("kiosk").first()
    if not claimed or job is None:
        return job
    # Only the sweep moves a printing job (failing a claim long dead); the
    # attempt number tells this claim from a later one.
    ours = jobs.filter(state=PrintJobState.PRINTING, attempts=job.attempts)
    origin = Origin.for_kiosk(job.kiosk_id)
    address = job.kiosk.printer_address
    try:
        if not address:  # removed since the kiosk asked
            raise PrinterUnavailable()
        network_printer().print(Receipt.from_json(job.receipt), address=address)
    except Exception as exc:  # noqa: BLE001 - any failure of the printer is a failed attempt
        if isinstance(exc, DomainError):
            error, result, code = exc, ActionResult.REFUSED, exc.code
        else:
            logger.exception("Print job %s: the printer backend failed", job.pk)
            error, result, code = PrinterUnavailable(), ActionResult.FAILED, type(exc).__name__
        message = str(error.message)[:300]
        if job.attempts < settings.KIOSK_PRINT_ATTEMPTS:
            ours.update(state=PrintJobState.QUEUED, queued_at=timezone.now(), error_code=error.code, error=message)
        elif ours.update(state=PrintJobState.FAILED, error_code=error.code, error=message,
                         finished_at=timezone.now()):
            action_record(origin, "receipt_print", result=result, error_code=code, detail=_detail(job))
    else:
        if ours.update(state=PrintJobState.PRINTED, error_code="", error="", finished_at=timezone.now()):
            action_record(origin, "receipt_print", result=ActionResult.OK, detail=_detail(job))
    job.refresh_from_db()
    return job


def print_jobs_sweep(*, now: datetime | None = None) -> int:
    """The sweep (every few seconds on beat): fail the queued jobs nobody
    waits for any more (PrintTimedOut) and the printing jobs whose worker
    died (PrintInterrupted), then send again the queued jobs whose task was
    lost, sent more than PRINT_RESEND_AFTER ago. Returns how many it sent
    again."""
    now = now or timezone.now()
    _give_up(PrintJob.objects.filter(_stale(now)), PrintTimedOut(), now)
    _give_up(PrintJob.objects.filter(state=PrintJobState.PRINTING, claimed_at__lte=now - PRINT_CLAIM_TIMEOUT),
             PrintInterrupted(), now)
    lost = PrintJob.objects.filter(state=PrintJobState.QUEUED, queued_at__lte=now - PRINT_RESEND_AFTER)
    ids = list(lost.order_by("queued_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    # Each sent again at most every PRINT_RESEND_AFTER; a task delivered twice
    # prints once (print_job_run's claim).
    lost.filter(pk__in=ids).update(queued_at=now)
    for job_id in ids:
        enqueue(PRINT_TASK, job_id)
    return len(ids)


def print_jobs_purge(*, now: datetime | None = None, keep: timedelta = PRINT_JOBS_KEEP) -> int:
    """Delete print jobs asked for more than `keep` ago."""
    deleted, _ = PrintJob.objects.filter(created_at__lt=(now or timezone.now()) - keep).delete()
    return deleted
