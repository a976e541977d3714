"""The local carrier: the carrier's systems kept in this database (the
tables of kiosk.carrier.models). The default CARRIER_GATEWAY, and what the
demo and the tests run on; see kiosk.carrier.gateway for the contract of
each method."""

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.api import NotFound
from config.locks import transaction_lock

from . import errors
from .gateway import (
    Account,
    Allowance,
    BillInfo,
    BillLine,
    CarrierGateway,
    HoldInfo,
    NumberInfo,
    NumberResults,
    NumberSearch,
    PackPurchaseInfo,
    PlanInfo,
    RedemptionInfo,
    RewardInfo,
    UsageInfo,
    VasInfo,
)
from .models import (
    BalanceCredit,
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
)
from .rules import data_pack, month_of


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
    """The carrier's systems kept in this database (kiosk.carrier.models)."""

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
        subscriber = self._subscriber(msisdn)
        try:
            with transaction.atomic():
                # The credit's row, unique by reference, and the balance change
                # commit together: a second call for the same order finds the
                # row and credits nothing.
                BalanceCredit.objects.create(
                    subscriber=subscriber, reference=reference, amount_fen=amount_fen, created_at=timezone.now()
                )
                credited = Subscriber.objects.filter(pk=subscriber.pk, status=SubscriberStatus.ACTIVE).update(
                    balance_fen=F("balance_fen") + amount_fen
                )
                if not credited:
                    raise errors.SubscriberNotFound()
        except IntegrityError:
            if not BalanceCredit.objects.filter(reference=reference).exists():
                raise
        return Subscriber.objects.values_list("balance_fen", flat=True).get(pk=subscriber.pk)

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

    def _pack_replay(self, subscriber: Subscriber, key: str, code: str) -> PackPurchaseInfo | None:
        earlier = PackPurchase.objects.filter(subscriber=subscriber, idempotency_key=key).first()
        if earlier is None:
            return None
        if earlier.code != code:
            raise errors.PackKeyReused()
        balance = Subscriber.objects.values_list("balance_fen", flat=True).get(pk=subscriber.pk)
        return PackPurchaseInfo(earlier.code, earlier.price_fen, earlier.data_kb, earlier.month, balance)

    def data_pack_buy(
        self, msisdn: str, code: str, *, at: datetime, idempotency_key: str | None = None
    ) -> PackPurchaseInfo:
        pack = data_pack(code)
        month = month_of(at)
        subscriber = self._subscriber(msisdn)
        if idempotency_key:
            replay = self._pack_replay(subscriber, idempotency_key, pack.code)
            if replay is not None:
                return replay
        try:
            with transaction.atomic():
                # Conditional: two purchases at once cannot both spend the last yuan.
                paid = Subscriber.objects.filter(pk=subscriber.pk, balance_fen__gte=pack.price_fen).update(
                    balance_fen=F("balance_fen") - pack.price_fen
                )
                if not paid:
                    raise errors.InsufficientBalance()
                PackPurchase.objects.create(
                    subscriber=subscriber, month=month, code=pack.code, name=pack.name, source=PackSource.PACK,
                    data_kb=pack.data_kb, price_fen=pack.price_fen, created_at=at,
                    idempotency_key=idempotency_key or None,
                )
                balance = Subscriber.objects.values_list("balance_fen", flat=True).get(pk=subscriber.pk)
        except IntegrityError:
            # The same key won a race a moment ago (its payment is kept, this
            # one rolled back): that purchase is the answer.
            replay = self._pack_replay(subscriber, idempotency_key, pack.code) if idempotency_key else None
            if replay is None:
                raise
            return replay
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
            raise errors.RedemptionKeyReused()
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

    def number_hold(
        self, msisdn: str, *, holder: str, at: datetime, seconds: int, max_holds: int | None = None
    ) -> HoldInfo:
        with transaction.atomic():
            if max_holds is not None:
                # Before the number's row (one order everywhere): the holder's
                # holds are counted and a new one written by one request at a time.
                transaction_lock(f"number-holds:{holder}")
            number = self._lock_number(msisdn)
            if number.status == NumberStatus.SOLD:
                raise errors.NumberUnavailable()
            hold = NumberHold.objects.filter(number=number).first()
            if hold is not None and hold.expires_at > at:
                if hold.holder != holder:
                    raise errors.NumberUnavailable()
                return HoldInfo(msisdn, hold.token, hold.expires_at, hold.order_no)
            if max_holds is not None and (
                NumberHold.objects.filter(holder=holder, expires_at__gt=at).exclude(number=number).count() >= max_holds
            ):
                raise errors.HoldLimitReached()
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
                # Paying takes a few minutes: the hold lasts at least that long
                # past the order, once. Asking again keeps it no longer.
                hold.order_no = order_no
                hold.expires_at = max(hold.expires_at, at + timedelta(seconds=seconds))
                hold.save(update_fields=["order_no", "expires_at"])
        return _number_info(number), hold.order_no

    def number_activate(
        self, msisdn: str, *, order_no: str, balance_fen: int, at: datetime, name: str = "",
        plan_code: str | None = None,
    ) -> None:
        plan = None
        if plan_code:
            plan = Plan.objects.filter(code=plan_code).first()
            if plan is None:
                raise errors.UnknownPlan()
        with transaction.atomic():
            number = self._lock_number(msisdn)
            if number.status == NumberStatus.SOLD:
                if number.sold_for == order_no:
                    return  # this order's activation, asked again
                raise errors.NumberUnavailable()
            hold = NumberHold.objects.filter(number=number).first()
            if hold is not None and hold.order_no != order_no and hold.expires_at > at:
                raise errors.NumberUnavailable()
            if Subscriber.objects.filter(msisdn=msisdn).exists():
                raise errors.NumberUnavailable()
            NumberHold.objects.filter(number=number).delete()
            number.status = NumberStatus.SOLD
            number.sold_at = at
            number.sold_for = order_no
            number.save(update_fields=["status", "sold_at", "sold_for"])
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
