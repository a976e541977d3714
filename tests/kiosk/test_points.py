"""Points: the catalogue, redeeming (atomic, never below zero, idempotent), history."""

import pytest

from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.models import Redemption, Reward, RewardKind, Subscriber
from kiosk.carrier.rules import KB_PER_MB, month_of
from tests.api_errors import assert_api_error

from .factories import RewardFactory


def redeem(client, reward, quantity=1, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return client.post("/api/v1/me/redemptions/", {"reward": reward, "quantity": quantity}, format="json",
                       headers=headers)


def points(subscriber) -> int:
    return Subscriber.objects.get(pk=subscriber.pk).points


def stock(code) -> int:
    return Reward.objects.get(code=code).stock


def test_the_catalogue_shows_points_and_stock(api, db):
    RewardFactory(code="GIFT-CUP", name="保温杯", points=3_000, stock=7)

    assert api.get("/api/v1/rewards/").json() == [
        {"code": "GIFT-CUP", "name": "保温杯", "kind": "gift", "points": 3_000, "stock": 7}]


@pytest.mark.smoke
def test_redeeming_spends_points_and_stock_together(customer_api, subscriber):
    RewardFactory(code="GIFT-CUP", points=3_000, stock=7)

    response = redeem(customer_api, "GIFT-CUP", quantity=2)

    assert response.status_code == 201
    body = response.json()
    assert (body["points_spent"], body["points_left"]) == (6_000, 12_680 - 6_000)
    assert (points(subscriber), stock("GIFT-CUP")) == (6_680, 5)


def test_too_few_points_refuses_and_changes_nothing(customer_api, subscriber):
    RewardFactory(code="GIFT-BT", points=12_681, stock=7)

    assert_api_error(redeem(customer_api, "GIFT-BT"), 409, "insufficient_points")
    assert (points(subscriber), stock("GIFT-BT"), Redemption.objects.count()) == (12_680, 7, 0)


def test_out_of_stock_refuses_and_gives_the_points_back(customer_api, subscriber):
    RewardFactory(code="GIFT-PB", points=100, stock=1)

    assert_api_error(redeem(customer_api, "GIFT-PB", quantity=2), 409, "out_of_stock")
    assert (points(subscriber), stock("GIFT-PB")) == (12_680, 1)


def test_a_retry_with_the_same_key_redeems_once(customer_api, subscriber):
    RewardFactory(code="GIFT-CUP", points=3_000, stock=7)
    first = redeem(customer_api, "GIFT-CUP", key="tap-1").json()

    again = redeem(customer_api, "GIFT-CUP", key="tap-1")

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert (points(subscriber), stock("GIFT-CUP"), Redemption.objects.count()) == (9_680, 6, 1)


def test_a_key_reused_for_another_reward_is_refused(customer_api, subscriber):
    RewardFactory(code="A1", points=10)
    RewardFactory(code="A2", points=10)
    redeem(customer_api, "A1", key="k")

    assert_api_error(redeem(customer_api, "A2", key="k"), 409, "idempotency_key_reused")


def test_a_bill_credit_reward_tops_up_the_balance(customer_api, subscriber):
    RewardFactory(code="HF10", kind=RewardKind.BILL_CREDIT, points=1_000, stock=100, credit_fen=1_000)

    redeem(customer_api, "HF10")

    assert Subscriber.objects.get(pk=subscriber.pk).balance_fen == 12_880 + 1_000


def test_a_data_reward_is_on_this_months_usage(customer_api, subscriber):
    RewardFactory(code="LL100", kind=RewardKind.DATA, points=800, stock=100, data_kb=100 * KB_PER_MB)

    redeem(customer_api, "LL100")

    usage = get_carrier().usage(subscriber.msisdn, month_of(Redemption.objects.get().created_at))
    assert [(a.source, a.total_kb) for a in usage.data][1] == ("LL100", 100 * KB_PER_MB)


def test_an_unknown_reward_is_refused(customer_api):
    assert_api_error(redeem(customer_api, "NOPE"), 400, "unknown_reward")


@pytest.mark.parametrize("quantity", [0, 100, "x"])
def test_a_bad_quantity_is_refused(customer_api, quantity):
    assert_api_error(redeem(customer_api, "X", quantity=quantity), 400, "validation_error")


def test_the_history_lists_redemptions_newest_first(customer_api, subscriber):
    RewardFactory(code="A1", points=10)
    RewardFactory(code="A2", points=10)
    redeem(customer_api, "A1")
    redeem(customer_api, "A2")

    body = customer_api.get("/api/v1/me/redemptions/").json()

    assert body["count"] == 2
    assert [r["reward"] for r in body["results"]] == ["A2", "A1"]


def test_options_on_the_redemptions_describes_the_redeem_form(customer_api, subscriber):
    response = customer_api.options("/api/v1/me/redemptions/")

    assert response.status_code == 200
    assert "reward" in response.json()["actions"]["POST"]
