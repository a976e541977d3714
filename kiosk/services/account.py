"""The customer's account: overview, bills, data usage and data packs.

Each takes the verified customer's phone; reads of personal data are logged
like any other self-service action.
"""

from datetime import datetime

from django.utils import timezone

from config.api import InvalidInput

from ..carrier.errors import SubscriberNotFound
from ..carrier.gateway import Account, BillInfo, PackPurchaseInfo, UsageInfo, get_carrier
from ..carrier.rules import DATA_PACKS, DataPack, month_of, months_before
from .actions import Origin, action_log

MAX_BILL_MONTHS = 12


def account_get(*, phone: str) -> Account:
    """The active account of `phone`; raises SubscriberNotFound."""
    account = get_carrier().account(phone)
    if account is None:
        raise SubscriberNotFound()
    return account


def account_overview(*, phone: str, origin: Origin) -> Account:
    with action_log(origin, "account_view", phone=phone):
        return account_get(phone=phone)


def bills_list(*, phone: str, months: int = 6, origin: Origin, now: datetime | None = None) -> list[BillInfo]:
    """The bills of the last `months` whole months (1-12), newest first."""
    if not 1 <= months <= MAX_BILL_MONTHS:
        raise InvalidInput(fields={"months": [f"1-{MAX_BILL_MONTHS}"]})
    now = now or timezone.now()
    with action_log(origin, "bill_query", phone=phone, detail={"months": months}):
        account_get(phone=phone)
        return get_carrier().bills(phone, months_before(now, months))


def usage_get(*, phone: str, origin: Origin, now: datetime | None = None) -> UsageInfo:
    """This month's data (per plan and pack) and WLAN time."""
    now = now or timezone.now()
    with action_log(origin, "usage_query", phone=phone):
        return get_carrier().usage(phone, month_of(now))


def data_packs() -> tuple[DataPack, ...]:
    return get_carrier().data_packs() or DATA_PACKS


def data_pack_buy(
    *, phone: str, code: str, origin: Origin, idempotency_key: str | None = None, now: datetime | None = None
) -> PackPurchaseInfo:
    """Buy a pack for this month, paid from the balance. A retry with the same
    `idempotency_key` (the same customer's) buys nothing more and answers with
    the first purchase. Raises UnknownPack, InsufficientBalance,
    SubscriberNotFound, PackKeyReused (409 idempotency_key_reused: the key
    was used for another pack)."""
    now = now or timezone.now()
    detail = {"code": str(code)[:20], **({"idempotency_key": idempotency_key} if idempotency_key else {})}
    with action_log(origin, "data_pack_buy", phone=phone, detail=detail) as entry:
        purchase = get_carrier().data_pack_buy(phone, code, at=now, idempotency_key=idempotency_key)
        entry.detail.update(price_fen=purchase.price_fen, data_kb=purchase.data_kb, month=purchase.month)
    return purchase
