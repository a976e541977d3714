"""Choosing a new number (选号): browse the stock, hold a number, buy it.

A hold hides the number from every other kiosk and customer for
NUMBER_HOLD_SECONDS (15 minutes); the same holder asking again gets the same
hold, no longer. A holder (a kiosk, a customer) holds at most
NUMBER_HOLDS_PER_HOLDER numbers at once. Buying turns the hold into an order
and keeps the number NUMBER_HOLD_SECONDS more, once, to pay; an order not paid
by then expires and the number goes back to stock (number_orders_expire).
Paying for the order sells and activates the number (orders.order_fulfil),
once, however many race for it.
"""

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.api import InvalidInput
from config.phones import is_mobile, mask_phone

from ..carrier.gateway import HoldInfo, NumberResults, NumberSearch, get_carrier
from ..carrier.models import NumberTier
from ..carrier.number_patterns import PATTERNS
from ..models import Order, OrderKind, OrderStatus
from .actions import Origin, action_log
from .orders import order_attach_pay_url, order_no_new

logger = logging.getLogger(__name__)
EXPIRE_BATCH = 500
DIGITS = re.compile(r"[0-9]{1,11}\Z", re.ASCII)


def holder_for_kiosk(kiosk_id: int) -> str:
    return f"kiosk:{kiosk_id}"


def holder_for_customer(phone: str) -> str:
    return f"customer:{phone}"


def _digits(value: str, field: str) -> str:
    if value and not DIGITS.match(value):
        raise InvalidInput(fields={field: ["1-11 digits."]})
    return value


def number_search_parse(*, prefix: str = "", pattern: str = "", tier: str = "", ends_with: str = "",
                        contains: str = "") -> NumberSearch:
    """Read a search. `pattern` is named patterns separated by commas (aabb,
    abab, abcd, tail3, tail4, no4), or digits with stars: `*888` ends with
    888, `*520*` contains 520, `1390*` starts with 1390. Raises InvalidInput."""
    search = {"prefix": _digits(prefix, "prefix"), "ends_with": _digits(ends_with, "ends_with"),
              "contains": _digits(contains, "contains"), "patterns": ()}
    pattern = (pattern or "").strip()
    if pattern:
        if "*" in pattern:
            digits = pattern.strip("*")
            _digits(digits, "pattern")
            if pattern.startswith("*") and pattern.endswith("*"):
                search["contains"] = digits
            elif pattern.startswith("*"):
                search["ends_with"] = digits
            elif pattern.endswith("*"):
                search["prefix"] = digits
            else:
                raise InvalidInput(fields={"pattern": ["Use *888, *520* or 1390*."]})
        else:
            names = tuple(dict.fromkeys(p.strip().lower() for p in pattern.split(",") if p.strip()))
            unknown = [n for n in names if n not in PATTERNS]
            if unknown:
                raise InvalidInput(fields={"pattern": [f"One of {', '.join(PATTERNS)}, or digits with *."]})
            search["patterns"] = names
    if tier and tier not in NumberTier.values:
        raise InvalidInput(fields={"tier": [f"One of {', '.join(NumberTier.values)}."]})
    return NumberSearch(tier=tier, **search)


def number_search(*, search: NumberSearch, now: datetime | None = None) -> NumberResults:
    """Numbers free to choose now: not sold, not held by anyone (an ended hold counts as free)."""
    return get_carrier().numbers_search(search, at=now or timezone.now())


def number_hold(*, msisdn: str, holder: str, origin: Origin, now: datetime | None = None) -> HoldInfo:
    """Hold a number for NUMBER_HOLD_SECONDS. Raises NumberUnavailable,
    HoldLimitReached (409: the holder already holds NUMBER_HOLDS_PER_HOLDER
    other numbers), NotFound."""
    now = now or timezone.now()
    with action_log(origin, "number_hold", detail={"msisdn": msisdn, "holder": holder}) as entry:
        hold = get_carrier().number_hold(
            msisdn, holder=holder, at=now, seconds=settings.NUMBER_HOLD_SECONDS,
            max_holds=settings.NUMBER_HOLDS_PER_HOLDER,
        )
        entry.detail["expires_at"] = hold.expires_at
    return hold


def number_release(*, msisdn: str, holder: str, origin: Origin, now: datetime | None = None) -> bool:
    """Give a hold back (the customer chose another, or the kiosk went idle)."""
    now = now or timezone.now()
    with action_log(origin, "number_release", detail={"msisdn": msisdn, "holder": holder}) as entry:
        released = get_carrier().number_release(msisdn, holder=holder, at=now)
        entry.detail["released"] = released
    return released


def number_purchase(
    *, msisdn: str, holder: str, hold_token: str, contact_phone: str = "", origin: Origin,
    now: datetime | None = None,
) -> Order:
    """Buy a held number: an order for its deposit plus the opening credit
    (NUMBER_PREPAY_FEN), all credited to the new line when it is activated.
    Buying again with the same hold returns the same order.

    Raises HoldInvalid (409: the hold is not this holder's, or has ended)."""
    if contact_phone and not is_mobile(contact_phone):
        raise InvalidInput(fields={"contact_phone": ["请输入11位手机号 / Enter an 11-digit mainland mobile number."]})
    now = now or timezone.now()
    phone = contact_phone or (holder.split(":", 1)[1] if holder.startswith("customer:") else "")
    with action_log(origin, "number_purchase", phone=phone, detail={"msisdn": msisdn, "holder": holder}) as entry:
        order_no = order_no_new(OrderKind.NUMBER, now)
        with transaction.atomic():
            number, held_for = get_carrier().number_reserve(
                msisdn, holder=holder, hold_token=hold_token, order_no=order_no, at=now,
                seconds=settings.NUMBER_HOLD_SECONDS,
            )
            if held_for != order_no:
                order = Order.objects.get(order_no=held_for)
                entry.detail.update(order_no=order.order_no, replayed=True)
                return order
            prepay = settings.NUMBER_PREPAY_FEN
            order = Order.objects.create(
                order_no=order_no, kind=OrderKind.NUMBER, amount_fen=number.deposit_fen + prepay, msisdn=msisdn,
                kiosk_id=origin.kiosk_id, customer_phone=phone, requester=holder, created_at=now,
                detail={"tier": number.tier, "deposit_fen": number.deposit_fen, "prepay_fen": prepay,
                        "min_monthly_fen": number.min_monthly_fen},
            )
        entry.detail["order_no"] = order.order_no
    order_attach_pay_url(order)
    return order


def number_orders_expire(*, now: datetime | None = None) -> int:
    """The sweep: number orders still unpaid NUMBER_HOLD_SECONDS after they
    were placed (when their hold ends) expire, and their numbers go back to
    stock. A payment that arrives later is refunded (orders.payment_callback).
    Returns how many orders expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NUMBER_HOLD_SECONDS)
    expired = 0
    for order_id in Order.objects.filter(
        kind=OrderKind.NUMBER, status=OrderStatus.CREATED, created_at__lte=cutoff
    ).order_by("created_at").values_list("pk", flat=True)[:EXPIRE_BATCH]:
        with transaction.atomic():
            # The order's lock orders this against a payment callback for it:
            # whichever comes second sees what the first did.
            order = Order.objects.select_for_update().filter(pk=order_id, status=OrderStatus.CREATED).first()
            if order is None:
                continue
            order.status = OrderStatus.EXPIRED
            order.save(update_fields=["status"])
        expired += 1
        logger.info("Number order %s expired unpaid; %s goes back to stock", order.order_no, mask_phone(order.msisdn))
    if expired:
        holds_release_expired(now=now)
    return expired


def holds_release_expired(*, now: datetime | None = None) -> int:
    """Put numbers whose hold has ended back in stock (the periodic sweep;
    searches already treat them as free)."""
    return get_carrier().numbers_release_expired(at=now or timezone.now())
