"""Factories for the self-service tests: kiosks, the local carrier's data."""

import factory
from django.utils import timezone

from kiosk.carrier.models import (
    Bill,
    BillItem,
    PhoneNumber,
    Plan,
    Reward,
    RewardKind,
    Subscriber,
    Subscription,
    ValueAddedService,
)
from kiosk.carrier.number_patterns import TIER_PRICES, number_tier, patterns_field
from kiosk.carrier.rules import KB_PER_MB, months_before
from kiosk.models import KioskDevice, token_digest
from tests.halls.factories import OutletFactory


class KioskDeviceFactory(factory.django.DjangoModelFactory):
    """A kiosk; its device token is `token` (only the hash is stored)."""

    class Meta:
        model = KioskDevice
        exclude = ("token",)

    outlet = factory.SubFactory(OutletFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号自助终端")
    token = factory.Sequence(lambda n: f"kiosk-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: token_digest(o.token))


class PlanFactory(factory.django.DjangoModelFactory):
    """A plan with 300 MB of data and 600 WLAN minutes, like 全球通88."""

    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PLAN{n}")
    name = factory.Sequence(lambda n: f"全球通套餐{n}")
    monthly_fee_fen = 8_800
    data_kb = 300 * KB_PER_MB
    wlan_minutes = 600


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    msisdn = factory.Sequence(lambda n: f"1390371{n:04d}")
    name = "张伟"
    plan = factory.SubFactory(PlanFactory)
    balance_fen = 12_880
    points = 12_680


class VasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ValueAddedService
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"VAS{n}")
    name = factory.Sequence(lambda n: f"增值业务{n}")
    monthly_fee_fen = 500


def subscribe(subscriber, vas, since=None) -> Subscription:
    return Subscription.objects.create(subscriber=subscriber, vas=vas, since=since or timezone.now())


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.Sequence(lambda n: f"礼品{n}")
    kind = RewardKind.GIFT
    points = 1_000
    stock = 10


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    """A number in stock with its tier, price and patterns read from its digits."""

    class Meta:
        model = PhoneNumber

    msisdn = factory.Sequence(lambda n: f"1378371{n % 10_000:04d}")
    tier = factory.LazyAttribute(lambda o: number_tier(o.msisdn))
    deposit_fen = factory.LazyAttribute(lambda o: TIER_PRICES[o.tier].deposit_fen)
    min_monthly_fen = factory.LazyAttribute(lambda o: TIER_PRICES[o.tier].min_monthly_fen)
    patterns = factory.LazyAttribute(lambda o: patterns_field(o.msisdn))


def bills_for(subscriber, months: int = 6, now=None) -> list[Bill]:
    """A bill for each of the last `months` months: plan fee, calls, and a month-dependent extra."""
    bills = []
    for i, month in enumerate(months_before(now or timezone.now(), months)):
        bill = Bill.objects.create(subscriber=subscriber, month=month, total_fen=8_800 + 1_000 + i)
        BillItem.objects.create(bill=bill, position=0, name="套餐及固定费", amount_fen=8_800)
        BillItem.objects.create(bill=bill, position=1, name="语音通信费", amount_fen=1_000 + i)
        bills.append(bill)
    return bills
