"""Top-up, orders, the sandbox payment callback and fulfilment (exactly once)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.carrier.models import PhoneNumber, Subscriber
from kiosk.models import Order, OrderStatus, Payment, SelfServiceAction
from kiosk.payments import SandboxProvider
from kiosk.services import (
    Origin,
    number_hold,
    number_purchase,
    order_fulfil,
    orders_fulfil_paid,
    payment_callback,
    topup_create,
)
from tests.api_errors import assert_api_error

from .factories import PhoneNumberFactory

WEB = Origin(client="10.0.0.9")


def topup(client, msisdn="13800138000", amount_fen=5_000, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return client.post("/api/v1/topups/", {"msisdn": msisdn, "amount_fen": amount_fen}, format="json",
                       headers=headers)


def signed(body: dict, secret_ok=True) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, SandboxProvider.sign(raw) if secret_ok else "0" * 64


def callback(client, order_no, amount_fen, txn_id="TXN-1", signature=None):
    raw, good = signed({"order_no": order_no, "amount_fen": amount_fen, "txn_id": txn_id})
    return client.post("/api/v1/payments/sandbox/callback/", raw, content_type="application/json",
                       headers={"X-Sandbox-Signature": signature or good})


def balance(msisdn="13800138000") -> int:
    return Subscriber.objects.get(msisdn=msisdn).balance_fen


@pytest.fixture
def paying(celery_eager, django_capture_on_commit_callbacks):
    """Payment callbacks whose fulfilment task runs after commit, as the worker would."""

    def pay(client, order_no, amount_fen, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return callback(client, order_no, amount_fen, **kwargs)

    return pay


# --- Top-up -----------------------------------------------------------------------------


def test_anyone_tops_up_a_number_and_sees_the_masked_name(api, subscriber):
    response = topup(api)

    assert response.status_code == 201
    body = response.json()
    assert {"order_no", "status", "amount_fen", "pay_url", "name_masked"} <= set(body)
    assert (body["status"], body["amount_fen"], body["name_masked"]) == ("created", 5_000, "张*")
    assert body["pay_url"].startswith("http://testserver/pay/sandbox/")


def test_the_kiosk_looks_up_the_masked_name_and_the_amounts_before_paying(kiosk_api, subscriber):
    body = kiosk_api.get("/api/v1/topups/account/", {"msisdn": "13800138000"}).json()

    assert body["name_masked"] == "张*"
    assert (body["min_fen"], body["max_fen"]) == (100, 500_000)
    assert 5_000 in body["presets_fen"]


@pytest.mark.parametrize("amount", [0, 99, 500_001, -100])
def test_an_amount_outside_1_to_5000_yuan_is_refused(api, subscriber, amount):
    error = assert_api_error(topup(api, amount_fen=amount), 400, "validation_error")

    assert "amount_fen" in error["fields"]


def test_the_limits_themselves_are_allowed(api, subscriber):
    assert topup(api, amount_fen=100).status_code == 201
    assert topup(api, amount_fen=500_000).status_code == 201


def test_topping_up_a_number_that_is_not_a_subscriber_is_not_found(api, db):
    assert_api_error(topup(api, msisdn="15912345678"), 404, "subscriber_not_found")


def test_top_ups_count_against_the_name_lookup_limit_and_write_no_order_past_it(api, subscriber, settings):
    settings.TOPUP_LOOKUP_LIMIT = 2
    topup(api)
    topup(api)

    assert_api_error(topup(api), 429, "rate_limited")
    assert Order.objects.count() == 2


def test_a_retried_top_up_is_not_counted_against_the_limit(kiosk_api, subscriber, settings):
    settings.TOPUP_LOOKUP_LIMIT = 1
    first = topup(kiosk_api, key="tap-1").json()

    again = topup(kiosk_api, key="tap-1")

    assert (again.status_code, again.json()["order_no"]) == (201, first["order_no"])


def test_the_same_idempotency_key_returns_the_same_order(kiosk_api, subscriber):
    first = topup(kiosk_api, key="tap-1").json()

    again = topup(kiosk_api, key="tap-1")

    assert again.status_code == 201
    assert again.json()["order_no"] == first["order_no"]
    assert Order.objects.count() == 1


def test_an_idempotency_key_reused_for_another_amount_is_refused(kiosk_api, subscriber):
    topup(kiosk_api, key="tap-1")

    assert_api_error(topup(kiosk_api, amount_fen=10_000, key="tap-1"), 409, "idempotency_key_reused")


def test_another_kiosks_key_is_its_own(subscriber):
    first, _ = topup_create(msisdn="13800138000", amount_fen=5_000, requester="kiosk:1", idempotency_key="k",
                            origin=WEB)
    second, _ = topup_create(msisdn="13800138000", amount_fen=5_000, requester="kiosk:2", idempotency_key="k",
                             origin=WEB)

    assert first.pk != second.pk


def test_a_top_up_at_a_kiosk_is_logged_with_the_kiosk(kiosk_api, kiosk, subscriber):
    topup(kiosk_api)

    action = SelfServiceAction.objects.get(action="topup_create")
    assert (action.kiosk, action.result, action.detail["msisdn"]) == (kiosk, "ok", "138****8000")


def test_an_order_is_read_by_its_number(api, subscriber):
    order_no = topup(api).json()["order_no"]

    body = api.get(f"/api/v1/orders/{order_no}/").json()

    assert {"order_no", "kind", "status", "amount_fen", "created_at", "paid_at"} <= set(body)
    assert (body["kind"], body["status"], body["paid_at"]) == ("topup", "created", None)


def test_an_unknown_order_is_not_found(api, db):
    assert_api_error(api.get("/api/v1/orders/T0000/"), 404, "not_found")


# --- The callback -------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_paid_top_up_credits_the_balance(api, subscriber, paying):
    order_no = topup(api).json()["order_no"]

    response = paying(api, order_no, 5_000)

    assert response.status_code == 200
    order = Order.objects.get()
    assert (order.status, balance()) == (OrderStatus.FULFILLED, 12_880 + 5_000)
    assert order.paid_at and order.fulfilled_at
    assert api.get(f"/api/v1/orders/{order_no}/").json()["status"] == "fulfilled"


def test_a_repeated_callback_changes_nothing_and_answers_200(api, subscriber, paying):
    order_no = topup(api).json()["order_no"]
    paying(api, order_no, 5_000)

    again = paying(api, order_no, 5_000)

    assert again.status_code == 200
    assert (balance(), Payment.objects.count()) == (12_880 + 5_000, 1)


def test_a_second_transaction_for_a_paid_order_is_kept_but_credits_nothing(api, subscriber, paying):
    order_no = topup(api).json()["order_no"]
    paying(api, order_no, 5_000, txn_id="TXN-1")

    paying(api, order_no, 5_000, txn_id="TXN-2")

    assert balance() == 12_880 + 5_000
    assert Payment.objects.get(txn_id="TXN-2").is_duplicate


def test_a_bad_signature_is_refused_with_403(api, subscriber):
    order_no = topup(api).json()["order_no"]

    assert_api_error(callback(api, order_no, 5_000, signature="f" * 64), 403, "bad_signature")
    assert Order.objects.get().status == OrderStatus.CREATED


def test_a_missing_signature_is_refused_with_403(api, subscriber):
    order_no = topup(api).json()["order_no"]
    raw = json.dumps({"order_no": order_no, "amount_fen": 5_000, "txn_id": "T"}).encode()

    response = api.post("/api/v1/payments/sandbox/callback/", raw, content_type="application/json")

    assert_api_error(response, 403, "bad_signature")


def test_a_payment_that_does_not_match_the_amount_is_refused(api, subscriber):
    order_no = topup(api).json()["order_no"]

    assert_api_error(callback(api, order_no, 4_999), 409, "amount_mismatch")
    assert (Order.objects.get().status, Payment.objects.count()) == (OrderStatus.CREATED, 0)


def test_a_callback_for_an_unknown_order_is_not_found(api, db):
    assert_api_error(callback(api, "T1", 5_000), 404, "not_found")


def test_a_transaction_id_of_another_order_is_refused(api, subscriber, paying):
    first = topup(api).json()["order_no"]
    second = topup(api).json()["order_no"]
    paying(api, first, 5_000, txn_id="SAME")

    assert_api_error(callback(api, second, 5_000, txn_id="SAME"), 409, "txn_conflict")


def test_a_signed_but_malformed_callback_is_refused_with_400(api, db):
    raw = b'{"order_no": "T1", "amount_fen": "many"}'

    response = api.post("/api/v1/payments/sandbox/callback/", raw, content_type="application/json",
                        headers={"X-Sandbox-Signature": SandboxProvider.sign(raw)})

    assert_api_error(response, 400, "validation_error")


def test_paying_starts_fulfilment_after_commit(api, subscriber, django_capture_on_commit_callbacks):
    order_no = topup(api).json()["order_no"]

    with django_capture_on_commit_callbacks() as callbacks:
        callback(api, order_no, 5_000)

    assert len(callbacks) == 1
    assert (Order.objects.get().status, balance()) == (OrderStatus.PAID, 12_880)


def test_fulfilling_twice_credits_once(api, subscriber):
    order_no = topup(api).json()["order_no"]
    callback(api, order_no, 5_000)  # paid; its task is never run here
    order = Order.objects.get(order_no=order_no)

    order_fulfil(order_id=order.pk)
    order_fulfil(order_id=order.pk)

    assert balance() == 12_880 + 5_000


def test_the_sweep_fulfils_a_paid_order_whose_task_was_lost(api, subscriber):
    order_no = topup(api).json()["order_no"]
    callback(api, order_no, 5_000)

    done = orders_fulfil_paid(now=timezone.now() + timedelta(seconds=10))

    assert done == 1
    assert (Order.objects.get().status, balance()) == (OrderStatus.FULFILLED, 12_880 + 5_000)


def test_the_sweep_leaves_a_just_paid_order_to_its_task(api, subscriber):
    order_no = topup(api).json()["order_no"]
    callback(api, order_no, 5_000)

    assert orders_fulfil_paid(now=timezone.now()) == 0


def test_the_sandbox_pay_button_pays_when_debugging(api, subscriber, settings, celery_eager,
                                                    django_capture_on_commit_callbacks):
    settings.DEBUG = True
    order_no = topup(api).json()["order_no"]

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/payments/sandbox/{order_no}/pay/")

    assert response.json()["status"] == "paid"
    assert (Order.objects.get().status, balance()) == (OrderStatus.FULFILLED, 12_880 + 5_000)


def test_the_sandbox_pay_button_is_not_found_in_production(api, subscriber, settings):
    settings.DEBUG = False
    order_no = topup(api).json()["order_no"]

    assert_api_error(api.post(f"/api/v1/payments/sandbox/{order_no}/pay/"), 404, "not_found")


# --- Number orders -------------------------------------------------------------------------


def _number_order(msisdn="13783718888", holder="kiosk:1", now=None):
    PhoneNumberFactory(msisdn=msisdn)
    hold = number_hold(msisdn=msisdn, holder=holder, origin=WEB, now=now)
    return number_purchase(msisdn=msisdn, holder=holder, hold_token=hold.hold_token, origin=WEB, now=now)


@pytest.mark.smoke
def test_a_paid_number_is_sold_and_activated_with_its_credit(api, db, paying):
    order = _number_order()

    paying(api, order.order_no, order.amount_fen)

    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert PhoneNumber.objects.get(msisdn="13783718888").status == "sold"
    assert Subscriber.objects.get(msisdn="13783718888").balance_fen == order.amount_fen


def test_a_number_bought_by_someone_else_meanwhile_is_refunded(api, db, paying):
    start = timezone.now() - timedelta(minutes=40)
    late = _number_order(now=start)
    # The first buyer's hold ended; another kiosk held, bought and paid for the number.
    hold = number_hold(msisdn="13783718888", holder="kiosk:2", origin=WEB)
    winner = number_purchase(msisdn="13783718888", holder="kiosk:2", hold_token=hold.hold_token, origin=WEB)
    paying(api, winner.order_no, winner.amount_fen, txn_id="W")

    paying(api, late.order_no, late.amount_fen, txn_id="L")

    late.refresh_from_db()
    assert late.status == OrderStatus.REFUNDED
    assert "number_unavailable" in late.failure_reason
    assert Order.objects.get(pk=winner.pk).status == OrderStatus.FULFILLED


def test_a_callback_body_is_verified_as_sent(subscriber):
    order, _ = topup_create(msisdn="13800138000", amount_fen=5_000, requester="x", origin=WEB)
    raw, signature = signed({"order_no": order.order_no, "amount_fen": 5_000, "txn_id": "A"})

    with pytest.raises(Exception) as refused:
        payment_callback(raw_body=raw + b" ", headers={"X-Sandbox-Signature": signature})

    assert getattr(refused.value, "code", "") == "bad_signature"
