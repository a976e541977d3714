"""The carrier's systems, behind one interface owned by the project.

Every self-service flow reads and changes the customer's account through a
`CarrierGateway`: account and plan, balance, bills, usage, value-added
services, points and rewards, the number stock, data packs and top-up
credit. The implementation is chosen by the `CARRIER_GATEWAY` setting (a
dotted path); `LocalCarrier`, the default, keeps everything in this
project's database (the carrier tables of `kiosk.models`), which is what the
demo and the tests run on. A real carrier plugs in its own class.

The interface speaks in plain values (the dataclasses below), never in model
instances, and raises the errors of `kiosk.errors`. Methods that change
something run in the caller's transaction when the implementation uses this
database; an implementation that calls out must make them idempotent by the
`reference` it is given.
"""

import functools
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from config.api import NotFound

from . import errors
from .models import (
    Bill,
    NumberHold,
    NumberStatus,
    PackPurchase,
    PackSource,
    PhoneNumber,
    Plan,
    Redemption,
    Reward,
    RewardKind,
    Subscriber,
    SubscriberStatus,
    Subscription,
    UsageMonth,
    ValueAddedService,
    mask_name,
)

KB_PER_MB = 1024


# --- The carrier's published rules --------------------------------------------------


@dataclass(frozen=True)
class DataPack:
    code: str
    price_fen: int
    data_kb: int

    @property
    def name(self) -> str:
        return f"{self.price_fen // 100}元{self.data_kb // KB_PER_MB}M国内流量包"


# Texting the code to 10086 orders the pack (DOMAIN.md, from the source).
DATA_PACKS = (
    DataPack("G5", 500, 30 * KB_PER_MB),
    DataPack("G10", 1000, 70 * KB_PER_MB),
    DataPack("G20", 2000, 150 * KB_PER_MB),
    DataPack("G30", 3000, 280 * KB_PER_MB),
    DataPack("G50", 5000, 500 * KB_PER_MB),
)
# Beyond the plan and the packs: 1 yuan per MB.
OVERAGE_FEN_PER_MB = 100


def data_pack(code: str) -> DataPack:
    """The pack with this code (case-insensitive); raises UnknownPack."""
    wanted = (code or "").strip().upper()
    for pack in DATA_PACKS:
        if pack.code == wanted:
            return pack
    raise errors.UnknownPack()


def overage_fen(overage_kb: int) -> int:
    """What data beyond every allowance costs: each MB begun at OVERAGE_FEN_PER_MB."""
    return -(-overage_kb // KB_PER_MB) * OVERAGE_FEN_PER_MB


def month_of(at: datetime) -> str:
    """The local month of `at`, as 'YYYY-MM'."""
    return timezone.localtime(at).strftime("%Y-%m")


def months_before(at: datetime, count: int) -> list[str]:
    """The `count` whole months before the month of `at`, newest first."""
    local = timezone.localtime(at)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    return months


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
        """Credit the balance; returns the new balance. `reference` (the order
        number) makes a retry harmless for a carrier that calls out."""

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
    def data_pack_buy(self, msisdn: str, code: str, *, at: datetime) -> PackPurchaseInfo:
        """Buy a pack for the month of `at`, paid from the balance.
        Raises UnknownPack, InsufficientBalance, SubscriberNotFound."""

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
        Raises UnknownReward, InsufficientPoints, OutOfStock, IdempotencyKeyReused."""

    @abstractmethod
    def redemptions(self, msisdn: str, *, limit: int = 100) -> list[RedemptionInfo]:
        """Past redemptions, newest first."""

    # The number stock
    @abstractmethod
    def numbers_search(self, search: NumberSearch, *, at: datetime) -> NumberResults:
        """Numbers free to choose at `at` (not sold, not held by anyone)."""

    @abstractmethod
    def number_hold(self, msisdn: str, *, holder: str, at: datetime, seconds: int) -> HoldInfo:
        """Hide a number from everyone else until `at + seconds`; the same
        holder asking again gets the same hold. Raises NumberUnavailable."""

    @abstractmethod
    def number_release(self, msisdn: str, *, holder: str, at: datetime) -> bool:
        """Give a hold back before it ends (not once an order was placed on it)."""

    @abstractmethod
    def number_reserve(
        self, msisdn: str, *, holder: str, hold_token: str, order_no: str, at: datetime, seconds: int
    ) -> tuple[NumberInfo, str]:
        """Tie the holder's live hold to an order and keep it at least `seconds`
        more. Returns the number and the order number the hold carries (an
        earlier order's, when it already had one). Raises HoldInvalid."""

    @abstractmethod
    def number_sell(self, msisdn: str, *, order_no: str, at: datetime) -> None:
        """Mark the number sold for this order. Raises NumberUnavailable when it
        is sold, or held by someone else."""

    @abstractmethod
    def line_activate(self, msisdn: str, *, name: str, plan_code: str | None, balance_fen: int, at: datetime) -> None:
        """Open the account of a sold number with an opening balance. Raises UnknownPlan."""

    @abstractmethod
    def numbers_release_expired(self, *, at: datetime) -> int:
        """Put numbers whose hold has ended back in stock; returns how many."""


@functools.cache
def _load(path: str):
    return import_string(path)()


def get_carrier() -> CarrierGateway:
    """The configured carrier (CARRIER_GATEWAY), one instance per process."""
    return _load(settings.CARRIER_GATEWAY)


# --- The local carrier ---------------------------------------------------------------


def _plan_info(plan: Plan | None) -> PlanInfo | None:
    if plan is None:
        return None
    return PlanInfo(plan.code, plan.name, plan.monthly_fee_fen, plan.data_kb, plan.wlan_minutes)


def _number_info(number: PhoneNumber) -> NumberInfo:
    tags = tuple(tag for tag in number.patterns.split(",") if tag)
    return NumberInfo(number.msisdn, number.tier, number.deposit_fen, number.min_monthly_fen, tags)


def _redemption_info(redemption: Redemption, points_left: int, replayed: bool = False) -> RedemptionInfo:
    return RedemptionInfo(
        id=redemption.pk,
        reward=redemption.reward.code,
        reward_name=redemption.reward.name,
        quantity=redemption.quantity,
        points_spent=redemption.points_spent,
        points_left=points_left,
        created_at=redemption.created_at,
        replayed=replayed,
    )


class _QuerysetResults(NumberResults):
    def __init__(self, queryset):
        self._queryset = queryset

    def count(self) -> int:
        return self._queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [_number_info(n) for n in self._queryset[index]]
        return _number_info(self._queryset[index])


class LocalCarrier(CarrierGateway):
    """The carrier's systems kept in this database (kiosk.models)."""

    def _subscriber(self, msisdn: str) -> Subscriber:
        subscriber = (
            Subscriber.objects.select_related("plan").filter(msisdn=msisdn, status=SubscriberStatus.ACTIVE).first()
        )
        if subscriber is None:
            raise errors.SubscriberNotFound()
        return subscriber

    # Accounts

    def account(self, msisdn: str) -> Account | None:
        subscriber = (
            Subscriber.objects.select_related("plan").filter(msisdn=msisdn, status=SubscriberStatus.ACTIVE).first()
        )
        if subscriber is None:
            return None
        return Account(
            msisdn=subscriber.msisdn,
            name=subscriber.name,
            plan=_plan_info(subscriber.plan),
            balance_fen=subscriber.balance_fen,
            points=subscriber.points,
        )

    def bills(self, msisdn: str, months: list[str]) -> list[BillInfo]:
        bills = (
            Bill.objects.filter(subscriber__msisdn=msisdn, month__in=months)
            .prefetch_related("items")
            .order_by("-month")
        )
        return [
            BillInfo(b.month, b.total_fen, tuple(BillLine(i.name, i.amount_fen) for i in b.items.all())) for b in bills
        ]

    def usage(self, msisdn: str, month: str) -> UsageInfo:
        subscriber = self._subscriber(msisdn)
        row = UsageMonth.objects.filter(subscriber=subscriber, month=month).first() or UsageMonth(month=month)
        plan = subscriber.plan
        data = []
        if plan is not None and plan.data_kb:
            data.append(Allowance("plan", plan.name, plan.data_kb, min(row.plan_data_used_kb, plan.data_kb)))
        for pack in PackPurchase.objects.filter(subscriber=subscriber, month=month).order_by("created_at", "id"):
            data.append(Allowance(pack.code, pack.name, pack.data_kb, pack.used_kb))
        return UsageInfo(
            month=month,
            plan=_plan_info(plan),
            data=tuple(data),
            overage_kb=row.overage_kb,
            wlan_minutes_total=plan.wlan_minutes if plan else 0,
            wlan_minutes_used=row.wlan_minutes_used,
            first_data_at=row.first_data_at,
        )

    def usage_add(self, msisdn: str, *, data_kb: int = 0, wlan_minutes: int = 0, at: datetime) -> None:
        month = month_of(at)
        with transaction.atomic():
            subscriber = self._subscriber(msisdn)
            UsageMonth.objects.get_or_create(subscriber=subscriber, month=month)
            # The month's row is the lock for its usage: packs' used_kb and the
            # plan's are written only here, so concurrent records queue on it and
            # never hand out the same allowance twice.
            usage = UsageMonth.objects.select_for_update().get(subscriber=subscriber, month=month)
            remaining = data_kb
            plan_kb = subscriber.plan.data_kb if subscriber.plan else 0
            take = min(remaining, max(0, plan_kb - usage.plan_data_used_kb))
            usage.plan_data_used_kb += take
            remaining -= take
            if remaining:
                for pack in PackPurchase.objects.filter(subscriber=subscriber, month=month).order_by("created_at", "id"):
                    take = min(remaining, pack.data_kb - pack.used_kb)
                    if take:
                        PackPurchase.objects.filter(pk=pack.pk).update(used_kb=F("used_kb") + take)
                        remaining -= take
                    if not remaining:
                        break
            usage.overage_kb += remaining
            usage.wlan_minutes_used += wlan_minutes
            if data_kb and usage.first_data_at is None:
                usage.first_data_at = at
            usage.save()

    def topup_credit(self, msisdn: str, amount_fen: int, *, reference: str) -> int:
        with transaction.atomic():
            credited = Subscriber.objects.filter(msisdn=msisdn, status=SubscriberStatus.ACTIVE).update(
                balance_fen=F("balance_fen") + amount_fen
            )
            if not credited:
                raise errors.SubscriberNotFound()
            return Subscriber.objects.values_list("balance_fen", flat=True).get(msisdn=msisdn)

    # Value-added services

    def vas_catalogue(self) -> list[VasInfo]:
        return [
            VasInfo(v.code, v.name, v.monthly_fee_fen) for v in ValueAddedService.objects.filter(is_active=True)
        ]

    def vas_list(self, msisdn: str) -> list[VasInfo]:
        subscriber = self._subscriber(msisdn)
        subscriptions = (
            Subscription.objects.filter(subscriber=subscriber, cancelled_at__isnull=True)
            .select_related("vas")
            .order_by("since", "id")
        )
        return [VasInfo(s.vas.code, s.vas.name, s.vas.monthly_fee_fen, s.since) for s in subscriptions]

    def vas_subscribe(self, msisdn: str, code: str, *, at: datetime) -> VasInfo:
        subscriber = self._subscriber(msisdn)
        vas = ValueAddedService.objects.filter(code=code, is_active=True).first()
        if vas is None:
            raise errors.UnknownVas()
        try:
            with transaction.atomic():
                Subscription.objects.create(subscriber=subscriber, vas=vas, since=at)
        except IntegrityError:
            raise errors.VasAlreadySubscribed() from None
        return VasInfo(vas.code, vas.name, vas.monthly_fee_fen, at)

    def vas_cancel(self, msisdn: str, code: str, *, at: datetime) -> None:
        cancelled = Subscription.objects.filter(
            subscriber__msisdn=msisdn, vas__code=code, cancelled_at__isnull=True
        ).update(cancelled_at=at)
        if not cancelled:
            raise errors.VasNotSubscribed()

    # Data packs

    def data_pack_buy(self, msisdn: str, code: str, *, at: datetime) -> PackPurchaseInfo:
        pack = data_pack(code)
        month = month_of(at)
        with transaction.atomic():
            subscriber = self._subscriber(msisdn)
            # Conditional: two purchases at once cannot both spend the last yuan.
            paid = Subscriber.objects.filter(pk=subscriber.pk, balance_fen__gte=pack.price_fen).update(
                balance_fen=F("balance_fen") - pack.price_fen
            )
            if not paid:
                raise errors.InsufficientBalance()
            PackPurchase.objects.create(
                subscriber=subscriber, month=month, code=pack.code, name=pack.name, source=PackSource.PACK,
                data_kb=pack.data_kb, price_fen=pack.price_fen, created_at=at,
            )
            balance = Subscriber.objects.values_list("balance_fen", flat=True).get(pk=subscriber.pk)
        return PackPurchaseInfo(pack.code, pack.price_fen, pack.data_kb, month, balance)

    # Points

    def rewards(self) -> list[RewardInfo]:
        return [
            RewardInfo(r.code, r.name, r.kind, r.points, r.stock) for r in Reward.objects.filter(is_active=True)
        ]

    def _replay(self, subscriber: Subscriber, key: str, reward_code: str, quantity: int) -> RedemptionInfo | None:
        earlier = Redemption.objects.select_related("reward").filter(subscriber=subscriber, idempotency_key=key).first()
        if earlier is None:
            return None
        if earlier.reward.code != reward_code or earlier.quantity != quantity:
            raise errors.IdempotencyKeyReused()
        points = Subscriber.objects.values_list("points", flat=True).get(pk=subscriber.pk)
        return _redemption_info(earlier, points, replayed=True)

    def redeem(
        self, msisdn: str, reward_code: str, quantity: int, *, idempotency_key: str | None, at: datetime
    ) -> RedemptionInfo:
        subscriber = self._subscriber(msisdn)
        if idempotency_key:
            replay = self._replay(subscriber, idempotency_key, reward_code, quantity)
            if replay is not None:
                return replay
        reward = Reward.objects.filter(code=reward_code, is_active=True).first()
        if reward is None:
            raise errors.UnknownReward()
        cost = reward.points * quantity
        try:
            with transaction.atomic():
                # Two conditional UPDATEs: each takes its row's lock and checks the
                # amount in the same statement, so concurrent redemptions cannot
                # both pass a check and overdraw. Always the subscriber first, then
                # the reward: one order everywhere, so two redemptions never
                # deadlock. A refusal rolls both back together.
                spent = Subscriber.objects.filter(pk=subscriber.pk, points__gte=cost).update(
                    points=F("points") - cost
                )
                if not spent:
                    raise errors.InsufficientPoints()
                taken = Reward.objects.filter(pk=reward.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
                if not taken:
                    raise errors.OutOfStock()
                redemption = Redemption.objects.create(
                    subscriber=subscriber, reward=reward, quantity=quantity, points_spent=cost,
                    idempotency_key=idempotency_key or None, created_at=at,
                )
                self._deliver_reward(subscriber, reward, quantity, at)
                points = Subscriber.objects.values_list("points", flat=True).get(pk=subscriber.pk)
        except IntegrityError:
            # The same key won a race a moment ago: that redemption is the answer.
            replay = self._replay(subscriber, idempotency_key, reward_code, quantity) if idempotency_key else None
            if replay is None:
                raise
            return replay
        return _redemption_info(redemption, points)

    def _deliver_reward(self, subscriber: Subscriber, reward: Reward, quantity: int, at: datetime) -> None:
        if reward.kind == RewardKind.BILL_CREDIT and reward.credit_fen:
            Subscriber.objects.filter(pk=subscriber.pk).update(balance_fen=F("balance_fen") + reward.credit_fen * quantity)
        elif reward.kind == RewardKind.DATA and reward.data_kb:
            PackPurchase.objects.create(
                subscriber=subscriber, month=month_of(at), code=reward.code, name=reward.name,
                source=PackSource.REWARD, data_kb=reward.data_kb * quantity, price_fen=0, created_at=at,
            )
        # Gifts are collected at a hall's counter with the redemption record.

    def redemptions(self, msisdn: str, *, limit: int = 100) -> list[RedemptionInfo]:
        subscriber = self._subscriber(msisdn)
        rows = Redemption.objects.filter(subscriber=subscriber).select_related("reward")[:limit]
        return [_redemption_info(r, subscriber.points) for r in rows]

    # The number stock

    def _free_at(self, at: datetime) -> Q:
        return Q(status=NumberStatus.AVAILABLE) | Q(status=NumberStatus.HELD, hold__expires_at__lte=at)

    def numbers_search(self, search: NumberSearch, *, at: datetime) -> NumberResults:
        numbers = PhoneNumber.objects.filter(self._free_at(at))
        if search.prefix:
            numbers = numbers.filter(msisdn__startswith=search.prefix)
        if search.ends_with:
            numbers = numbers.filter(msisdn__endswith=search.ends_with)
        if search.contains:
            numbers = numbers.filter(msisdn__contains=search.contains)
        for tag in search.patterns:
            numbers = numbers.filter(patterns__contains=f",{tag},")
        if search.tier:
            numbers = numbers.filter(tier=search.tier)
        return _QuerysetResults(numbers.order_by("msisdn"))

    def _lock_number(self, msisdn: str) -> PhoneNumber:
        # Every change to a number's availability locks its row first: racing
        # holders and buyers queue here, and each then sees the previous one's hold.
        number = PhoneNumber.objects.select_for_update().filter(msisdn=msisdn).first()
        if number is None:
            raise NotFound("没有这个号码 / No such number in stock.")
        return number

    def number_hold(self, msisdn: str, *, holder: str, at: datetime, seconds: int) -> HoldInfo:
        with transaction.atomic():
            number = self._lock_number(msisdn)
            if number.status == NumberStatus.SOLD:
                raise errors.NumberUnavailable()
            hold = NumberHold.objects.filter(number=number).first()
            if hold is not None and hold.expires_at > at:
                if hold.holder != holder:
                    raise errors.NumberUnavailable()
                return HoldInfo(msisdn, hold.token, hold.expires_at, hold.order_no)
            if hold is None:
                hold = NumberHold(number=number)
            # Free, or its hold has lapsed: the new holder takes the (one) hold row over.
            hold.holder = holder
            hold.token = secrets.token_urlsafe(32)
            hold.created_at = at
            hold.expires_at = at + timedelta(seconds=seconds)
            hold.order_no = ""
            hold.save()
            if number.status != NumberStatus.HELD:
                number.status = NumberStatus.HELD
                number.save(update_fields=["status"])
        return HoldInfo(msisdn, hold.token, hold.expires_at)

    def number_release(self, msisdn: str, *, holder: str, at: datetime) -> bool:
        with transaction.atomic():
            number = self._lock_number(msisdn)
            hold = NumberHold.objects.filter(number=number, holder=holder, order_no="").first()
            if hold is None or number.status != NumberStatus.HELD:
                return False
            hold.delete()
            number.status = NumberStatus.AVAILABLE
            number.save(update_fields=["status"])
        return True

    def number_reserve(
        self, msisdn: str, *, holder: str, hold_token: str, order_no: str, at: datetime, seconds: int
    ) -> tuple[NumberInfo, str]:
        with transaction.atomic():
            number = self._lock_number(msisdn)
            hold = NumberHold.objects.filter(number=number).first()
            if (
                number.status != NumberStatus.HELD
                or hold is None
                or not secrets.compare_digest(hold.token, hold_token)
                or hold.holder != holder
                or hold.expires_at <= at
            ):
                raise errors.HoldInvalid()
            if not hold.order_no:
                hold.order_no = order_no
            # Paying takes a few minutes: the hold lasts at least that long past the order.
            hold.expires_at = max(hold.expires_at, at + timedelta(seconds=seconds))
            hold.save(update_fields=["order_no", "expires_at"])
        return _number_info(number), hold.order_no

    def number_sell(self, msisdn: str, *, order_no: str, at: datetime) -> None:
        with transaction.atomic():
            number = self._lock_number(msisdn)
            if number.status == NumberStatus.SOLD:
                raise errors.NumberUnavailable()
            hold = NumberHold.objects.filter(number=number).first()
            if hold is not None and hold.order_no != order_no and hold.expires_at > at:
                raise errors.NumberUnavailable()
            NumberHold.objects.filter(number=number).delete()
            number.status = NumberStatus.SOLD
            number.sold_at = at
            number.save(update_fields=["status", "sold_at"])

    def line_activate(self, msisdn: str, *, name: str, plan_code: str | None, balance_fen: int, at: datetime) -> None:
        plan = None
        if plan_code:
            plan = Plan.objects.filter(code=plan_code).first()
            if plan is None:
                raise errors.UnknownPlan()
        with transaction.atomic():
            Subscriber.objects.create(msisdn=msisdn, name=name, plan=plan, balance_fen=balance_fen, created_at=at)

    def numbers_release_expired(self, *, at: datetime) -> int:
        with transaction.atomic():
            # SKIP LOCKED: a number someone is holding or buying right now is
            # theirs to settle; the next sweep (or the next read) gets it.
            ids = list(
                PhoneNumber.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=NumberStatus.HELD, hold__expires_at__lte=at)
                .values_list("pk", flat=True)
            )
            if not ids:
                return 0
            NumberHold.objects.filter(number_id__in=ids).delete()
            return PhoneNumber.objects.filter(pk__in=ids).update(status=NumberStatus.AVAILABLE)
