"""The sandbox pay page (/pay/sandbox/{order_no}/): what a customer's phone
opens from the QR code on a kiosk's pay screen."""

from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from kiosk import pay_views
from kiosk.models import Order, OrderStatus
from kiosk.services import Origin, topup_create

WEB = Origin(client="10.0.0.9")


@pytest.fixture
def sandbox(settings):
    """A DEBUG run paying through the sandbox provider (the default provider)."""
    settings.DEBUG = True
    settings.PAYMENT_PROVIDER = "kiosk.payments.SandboxProvider"


@pytest.fixture
def order(subscriber):
    order, _ = topup_create(msisdn=subscriber.msisdn, amount_fen=5_000, requester="client:10.0.0.9", origin=WEB)
    return order


def page(order_no):
    return Client().get(f"/pay/sandbox/{order_no}/")


def test_the_sandbox_pay_url_of_an_order_is_this_page(order):
    match = resolve(urlparse(order.detail["pay_url"]).path)

    assert match.func is pay_views.sandbox_pay_page
    assert match.kwargs == {"order_no": order.order_no}


def test_the_page_shows_the_order_masked_and_the_button_that_pays_it(sandbox, order):
    response = page(order.order_no)

    assert response.status_code == 200
    html = response.content.decode()
    assert "138****8000" in html
    assert "13800138000" not in html
    assert "¥50.00" in html
    assert "缴费充值" in html and "待支付" in html
    assert 'data-phase="open"' in html
    assert f'data-pay-api="/api/v1/payments/sandbox/{order.order_no}/pay/"' in html
    assert "确认支付" in html


def test_a_paid_order_says_it_is_already_paid(sandbox, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.FULFILLED, paid_at=timezone.now())

    html = page(order.order_no).content.decode()

    assert 'data-phase="paid"' in html
    assert "此订单已支付" in html


def test_a_refunded_order_is_closed(sandbox, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED, paid_at=timezone.now())

    html = page(order.order_no).content.decode()

    assert 'data-phase="closed"' in html
    assert "已退款" in html


def test_an_unknown_order_is_a_friendly_not_found_page(sandbox, db):
    response = page("T2099010100000000000001")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "没有找到这笔订单" in response.content.decode()


def test_an_order_number_that_could_not_be_one_is_not_found_without_asking_the_database(
    sandbox, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = page("T2026%00x")

    assert response.status_code == 404


def test_the_page_does_not_exist_with_debug_off(settings, order):
    settings.DEBUG = False

    response = page(order.order_no)

    assert response.status_code == 404
    assert "确认支付" not in response.content.decode()


def test_the_page_does_not_exist_with_another_payment_provider(sandbox, settings, order):
    settings.PAYMENT_PROVIDER = "acme.payments.CardProvider"  # never loaded: the page only compares

    response = page(order.order_no)

    assert response.status_code == 404
    assert "确认支付" not in response.content.decode()


def test_the_page_is_not_cached(sandbox, order):
    response = page(order.order_no)

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
