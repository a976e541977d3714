"""The kiosk's personal services in Chromium: points, bills, data usage, data
packs and value-added services, each behind the texted-code sign-in, and the
idle timeout that ends the customer's session and clears the screens."""

import json
import random
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.models import PackPurchase, Redemption, Reward, Subscriber, Subscription
from kiosk.carrier.rules import KB_PER_MB
from kiosk.models import CustomerSession, VasConfirmation
from tests.browser.kiosk_helpers import (
    LANDSCAPE,
    current_screen,
    open_kiosk,
    screen,
    sign_in,
)
from tests.kiosk.factories import (
    RewardFactory,
    SubscriberFactory,
    VasFactory,
    bills_for,
    subscribe,
)

POINTS = 7_391
BALANCE_FEN = 5_437


def a_phone() -> str:
    # A fresh number per test: the sign-in codes a number may ask for are
    # limited per hour, in a cache the test server keeps between tests.
    return f"139{random.randrange(10**8):08d}"


@pytest.fixture
def customer(transactional_db):
    """A subscriber with points, a balance, two services, and a catalogue to choose from."""
    person = SubscriberFactory(msisdn=a_phone(), points=POINTS, balance_fen=BALANCE_FEN)
    subscribe(person, VasFactory(code="CL", name="彩铃", monthly_fee_fen=500))
    subscribe(person, VasFactory(code="QQLZ", name="QQ蓝钻", monthly_fee_fen=1_000))
    VasFactory(code="SJB", name="手机报", monthly_fee_fen=300)
    RewardFactory(code="UMB", name="晴雨伞", points=1_500, stock=3)
    RewardFactory(code="HF10", name="10元话费", kind="bill_credit", points=1_000, stock=100)
    RewardFactory(code="CUP", name="保温杯", points=3_000, stock=0)
    return person


def signed_in_at(new_page, customer, tile, **size):
    page, _ = open_kiosk(new_page, **size)
    page.click(f'.k-tile[data-go="{tile}"]')
    sign_in(page, customer.msisdn)
    expect(screen(page, tile)).to_be_visible()
    return page


def choose_umbrellas(page, quantity):
    expect(page.locator('[data-reward="UMB"]')).to_be_enabled()
    page.click('[data-reward="UMB"]')
    for _ in range(quantity - 1):
        page.click("[data-qty-plus]")
    expect(page.locator("[data-qty]")).to_have_text(str(quantity))
    page.click("[data-redeem]")
    expect(page.locator("[data-confirm]")).to_be_visible()


# --- Points -------------------------------------------------------------------------------


def test_points_ask_for_sign_in_then_redeem_a_reward(new_page, customer, screenshot):
    page, _ = open_kiosk(new_page)
    page.click('.k-tile[data-go="points"]')
    assert current_screen(page) == "login"
    sign_in(page, customer.msisdn)
    expect(page.locator("[data-points-balance]")).to_have_text(str(POINTS))
    screenshot(page, "kiosk-points")

    choose_umbrellas(page, 2)
    expect(page.locator("[data-confirm-body]")).to_contain_text("3000")
    page.click("[data-confirm-yes]")

    expect(screen(page, "points-done")).to_be_visible()
    expect(page.locator("[data-done-left]")).to_have_text(str(POINTS - 3_000))
    customer.refresh_from_db()
    assert customer.points == POINTS - 3_000
    assert Reward.objects.get(code="UMB").stock == 1
    assert Redemption.objects.filter(subscriber=customer).count() == 1


def test_the_quantity_is_bounded_by_the_stock(new_page, customer):
    page = signed_in_at(new_page, customer, "points")
    page.click('[data-reward="UMB"]')

    for _ in range(5):
        if page.locator("[data-qty-plus]").is_enabled():
            page.click("[data-qty-plus]")

    expect(page.locator("[data-qty]")).to_have_text("3")
    expect(page.locator("[data-qty-plus]")).to_be_disabled()


def test_an_out_of_stock_reward_cannot_be_chosen(new_page, customer):
    page = signed_in_at(new_page, customer, "points")

    expect(page.locator('[data-reward="CUP"]')).to_be_disabled()
    expect(page.locator('[data-reward="HF10"]')).to_be_enabled()


def test_a_double_tap_on_confirm_redeems_once(new_page, customer):
    page = signed_in_at(new_page, customer, "points")
    choose_umbrellas(page, 1)

    page.dblclick("[data-confirm-yes]")

    expect(screen(page, "points-done")).to_be_visible()
    page.wait_for_load_state("networkidle")
    customer.refresh_from_db()
    assert customer.points == POINTS - 1_500
    assert Redemption.objects.filter(subscriber=customer).count() == 1
    assert Reward.objects.get(code="UMB").stock == 2


def test_a_refused_redemption_is_shown_and_spends_nothing(new_page, customer):
    page = signed_in_at(new_page, customer, "points")
    choose_umbrellas(page, 1)
    Subscriber.objects.filter(pk=customer.pk).update(points=100)  # spent elsewhere meanwhile

    page.click("[data-confirm-yes]")

    error = screen(page, "points-quantity").locator("[data-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("积分不足")
    assert current_screen(page) == "points-quantity"
    assert not Redemption.objects.filter(subscriber=customer).exists()


def test_past_redemptions_are_listed(new_page, customer):
    get_carrier().redeem(customer.msisdn, "HF10", 2, idempotency_key=None, at=timezone.now())

    page = signed_in_at(new_page, customer, "points")

    expect(page.locator("[data-redemptions] li")).to_have_count(1)
    expect(page.locator("[data-redemptions]")).to_contain_text("10元话费 × 2")


# --- Bills -----------------------------------------------------------------------------------


def test_bills_show_six_months_and_a_months_items(new_page, customer, screenshot):
    bills = bills_for(customer)
    page = signed_in_at(new_page, customer, "bills")
    expect(page.locator("[data-bill-months] [data-month]")).to_have_count(6)
    screenshot(page, "kiosk-bills")

    oldest = bills[-1]
    page.click(f'[data-month="{oldest.month}"]')

    detail = page.locator("[data-bill-detail]")
    expect(detail).to_be_visible()
    expect(detail.locator("[data-bill-items]")).to_contain_text("语音通信费")
    expect(detail.locator("[data-bill-items]")).to_contain_text("¥10.05")
    expect(detail.locator("[data-bill-detail-total]")).to_have_text("¥98.05")


def test_bills_fit_a_landscape_kiosk(new_page, customer, screenshot):
    bills_for(customer)
    page = signed_in_at(new_page, customer, "bills", width=LANDSCAPE[0], height=LANDSCAPE[1])
    expect(page.locator("[data-bill-detail]")).to_be_visible()

    months = page.locator("[data-bill-months] [data-month]")
    expect(months).to_have_count(6)
    for i in range(6):
        box = months.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= LANDSCAPE[0]
    screenshot(page, "kiosk-bills-landscape")


# --- Data usage and packs ------------------------------------------------------------------------


def use_data(customer, mb, wlan_minutes=0):
    get_carrier().usage_add(customer.msisdn, data_kb=mb * KB_PER_MB, wlan_minutes=wlan_minutes, at=timezone.now())


def test_usage_shows_amounts_left_and_percentages(new_page, customer, screenshot):
    use_data(customer, 280, wlan_minutes=150)  # of 300 MB and 600 minutes

    page = signed_in_at(new_page, customer, "usage")

    plan = page.locator('[data-usage-source="plan"]')
    expect(plan).to_contain_text("剩余 20 MB")
    expect(plan).to_contain_text("已用 280 MB")
    expect(plan.locator(".k-usage-percent")).to_have_text("剩余 6%", use_inner_text=True)
    expect(plan.locator(".k-bar")).to_have_class("k-bar is-low")
    expect(page.locator("[data-usage-wlan]")).to_contain_text("剩余 450 分钟")
    screenshot(page, "kiosk-usage")


def test_usage_reads_in_english(new_page, customer, screenshot):
    use_data(customer, 120, wlan_minutes=200)
    page = signed_in_at(new_page, customer, "usage")

    page.click("[data-lang-toggle]")

    plan = page.locator('[data-usage-source="plan"]')
    expect(plan.locator(".k-usage-percent")).to_have_text("60% left", use_inner_text=True)
    expect(plan).to_contain_text("Left 180 MB")
    expect(page.locator("[data-usage-wlan]")).to_contain_text("400 min left")
    screenshot(page, "kiosk-usage-en")


def test_buying_a_pack_puts_it_on_this_months_usage(new_page, customer, screenshot):
    page = signed_in_at(new_page, customer, "packs")
    expect(page.locator("[data-packs-balance]")).to_have_text("¥54.37")
    screenshot(page, "kiosk-packs")

    page.click('[data-pack="G10"]')
    expect(page.locator("[data-confirm-title]")).to_contain_text("10元70M国内流量包，从话费余额扣除")
    page.click("[data-confirm-yes]")

    expect(screen(page, "packs-done")).to_be_visible()
    expect(page.locator("[data-pack-done-balance]")).to_have_text("¥44.37")
    customer.refresh_from_db()
    assert customer.balance_fen == BALANCE_FEN - 1_000
    assert PackPurchase.objects.filter(subscriber=customer, code="G10").count() == 1
    page.click('[data-screen="packs-done"] [data-acct-nav="usage"]')
    expect(page.locator('[data-usage-source="G10"]')).to_contain_text("剩余 70 MB")


def test_a_pack_the_balance_cannot_pay_for_is_refused_with_a_way_to_top_up(new_page, customer):
    page = signed_in_at(new_page, customer, "packs")
    expect(page.locator("[data-packs-balance]")).to_have_text("¥54.37")
    Subscriber.objects.filter(pk=customer.pk).update(balance_fen=300)  # spent elsewhere meanwhile

    page.click('[data-pack="G5"]')
    page.click("[data-confirm-yes]")

    error = screen(page, "packs").locator("[data-error]")
    expect(error).to_contain_text("话费余额不足")
    expect(page.locator("[data-acct-topup]")).to_be_visible()
    assert not PackPurchase.objects.filter(subscriber=customer).exists()
    customer.refresh_from_db()
    assert customer.balance_fen == 300


def test_the_top_up_button_tops_up_the_customers_own_number(new_page, customer):
    page = signed_in_at(new_page, customer, "packs")
    expect(page.locator("[data-packs-balance]")).to_have_text("¥54.37")
    Subscriber.objects.filter(pk=customer.pk).update(balance_fen=300)
    page.click('[data-pack="G5"]')
    page.click("[data-confirm-yes]")

    page.click("[data-acct-topup]")

    expect(screen(page, "topup")).to_be_visible()
    expect(page.locator('[data-field="topup-msisdn"]')).to_have_text(customer.msisdn)


# --- Value-added services ------------------------------------------------------------------------


def active_codes(customer):
    return set(Subscription.objects.filter(subscriber=customer, cancelled_at__isnull=True).values_list("vas__code", flat=True))


def test_cancelling_a_service_removes_it_at_once(new_page, customer, screenshot):
    page = signed_in_at(new_page, customer, "vas")
    expect(page.locator("[data-vas-list] [data-vas]")).to_have_count(2)
    screenshot(page, "kiosk-vas")

    page.click('[data-vas-cancel="CL"]')
    expect(page.locator("[data-confirm-title]")).to_contain_text("彩铃")
    page.click("[data-confirm-yes]")

    expect(page.locator('[data-vas="CL"]')).to_have_count(0)
    expect(page.locator("[data-vas-list] [data-vas]")).to_have_count(1)
    expect(page.locator("[data-vas-notice]")).to_contain_text("已退订 彩铃")
    assert active_codes(customer) == {"QQLZ"}


def test_subscribing_needs_the_second_confirmation(new_page, customer, screenshot):
    page = signed_in_at(new_page, customer, "vas")
    page.click('[data-screen="vas"] [data-go="vas-catalogue"]')
    expect(page.locator('[data-vas-order="CL"]')).to_be_disabled()

    page.click('[data-vas-order="SJB"]')

    confirm = screen(page, "vas-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.locator("[data-vas-confirm-fee]")).to_contain_text("¥3.00/月")
    expect(confirm.locator("[data-vas-countdown]")).to_have_text(re.compile(r"^[45]:[0-5][0-9]$"))
    assert VasConfirmation.objects.filter(msisdn=customer.msisdn, vas_code="SJB").count() == 1
    assert "SJB" not in active_codes(customer)
    screenshot(page, "kiosk-vas-confirm")

    page.click("[data-vas-confirm]")

    expect(confirm.locator("[data-vas-confirmed]")).to_contain_text("已订购 手机报")
    assert "SJB" in active_codes(customer)


def test_an_expired_second_confirmation_is_shown_and_subscribes_nothing(new_page, customer):
    page = signed_in_at(new_page, customer, "vas")
    page.click('[data-screen="vas"] [data-go="vas-catalogue"]')
    page.click('[data-vas-order="SJB"]')
    expect(screen(page, "vas-confirm")).to_be_visible()
    VasConfirmation.objects.filter(msisdn=customer.msisdn).update(expires_at=timezone.now() - timedelta(seconds=1))

    page.click("[data-vas-confirm]")

    error = screen(page, "vas-confirm").locator("[data-error]")
    expect(error).to_contain_text("确认已超时，业务未订购")
    expect(page.locator("[data-vas-confirm]")).to_be_hidden()
    assert "SJB" not in active_codes(customer)


# --- Going idle ----------------------------------------------------------------------------------


def test_going_idle_ends_the_session_and_clears_the_customers_data(new_page, customer, daphne_server):
    bills_for(customer)
    page = signed_in_at(new_page, customer, "points")
    expect(page.locator("[data-points-balance]")).to_have_text(str(POINTS))
    page.evaluate("Kiosk.go('bills')")
    expect(page.locator("[data-bill-detail-total]")).to_have_text("¥98.00")
    token = page.evaluate("window.qmsKiosk.state.customer.token")

    page.evaluate("window.qmsKiosk.setIdleSeconds(2, 1)")

    page.wait_for_function("window.qmsKiosk.state.screen === 'home' && !window.qmsKiosk.state.customer")
    page.wait_for_function(
        "() => !document.querySelector('[data-points-balance]').textContent", timeout=5_000)
    html = page.content()
    masked = f"{customer.msisdn[:3]}****{customer.msisdn[-4:]}"
    for personal in [customer.msisdn, masked, str(POINTS), "¥98.0", "¥54.37"]:
        assert personal not in html
    for _ in range(50):
        if not CustomerSession.objects.filter(phone=customer.msisdn, ended_at__isnull=True).exists():
            break
        page.wait_for_timeout(100)
    assert not CustomerSession.objects.filter(phone=customer.msisdn, ended_at__isnull=True).exists()
    request = urllib.request.Request(f"{daphne_server.url}/api/v1/me/", headers={"Authorization": f"Customer {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"]["code"]
