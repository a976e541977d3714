"""Every page a user sees, in the states that matter, passes axe-core with no
serious or critical violation; the kiosk's large-text mode keeps each screen
usable in portrait and landscape (nothing wider than the screen, every main
button in view and not covered)."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from queueing import services
from tests.browser.a11y import assert_accessible, assert_fits
from tests.browser.conftest import act
from tests.browser.kiosk_helpers import (
    KIOSK_TOKEN,
    LANDSCAPE,
    LOADED,
    PORTRAIT,
    open_kiosk,
    press_digits,
    screen,
    sign_in,
)
from tests.browser.test_console import button, issue, open_counter, settled, signed_in_page
from tests.browser.test_kiosk_account import a_phone
from tests.halls.factories import UserFactory, member
from tests.kiosk.factories import (
    PhoneNumberFactory,
    RewardFactory,
    SubscriberFactory,
    VasFactory,
    bills_for,
    subscribe,
)
from tests.queueing.factories import build_floor

PHONE = "13800138000"
PHONE_SIZE = (390, 844)
TICKET_CONNECTED = "window.qmsTicket && window.qmsTicket.connected"
DISPLAY_CONNECTED = "window.qmsDisplay && window.qmsDisplay.connected"
# The kiosk's buttons a customer needs: the current screen's and the bars', or an open dialog's.
MAIN_BUTTONS = ".k-screen:not([hidden]) button:not([disabled]), .k-top button, .k-bottom button"
DIALOG_BUTTONS = ".k-overlay:not([hidden]) button"


def take(floor, phone=""):
    channel = "mobile" if phone else "kiosk"
    return act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel=channel, phone=phone)[0]


def manager_of(floor):
    floor.manager = UserFactory(username=f"manager-{floor.hall.code}", first_name="张丽")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    return floor.manager


# The public pages and the phone's.

def test_home_and_the_outlet_finder(new_page):
    build_floor(name="郑州金水路营业厅")
    page = new_page(1280, 800)
    page.goto("/")
    assert_accessible(page, "home")
    page.goto("/outlets/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "outlet finder")


def test_the_phones_hall_list_hall_and_booking_pages(new_page):
    floor = build_floor(name="郑州金水路营业厅")
    take(floor)
    page = new_page(*PHONE_SIZE)
    page.goto("/m/")
    expect(page.locator(f'[href*="/m/{floor.hall.code}/"]').first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "phone hall list")
    page.goto(f"/m/{floor.hall.code}/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "phone hall page")
    page.goto(f"/m/{floor.hall.code}/book/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "booking page")
    page.goto("/m/me/bookings/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "my bookings")


def test_the_ticket_page_waiting_called_and_asking_to_check_in(new_page):
    floor = build_floor(name="郑州金水路营业厅")
    ticket = take(floor)
    page = new_page(*PHONE_SIZE)
    page.goto(f"/t/{ticket.token}/")
    page.wait_for_function(TICKET_CONNECTED)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert_accessible(page, "ticket page, waiting")

    act(services.counter_open, counter_id=floor.counter1.pk, user=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter1.pk, actor=floor.agent)
    expect(page.locator(".ticket-root")).to_have_attribute("data-phase", "called")
    assert_accessible(page, "ticket page, called")

    act(services.ticket_start, counter_id=floor.counter1.pk, actor=floor.agent)
    act(services.ticket_finish, counter_id=floor.counter1.pk, actor=floor.agent)
    expect(page.locator("[data-rating-form]")).to_be_visible()
    page.locator(".star").nth(3).click()
    assert_accessible(page, "ticket page, done with its rating form")

    remote = take(floor, phone=PHONE)
    page.goto(f"/t/{remote.token}/")
    page.wait_for_function(TICKET_CONNECTED)
    expect(page.locator(".ticket-root")).to_have_attribute("data-presence", "remote")
    assert_accessible(page, "ticket page, check-in required")


# The hall's screens.

def test_the_lobby_display_and_a_counter_screen(new_page):
    floor = build_floor(name="郑州金水路营业厅")
    take(floor)
    take(floor)
    act(services.counter_open, counter_id=floor.counter1.pk, user=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter1.pk, actor=floor.agent)
    page = new_page(1920, 1080)
    page.goto(f"/display/{floor.hall.code}/")
    page.wait_for_function(DISPLAY_CONNECTED)
    assert_accessible(page, "lobby display")
    page.goto(f"/display/{floor.hall.code}/counter/{floor.counter1.number}/")
    page.wait_for_function(DISPLAY_CONNECTED)
    assert_accessible(page, "counter screen")


# The counter agent's console.

def test_the_console_sign_in_and_pickers(new_page):
    floor = build_floor(name="郑州金水路营业厅")
    page = new_page(1280, 800)
    page.goto("/console/")
    expect(page.get_by_label("用户名")).to_be_visible()
    assert_accessible(page, "console sign-in")
    page = signed_in_page(new_page, floor.agent)
    page.goto("/console/")
    expect(page.locator(f'[data-counter-id="{floor.counter1.pk}"]')).to_be_visible()
    assert_accessible(page, "console counter picker")
    other = build_floor(code="A11Y-2", name="郑州花园路营业厅")
    member(floor.agent, other.hall, StaffRole.AGENT)
    page.goto("/console/")
    expect(page.locator("[data-hall-list] [data-hall-code]")).to_have_count(2)
    assert_accessible(page, "console hall picker")


def test_the_console_with_a_called_ticket_and_its_dialogs(new_page):
    floor = build_floor(name="郑州金水路营业厅")
    issue(floor)
    page = open_counter(new_page, floor)
    assert_accessible(page, "console, counter open")
    button(page, "pause").click()
    expect(page.locator("[data-pause-dialog]")).to_be_visible()
    assert_accessible(page, "console, pause dialog")
    page.keyboard.press("Escape")
    expect(page.locator("[data-pause-dialog]")).to_be_hidden()
    button(page, "call-next").click()
    settled(page, 2)
    assert_accessible(page, "console, a called ticket")
    button(page, "transfer").click()
    expect(page.locator("[data-transfer-dialog]")).to_be_visible()
    assert_accessible(page, "console, transfer dialog")


# The manager's pages and the city's.

def test_the_managers_floor_plan_reports_and_audit(new_page):
    floor = build_floor(code="A11Y-M", name="郑州金水路营业厅")
    user = manager_of(floor)
    take(floor)
    page = signed_in_page(new_page, user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/manage/A11Y-M/")
    page.wait_for_function("window.qmsFloor && window.qmsFloor.connected")
    assert_accessible(page, "manager's floor")
    page.goto("/manage/A11Y-M/plan/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "manager's plan")
    page.goto("/manage/A11Y-M/reports/")
    page.wait_for_function("window.qmsReports && window.qmsReports.loaded >= 1")
    assert_accessible(page, "manager's reports")
    page.goto("/manage/A11Y-M/audit/")
    expect(page.locator("[data-audit-count]")).to_be_visible()
    assert_accessible(page, "manager's audit log")


def test_the_city_page(new_page):
    build_floor(name="郑州金水路营业厅")
    user = UserFactory(username="city-a11y")
    user.groups.add(Group.objects.get_or_create(name=CITY_OPERATIONS_GROUP)[0])
    page = signed_in_page(new_page, user)
    page.goto("/city/")
    page.wait_for_function("window.qmsCity && window.qmsCity.chart")
    assert_accessible(page, "city page")


# The kiosk.

def go_home(page, large):
    """Back to a fresh home screen (large text switched on again if asked).

    Loads the page afresh rather than tapping Home: two screens are named
    "checkin" today (the phone ticket's and the booking's), and the booking
    flow's reset fails on the one it does not own, which stops Home."""
    hall = page.locator("[data-kiosk]").get_attribute("data-hall")
    page.goto(f"/kiosk/{hall}/?token={KIOSK_TOKEN}")
    page.wait_for_function(LOADED)
    expect(screen(page, "home")).to_be_visible()
    if large:
        page.click("[data-large-toggle]")
        expect(page.locator("html")).to_have_class("k-large")


def kiosk_screens(page, floor, check, *, large=False):
    """Walk the kiosk's screens, calling check(page, name) on each."""
    if large:
        page.click("[data-large-toggle]")
        expect(page.locator("html")).to_have_class("k-large")
    check(page, "kiosk home")
    page.click('[data-go="take"]')
    expect(screen(page, "take")).to_be_visible()
    check(page, "kiosk take-a-number")
    screen(page, "take").locator('[data-service="payment"]').click()
    expect(page.locator("[data-take-no-phone]")).to_be_visible()
    check(page, "kiosk take-a-number, phone")
    page.click("[data-take-no-phone]")
    expect(screen(page, "ticket")).to_be_visible()
    expect(page.locator("[data-print-status] .t-zh")).to_have_text("请取走您的号票，留意叫号")
    check(page, "kiosk ticket")
    go_home(page, large)

    page.click('[data-go="topup"]')
    expect(screen(page, "topup")).to_be_visible()
    press_digits(page, "topup-msisdn", PHONE)
    check(page, "kiosk top-up, number")
    page.click("[data-topup-lookup]")
    expect(screen(page, "topup-amount")).to_be_visible()
    page.click('[data-topup-preset="5000"]')
    check(page, "kiosk top-up, amount")
    page.click("[data-topup-confirm]")
    expect(page.locator("[data-confirm]")).to_be_visible()
    check(page, "kiosk top-up, confirm")
    page.click("[data-confirm-yes]")
    expect(screen(page, "topup-pay")).to_be_visible()
    check(page, "kiosk top-up, pay")
    go_home(page, large)

    page.click('[data-go="numbers"]')
    expect(screen(page, "numbers").locator("[data-num-results] [data-msisdn]").first).to_be_visible()
    check(page, "kiosk numbers")
    go_home(page, large)

    page.click('[data-go="points"]')
    expect(screen(page, "login")).to_be_visible()
    press_digits(page, "login-phone", PHONE)
    check(page, "kiosk sign-in")
    go_home(page, large)

    page.click('[data-go="take"]')
    page.evaluate("window.qmsKiosk.setIdleSeconds(30, 29)")
    expect(page.locator("[data-idle-warning]")).to_be_visible(timeout=3000)
    check(page, "kiosk idle warning")
    page.click("[data-idle-stay]")
    go_home(page, large)

    page.click(".k-tool-checkin")
    expect(screen(page, "checkin").first).to_be_visible()
    check(page, "kiosk check-in")
    screen(page, "checkin").first.locator('[data-go="checkin-number"]').click()
    page.locator('[data-checkin-prefix="A"]').click()
    press_digits(page, "checkin-number", "1")
    check(page, "kiosk check-in by number")
    page.locator("[data-checkin-next]").click()
    expect(screen(page, "checkin-phone").first).to_be_visible()
    check(page, "kiosk check-in, last four digits")


@pytest.mark.parametrize("size", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_the_kiosks_screens_pass_axe(new_page, size):
    floor = build_floor(name="郑州金水路营业厅")
    SubscriberFactory(msisdn=PHONE, name="张伟", balance_fen=12_880)
    for msisdn in ("13912345678", "13987658888"):
        PhoneNumberFactory(msisdn=msisdn)
    page, _ = open_kiosk(new_page, floor.hall, width=size[0], height=size[1])
    kiosk_screens(page, floor, assert_accessible)


@pytest.mark.parametrize("size", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_large_text_keeps_every_kiosk_screen_usable(new_page, size):
    floor = build_floor(name="郑州金水路营业厅")
    SubscriberFactory(msisdn=PHONE, name="张伟", balance_fen=12_880)
    for msisdn in ("13912345678", "13987658888"):
        PhoneNumberFactory(msisdn=msisdn)
    page, _ = open_kiosk(new_page, floor.hall, width=size[0], height=size[1])

    def check(page, name):
        name = f"{name} (large text, {size[0]}x{size[1]})"
        dialog = page.locator(".k-overlay:not([hidden])").count() > 0
        assert_fits(page, name, DIALOG_BUTTONS if dialog else MAIN_BUTTONS)
        assert_accessible(page, name)

    kiosk_screens(page, floor, check, large=True)


def test_a_kiosk_receipt_as_printed(new_page):
    floor = build_floor(name="郑州金水路营业厅")
    page, _ = open_kiosk(new_page, floor.hall)
    page.click('[data-go="take"]')
    screen(page, "take").locator('[data-service="payment"]').click()
    page.click("[data-take-no-phone]")
    expect(page.locator("[data-print-area] [data-receipt-headline]")).not_to_be_empty()
    page.emulate_media(media="print")
    assert_accessible(page, "kiosk receipt, printed")


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
def test_a_signed_in_customers_kiosk_screens(new_page, large):
    person = SubscriberFactory(msisdn=a_phone(), points=7_391, balance_fen=5_437)
    subscribe(person, VasFactory(code="CL", name="彩铃", monthly_fee_fen=500))
    VasFactory(code="SJB", name="手机报", monthly_fee_fen=300)
    RewardFactory(code="UMB", name="晴雨伞", points=1_500, stock=3)
    bills_for(person)
    page, _ = open_kiosk(new_page)
    if large:
        page.click("[data-large-toggle]")
    page.click('.k-tile[data-go="points"]')
    sign_in(page, person.msisdn)

    def check(name):
        name = f"{name}{' (large text)' if large else ''}"
        assert_accessible(page, name)
        if large:
            assert_fits(page, name, MAIN_BUTTONS)

    for tile in ("points", "bills", "usage", "packs", "vas"):
        if tile != "points":
            page.click("[data-back]")
            expect(screen(page, "home")).to_be_visible()
            page.click(f'.k-tile[data-go="{tile}"]')
        expect(screen(page, tile)).to_be_visible()
        page.wait_for_load_state("networkidle")
        check(f"kiosk {tile}")
