"""The kiosk's top-up (充值缴费) in Chromium: any number, no code; the masked
name to confirm, the amount, a QR code paid on a phone (the sandbox pay page),
then success and the receipt. Portrait 1080x1920 unless said."""

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from kiosk.carrier.models import Subscriber
from kiosk.models import Order, OrderStatus, Payment
from kiosk.services.orders import order_fulfil
from tests.browser.conftest import act
from tests.browser.kiosk_helpers import (
    LANDSCAPE,
    current_screen,
    open_kiosk,
    press_digits,
    screen,
    wait_until,
)
from tests.kiosk.factories import SubscriberFactory

MSISDN = "13800138000"
BALANCE = 12_880


@pytest.fixture
def holder(transactional_db):
    return SubscriberFactory(msisdn=MSISDN, name="张伟", balance_fen=BALANCE)


def enter_number(page, msisdn=MSISDN):
    page.click('[data-go="topup"]')
    expect(screen(page, "topup")).to_be_visible()
    press_digits(page, "topup-msisdn", msisdn)


def look_up(page, msisdn=MSISDN):
    enter_number(page, msisdn)
    page.click("[data-topup-lookup]")
    expect(screen(page, "topup-amount")).to_be_visible()


def confirm(page):
    page.click("[data-topup-confirm]")
    expect(page.locator("[data-confirm]")).to_be_visible()
    page.click("[data-confirm-yes]")


def order_to_pay(page, preset_fen=5_000):
    look_up(page)
    page.click(f'[data-topup-preset="{preset_fen}"]')
    confirm(page)
    expect(screen(page, "topup-pay")).to_be_visible()
    return Order.objects.get(msisdn=MSISDN)


def pay_url(page) -> str:
    src = screen(page, "topup-pay").locator('[data-topup-slot="qr"] img').get_attribute("src")
    return parse_qs(urlparse(src).query)["data"][0]


def balance() -> int:
    return Subscriber.objects.get(msisdn=MSISDN).balance_fen


def test_a_top_up_goes_from_home_to_the_receipt_and_credits_the_balance_once(new_page, holder, screenshot):
    page, kiosk = open_kiosk(new_page)

    enter_number(page)
    screenshot(page, "kiosk-topup-number")
    page.click("[data-topup-lookup]")
    amount = screen(page, "topup-amount")
    expect(amount).to_be_visible()
    expect(amount.locator('[data-topup-slot="msisdn"]')).to_have_text("138 0013 8000")
    expect(amount.locator('[data-topup-slot="name"]')).to_have_text("张*")
    page.click('[data-topup-preset="5000"]')
    expect(amount.locator('[data-topup-preset="5000"]')).to_have_attribute("aria-pressed", "true")
    expect(amount.locator("[data-topup-confirm]")).to_contain_text("¥50.00")
    screenshot(page, "kiosk-topup-amount")
    confirm(page)

    pay = screen(page, "topup-pay")
    expect(pay).to_be_visible()
    order = Order.objects.get(msisdn=MSISDN)
    assert (order.amount_fen, order.kiosk_id, order.status) == (5_000, kiosk.pk, OrderStatus.CREATED)
    expect(pay.locator('[data-topup-slot="pay-amount"]')).to_have_text("¥50.00")
    expect(pay.locator('[data-topup-slot="pay-who"]')).to_contain_text("138****8000")
    expect(pay).to_contain_text("请用手机扫码支付")
    url = pay_url(page)
    assert url.endswith(f"/pay/sandbox/{order.order_no}/")
    screenshot(page, "kiosk-topup-pay")

    phone = new_page(390, 844)
    phone.goto(url)
    expect(phone.locator("[data-pay-amount]")).to_have_text("¥50.00")
    expect(phone.locator("[data-pay-msisdn]")).to_have_text("138****8000")
    screenshot(phone, "pay-sandbox")
    phone.locator("[data-pay]").click()
    expect(phone.get_by_text("支付成功")).to_be_visible()
    wait_until(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.PAID)
    act(order_fulfil, order_id=order.pk)  # the Celery worker's part

    done = screen(page, "topup-done")
    expect(done).to_be_visible(timeout=8_000)
    expect(done.locator("[data-topup-ok]")).to_contain_text("充值成功")
    expect(done.locator('[data-topup-slot="done-status"] .t-zh')).to_have_text("已完成")
    expect(done.locator('[data-topup-slot="print-status"] .t-zh')).to_have_text("请取走您的凭条")
    assert page.evaluate("window.qmsKiosk.state.printed") == [
        {"kind": "order", "ref": order.order_no, "via": "browser"}
    ]
    receipt = page.locator("[data-print-area] [data-receipt]")
    expect(receipt.locator("[data-receipt-headline]")).to_have_text("¥50.00")
    expect(receipt).to_contain_text(order.order_no)
    expect(receipt).to_contain_text("138****8000")
    screenshot(page, "kiosk-topup-done")
    assert balance() == BALANCE + 5_000
    assert (Order.objects.count(), Payment.objects.count()) == (1, 1)


def test_an_amount_outside_the_limits_is_refused_before_anything_is_ordered(new_page, holder):
    page, _ = open_kiosk(new_page)
    look_up(page)

    press_digits(page, "topup-yuan", "10000")
    page.click("[data-topup-confirm]")

    error = screen(page, "topup-amount").locator("[data-error]")
    expect(error).to_be_visible()
    expect(error.locator(".t-zh")).to_have_text("充值金额须在 ¥1.00 至 ¥5000.00 之间")
    expect(page.locator("[data-confirm]")).to_be_hidden()
    assert current_screen(page) == "topup-amount"
    assert not Order.objects.exists()


def test_an_unknown_number_shows_the_apis_message(new_page, holder):
    page, _ = open_kiosk(new_page)
    enter_number(page, "13912345678")

    page.click("[data-topup-lookup]")

    error = screen(page, "topup").locator("[data-error]")
    expect(error).to_be_visible()
    expect(error.locator(".t-zh")).to_have_text("该号码不是本网有效用户")
    expect(error.locator(".t-en")).to_have_text("This number is not an active subscriber.")
    assert current_screen(page) == "topup"


def test_an_answer_lost_on_the_way_is_retried_into_the_same_order(new_page, holder):
    page, _ = open_kiosk(new_page)
    look_up(page)
    page.click('[data-topup-preset="3000"]')
    lost = []

    def lose_the_first_answer(route):
        route.fetch()  # the server makes the order...
        if not lost:
            lost.append(route.request.headers["idempotency-key"])
            route.abort()  # ...but the kiosk never hears back
        else:
            route.continue_()

    page.route("**/api/v1/topups/", lose_the_first_answer)
    confirm(page)
    expect(screen(page, "topup-amount").locator("[data-error]")).to_be_visible()
    confirm(page)

    expect(screen(page, "topup-pay")).to_be_visible()
    order = Order.objects.get()
    assert (order.amount_fen, order.idempotency_key) == (3_000, lost[0])
    assert pay_url(page).endswith(f"/pay/sandbox/{order.order_no}/")


def test_the_amount_screen_fits_a_landscape_kiosk(new_page, holder, screenshot):
    page, _ = open_kiosk(new_page, width=LANDSCAPE[0], height=LANDSCAPE[1])
    look_up(page)
    page.click('[data-topup-preset="10000"]')

    footer_top = page.locator(".k-bottom").bounding_box()["y"]
    for part in ["[data-topup-confirm]", '[data-numpad-host="topup-yuan"]', '[data-topup-preset="50000"]']:
        box = screen(page, "topup-amount").locator(part).bounding_box()
        assert box["y"] + box["height"] <= footer_top, part
    pad = page.locator('[data-numpad-host="topup-yuan"]').bounding_box()
    presets = page.locator('[data-topup-slot="presets"]').bounding_box()
    assert pad["x"] > presets["x"] + presets["width"]  # side by side
    screenshot(page, "kiosk-topup-amount-landscape")


def test_going_idle_on_the_pay_screen_returns_home_and_forgets_the_top_up(new_page, holder):
    page, _ = open_kiosk(new_page)
    look_up(page)
    press_digits(page, "topup-yuan", "88")
    confirm(page)
    expect(screen(page, "topup-pay")).to_be_visible()

    page.evaluate("window.qmsKiosk.setIdleSeconds(2, 1)")

    page.wait_for_function("window.qmsKiosk.state.screen === 'home'", timeout=8_000)
    html = page.evaluate("document.body.innerHTML")
    for trace in [MSISDN, "138 0013 8000", "138****8000", "张*", "¥88.00", Order.objects.get().order_no]:
        assert trace not in html, trace
    assert page.locator('[data-topup-slot="qr"] img').count() == 0


def test_cancel_on_the_pay_screen_goes_home_leaves_the_order_unpaid_and_stops_asking(new_page, holder):
    page, _ = open_kiosk(new_page)
    order = order_to_pay(page)
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v1/orders/" in request.url else None)
    page.wait_for_event("request", lambda request: "/api/v1/orders/" in request.url)

    page.click("[data-topup-cancel]")

    assert current_screen(page) == "home"
    asked_before = len(asked)
    page.wait_for_timeout(2_500)  # longer than the 2 s between two polls
    assert len(asked) == asked_before
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CREATED


def test_a_refunded_top_up_says_the_money_went_back_and_prints_nothing(new_page, holder):
    page, _ = open_kiosk(new_page)
    order = order_to_pay(page)

    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED, paid_at=order.created_at)

    done = screen(page, "topup-done")
    expect(done).to_be_visible(timeout=8_000)
    expect(done.locator('[data-topup-slot="fail"] .t-zh')).to_have_text("充值未成功，款项已原路退回")
    expect(done.locator("[data-topup-ok]")).to_be_hidden()
    assert page.evaluate("window.qmsKiosk.state.printed") == []
    assert balance() == BALANCE


def test_a_failed_print_offers_to_print_again(new_page, holder):
    page, _ = open_kiosk(new_page)
    order = order_to_pay(page)
    page.route("**/receipt/order/**", lambda route: route.fulfill(status=503, body="offline"))

    act(lambda: Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=order.created_at))
    act(order_fulfil, order_id=order.pk)

    done = screen(page, "topup-done")
    expect(done).to_be_visible(timeout=8_000)
    expect(done.locator('[data-topup-slot="print-status"] .t-zh')).to_have_text("打印失败")
    page.unroute("**/receipt/order/**")
    done.locator("[data-topup-reprint]").click()
    expect(done.locator('[data-topup-slot="print-status"] .t-zh')).to_have_text("请取走您的凭条")
    assert page.evaluate("window.qmsKiosk.state.printed") == [
        {"kind": "order", "ref": order.order_no, "via": "browser"}
    ]
