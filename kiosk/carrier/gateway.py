"""The carrier's systems as the self-service flows see them: one interface,
owned by this project.

Every self-service flow reads and changes the customer's account through a
`CarrierGateway`: account and plan, balance, bills, usage, value-added
services, points and rewards, the number stock, data packs and top-up
credit. The implementation is chosen by the `CARRIER_GATEWAY` setting (a
dotted path); `kiosk.carrier.local.LocalCarrier`, the default, keeps
everything in this project's database, which is what the demo and the tests
run on. A real carrier plugs in its own class.

The interface speaks in plain values (the dataclasses below), never in model
instances, and raises the errors of `kiosk.carrier.errors`. Order fulfilment
calls `topup_credit` and `number_activate` outside any transaction of this
project, and may call them again for the same order (a retry after a lost
answer, a worker that died): both are idempotent by the order number they are
given. Other methods that change something may run in the caller's
transaction when the implementation uses this database.
"""

import functools
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

from .rules import DATA_PACKS, DataPack, mask_name, overage_fen

logger = logging.getLogger(__name__)


# --- What the interface speaks --------------------------------------------------------


@dataclass(frozen=True)
class PlanInfo:
    code: str
    name: str
    monthly_fee_fen: int
    data_kb: int
    wlan_minutes: int


@dataclass(frozen=True)
class Account:
    msisdn: str
    name: str
    plan: PlanInfo | None
    balance_fen: int
    points: int

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)


@dataclass(frozen=True)
class BillLine:
    name: str
    amount_fen: int


@dataclass(frozen=True)
class BillInfo:
    month: str
    total_fen: int
    items: tuple[BillLine, ...]


@dataclass(frozen=True)
class Allowance:
    """One source of data in a month: the plan, a pack, data redeemed with points."""

    source: str
    name: str
    total_kb: int
    used_kb: int

    @property
    def left_kb(self) -> int:
        return max(0, self.total_kb - self.used_kb)

    @property
    def percent_left(self) -> int:
        """Whole percent, rounded down: never more left than there is."""
        return self.left_kb * 100 // self.total_kb if self.total_kb else 0


@dataclass(frozen=True)
class UsageInfo:
    month: str
    plan: PlanInfo | None
    data: tuple[Allowance, ...]
    overage_kb: int
    wlan_minutes_total: int
    wlan_minutes_used: int
    first_data_at: datetime | None = None

    @property
    def allowance_kb(self) -> int:
        return sum(a.total_kb for a in self.data)

    @property
    def allowance_left_kb(self) -> int:
        return sum(a.left_kb for a in self.data)

    @property
    def data_used_kb(self) -> int:
        return sum(a.used_kb for a in self.data) + self.overage_kb

    @property
    def wlan_minutes_left(self) -> int:
        return max(0, self.wlan_minutes_total - self.wlan_minutes_used)

    @property
    def overage_fen(self) -> int:
        return overage_fen(self.overage_kb)


@dataclass(frozen=True)
class VasInfo:
    code: str
    name: str
    monthly_fee_fen: int
    since: datetime | None = None


@dataclass(frozen=True)
class RewardInfo:
    code: str
    name: str
    kind: str
    points: int
    stock: int


@dataclass(frozen=True)
class RedemptionInfo:
    id: int
    reward: str
    reward_name: str
    quantity: int
    points_spent: int
    points_left: int
    created_at: datetime
    replayed: bool = False


@dataclass(frozen=True)
class NumberInfo:
    msisdn: str
    tier: str
    deposit_fen: int
    min_monthly_fen: int
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class HoldInfo:
    msisdn: str
    hold_token: str
    expires_at: datetime
    order_no: str = ""


@dataclass(frozen=True)
class PackPurchaseInfo:
    code: str
    price_fen: int
    data_kb: int
    month: str
    balance_fen: int


@dataclass(frozen=True)
class NumberSearch:
    """A number search: every condition given must hold."""

    prefix: str = ""
    ends_with: str = ""
    contains: str = ""
    patterns: tuple[str, ...] = ()
    tier: str = ""


class NumberResults(ABC):
    """Search results that count and slice lazily: what a paginator needs."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, index): ...


# --- The interface ------------------------------------------------------------------


class CarrierGateway(ABC):
    """The carrier's systems as the self-service flows see them."""

    # Accounts
    @abstractmethod
    def account(self, msisdn: str) -> Account | None:
        """The active account of a number, or None."""

    @abstractmethod
    def bills(self, msisdn: str, months: list[str]) -> list[BillInfo]:
        """The bills of those months that exist, newest first."""

    @abstractmethod
    def usage(self, msisdn: str, month: str) -> UsageInfo:
        """Data and WLAN use in a month. Raises SubscriberNotFound."""

    @abstractmethod
    def usage_add(self, msisdn: str, *, data_kb: int = 0, wlan_minutes: int = 0, at: datetime) -> None:
        """Record use (the network's usage feed): data fills the plan, then the
        month's packs in order bought, then counts as overage."""

    @abstractmethod
    def topup_credit(self, msisdn: str, amount_fen: int, *, reference: str) -> int:
        """Credit the balance once per `reference` (the order number); returns
        the balance. A second call with the same reference credits nothing.
        Raises SubscriberNotFound."""

    # Value-added services
    @abstractmethod
    def vas_catalogue(self) -> list[VasInfo]:
        """The services a customer can subscribe to."""

    @abstractmethod
    def vas_list(self, msisdn: str) -> list[VasInfo]:
        """The "0000" list: every service the number is subscribed to, with `since`."""

    @abstractmethod
    def vas_subscribe(self, msisdn: str, code: str, *, at: datetime) -> VasInfo:
        """Subscribe. Call only after the customer's second confirmation.
        Raises UnknownVas, VasAlreadySubscribed."""

    @abstractmethod
    def vas_cancel(self, msisdn: str, code: str, *, at: datetime) -> None:
        """Cancel at once. Raises VasNotSubscribed."""

    # Data packs
    def data_packs(self) -> tuple[DataPack, ...]:
        return DATA_PACKS

    @abstractmethod
    def data_pack_buy(
        self, msisdn: str, code: str, *, at: datetime, idempotency_key: str | None = None
    ) -> PackPurchaseInfo:
        """Buy a pack for the month of `at`, paid from the balance. The same
        `idempotency_key` for the same subscriber buys nothing more and
        answers with the first purchase, however many arrive at once.
        Raises UnknownPack, InsufficientBalance, SubscriberNotFound,
        PackKeyReused (the key was used for another pack)."""

    # Points
    @abstractmethod
    def rewards(self) -> list[RewardInfo]:
        """The catalogue with stock."""

    @abstractmethod
    def redeem(
        self, msisdn: str, reward_code: str, quantity: int, *, idempotency_key: str | None, at: datetime
    ) -> RedemptionInfo:
        """Spend points on a reward: points and stock change together or not at
        all, never below zero; the same key returns the first redemption.
        Raises UnknownReward, InsufficientPoints, OutOfStock, RedemptionKeyReused."""

    @abstractmethod
    def redemptions(self, msisdn: str, *, limit: int = 100) -> list[RedemptionInfo]:
        """Past redemptions, newest first."""

    # The number stock
    @abstractmethod
    def numbers_search(self, search: NumberSearch, *, at: datetime) -> NumberResults:
        """Numbers free to choose at `at` (not sold, not held by anyone)."""

    @abstractmethod
    def number_hold(
        self, msisdn: str, *, holder: str, at: datetime, seconds: int, max_holds: int | None = None
    ) -> HoldInfo:
        """Hide a number from everyone else until `at + seconds`; the same
        holder asking again gets the same hold, unchanged (never longer). With
        `max_holds`, a holder with that many live holds of other numbers gets
        no more, however many ask at once. Raises NumberUnavailable,
        HoldLimitReached."""

    @abstractmethod
    def number_release(self, msisdn: str, *, holder: str, at: datetime) -> bool:
        """Give a hold back before it ends (not once an order was placed on it)."""

    @abstractmethod
    def number_reserve(
        self, msisdn: str, *, holder: str, hold_token: str, order_no: str, at: datetime, seconds: int
    ) -> tuple[NumberInfo, str]:
        """Tie the holder's live hold to an order and keep it at least `seconds`
        more, once: when the order is placed (asking again with the same hold
        keeps it no longer, or a holder could keep a number for ever). Returns the number and the order number the hold carries (an
        earlier order's, when it already had one). Raises HoldInvalid."""

    @abstractmethod
    def number_activate(
        self, msisdn: str, *, order_no: str, balance_fen: int, at: datetime, name: str = "",
        plan_code: str | None = None,
    ) -> None:
        """Sell the number to this order and open its line with an opening
        balance, as one step. Idempotent by `order_no`: for an order already
        activated it changes nothing. Raises NumberUnavailable (sold to
        another order, or held by someone else), UnknownPlan."""

    @abstractmethod
    def numbers_release_expired(self, *, at: datetime) -> int:
        """Put numbers whose hold has ended back in stock; returns how many."""


# Dotted paths that deployments may still name in CARRIER_GATEWAY.
DEPRECATED_PATHS = {"kiosk.carrier.LocalCarrier": "kiosk.carrier.local.LocalCarrier"}


@functools.cache
def _load(path: str) -> "CarrierGateway":
    if path in DEPRECATED_PATHS:
        logger.warning("CARRIER_GATEWAY=%s is deprecated: set it to %s.", path, DEPRECATED_PATHS[path])
        path = DEPRECATED_PATHS[path]
    return import_string(path)()


def get_carrier() -> CarrierGateway:
    """The configured carrier (CARRIER_GATEWAY), one instance per process."""
    return _load(settings.CARRIER_GATEWAY)
