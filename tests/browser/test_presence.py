"""Presence in Chromium: stepping away and back on the ticket page, a phone
ticket checking in by its location or by the hall's code, and the kiosk's
check-in screen (the ticket's QR code, or its number and the phone's last
four digits)."""

from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from queueing import services
from queueing.models import Ticket
from tests.browser.conftest import act
from tests.browser.kiosk_helpers import open_kiosk, press_digits, screen
from tests.queueing.factories import build_floor

PHONE = "13800138000"
PHONE_SIZE = (390, 844)
CONNECTED = "window.qmsTicket && window.qmsTicket.connected"


def take(floor, phone=""):
    channel = "mobile" if phone else "kiosk"
    return act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel=channel, phone=phone)[0]


def open_ticket(new_page, ticket, **options):
    page = new_page(*PHONE_SIZE, **options)
    page.goto(f"/t/{ticket.token}/")
    page.wait_for_function(CONNECTED)
    return page


def presence(page) -> str:
    return page.locator(".ticket-root").get_attribute("data-presence")


def test_the_holder_steps_away_and_comes_back_on_the_ticket_page(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    take(floor)
    ticket = take(floor)
    page = open_ticket(new_page, ticket)
    expect(page.locator(".ticket-root")).to_have_attribute("data-presence", "here")

    page.locator('[data-step-away="10"]').click()

    expect(page.locator(".ticket-root")).to_have_attribute("data-presence", "away")
    until = timezone.localtime(Ticket.objects.get(pk=ticket.pk).away_until)
    expect(page.locator("[data-away-until]")).to_have_text(until.strftime("%H:%M"))
    expect(page.locator("[data-status-label]")).to_contain_text("暂离中")
    screenshot(page, "customer-ticket-away")

    page.locator("[data-come-back]").click()

    expect(page.locator(".ticket-root")).not_to_have_attribute("data-presence", "away")
    assert Ticket.objects.get(pk=ticket.pk).away_until is None


def test_a_phone_ticket_page_asks_to_check_in_and_checks_in_by_location(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    ticket = take(floor, phone=PHONE)
    page = open_ticket(new_page, ticket, geolocation={"latitude": 34.7801, "longitude": 113.6801},
                       permissions=["geolocation"])
    expect(page.locator(".ticket-root")).to_have_attribute("data-presence", "remote")
    expect(page.locator("[data-ticket-qr] svg")).to_be_visible()
    screenshot(page, "customer-ticket-check-in")

    page.locator("[data-check-in-here]").click()

    expect(page.locator(".ticket-root")).not_to_have_attribute("data-presence", "remote")
    assert Ticket.objects.get(pk=ticket.pk).awaiting_arrival is False


def test_scanning_the_halls_code_checks_in_the_phones_ticket(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    ticket = take(floor, phone=PHONE)
    page = open_ticket(new_page, ticket)
    key = act(services.hall_check_in_key, outlet=floor.hall)

    page.goto(f"/m/check-in/{key}/")

    expect(page.locator(".check-in-root")).to_have_attribute("data-state", "done")
    expect(page.locator(".check-in-result.ok")).to_contain_text(ticket.number)
    assert Ticket.objects.get(pk=ticket.pk).awaiting_arrival is False
    screenshot(page, "customer-check-in-code")


def test_the_kiosk_checks_in_the_ticket_whose_code_it_scans(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    take(floor)
    ticket = take(floor, phone=PHONE)
    page, _ = open_kiosk(new_page, floor.hall)

    page.locator('[data-go="checkin"]').click()
    expect(screen(page, "checkin")).to_be_visible()
    expect(page.locator("[data-checkin-hall-qr] img")).to_be_visible()
    screenshot(page, "kiosk-check-in")
    # A scanner types the link it read, then Enter.
    page.locator("[data-checkin-scan]").fill(f"http://127.0.0.1/t/{ticket.token}/")
    page.locator("[data-checkin-scan]").press("Enter")

    done = screen(page, "checkin-done")
    expect(done).to_be_visible()
    expect(done.locator("[data-checkin-number]")).to_have_text(ticket.number)
    expect(done.locator("[data-checkin-ahead]")).to_contain_text("前面还有 1 位")
    screenshot(page, "kiosk-check-in-done")
    assert Ticket.objects.get(pk=ticket.pk).awaiting_arrival is False


def test_the_kiosk_checks_in_by_number_and_the_phones_last_four_digits(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    ticket = take(floor, phone=PHONE)
    page, _ = open_kiosk(new_page, floor.hall)

    page.locator('[data-go="checkin"]').click()
    screen(page, "checkin").locator('[data-go="checkin-number"]').click()
    page.locator('[data-checkin-prefix="A"]').click()
    press_digits(page, "checkin-number", str(ticket.sequence))
    screenshot(page, "kiosk-check-in-number")
    page.locator("[data-checkin-next]").click()
    press_digits(page, "checkin-last4", "0000")
    page.locator("[data-checkin-submit]").click()
    expect(screen(page, "checkin-phone").locator("[data-error]")).to_be_visible()
    page.locator('[data-numpad-host="checkin-last4"] [data-key="clear"]').click()
    press_digits(page, "checkin-last4", PHONE[-4:])
    page.locator("[data-checkin-submit]").click()

    expect(screen(page, "checkin-done").locator("[data-checkin-number]")).to_have_text(ticket.number)
    assert Ticket.objects.get(pk=ticket.pk).awaiting_arrival is False


def test_the_hall_picker_shows_waits_and_a_busy_hall_points_to_a_nearby_quieter_one(new_page, screenshot):
    busy = build_floor(name="郑州金水路营业厅", lat=34.78, lng=113.68)
    quiet = build_floor(name="郑州花园路营业厅", lat=34.785, lng=113.68)
    for _ in range(12):
        take(busy)
    page = new_page(*PHONE_SIZE)

    page.goto("/m/")
    expect(page.locator(f'[data-hall="{busy.hall.code}"] [data-wait-span]')).to_contain_text("分钟")
    screenshot(page, "mobile-halls-waits")
    page.goto(f"/m/{busy.hall.code}/")

    banner = page.locator('[data-nearby-for="payment"]')
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(quiet.hall.name)
    screenshot(page, "mobile-nearby-hall")
    page.locator('input[name=service][value="enquiry"]').check()
    expect(banner).to_be_hidden()


def test_staff_print_the_halls_check_in_code_for_the_day(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    client = Client()
    client.force_login(floor.agent)
    page = new_page(900, 1200)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": "127.0.0.1", "path": "/"}])

    page.goto(f"/manage/{floor.hall.code}/check-in-qr/")

    expect(page.locator("[data-check-in-qr] svg")).to_be_visible()
    screenshot(page, "manage-check-in-code")
