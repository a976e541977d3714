"""seed_demo's self-service step: the demo subscriber, stock, rewards and the demo kiosk."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.models import NumberTier, PhoneNumber, Reward, RewardKind, Subscriber
from kiosk.carrier.number_patterns import number_tier
from kiosk.carrier.rules import month_of
from kiosk.demo import number_stock_plan
from kiosk.models import KioskDevice


@pytest.fixture(autouse=True)
def _demo_allowed(settings):
    """The demo's published sign-ins are refused with DEBUG off; a demo runs with it on."""
    settings.DEBUG = True


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small_city(db):
    return seed("--small")


@pytest.mark.smoke
def test_the_demo_kiosk_signs_in_with_the_demo_token_at_the_first_hall(small_city, settings):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Kiosk {settings.DEMO_KIOSK_TOKEN}")

    body = client.get("/api/v1/kiosk/").json()

    assert body["hall"] == "ZZ-H001"


def test_the_demo_subscriber_has_a_data_plan_services_points_and_a_balance(small_city):
    carrier = get_carrier()

    account = carrier.account("13800138000")

    assert account.plan.data_kb > 0
    assert account.points >= 10_000 and account.balance_fen > 0
    assert len(carrier.vas_list("13800138000")) >= 2
    assert len(carrier.bills("13800138000", [b.month for b in Subscriber.objects.get(
        msisdn="13800138000").bills.all()])) == 6
    assert carrier.usage("13800138000", month_of(timezone.now())).data[0].used_kb > 0


def test_the_rewards_have_stock_of_every_kind(small_city):
    kinds = set(Reward.objects.filter(stock__gt=0).values_list("kind", flat=True))

    assert kinds == set(RewardKind.values)


def test_the_small_number_stock_has_special_tiers(small_city):
    assert 200 <= PhoneNumber.objects.count() <= 500
    tiers = set(PhoneNumber.objects.values_list("tier", flat=True))
    assert {NumberTier.NORMAL, NumberTier.SILVER, NumberTier.GOLD} <= tiers


def test_the_full_stock_has_thousands_of_numbers_and_the_small_one_is_its_start():
    full, small = number_stock_plan(small=False), number_stock_plan(small=True)

    assert len(full) >= 2_000
    assert full[: len(small)] == small
    assert "diamond" in {number_tier(m) for m in full}


def test_the_seed_is_idempotent(small_city):
    output = seed("--small")

    assert "0 rows created, 0 updated" in output


def test_the_seed_gives_the_demo_kiosk_its_token_back(small_city, settings):
    KioskDevice.objects.update(token_hash="x" * 64)

    seed("--small")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Kiosk {settings.DEMO_KIOSK_TOKEN}")
    assert client.get("/api/v1/kiosk/").status_code == 200


def test_the_seed_leaves_balances_and_points_to_the_floor(small_city):
    Subscriber.objects.filter(msisdn="13800138000").update(points=1)

    seed("--small")

    assert Subscriber.objects.get(msisdn="13800138000").points == 1


def test_the_summary_names_the_demo_kiosk_and_subscriber(small_city, settings):
    assert settings.DEMO_KIOSK_TOKEN in small_city
    assert "13800138000" in small_city
