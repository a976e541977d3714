"""Fulfilment outside locks: a paid order is claimed in a short transaction,
the carrier is called with no transaction open and the order number as its
reference, and the result is recorded after. Exactly once, however many
workers, sweeps and callbacks race; a claim whose worker died is taken over.

The carrier is the outside system: here the local carrier, watched through
the gateway the product owns."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.local import LocalCarrier
from kiosk.carrier.models import BalanceCredit, NumberStatus, PhoneNumber, Subscriber
from kiosk.models import Order, OrderStatus
from kiosk.payments import SandboxProvider
from kiosk.services import (
    Origin,
    number_hold,
    number_purchase,
    order_fulfil,
    orders_fulfil_paid,
    orders_refund_failed,
    payment_callback,
)
from kiosk.services.orders import FULFIL_CLAIM_TIMEOUT, topup_create

from .factories import PhoneNumberFactory, SubscriberFactory

WEB = Origin()
NUMBER = "13783718888"


class WatchedCarrier(LocalCarrier):
    """The local carrier, noting each fulfilment call: its reference, and
    whether a transaction of this project was open on the caller's connection."""

    def __init__(self):
        self.calls = []
        self.fail_next = None

    def _note(self, method: str, reference: str) -> None:
        self.calls.append((method, reference, connection.in_atomic_block))
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure

    def topup_credit(self, msisdn, amount_fen, *, reference):
        self._note("topup_credit", reference)
        return super().topup_credit(msisdn, amount_fen, reference=reference)

    def number_activate(self, msisdn, *, order_no, **kwargs):
        self._note("number_activate", order_no)
        return super().number_activate(msisdn, order_no=order_no, **kwargs)


@pytest.fixture
def carrier(settings):
    settings.CARRIER_GATEWAY = f"{__name__}.WatchedCarrier"
    watched = get_carrier()
    watched.calls.clear()
    watched.fail_next = None
    return watched


def pay(order: Order, txn_id: str = "TXN-1") -> Order:
    body = json.dumps({"order_no": order.order_no, "amount_fen": order.amount_fen, "txn_id": txn_id}).encode()
    return payment_callback(raw_body=body, headers={"X-Sandbox-Signature": SandboxProvider.sign(body)})


def paid_top_up(*, balance_fen=0, paid_at=None) -> Order:
    person = SubscriberFactory(balance_fen=balance_fen)
    order, _ = topup_create(msisdn=person.msisdn, amount_fen=5_000, requester="kiosk:1", origin=WEB)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=paid_at or timezone.now())
    return Order.objects.get(pk=order.pk)


def balance(order: Order) -> int:
    return Subscriber.objects.get(msisdn=order.msisdn).balance_fen


# --- No transaction open while the carrier works -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_paid_top_up_is_credited_with_no_transaction_open(carrier, celery_eager):
    person = SubscriberFactory(balance_fen=1_000)
    order, _ = topup_create(msisdn=person.msisdn, amount_fen=5_000, requester="kiosk:1", origin=WEB)

    pay(order)  # commits; the fulfilment task runs after commit, in place

    assert carrier.calls == [("topup_credit", order.order_no, False)]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
    assert Subscriber.objects.get(pk=person.pk).balance_fen == 6_000


@pytest.mark.django_db(transaction=True)
def test_a_paid_number_is_activated_with_no_transaction_open(carrier, celery_eager):
    PhoneNumberFactory(msisdn=NUMBER)
    hold = number_hold(msisdn=NUMBER, holder="kiosk:1", origin=WEB)
    order = number_purchase(msisdn=NUMBER, holder="kiosk:1", hold_token=hold.hold_token, origin=WEB)

    pay(order)

    assert carrier.calls == [("number_activate", order.order_no, False)]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
    assert PhoneNumber.objects.get(msisdn=NUMBER).status == NumberStatus.SOLD


# --- Exactly once ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_workers_fulfilling_one_order_at_once_call_the_carrier_once(on_postgres, carrier):
    order = paid_top_up()
    barrier = threading.Barrier(20)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=30)
            order_fulfil(order_id=order.pk)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert carrier.calls == [("topup_credit", order.order_no, False)]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
    assert balance(order) == 5_000


def test_an_order_being_fulfilled_by_another_worker_is_left_to_it(db, carrier):
    order = paid_top_up()
    Order.objects.filter(pk=order.pk).update(fulfil_claim="another-worker", fulfil_claimed_at=timezone.now())

    again = order_fulfil(order_id=order.pk)

    assert (again.status, carrier.calls, balance(order)) == (OrderStatus.PAID, [], 0)


def test_a_claim_whose_worker_died_is_picked_up_again_by_the_sweep(db, carrier):
    now = timezone.now()
    order = paid_top_up(paid_at=now - timedelta(minutes=5))
    Order.objects.filter(pk=order.pk).update(
        fulfil_claim="dead-worker", fulfil_claimed_at=now - FULFIL_CLAIM_TIMEOUT - timedelta(seconds=1)
    )

    done = orders_fulfil_paid(now=now)

    assert done == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
    assert [reference for _, reference, _ in carrier.calls] == [order.order_no]
    assert balance(order) == 5_000


def test_the_sweep_leaves_a_claim_within_its_timeout_alone(db, carrier):
    now = timezone.now()
    order = paid_top_up(paid_at=now - timedelta(minutes=5))
    Order.objects.filter(pk=order.pk).update(fulfil_claim="busy-worker", fulfil_claimed_at=now - timedelta(seconds=30))

    assert orders_fulfil_paid(now=now) == 0
    assert (Order.objects.get(pk=order.pk).status, carrier.calls) == (OrderStatus.PAID, [])


def test_a_worker_that_died_after_the_carrier_credited_leaves_one_credit(db, carrier):
    now = timezone.now()
    order = paid_top_up(paid_at=now - timedelta(minutes=5))
    # The worker claimed the order, the carrier credited it, and the worker died before recording that.
    Order.objects.filter(pk=order.pk).update(fulfil_claim="dead-worker", fulfil_claimed_at=now - timedelta(minutes=3))
    get_carrier().topup_credit(order.msisdn, order.amount_fen, reference=order.order_no)

    orders_fulfil_paid(now=now)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
    assert [ref for _, ref, _ in carrier.calls] == [order.order_no, order.order_no]
    assert balance(order) == 5_000
    assert BalanceCredit.objects.filter(reference=order.order_no).count() == 1


def test_a_carrier_that_cannot_be_reached_gives_the_claim_back_for_the_retry(db, carrier):
    order = paid_top_up()
    carrier.fail_next = ConnectionError("carrier unreachable")

    with pytest.raises(ConnectionError):
        order_fulfil(order_id=order.pk)
    failed = Order.objects.get(pk=order.pk)
    retried = order_fulfil(order_id=order.pk)

    assert (failed.status, failed.fulfil_claim, failed.fulfil_claimed_at) == (OrderStatus.PAID, "", None)
    assert retried.status == OrderStatus.FULFILLED
    assert balance(order) == 5_000


# --- The local carrier is idempotent by reference too -------------------------------------------


def test_crediting_the_same_reference_twice_credits_once(db):
    person = SubscriberFactory(balance_fen=1_000)
    carrier = LocalCarrier()

    first = carrier.topup_credit(person.msisdn, 5_000, reference="T1")
    second = carrier.topup_credit(person.msisdn, 5_000, reference="T1")

    assert (first, second) == (6_000, 6_000)


def test_activating_a_number_again_for_the_same_order_changes_nothing(db):
    PhoneNumberFactory(msisdn=NUMBER)
    carrier = LocalCarrier()
    now = timezone.now()

    carrier.number_activate(NUMBER, order_no="N1", balance_fen=5_000, at=now)
    carrier.number_activate(NUMBER, order_no="N1", balance_fen=5_000, at=now)

    assert Subscriber.objects.get(msisdn=NUMBER).balance_fen == 5_000
    assert PhoneNumber.objects.get(msisdn=NUMBER).sold_for == "N1"


# --- Orders that keep failing ------------------------------------------------------------


class RefundingProvider(SandboxProvider):
    """The sandbox provider, noting refunds; its refunds fail while `failing`."""

    refunded: list = []
    failing = False

    def refund(self, order) -> None:
        if RefundingProvider.failing:
            raise ConnectionError("provider unreachable")
        RefundingProvider.refunded.append(order.order_no)


@pytest.fixture
def provider(settings):
    settings.PAYMENT_PROVIDER = f"{__name__}.RefundingProvider"
    RefundingProvider.refunded, RefundingProvider.failing = [], False
    return RefundingProvider


def failed_top_up() -> Order:
    order = paid_top_up()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.FAILED, failure_reason="carrier_refused")
    return Order.objects.get(pk=order.pk)


def test_a_failed_order_whose_refund_errored_is_refunded_by_the_sweep(db, provider):
    order = failed_top_up()

    refunded = orders_refund_failed()

    assert refunded == 1
    assert provider.refunded == [order.order_no]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED


def test_a_refund_that_keeps_failing_is_parked_with_an_alert(db, provider, settings, caplog):
    settings.ORDER_MAX_ATTEMPTS = 3
    provider.failing = True
    order = failed_top_up()

    for _ in range(4):
        orders_refund_failed()

    order.refresh_from_db()
    assert order.parked_at is not None
    assert order.status == OrderStatus.FAILED
    assert [r for r in caplog.records if r.levelname == "ERROR" and order.order_no in r.getMessage()]


def test_a_parked_order_is_left_alone_by_the_sweeps(db, provider):
    order = failed_top_up()
    Order.objects.filter(pk=order.pk).update(parked_at=timezone.now())

    assert orders_refund_failed() == 0
    assert provider.refunded == []


def test_a_fulfilment_that_keeps_raising_is_parked_instead_of_retried_for_ever(db, carrier, settings, caplog):
    settings.ORDER_MAX_ATTEMPTS = 2
    order = paid_top_up(paid_at=timezone.now() - timedelta(minutes=1))

    for _ in range(2):
        carrier.fail_next = RuntimeError("unexpected")
        orders_fulfil_paid()
    carrier.fail_next = RuntimeError("unexpected")
    orders_fulfil_paid()

    order.refresh_from_db()
    assert order.parked_at is not None
    assert len(carrier.calls) == 2
    assert [r for r in caplog.records if r.levelname == "ERROR" and order.order_no in r.getMessage()]


def test_a_fulfilment_that_fails_once_is_retried(db, carrier, settings):
    settings.ORDER_MAX_ATTEMPTS = 2
    order = paid_top_up(paid_at=timezone.now() - timedelta(minutes=1))
    carrier.fail_next = RuntimeError("unexpected")
    orders_fulfil_paid()

    orders_fulfil_paid()

    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
