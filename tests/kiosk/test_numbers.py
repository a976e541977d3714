"""Choosing a new number: browse, hold (15 minutes, hidden from everyone else), buy."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kiosk.carrier.errors import HoldInvalid, NumberUnavailable
from kiosk.carrier.models import NumberHold, NumberStatus, PhoneNumber
from kiosk.carrier.number_patterns import number_patterns, number_tier
from kiosk.models import Order, SelfServiceAction
from kiosk.services import (
    Origin,
    holds_release_expired,
    number_hold,
    number_orders_expire,
    number_purchase,
    sandbox_pay,
)
from sms.models import SmsMessage
from tests.api_errors import assert_api_error

from .conftest import customer_client
from .factories import KioskDeviceFactory, PhoneNumberFactory

WEB = Origin()


def msisdns(response) -> list[str]:
    return [n["msisdn"] for n in response.json()["results"]]


@pytest.fixture
def stock(db):
    numbers = ["13783710001", "13783718888", "13783711888", "13783713344", "13783715656", "13783711234",
               "13837100520", "15037195208", "15037199999"]
    return {m: PhoneNumberFactory(msisdn=m) for m in numbers}


@pytest.mark.parametrize(("msisdn", "patterns", "tier"), [
    ("13783711122", {"aabb", "no4"}, "silver"),
    ("13783715656", {"abab", "no4"}, "silver"),
    ("13783711234", {"abcd"}, "silver"),
    ("13783711888", {"tail3", "no4"}, "silver"),
    ("13783718888", {"tail3", "tail4", "no4"}, "gold"),
    ("15037199999", {"tail3", "tail4", "no4"}, "diamond"),
    ("13783710001", {"no4"}, "normal"),
    ("13783710041", set(), "normal"),
])
def test_patterns_and_tiers_are_read_from_the_digits(msisdn, patterns, tier):
    assert (number_patterns(msisdn), number_tier(msisdn)) == (patterns, tier)


def test_the_stock_lists_numbers_with_tier_and_deposit_paginated(api, stock):
    body = api.get("/api/v1/numbers/", {"page_size": 2}).json()

    assert body["count"] == len(stock)
    assert body["next"]
    first = body["results"][0]
    assert {"msisdn", "tier", "deposit_fen"} <= set(first)
    assert first == {**first, "msisdn": "13783710001", "tier": "normal", "deposit_fen": 0}


def test_a_gold_number_carries_a_deposit_and_minimum_spend(api, stock):
    number = api.get("/api/v1/numbers/", {"tier": "gold"}).json()["results"]

    assert [(n["msisdn"], n["deposit_fen"], n["min_monthly_fen"]) for n in number] == [("13783718888", 50_000, 12_800)]


@pytest.mark.parametrize(("query", "expected"), [
    ({"prefix": "1503"}, ["15037195208", "15037199999"]),
    ({"pattern": "*888"}, ["13783711888", "13783718888"]),
    ({"pattern": "*520*"}, ["13837100520", "15037195208"]),
    ({"ends_with": "1234"}, ["13783711234"]),
    ({"contains": "0520"}, ["13837100520"]),
    ({"pattern": "aabb"}, ["13783713344"]),
    ({"pattern": "abab"}, ["13783715656"]),
    ({"pattern": "abcd"}, ["13783711234"]),
    ({"pattern": "tail3"}, ["13783711888", "13783718888", "15037199999"]),
    ({"pattern": "tail4", "prefix": "137"}, ["13783718888"]),
])
def test_the_stock_is_searched_by_prefix_and_pattern(api, stock, query, expected):
    assert msisdns(api.get("/api/v1/numbers/", query)) == expected


def test_no4_leaves_out_every_number_with_a_4(api, stock):
    found = msisdns(api.get("/api/v1/numbers/", {"pattern": "no4"}))

    assert found and all("4" not in m for m in found)
    assert "13783713344" not in found


@pytest.mark.parametrize("query", [{"pattern": "fancy"}, {"prefix": "13a"}, {"tier": "platinum"}, {"pattern": "8*8"}])
def test_a_bad_search_is_refused(api, db, query):
    assert_api_error(api.get("/api/v1/numbers/", query), 400, "validation_error")


@pytest.mark.smoke
def test_a_held_number_is_hidden_from_every_other_kiosk(kiosk_api, api, stock):
    response = kiosk_api.post("/api/v1/numbers/13783718888/hold/")

    assert response.status_code == 201
    assert set(response.json()) >= {"hold_token", "expires_at"}
    assert "13783718888" not in msisdns(api.get("/api/v1/numbers/", {"page_size": 100}))
    other = KioskDeviceFactory(token="other-kiosk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Kiosk other-kiosk")
    assert_api_error(client.post("/api/v1/numbers/13783718888/hold/"), 409, "number_unavailable")
    assert other.pk


def test_a_hold_lasts_fifteen_minutes(kiosk_api, stock):
    before = timezone.now()

    expires = kiosk_api.post("/api/v1/numbers/13783718888/hold/").json()["expires_at"]

    hold = NumberHold.objects.get()
    assert timedelta(minutes=15) <= hold.expires_at - before < timedelta(minutes=15, seconds=5)
    assert expires


def test_the_same_holder_asking_again_gets_the_same_hold(kiosk_api, stock):
    first = kiosk_api.post("/api/v1/numbers/13783718888/hold/").json()

    again = kiosk_api.post("/api/v1/numbers/13783718888/hold/")

    assert again.status_code == 201
    assert again.json() == first


def test_a_customer_may_hold_a_number(db, stock):
    client = customer_client("15912345678")

    assert client.post("/api/v1/numbers/13783718888/hold/").status_code == 201


def test_holding_needs_a_kiosk_or_a_customer(api, stock):
    assert_api_error(api.post("/api/v1/numbers/13783718888/hold/"), 401, "not_authenticated")


def test_holding_an_unknown_number_is_not_found(kiosk_api, stock):
    assert_api_error(kiosk_api.post("/api/v1/numbers/13900000000/hold/"), 404, "not_found")


def test_an_ended_hold_puts_the_number_back_on_the_next_read(api, stock):
    start = timezone.now() - timedelta(minutes=16)
    number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    assert "13783718888" in msisdns(api.get("/api/v1/numbers/", {"page_size": 100}))


def test_an_ended_hold_may_be_taken_by_someone_else(stock):
    start = timezone.now()
    number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    hold = number_hold(msisdn="13783718888", holder="kiosk:2", origin=WEB, now=start + timedelta(minutes=15))

    assert NumberHold.objects.get().holder == "kiosk:2"
    assert hold.hold_token == NumberHold.objects.get().token


def test_the_sweep_returns_ended_holds_to_stock(stock):
    start = timezone.now()
    number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    released = holds_release_expired(now=start + timedelta(minutes=15, seconds=1))

    assert released == 1
    assert PhoneNumber.objects.get(msisdn="13783718888").status == NumberStatus.AVAILABLE
    assert not NumberHold.objects.exists()


def test_the_sweep_leaves_live_holds_alone(stock):
    start = timezone.now()
    number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    assert holds_release_expired(now=start + timedelta(minutes=14)) == 0


def test_buying_a_held_number_makes_an_order_for_deposit_and_opening_credit(kiosk_api, stock, settings):
    token = kiosk_api.post("/api/v1/numbers/13783718888/hold/").json()["hold_token"]

    response = kiosk_api.post("/api/v1/numbers/13783718888/purchase/", {"hold_token": token}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount_fen"]) == ("created", 50_000 + settings.NUMBER_PREPAY_FEN)
    assert "/pay/sandbox/" in body["pay_url"] and body["order_no"] in body["pay_url"]
    assert Order.objects.get().kind == "number"


def test_buying_again_with_the_same_hold_gives_the_same_order(kiosk_api, stock):
    token = kiosk_api.post("/api/v1/numbers/13783718888/hold/").json()["hold_token"]
    first = kiosk_api.post("/api/v1/numbers/13783718888/purchase/", {"hold_token": token}, format="json").json()

    again = kiosk_api.post("/api/v1/numbers/13783718888/purchase/", {"hold_token": token}, format="json").json()

    assert again["order_no"] == first["order_no"]
    assert Order.objects.count() == 1


def test_someone_elses_hold_cannot_be_bought(kiosk_api, stock):
    token = kiosk_api.post("/api/v1/numbers/13783718888/hold/").json()["hold_token"]
    thief = customer_client("15912345678")

    response = thief.post("/api/v1/numbers/13783718888/purchase/", {"hold_token": token}, format="json")

    assert_api_error(response, 409, "hold_invalid")


def test_an_ended_hold_cannot_be_bought(stock):
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    with pytest.raises(HoldInvalid):
        number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB,
                        now=start + timedelta(minutes=15, seconds=1))


def test_a_wrong_hold_token_cannot_buy(kiosk_api, stock):
    kiosk_api.post("/api/v1/numbers/13783718888/hold/")

    response = kiosk_api.post("/api/v1/numbers/13783718888/purchase/", {"hold_token": "guess"}, format="json")

    assert_api_error(response, 409, "hold_invalid")


def test_a_released_number_is_back_in_stock(kiosk_api, api, stock):
    kiosk_api.post("/api/v1/numbers/13783718888/hold/")

    assert kiosk_api.post("/api/v1/numbers/13783718888/release/").status_code == 204
    assert "13783718888" in msisdns(api.get("/api/v1/numbers/", {"page_size": 100}))


def test_a_sold_number_cannot_be_held(stock):
    PhoneNumber.objects.filter(msisdn="13783718888").update(status=NumberStatus.SOLD)

    with pytest.raises(NumberUnavailable):
        number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB)


# --- Holding numbers for ever -------------------------------------------------------------


def test_a_holder_may_hold_no_more_numbers_than_the_cap(kiosk_api, stock, settings):
    settings.NUMBER_HOLDS_PER_HOLDER = 2
    kiosk_api.post("/api/v1/numbers/13783718888/hold/")
    kiosk_api.post("/api/v1/numbers/13783711888/hold/")

    response = kiosk_api.post("/api/v1/numbers/15037199999/hold/")

    assert_api_error(response, 409, "number_hold_limit")
    assert PhoneNumber.objects.get(msisdn="15037199999").status == NumberStatus.AVAILABLE


def test_asking_again_for_a_number_already_held_is_not_counted_against_the_cap(kiosk_api, stock, settings):
    settings.NUMBER_HOLDS_PER_HOLDER = 1
    first = kiosk_api.post("/api/v1/numbers/13783718888/hold/").json()

    again = kiosk_api.post("/api/v1/numbers/13783718888/hold/")

    assert again.status_code == 201
    assert again.json() == first


def test_an_ended_hold_does_not_count_against_the_cap(stock, settings):
    settings.NUMBER_HOLDS_PER_HOLDER = 1
    start = timezone.now()
    number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    hold = number_hold(msisdn="13783711888", holder="kiosk:1", origin=WEB, now=start + timedelta(minutes=16))

    assert hold.hold_token


def test_buying_again_does_not_make_the_hold_last_longer(stock):
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)
    number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB, now=start)
    expires = NumberHold.objects.get().expires_at

    number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB,
                    now=start + timedelta(minutes=10))

    assert NumberHold.objects.get().expires_at == expires


def test_a_number_bought_late_in_its_hold_is_kept_long_enough_to_pay_once(stock, settings):
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)

    number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB,
                    now=start + timedelta(minutes=14))

    assert NumberHold.objects.get().expires_at == start + timedelta(minutes=14, seconds=settings.NUMBER_HOLD_SECONDS)


def test_an_unpaid_number_order_expires_and_its_number_goes_back_to_stock(api, stock):
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)
    order = number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB, now=start)

    expired = number_orders_expire(now=start + timedelta(minutes=15, seconds=1))

    assert expired == 1
    order.refresh_from_db()
    assert order.status == "expired"
    assert PhoneNumber.objects.get(msisdn="13783718888").status == NumberStatus.AVAILABLE
    assert not NumberHold.objects.exists()


def test_an_unpaid_number_order_within_its_time_is_left_alone(stock):
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)
    order = number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB, now=start)

    assert number_orders_expire(now=start + timedelta(minutes=14)) == 0
    order.refresh_from_db()
    assert order.status == "created"


def test_a_payment_arriving_after_the_order_expired_is_refunded(stock, celery_eager, django_capture_on_commit_callbacks):
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)
    order = number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB, now=start)
    number_orders_expire(now=start + timedelta(minutes=16))

    with django_capture_on_commit_callbacks(execute=True):
        sandbox_pay(order_no=order.order_no)

    order.refresh_from_db()
    assert order.status == "refunded"
    assert PhoneNumber.objects.get(msisdn="13783718888").status == NumberStatus.AVAILABLE


def test_a_contact_phone_given_when_buying_a_number_is_never_texted(stock):
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB)

    number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, contact_phone="13912345678",
                    origin=WEB)

    assert not SmsMessage.objects.filter(to="13912345678").exists()


def test_the_action_log_keeps_a_customer_holders_phone_masked(db, stock):
    number_hold(msisdn="13783718888", holder="customer:13912345678", origin=WEB)

    action = SelfServiceAction.objects.get(action="number_hold")

    assert "13912345678" not in str(action.detail)
    assert action.detail["holder"] == "customer:139****5678"
