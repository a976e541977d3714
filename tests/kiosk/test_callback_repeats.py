"""Payment callbacks sent again, at the same time, or after the order moved
on: the second changes nothing. (A plain repeat, a second transaction for a
paid order and a payment after expiry are in test_orders.py and
test_numbers.py; twenty fulfilments at once in test_fulfilment.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kiosk.models import Order, OrderStatus, Payment
from kiosk.services import number_hold, number_orders_expire, number_purchase
from tests.threads import run_in_threads

from .factories import PhoneNumberFactory
from .test_orders import WEB, balance, callback, topup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_callback_ten_times_at_once_credits_once(on_postgres, subscriber, celery_eager):
    order_no = topup(APIClient()).json()["order_no"]

    results, errors = run_in_threads(10, lambda i: callback(APIClient(), order_no, 5_000, txn_id="TXN-1"))

    assert not errors and [r.status_code for r in results] == [200] * 10
    assert Payment.objects.filter(order__order_no=order_no).count() == 1
    assert Order.objects.get(order_no=order_no).status == OrderStatus.FULFILLED
    assert balance() == 12_880 + 5_000


def test_different_transactions_for_one_order_at_once_credit_once(on_postgres, subscriber, celery_eager):
    order_no = topup(APIClient()).json()["order_no"]

    results, errors = run_in_threads(5, lambda i: callback(APIClient(), order_no, 5_000, txn_id=f"TXN-{i}"))

    assert not errors and [r.status_code for r in results] == [200] * 5
    payments = Payment.objects.filter(order__order_no=order_no)
    assert (payments.count(), payments.filter(is_duplicate=False).count()) == (5, 1)  # the others kept for refund
    assert balance() == 12_880 + 5_000


@pytest.mark.parametrize("state", [OrderStatus.REFUNDED, OrderStatus.FAILED, OrderStatus.FULFILLED])
def test_a_callback_for_an_order_that_moved_on_changes_nothing(subscriber, celery_eager, state):
    order_no = topup(APIClient()).json()["order_no"]
    Order.objects.filter(order_no=order_no).update(status=state, paid_at=timezone.now())

    response = callback(APIClient(), order_no, 5_000, txn_id="LATE-1")

    assert response.status_code == 200
    assert Order.objects.get(order_no=order_no).status == state
    assert Payment.objects.get(txn_id="LATE-1").is_duplicate  # kept, to be refunded by hand
    assert balance() == 12_880


def test_a_callback_for_an_expired_order_sent_twice_refunds_once(db, celery_eager):
    PhoneNumberFactory(msisdn="13783718888")
    start = timezone.now()
    hold = number_hold(msisdn="13783718888", holder="kiosk:1", origin=WEB, now=start)
    order = number_purchase(msisdn="13783718888", holder="kiosk:1", hold_token=hold.hold_token, origin=WEB, now=start)
    number_orders_expire(now=start + timedelta(minutes=16))

    first = callback(APIClient(), order.order_no, order.amount_fen, txn_id="LATE-1")
    again = callback(APIClient(), order.order_no, order.amount_fen, txn_id="LATE-1")

    assert (first.status_code, again.status_code) == (200, 200)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Payment.objects.filter(order=order).count() == 1
