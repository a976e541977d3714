"""Orders and payments: top-up (缴费), paying for a new number, and fulfilment.

An order is created, paid through the payment provider (the sandbox by
default), and fulfilled once: a top-up's balance credited, a number sold and
activated. The provider's callback may arrive any number of times, at once:
the order row's lock, the unique transaction id and the status check make
the first one count and the rest change nothing. Fulfilment runs in a Celery
task started after the payment commits; a periodic sweep fulfils any paid
order whose task was lost. Fulfilment claims the order, calls the carrier
outside any lock or transaction, and records the result (order_fulfil).

Statuses: created -> paid -> fulfilled; paid -> failed -> refunded when the
carrier refuses (the number went to someone else); a number order not paid
in time: created -> expired (and, paid after all, -> failed -> refunded).
"""

import json
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.api import DomainError, InvalidInput
from config.phones import is_mobile, mask_phone
from config.ratelimit import rate_limit_hit
from config.tasks import enqueue

from ..carrier.errors import SubscriberNotFound
from ..carrier.gateway import Account, get_carrier
from ..errors import AmountMismatch, IdempotencyKeyReused, OrderNotFound, PaymentConflict
from ..models import Order, OrderKind, OrderStatus, Payment, SelfServiceChannel
from ..payments import SandboxProvider, get_payment_provider
from .actions import SYSTEM, Origin, action_log

logger = logging.getLogger(__name__)

# Amounts a kiosk offers with one touch (30, 50, 100, 200, 300, 500 yuan).
TOPUP_PRESETS_FEN = (3_000, 5_000, 10_000, 20_000, 30_000, 50_000)
# The sweep leaves a just-paid order to its own task for this long.
SWEEP_GRACE = timedelta(seconds=5)
# A fulfilment claimed longer ago than this belongs to a worker that died: the
# next task or sweep takes it over. Far longer than a carrier call may take.
FULFIL_CLAIM_TIMEOUT = timedelta(minutes=2)
SWEEP_BATCH = 200


def order_no_new(kind: str, now: datetime) -> str:
    """T (top-up) or N (number), local date and time, eight random digits:
    unguessable enough that the number itself is the key to read the order."""
    letter = "T" if kind == OrderKind.TOPUP else "N"
    return f"{letter}{timezone.localtime(now):%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def order_pay_url(order: Order) -> str:
    return order.detail.get("pay_url", "")


def order_attach_pay_url(order: Order) -> str:
    """Start the payment with the provider, once per order; the URL is kept on
    the order. Outside any transaction: a real provider is a network call."""
    if order.detail.get("pay_url"):
        return order.detail["pay_url"]
    url = get_payment_provider().create_payment(order)
    order.detail = {**order.detail, "pay_url": url}
    Order.objects.filter(pk=order.pk).update(detail=order.detail)
    return url


def topup_limits() -> dict:
    return {"min_fen": settings.TOPUP_MIN_FEN, "max_fen": settings.TOPUP_MAX_FEN, "presets_fen": TOPUP_PRESETS_FEN}


def topup_account(*, msisdn: str, origin: Origin) -> Account:
    """Whose number this is, to confirm before paying: only the masked name is
    shown to the payer. Raises InvalidInput, SubscriberNotFound."""
    if not is_mobile(msisdn):
        raise InvalidInput(fields={"msisdn": ["请输入11位手机号 / Enter an 11-digit mainland mobile number."]})
    with action_log(origin, "topup_lookup", detail={"msisdn": mask_phone(msisdn)}):
        return _account_limited(msisdn, origin)


def _account_limited(msisdn: str, origin: Origin) -> Account:
    """The subscriber of `msisdn`, counted against the lookups its kiosk or
    address may make: names are personal, even masked, and a top-up order
    shows one too. Raises RateLimited, SubscriberNotFound."""
    rate_limit_hit(
        scope="topup-lookup", key=f"kiosk:{origin.kiosk_id}" if origin.kiosk_id else origin.client or "unknown",
        limit=settings.TOPUP_LOOKUP_LIMIT, window_seconds=settings.TOPUP_LOOKUP_WINDOW_SECONDS,
    )
    account = get_carrier().account(msisdn)
    if account is None:
        raise SubscriberNotFound()
    return account


def topup_create(
    *, msisdn: str, amount_fen: int, requester: str, idempotency_key: str | None = None, origin: Origin,
    customer_phone: str = "", now: datetime | None = None,
) -> tuple[Order, Account]:
    """An order to top up any active number: anyone may pay for anyone.
    The same `idempotency_key` from the same `requester` returns the first
    order. Raises InvalidInput (amount outside TOPUP_MIN_FEN..TOPUP_MAX_FEN),
    SubscriberNotFound, IdempotencyKeyReused."""
    fields = {}
    if not is_mobile(msisdn):
        fields["msisdn"] = ["请输入11位手机号 / Enter an 11-digit mainland mobile number."]
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not (
        settings.TOPUP_MIN_FEN <= amount_fen <= settings.TOPUP_MAX_FEN
    ):
        fields["amount_fen"] = [
            f"充值金额须在 {settings.TOPUP_MIN_FEN // 100}-{settings.TOPUP_MAX_FEN // 100} 元之间 / "
            f"Between {settings.TOPUP_MIN_FEN} and {settings.TOPUP_MAX_FEN} fen."
        ]
    if fields:
        raise InvalidInput(fields=fields)
    now = now or timezone.now()
    detail = {"msisdn": mask_phone(msisdn), "amount_fen": amount_fen}
    with action_log(origin, "topup_create", phone=customer_phone, detail=detail) as entry:
        earlier = _replay(requester, idempotency_key, msisdn, amount_fen) if idempotency_key else None
        if earlier is not None:
            # A retry: no new lookup (nor a count against the limit), the first order.
            account = get_carrier().account(msisdn)
            if account is None:
                raise SubscriberNotFound()
            entry.detail.update(order_no=earlier.order_no, replayed=True)
            return earlier, account
        # The same limit as the lookup: otherwise this would be an unlimited one.
        account = _account_limited(msisdn, origin)
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    order_no=order_no_new(OrderKind.TOPUP, now), kind=OrderKind.TOPUP, amount_fen=amount_fen,
                    msisdn=msisdn, kiosk_id=origin.kiosk_id, customer_phone=customer_phone, requester=requester,
                    idempotency_key=idempotency_key or None, created_at=now,
                )
        except IntegrityError:
            # The same key, a moment ago, from a concurrent retry: that order is the answer.
            earlier = _replay(requester, idempotency_key, msisdn, amount_fen) if idempotency_key else None
            if earlier is None:
                raise
            order = earlier
        entry.detail["order_no"] = order.order_no
    order_attach_pay_url(order)
    return order, account


def _replay(requester: str, key: str, msisdn: str, amount_fen: int) -> Order | None:
    earlier = Order.objects.filter(requester=requester, idempotency_key=key).first()
    if earlier is not None and (earlier.kind, earlier.msisdn, earlier.amount_fen) != (
        OrderKind.TOPUP, msisdn, amount_fen
    ):
        raise IdempotencyKeyReused()
    return earlier


def order_get(*, order_no: str) -> Order:
    order = Order.objects.filter(order_no=order_no).first() if isinstance(order_no, str) else None
    if order is None:
        raise OrderNotFound()
    return order


# --- Payment ------------------------------------------------------------------------


def payment_callback(*, raw_body: bytes, headers, now: datetime | None = None) -> Order:
    """The provider says an order was paid. Verifies the signature (BadSignature,
    403), records the payment under its unique transaction id, marks the
    order paid and starts fulfilment after commit. A repeat (same txn_id)
    changes nothing. Raises OrderNotFound, AmountMismatch, PaymentConflict."""
    provider = get_payment_provider()
    with action_log(SYSTEM, "payment_callback") as entry:
        notice = provider.verify_callback(raw_body, headers)
        entry.detail.update(order_no=notice.order_no, txn_id=notice.txn_id, amount_fen=notice.amount_fen)
        now = now or timezone.now()
        try:
            with transaction.atomic():
                # The order's lock orders every callback for it: one at a time,
                # each seeing what the one before recorded.
                order = Order.objects.select_for_update().filter(order_no=notice.order_no).first()
                if order is None:
                    raise OrderNotFound()
                entry.phone, entry.kiosk_id = order.customer_phone, order.kiosk_id
                earlier = Payment.objects.filter(txn_id=notice.txn_id).first()
                if earlier is not None:
                    if earlier.order_id != order.pk:
                        raise PaymentConflict()
                    entry.detail["repeat"] = True
                    return order
                if notice.amount_fen != order.amount_fen:
                    raise AmountMismatch()
                if order.status == OrderStatus.EXPIRED:
                    # Paid after its number went back to stock: the money goes back.
                    Payment.objects.create(
                        order=order, txn_id=notice.txn_id, amount_fen=notice.amount_fen, provider=provider.name,
                        raw=notice.raw[:4000], received_at=now,
                    )
                    order.status, order.paid_at = OrderStatus.FAILED, now
                    order.failure_reason = "order_expired: paid after the order had expired"
                    order.save(update_fields=["status", "paid_at", "failure_reason"])
                    entry.detail["expired"] = True
                    order_id = order.pk
                    transaction.on_commit(lambda: enqueue("kiosk.tasks.order_refund", order_id), robust=True)
                    return order
                # A second transaction for an order already paid is kept (to be
                # refunded by hand), and changes nothing else.
                duplicate = order.status != OrderStatus.CREATED
                Payment.objects.create(
                    order=order, txn_id=notice.txn_id, amount_fen=notice.amount_fen, provider=provider.name,
                    raw=notice.raw[:4000], is_duplicate=duplicate, received_at=now,
                )
                if duplicate:
                    entry.detail["duplicate"] = True
                    return order
                order.status = OrderStatus.PAID
                order.paid_at = now
                order.save(update_fields=["status", "paid_at"])
                _fulfil_on_commit(order.pk)
        except IntegrityError:
            # The txn_id was recorded a moment ago, for another order (a callback
            # for the same order would have waited on its lock).
            raise PaymentConflict() from None
    return order


def _fulfil_on_commit(order_id: int) -> None:
    # robust: the payment is committed whatever the broker does; a lost task
    # is picked up by the sweep (orders_fulfil_paid).
    transaction.on_commit(lambda: enqueue("kiosk.tasks.order_fulfil", order_id), robust=True)


def sandbox_pay(*, order_no: str, txn_id: str | None = None) -> Order:
    """The sandbox pay page's "pay" button: sends the callback the sandbox
    provider would send (development and demos only; the view guards it)."""
    order = order_get(order_no=order_no)
    body = json.dumps(
        {"order_no": order.order_no, "amount_fen": order.amount_fen, "txn_id": txn_id or f"SBX{secrets.token_hex(12)}"}
    ).encode()
    return payment_callback(raw_body=body, headers={SandboxProvider.signature_header: SandboxProvider.sign(body)})


# --- Fulfilment ---------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    """A paid order nobody is fulfilling: never claimed, or claimed by a
    worker that has not finished within the claim timeout (it died)."""
    return Q(status=OrderStatus.PAID, parked_at__isnull=True) & (
        Q(fulfil_claimed_at__isnull=True) | Q(fulfil_claimed_at__lte=now - FULFIL_CLAIM_TIMEOUT)
    )


def _attempt_failed(order_id: int, what: str, now: datetime) -> None:
    """Count a failed fulfilment or refund; at ORDER_MAX_ATTEMPTS park the
    order (no sweep retries it) and say so in the log for the staff."""
    Order.objects.filter(pk=order_id).update(attempts=F("attempts") + 1)
    parked = Order.objects.filter(
        pk=order_id, parked_at__isnull=True, attempts__gte=settings.ORDER_MAX_ATTEMPTS
    ).update(parked_at=now)
    if parked:
        order = Order.objects.get(pk=order_id)
        logger.error(
            "Order %s parked after %s failed attempts to %s: settle it by hand (status %s)",
            order.order_no, order.attempts, what, order.status,
        )


def order_fulfil(*, order_id: int, now: datetime | None = None) -> Order | None:
    """Fulfil a paid order, exactly once: credit the top-up, or sell and
    activate the number. Returns the order as it stands (None if there is no
    such order). Any other status is left alone, and so is an order another
    worker is fulfilling right now: calling it again (a retried task, the
    sweep, a repeated callback) does nothing. When the carrier refuses (the
    number was sold meanwhile), the order fails and is refunded.

    Three steps, none holding a lock while the carrier works: claim the order
    (one conditional UPDATE: of any number of workers, one wins), call the
    carrier outside any transaction with the order number as its reference
    (so that a retry after a lost answer changes nothing there either), then
    record the result, if the claim is still ours. Must be called outside any
    transaction. Raises what the carrier raises other than a DomainError (the
    claim is given back first, so that a retry may start at once)."""
    now = now or timezone.now()
    claim = secrets.token_hex(16)
    claimed = Order.objects.filter(_claimable(now), pk=order_id).update(fulfil_claim=claim, fulfil_claimed_at=now)
    order = Order.objects.filter(pk=order_id).first()
    if not claimed or order is None:
        return order
    ours = Order.objects.filter(pk=order_id, status=OrderStatus.PAID, fulfil_claim=claim)
    origin = Origin(channel=SelfServiceChannel.SYSTEM, kiosk_id=order.kiosk_id)
    detail = {"order_no": order.order_no, "kind": order.kind, "msisdn": mask_phone(order.msisdn)}
    carrier = get_carrier()
    try:
        with action_log(origin, "order_fulfil", phone=order.customer_phone, detail=detail):
            if order.kind == OrderKind.TOPUP:
                carrier.topup_credit(order.msisdn, order.amount_fen, reference=order.order_no)
            else:
                carrier.number_activate(order.msisdn, order_no=order.order_no, balance_fen=order.amount_fen, at=now)
    except DomainError as exc:
        ours.update(status=OrderStatus.FAILED, failure_reason=f"{exc.code}: {exc.message}"[:200])
    except BaseException:
        if ours.update(fulfil_claim="", fulfil_claimed_at=None):
            _attempt_failed(order_id, "fulfil it", now)
        raise
    else:
        ours.update(status=OrderStatus.FULFILLED, fulfilled_at=now)
    order.refresh_from_db()
    if order.status == OrderStatus.FAILED:
        order_refund(order_id=order.pk)
        order.refresh_from_db()
    return order


def order_refund(*, order_id: int, now: datetime | None = None) -> None:
    """Give a failed order's money back through the provider, then mark it
    refunded. A refund that raises is counted (and at ORDER_MAX_ATTEMPTS the
    order parked), then raised again; the refund sweep tries again later."""
    order = Order.objects.get(pk=order_id)
    if order.status != OrderStatus.FAILED or order.parked_at is not None:
        return
    try:
        with action_log(Origin(channel=SelfServiceChannel.SYSTEM, kiosk_id=order.kiosk_id), "order_refund",
                        phone=order.customer_phone, detail={"order_no": order.order_no}):
            get_payment_provider().refund(order)
            Order.objects.filter(pk=order.pk, status=OrderStatus.FAILED).update(status=OrderStatus.REFUNDED)
    except Exception:
        _attempt_failed(order.pk, "refund it", now or timezone.now())
        raise


def orders_refund_failed(*, now: datetime | None = None) -> int:
    """The refund sweep: failed orders not refunded yet (the refund raised,
    or its worker died), and not parked. An order that failed a moment ago
    is left to the refund that follows its failure. Returns how many it
    refunded."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.FAILED, parked_at__isnull=True)
        .filter(Q(fulfil_claimed_at__isnull=True) | Q(fulfil_claimed_at__lte=now - FULFIL_CLAIM_TIMEOUT))
        .order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    refunded = 0
    for order_id in ids:
        try:
            order_refund(order_id=order_id, now=now)
        except Exception:  # noqa: BLE001 - one bad order must not stop the sweep
            logger.warning("Could not refund order %s; the sweep tries again", order_id, exc_info=True)
            continue
        refunded += Order.objects.filter(pk=order_id, status=OrderStatus.REFUNDED).exists()
    return refunded


def orders_fulfil_paid(*, now: datetime | None = None) -> int:
    """The sweep: fulfil orders paid more than a few seconds ago and still
    waiting (their task was lost), and orders whose fulfilment was claimed by
    a worker that died. Returns how many it fulfilled."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(_claimable(now), paid_at__lte=now - SWEEP_GRACE)
        .order_by("paid_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    done = 0
    for order_id in ids:
        try:
            order = order_fulfil(order_id=order_id, now=now)
        except Exception:  # noqa: BLE001 - one bad order must not stop the sweep
            logger.exception("Could not fulfil order %s", order_id)
            continue
        done += order is not None and order.status == OrderStatus.FULFILLED
    return done
