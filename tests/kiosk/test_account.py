"""The customer's account: /me/, bills, data usage, data packs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk.carrier.errors import SubscriberNotFound
from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.models import PackPurchase, Subscriber, UsageMonth
from kiosk.carrier.rules import KB_PER_MB, month_of
from kiosk.models import SelfServiceAction
from kiosk.services import usage_record
from tests.api_errors import assert_api_error

from .conftest import customer_client
from .factories import PlanFactory, SubscriberFactory, bills_for

MB = KB_PER_MB
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_me_shows_the_account_with_a_masked_name(customer_api, subscriber):
    body = customer_api.get("/api/v1/me/").json()

    assert set(body) == {"phone", "name_masked", "balance_fen", "plan", "points"}
    assert (body["phone"], body["name_masked"]) == ("13800138000", "张*")
    assert (body["balance_fen"], body["points"]) == (12_880, 12_680)
    assert body["plan"]["data_kb"] == 300 * MB


def test_me_for_a_phone_without_an_account_is_not_found(db):
    client = customer_client("15912345678")

    assert_api_error(client.get("/api/v1/me/"), 404, "subscriber_not_found")


def test_reading_the_account_is_logged(customer_api, subscriber):
    customer_api.get("/api/v1/me/")

    action = SelfServiceAction.objects.get()
    assert (action.action, action.phone, action.result, action.channel) == (
        "account_view", "13800138000", "ok", "api")


def test_bills_of_the_last_six_months_newest_first_with_items(customer_api, subscriber):
    bills_for(subscriber, months=8)

    bills = customer_api.get("/api/v1/me/bills/").json()

    assert len(bills) == 6
    assert [b["month"] for b in bills] == sorted((b["month"] for b in bills), reverse=True)
    assert bills[0]["items"][0] == {"name": "套餐及固定费", "amount_fen": 8_800}
    assert bills[0]["total_fen"] == sum(i["amount_fen"] for i in bills[0]["items"])


def test_bills_for_fewer_months(customer_api, subscriber):
    bills_for(subscriber, months=6)

    assert len(customer_api.get("/api/v1/me/bills/", {"months": 2}).json()) == 2


@pytest.mark.parametrize("months", [0, 13, "x"])
def test_bills_for_a_bad_number_of_months_is_refused(customer_api, months):
    assert_api_error(customer_api.get("/api/v1/me/bills/", {"months": months}), 400, "validation_error")


def test_usage_shows_the_plan_with_amounts_percentages_and_wlan(customer_api, subscriber):
    usage_record(msisdn=subscriber.msisdn, data_kb=180 * MB, wlan_minutes=200)

    body = customer_api.get("/api/v1/me/usage/").json()

    assert body["data"] == [{
        "source": "plan", "name": subscriber.plan.name, "total_kb": 300 * MB, "used_kb": 180 * MB,
        "left_kb": 120 * MB, "percent_left": 40,
    }]
    assert (body["wlan_minutes_left"], body["wlan_minutes_total"]) == (400, 600)
    assert body["month"] == month_of(datetime.now(SHANGHAI))
    assert body["overage_fen_per_mb"] == 100


def test_data_packs_are_g5_to_g50_as_the_carrier_publishes(api, db):
    packs = api.get("/api/v1/data-packs/").json()

    assert [(p["code"], p["price_fen"], p["data_kb"]) for p in packs] == [
        ("G5", 500, 30 * MB), ("G10", 1_000, 70 * MB), ("G20", 2_000, 150 * MB),
        ("G30", 3_000, 280 * MB), ("G50", 5_000, 500 * MB),
    ]
    assert {p["overage_fen_per_mb"] for p in packs} == {100}


@pytest.mark.smoke
def test_a_bought_pack_is_on_this_months_usage_and_paid_from_the_balance(customer_api, subscriber):
    response = customer_api.post("/api/v1/me/data-packs/", {"code": "G10"}, format="json")

    assert response.status_code == 201
    assert response.json()["balance_fen"] == 12_880 - 1_000
    data = customer_api.get("/api/v1/me/usage/").json()["data"]
    assert data[1] == {"source": "G10", "name": "10元70M国内流量包", "total_kb": 70 * MB, "used_kb": 0,
                       "left_kb": 70 * MB, "percent_left": 100}


def test_a_pack_needs_enough_balance(customer_api, subscriber):
    Subscriber.objects.update(balance_fen=499)

    assert_api_error(customer_api.post("/api/v1/me/data-packs/", {"code": "G5"}, format="json"), 409,
                     "insufficient_balance")
    assert PackPurchase.objects.count() == 0


def test_an_unknown_pack_is_refused(customer_api, subscriber):
    assert_api_error(customer_api.post("/api/v1/me/data-packs/", {"code": "G15"}, format="json"), 400,
                     "unknown_pack")


def buy_pack(client, code, key):
    return client.post("/api/v1/me/data-packs/", {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_pack_bought_again_with_the_same_idempotency_key_is_bought_once(customer_api, subscriber):
    first = buy_pack(customer_api, "G10", "pack-1")

    again = buy_pack(customer_api, "G10", "pack-1")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert PackPurchase.objects.count() == 1
    assert Subscriber.objects.get().balance_fen == 12_880 - 1_000


def test_the_same_idempotency_key_for_another_pack_is_refused(customer_api, subscriber):
    buy_pack(customer_api, "G10", "pack-1")

    response = buy_pack(customer_api, "G20", "pack-1")

    assert_api_error(response, 409, "idempotency_key_reused")
    assert PackPurchase.objects.count() == 1


def test_another_customers_idempotency_key_is_not_theirs(customer_api, subscriber):
    SubscriberFactory(msisdn="13900139000", balance_fen=10_000)
    buy_pack(customer_api, "G10", "pack-1")

    response = buy_pack(customer_client("13900139000"), "G10", "pack-1")

    assert response.status_code == 201
    assert PackPurchase.objects.count() == 2


def test_data_fills_the_plan_then_the_packs_then_counts_as_overage(subscriber):
    at = datetime(2026, 11, 10, 12, tzinfo=SHANGHAI)
    get_carrier().data_pack_buy(subscriber.msisdn, "G5", at=at)

    usage_record(msisdn=subscriber.msisdn, data_kb=300 * MB + 30 * MB + 2 * MB + 1, at=at)

    usage = get_carrier().usage(subscriber.msisdn, "2026-11")
    assert [(a.source, a.left_kb) for a in usage.data] == [("plan", 0), ("G5", 0)]
    assert usage.overage_kb == 2 * MB + 1
    assert usage.overage_fen == 300  # each MB begun: 3 MB at 1 yuan


def test_usage_of_another_month_starts_from_nothing(subscriber):
    usage_record(msisdn=subscriber.msisdn, data_kb=10 * MB, at=datetime(2026, 10, 31, 23, tzinfo=SHANGHAI))

    usage = get_carrier().usage(subscriber.msisdn, "2026-11")

    assert usage.data[0].used_kb == 0
    assert UsageMonth.objects.get().month == "2026-10"


def test_usage_of_a_customer_without_a_data_plan_lists_no_plan(db):
    person = SubscriberFactory(plan=PlanFactory(code="SZX", data_kb=0, wlan_minutes=0))
    usage_record(msisdn=person.msisdn, data_kb=3 * MB)

    body = customer_client(person.msisdn).get("/api/v1/me/usage/").json()

    assert body["data"] == []
    assert (body["overage_kb"], body["overage_fen"], body["wlan_minutes_left"]) == (3 * MB, 300, 0)


def test_usage_for_an_unknown_number_is_refused(db):
    with pytest.raises(SubscriberNotFound):
        usage_record(msisdn="15912345678", data_kb=1)
