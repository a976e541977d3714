"""Races on PostgreSQL with real threads: a number is sold once, points and
stock never go below zero, a payment is credited once."""

import json
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from kiosk.carrier.errors import HoldLimitReached, InsufficientPoints, NumberUnavailable, OutOfStock
from kiosk.carrier.models import NumberHold, NumberStatus, PackPurchase, PhoneNumber, Redemption, Reward, Subscriber
from kiosk.models import Order, OrderStatus, Payment
from kiosk.payments import SandboxProvider
from kiosk.services import (
    Origin,
    data_pack_buy,
    holds_release_expired,
    number_hold,
    number_purchase,
    order_fulfil,
    payment_callback,
    points_redeem,
    topup_create,
)
from tests.threads import run_in_threads

from .factories import PhoneNumberFactory, RewardFactory, SubscriberFactory

WEB = Origin()
NUMBER = "13783718888"


def pay(order: Order, txn_id: str) -> Order:
    body = json.dumps({"order_no": order.order_no, "amount_fen": order.amount_fen, "txn_id": txn_id}).encode()
    return payment_callback(raw_body=body, headers={"X-Sandbox-Signature": SandboxProvider.sign(body)})


@pytest.mark.django_db(transaction=True)
def test_fifty_kiosks_racing_for_one_number_hold_it_once(on_postgres):
    PhoneNumberFactory(msisdn=NUMBER)

    results, errors = run_in_threads(50, lambda i: number_hold(msisdn=NUMBER, holder=f"kiosk:{i}", origin=WEB))

    assert len(results) == 1
    assert len(errors) == 49 and all(isinstance(e, NumberUnavailable) for e in errors)


@pytest.mark.django_db(transaction=True)
def test_one_kiosk_holding_eight_numbers_at_once_gets_no_more_than_its_cap(on_postgres, settings):
    settings.NUMBER_HOLDS_PER_HOLDER = 2
    numbers = [PhoneNumberFactory(msisdn=f"1378371000{i}").msisdn for i in range(8)]

    results, errors = run_in_threads(8, lambda i: number_hold(msisdn=numbers[i], holder="kiosk:1", origin=WEB))

    assert len(results) == 2
    assert len(errors) == 6 and all(isinstance(e, HoldLimitReached) for e in errors)
    assert NumberHold.objects.filter(holder="kiosk:1").count() == 2


@pytest.mark.django_db(transaction=True)
def test_fifty_paid_orders_racing_for_one_number_sell_it_once(on_postgres, celery_eager):
    # Fifty kiosks each held the number in turn (each hold ended before the
    # next) and placed an order; now all fifty payments arrive at once.
    PhoneNumberFactory(msisdn=NUMBER)
    start = timezone.now() - timedelta(minutes=16 * 51)
    orders = []
    for i in range(50):
        at = start + timedelta(minutes=16 * i)
        hold = number_hold(msisdn=NUMBER, holder=f"kiosk:{i}", origin=WEB, now=at)
        orders.append(number_purchase(msisdn=NUMBER, holder=f"kiosk:{i}", hold_token=hold.hold_token, origin=WEB,
                                      now=at))

    results, errors = run_in_threads(50, lambda i: pay(orders[i], f"TXN-{i}"))

    assert errors == []
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses.count(OrderStatus.FULFILLED) == 1
    assert statuses.count(OrderStatus.REFUNDED) == 49
    assert PhoneNumber.objects.get(msisdn=NUMBER).status == NumberStatus.SOLD
    assert Subscriber.objects.filter(msisdn=NUMBER).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overdraw_the_stock(on_postgres):
    person = SubscriberFactory(points=100_000)
    RewardFactory(code="GIFT-PB", points=1_000, stock=5)

    results, errors = run_in_threads(
        20, lambda i: points_redeem(phone=person.msisdn, reward_code="GIFT-PB", origin=WEB))

    assert len(results) == 5
    assert len(errors) == 15 and all(isinstance(e, OutOfStock) for e in errors)
    assert Reward.objects.get(code="GIFT-PB").stock == 0
    assert Subscriber.objects.get(pk=person.pk).points == 100_000 - 5 * 1_000


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overdraw_the_points(on_postgres):
    person = SubscriberFactory(points=3_500)
    RewardFactory(code="HF10", points=1_000, stock=100)

    results, errors = run_in_threads(20, lambda i: points_redeem(phone=person.msisdn, reward_code="HF10", origin=WEB))

    assert len(results) == 3
    assert len(errors) == 17 and all(isinstance(e, InsufficientPoints) for e in errors)
    assert Subscriber.objects.get(pk=person.pk).points == 500
    assert Reward.objects.get(code="HF10").stock == 97


@pytest.mark.django_db(transaction=True)
def test_one_redemption_retried_at_once_redeems_once(on_postgres):
    person = SubscriberFactory(points=100_000)
    RewardFactory(code="GIFT-CUP", points=3_000, stock=50)

    results, errors = run_in_threads(16, lambda i: points_redeem(
        phone=person.msisdn, reward_code="GIFT-CUP", idempotency_key="tap-1", origin=WEB).id)

    assert errors == []
    assert len(set(results)) == 1
    assert Redemption.objects.count() == 1
    assert Subscriber.objects.get(pk=person.pk).points == 97_000


@pytest.mark.django_db(transaction=True)
def test_a_payment_callback_sent_twenty_times_at_once_credits_once(on_postgres, celery_eager):
    person = SubscriberFactory(balance_fen=1_000)
    order, _ = topup_create(msisdn=person.msisdn, amount_fen=5_000, requester="kiosk:1", origin=WEB)

    results, errors = run_in_threads(20, lambda i: pay(order, "TXN-1").status)

    assert errors == []
    assert Subscriber.objects.get(pk=person.pk).balance_fen == 6_000
    assert Payment.objects.count() == 1
    assert Order.objects.get().status == OrderStatus.FULFILLED


@pytest.mark.django_db(transaction=True)
def test_fulfilment_run_twenty_times_at_once_credits_once(on_postgres):
    person = SubscriberFactory(balance_fen=0)
    order, _ = topup_create(msisdn=person.msisdn, amount_fen=5_000, requester="kiosk:1", origin=WEB)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=timezone.now())

    results, errors = run_in_threads(20, lambda i: order_fulfil(order_id=order.pk).status)

    assert errors == []
    assert Subscriber.objects.get(pk=person.pk).balance_fen == 5_000


@pytest.mark.django_db(transaction=True)
def test_one_top_up_retried_at_once_makes_one_order(on_postgres):
    person = SubscriberFactory()

    results, errors = run_in_threads(16, lambda i: topup_create(
        msisdn=person.msisdn, amount_fen=5_000, requester="kiosk:1", idempotency_key="tap-1", origin=WEB)[0].pk)

    assert errors == []
    assert len(set(results)) == 1
    assert Order.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_hold_sweep_skips_a_number_locked_elsewhere_and_releases_the_others_at_once(on_postgres):
    start = timezone.now() - timedelta(minutes=20)
    numbers = [PhoneNumberFactory(msisdn=f"1378371000{i}").msisdn for i in range(4)]
    for i, msisdn in enumerate(numbers):
        number_hold(msisdn=msisdn, holder=f"kiosk:{i}", origin=WEB, now=start)  # all four holds have ended
    busy = numbers[0]
    db = connection.settings_dict
    # Another process is settling the first number (a buyer's fulfilment, a
    # holder's retry): it holds the number's row lock, in a transaction left open.
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                         host=db["HOST"] or None, port=db["PORT"] or None) as other:
        other.execute(f"SELECT id FROM {PhoneNumber._meta.db_table} WHERE msisdn = %s FOR UPDATE", [busy])

        with transaction.atomic():
            # Waiting for that lock would fail after a second, instead of hanging the test.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            released = holds_release_expired()

        other.rollback()

    assert released == 3
    statuses = dict(PhoneNumber.objects.values_list("msisdn", "status"))
    assert statuses == {busy: NumberStatus.HELD, **{m: NumberStatus.AVAILABLE for m in numbers[1:]}}
    assert holds_release_expired() == 1  # the next sweep gets the one skipped


@pytest.mark.django_db(transaction=True)
def test_eight_retries_of_one_pack_purchase_at_once_buy_it_once(on_postgres):
    SubscriberFactory(msisdn="13800138000", balance_fen=10_000)

    results, errors = run_in_threads(8, lambda i: data_pack_buy(
        phone="13800138000", code="G10", idempotency_key="pack-1", origin=WEB))

    assert errors == []
    assert len(results) == 8 and len(set(results)) == 1
    assert PackPurchase.objects.count() == 1
    assert Subscriber.objects.get().balance_fen == 9_000
