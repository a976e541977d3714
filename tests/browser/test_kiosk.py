"""The kiosk in Chromium at 1080x1920 and 1920x1080: the home screen, taking a
number to its receipt (printed by the browser, or by the server's worker on a
network printer), the two languages, large text and the idle timeout."""

from playwright.sync_api import expect

from kiosk.errors import PrinterUnavailable
from kiosk.models import CustomerSession, KioskDevice
from queueing import services
from queueing.models import Ticket
from tests.browser.conftest import act
from tests.browser.kiosk_helpers import (
    LANDSCAPE,
    allow_local_printers,
    current_screen,
    open_kiosk,
    press_digits,
    run_print_jobs,
    screen,
    sign_in,
)
from tests.kiosk.factories import SubscriberFactory
from tests.kiosk.printers import FakePrinter, dead_printer_address
from tests.queueing.factories import build_floor

PHONE = "13800138000"


def take_number(page, service="payment", phone=""):
    page.click('[data-go="take"]')
    screen(page, "take").locator(f'[data-service="{service}"]').click()
    if phone:
        press_digits(page, "take-phone", phone)
        page.click("[data-take-with-phone]")
    else:
        page.click("[data-take-no-phone]")
    expect(screen(page, "ticket")).to_be_visible()
    return page.locator("[data-ticket-number]").inner_text()


def test_the_home_screen_offers_every_service_of_the_kiosk(new_page, screenshot):
    page, _ = open_kiosk(new_page)

    for target in ["take", "topup", "numbers", "points", "bills", "usage", "packs", "vas"]:
        expect(page.locator(f'.k-tile[data-go="{target}"]')).to_be_visible()
    screenshot(page, "kiosk-home")


def test_the_home_screen_fits_a_landscape_kiosk(new_page, screenshot):
    page, _ = open_kiosk(new_page, width=LANDSCAPE[0], height=LANDSCAPE[1])

    last_tile = page.locator('.k-tile[data-go="vas"]').bounding_box()
    assert last_tile["y"] + last_tile["height"] <= LANDSCAPE[1]
    screenshot(page, "kiosk-home-landscape")


def test_each_service_shows_its_waiting_count_and_estimated_wait(new_page, screenshot):
    floor = build_floor()
    act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")
    act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")
    page, _ = open_kiosk(new_page, floor.hall)

    page.click('[data-go="take"]')

    payment = screen(page, "take").locator('[data-service="payment"]')
    expect(payment.locator("[data-waiting]")).to_have_text("2")
    expect(payment.locator("[data-wait-minutes]")).not_to_have_text("")
    screenshot(page, "kiosk-take")


def test_the_take_a_number_tile_shows_how_many_wait_in_the_hall(new_page):
    floor = build_floor()
    act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")
    act(services.ticket_issue, outlet=floor.hall, service_code="enquiry", channel="kiosk")

    page, _ = open_kiosk(new_page, floor.hall)

    expect(page.locator("[data-hall-waiting-count]")).to_have_text("2")


def test_taking_a_number_shows_the_ticket_with_people_ahead_and_prints_its_receipt(new_page, screenshot):
    floor = build_floor()
    act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")
    page, _ = open_kiosk(new_page, floor.hall)

    number = take_number(page)

    ticket = Ticket.objects.get(number=number, outlet=floor.hall)
    assert ticket.channel == "kiosk"
    expect(page.locator("[data-ticket-ahead] .t-zh")).to_contain_text("前面还有 1 人")
    expect(page.locator("[data-ticket-qr] img")).to_be_visible()
    expect(page.locator("[data-print-status] .t-zh")).to_have_text("请取走您的号票，留意叫号")
    expect(page.locator("[data-print-area] [data-receipt-headline]")).to_have_text(number)
    assert page.evaluate("window.qmsKiosk.state.printed") == [{"kind": "ticket", "ref": ticket.token, "via": "browser"}]
    screenshot(page, "kiosk-ticket")


def test_a_phone_number_given_for_texts_is_kept_on_the_ticket(new_page, screenshot):
    page, _ = open_kiosk(new_page)
    page.click('[data-go="take"]')
    screen(page, "take").locator('[data-service="payment"]').click()
    press_digits(page, "take-phone", PHONE)
    screenshot(page, "kiosk-take-phone")

    page.click("[data-take-with-phone]")

    expect(screen(page, "ticket")).to_be_visible()
    assert Ticket.objects.get().phone == PHONE


def test_the_care_choice_takes_a_priority_care_ticket(new_page):
    page, _ = open_kiosk(new_page)
    page.click('[data-go="take"]')
    screen(page, "take").locator('[data-service="payment"]').click()

    page.click("[data-take-care]")
    page.click("[data-take-no-phone]")

    expect(screen(page, "ticket")).to_be_visible()
    assert Ticket.objects.get().priority == "care"


def test_a_short_phone_number_is_caught_before_any_ticket_is_taken(new_page):
    page, _ = open_kiosk(new_page)
    page.click('[data-go="take"]')
    screen(page, "take").locator('[data-service="payment"]').click()
    press_digits(page, "take-phone", "1380013")

    page.click("[data-take-with-phone]")

    expect(screen(page, "take-phone").locator("[data-error]")).to_be_visible()
    assert not Ticket.objects.exists()


def test_a_double_tap_on_take_a_number_takes_one_ticket(new_page):
    page, _ = open_kiosk(new_page)
    page.click('[data-go="take"]')
    screen(page, "take").locator('[data-service="payment"]').click()

    page.locator("[data-take-no-phone]").dblclick()

    expect(screen(page, "ticket")).to_be_visible()
    assert Ticket.objects.count() == 1


def test_a_closed_hall_says_so_and_takes_no_ticket(new_page):
    floor = build_floor()
    page, _ = open_kiosk(new_page, floor.hall)
    floor.hall.has_queue = False
    floor.hall.save()
    page.click('[data-go="take"]')
    screen(page, "take").locator('[data-service="payment"]').click()

    page.click("[data-take-no-phone]")

    expect(screen(page, "take-phone").locator("[data-error]")).to_be_visible()
    assert not Ticket.objects.exists()


def test_a_network_printer_prints_the_ticket_and_the_kiosk_says_so(new_page, settings):
    allow_local_printers(settings)
    printer = FakePrinter()
    page, _ = open_kiosk(new_page, printer_address=printer.address)
    number = take_number(page)
    status = page.locator("[data-print-status] .t-zh")
    expect(status).to_have_text("正在打印号票…")  # the server answered; the worker has not printed yet

    run_print_jobs()
    printer.close()

    expect(status).to_have_text("请取走您的号票，留意叫号")
    expect(page.locator("[data-reprint]")).to_be_visible()
    assert number.encode("gb18030") in printer.received
    assert [p["via"] for p in page.evaluate("window.qmsKiosk.state.printed")] == ["network"]


def test_a_failed_print_keeps_the_ticket_and_offers_to_print_again(new_page, settings):
    allow_local_printers(settings)
    # A network printer address where nothing listens.
    page, kiosk = open_kiosk(new_page, printer_address=dead_printer_address())
    number = take_number(page)

    run_print_jobs()

    expect(page.locator("[data-print-status]")).to_have_class("k-print-status is-bad")
    expect(page.locator("[data-print-status] .t-zh")).to_have_text(PrinterUnavailable.message.split(" / ")[0])
    expect(page.locator("[data-reprint]")).to_be_visible()
    expect(page.locator("[data-ticket-number]")).to_have_text(number)
    assert Ticket.objects.filter(number=number).exists()
    # The printer is mended: printing again prints.
    printer = FakePrinter()
    KioskDevice.objects.filter(pk=kiosk.pk).update(printer_address=printer.address)
    page.locator("[data-reprint]").click()
    run_print_jobs()
    printer.close()
    expect(page.locator("[data-print-status] .t-zh")).to_have_text("请取走您的号票，留意叫号")
    assert number.encode("gb18030") in printer.received


def test_the_english_switch_turns_every_label_to_english(new_page, screenshot):
    page, _ = open_kiosk(new_page)

    page.click("[data-lang-toggle]")

    expect(page.locator('.k-tile[data-go="take"] .t-en').first).to_be_visible()
    expect(page.locator('.k-tile[data-go="take"] .t-zh').first).to_be_hidden()
    page.click('[data-go="take"]')
    screenshot(page, "kiosk-take-en")


def test_large_text_makes_the_labels_bigger(new_page, screenshot):
    page, _ = open_kiosk(new_page)
    title = page.locator('.k-tile[data-go="topup"] .k-tile-title')
    before = title.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")

    page.click("[data-large-toggle]")

    after = title.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert after > before * 1.2
    screenshot(page, "kiosk-home-large")


def test_going_idle_on_the_ticket_screen_returns_home_and_clears_the_ticket(new_page):
    page, _ = open_kiosk(new_page)
    number = take_number(page)
    page.evaluate("window.qmsKiosk.setIdleSeconds(2, 1)")

    page.wait_for_function("window.qmsKiosk.state.screen === 'home'", timeout=10_000)

    assert number not in page.locator("[data-kiosk]").inner_text()
    assert page.locator("[data-print-area]").inner_html() == ""


def test_the_idle_warning_lets_the_customer_keep_going(new_page, screenshot):
    page, _ = open_kiosk(new_page)
    page.click('[data-go="take"]')
    page.evaluate("window.qmsKiosk.setIdleSeconds(4, 3)")
    expect(page.locator("[data-idle-warning]")).to_be_visible(timeout=3000)
    screenshot(page, "kiosk-idle-warning")

    page.click("[data-idle-stay]")

    expect(page.locator("[data-idle-warning]")).to_be_hidden()
    assert current_screen(page) == "take"


def test_going_idle_after_signing_in_ends_the_customers_session(new_page):
    SubscriberFactory(msisdn=PHONE)
    page, _ = open_kiosk(new_page)
    page.click('[data-go="bills"]')
    sign_in(page, PHONE)
    assert CustomerSession.objects.filter(phone=PHONE, ended_at__isnull=True).exists()
    page.evaluate("window.qmsKiosk.setIdleSeconds(2, 1)")

    page.wait_for_function("window.qmsKiosk.state.screen === 'home' && !window.qmsKiosk.state.customer", timeout=10_000)

    expect(page.locator("[data-signed-in]")).to_be_hidden()
    for _ in range(50):
        if not CustomerSession.objects.filter(phone=PHONE, ended_at__isnull=True).exists():
            break
        page.wait_for_timeout(100)
    assert not CustomerSession.objects.filter(phone=PHONE, ended_at__isnull=True).exists()


def test_a_wrong_code_is_refused_and_the_customer_can_try_again(new_page, screenshot):
    SubscriberFactory(msisdn=PHONE)
    page, _ = open_kiosk(new_page)
    page.click('[data-go="bills"]')
    press_digits(page, "login-phone", PHONE)
    screenshot(page, "kiosk-login-phone")
    page.click("[data-login-send]")
    expect(page.locator('[data-login-step="code"]')).to_be_visible()

    press_digits(page, "login-code", "000000")

    code_step = page.locator('[data-login-step="code"]')
    expect(code_step.locator("[data-error]")).to_be_visible()
    expect(page.locator('[data-field="login-code"]')).to_have_text("")
    assert current_screen(page) == "login"
    screenshot(page, "kiosk-login-code")
