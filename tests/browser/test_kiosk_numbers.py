"""The kiosk's number selection (选号入网): search the stock, hold a number,
buy it, pay on the phone, print the receipt; a hold is given back whenever
the customer leaves without buying."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from kiosk import services
from kiosk.carrier.models import NumberHold, NumberStatus, PhoneNumber
from kiosk.models import Order
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
from tests.kiosk.factories import KioskDeviceFactory, PhoneNumberFactory

GOLD_8888 = "13837108888"
STOCK = (
    GOLD_8888, "18237168888",  # ending with 8888 (gold)
    "13837101122", "13937123355", "13837107788",  # AABB (silver)
    "13837105678",  # ABCD (silver)
    "15037190235", "13837100269", "13937120517",  # ordinary
)
AABB = {"13837101122", "13937123355", "13837107788"}


@pytest.fixture
def stock(transactional_db):
    return [PhoneNumberFactory(msisdn=msisdn) for msisdn in STOCK]


def results(page):
    return screen(page, "numbers").locator("[data-num-results] [data-msisdn]")


def listed(page) -> set[str]:
    return set(results(page).evaluate_all("buttons => buttons.map(b => b.dataset.msisdn)"))


def open_numbers(page, expected=None):
    """From home to the number list, showing the whole stock (or `expected` numbers)."""
    page.locator('[data-go="numbers"]').click()
    expect(results(page)).to_have_count(len(STOCK) if expected is None else expected)


def hold(page, msisdn):
    results(page).and_(page.locator(f'[data-msisdn="{msisdn}"]')).click()
    expect(screen(page, "number-held")).to_be_visible()


def number_status(msisdn) -> str:
    return act(lambda: PhoneNumber.objects.get(msisdn=msisdn).status)


def test_searching_by_ending_digits_lists_only_the_numbers_ending_with_them(new_page, stock, screenshot):
    page, _ = open_kiosk(new_page)
    open_numbers(page)

    page.locator("[data-num-digits]").click()
    press_digits(page, "number-digits", "8888")
    page.locator("[data-num-pad-done]").click()

    expect(results(page)).to_have_count(2)
    assert listed(page) == {GOLD_8888, "18237168888"}
    expect(results(page).first.locator(".is-match")).to_have_text("8888")
    expect(screen(page, "numbers").locator("[data-num-count]")).to_contain_text("共 2 个号码可选")
    screenshot(page, "kiosk-numbers-search")


def test_searching_by_a_pattern_lists_only_numbers_of_that_pattern(new_page, stock):
    page, _ = open_kiosk(new_page)
    open_numbers(page)

    screen(page, "numbers").locator('[data-num-pattern="aabb"]').click()

    expect(results(page)).to_have_count(len(AABB))
    assert listed(page) == AABB


def test_the_prefix_filter_offers_the_blocks_in_stock(new_page, stock):
    page, _ = open_kiosk(new_page)
    open_numbers(page)
    prefixes = screen(page, "numbers").locator("[data-num-prefixes] [data-num-prefix]")
    expect(prefixes).to_have_count(5)

    assert prefixes.all_inner_texts()[1:] == ["138", "139", "150", "182"]
    prefixes.filter(has_text="139").click()
    expect(results(page)).to_have_count(2)
    assert listed(page) == {"13937123355", "13937120517"}


def test_more_numbers_come_a_page_at_a_time(new_page, stock):
    for n in range(20):
        PhoneNumberFactory(msisdn=f"1503719{n:04d}")
    page, _ = open_kiosk(new_page)
    open_numbers(page, expected=24)
    more = screen(page, "numbers").locator("[data-num-more]")
    expect(screen(page, "numbers").locator("[data-num-count]")).to_contain_text("共 29 个号码可选")

    more.click()

    expect(results(page)).to_have_count(len(STOCK) + 20)
    expect(more).to_be_hidden()


def test_a_held_number_is_not_listed_on_another_kiosk_of_the_hall(new_page, stock):
    page, kiosk = open_kiosk(new_page)
    other, _ = open_kiosk(new_page, kiosk.outlet, token="second-kiosk-token")
    open_numbers(page)

    hold(page, "13837101122")
    open_numbers(other, expected=len(STOCK) - 1)

    assert "13837101122" not in listed(other)
    assert number_status("13837101122") == NumberStatus.HELD


def test_a_number_taken_by_another_kiosk_meanwhile_is_refused_and_leaves_the_list(new_page, stock):
    page, kiosk = open_kiosk(new_page)
    open_numbers(page)
    other = act(KioskDeviceFactory, outlet=kiosk.outlet)
    act(services.number_hold, msisdn="13837101122", holder=services.holder_for_kiosk(other.pk),
        origin=services.Origin.for_kiosk(other.pk))

    results(page).and_(page.locator('[data-msisdn="13837101122"]')).click()

    error = screen(page, "numbers").locator("[data-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("该号码已被选走")
    expect(results(page)).to_have_count(len(STOCK) - 1)
    assert "13837101122" not in listed(page)
    assert current_screen(page) == "numbers"


def test_a_number_is_bought_from_home_to_the_receipt_and_ends_sold(new_page, stock, screenshot):
    page, _ = open_kiosk(new_page)
    open_numbers(page)

    hold(page, GOLD_8888)
    held = screen(page, "number-held")
    expect(held.locator("[data-num-held-number]")).to_have_text("138 3710 8888")
    expect(held.locator("[data-num-held-terms]")).to_contain_text("¥500.00")
    expect(held.locator("[data-num-countdown]")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    press_digits(page, "number-contact", "13800138000")
    screenshot(page, "kiosk-numbers-held")
    held.locator("[data-num-buy]").click()

    pay = screen(page, "number-pay")
    expect(pay).to_be_visible()
    expect(pay.locator("[data-num-pay-amount]")).to_contain_text("¥550.00")  # ¥500 deposit + ¥50 opening credit
    qr = pay.locator("[data-num-pay-qr] img")
    pay_url = parse_qs(urlparse(qr.get_attribute("src")).query)["data"][0]
    order = act(lambda: Order.objects.get(msisdn=GOLD_8888))
    assert pay_url.endswith(f"/pay/sandbox/{order.order_no}/")
    screenshot(page, "kiosk-numbers-pay")

    phone = new_page(390, 844)
    phone.goto(pay_url)
    phone.locator("[data-pay]").click()
    wait_until(lambda: act(lambda: Order.objects.get(pk=order.pk).status) == "paid")
    act(order_fulfil, order_id=order.pk)  # the Celery worker's part

    done = screen(page, "number-done")
    expect(done).to_be_visible(timeout=15_000)
    expect(done).to_contain_text("号码已开通")
    expect(done.locator("[data-num-done-number]")).to_have_text("138 3710 8888")
    expect(done.locator("[data-num-print-status]")).to_contain_text("请取走您的凭条")
    assert page.evaluate("window.qmsKiosk.state.printed") == [
        {"kind": "order", "ref": order.order_no, "via": "browser"}
    ]
    assert number_status(GOLD_8888) == NumberStatus.SOLD
    assert act(lambda: Order.objects.get(pk=order.pk).customer_phone) == "13800138000"
    screenshot(page, "kiosk-numbers-done")


def test_leaving_a_held_number_with_home_puts_it_back_in_stock(new_page, stock):
    page, _ = open_kiosk(new_page)
    open_numbers(page)
    hold(page, "13837101122")
    assert number_status("13837101122") == NumberStatus.HELD

    page.locator("[data-home]").click()

    wait_until(lambda: number_status("13837101122") == NumberStatus.AVAILABLE)
    assert not act(lambda: NumberHold.objects.filter(number__msisdn="13837101122").exists())
    assert current_screen(page) == "home"


def test_going_back_from_a_held_number_gives_it_back_and_lists_the_stock_afresh(new_page, stock):
    page, _ = open_kiosk(new_page)
    open_numbers(page)
    hold(page, "13837101122")
    act(PhoneNumberFactory, msisdn="13837109999")  # stocked meanwhile

    page.locator("[data-back]").click()

    expect(screen(page, "numbers")).to_be_visible()
    expect(results(page)).to_have_count(len(STOCK) + 1)
    assert {"13837101122", "13837109999"} <= listed(page)
    wait_until(lambda: number_status("13837101122") == NumberStatus.AVAILABLE)


def test_going_idle_on_a_held_number_goes_home_releases_it_and_forgets_it(new_page, stock):
    page, _ = open_kiosk(new_page)
    open_numbers(page)
    hold(page, "13837101122")

    page.evaluate("window.qmsKiosk.setIdleSeconds(2, 1)")

    page.wait_for_function("window.qmsKiosk.state.screen === 'home'")
    wait_until(lambda: number_status("13837101122") == NumberStatus.AVAILABLE)
    html = page.locator("[data-kiosk]").evaluate("app => app.outerHTML")
    assert "13837101122" not in html and "3710 1122" not in html
    assert page.locator("[data-kiosk] [data-msisdn]").count() == 0


def test_the_results_stand_beside_the_filters_in_landscape(new_page, stock, screenshot):
    page, _ = open_kiosk(new_page, width=LANDSCAPE[0], height=LANDSCAPE[1])

    open_numbers(page)

    filters = screen(page, "numbers").locator(".k-nums-filters").bounding_box()
    first = results(page).first.bounding_box()
    assert first["x"] >= filters["x"] + filters["width"]
    assert first["y"] < filters["y"] + filters["height"]
    screenshot(page, "kiosk-numbers-landscape")
