"""Booking a time on the phone page, then checking in at the kiosk (Chromium,
live server): the booking's code and QR on the phone, its ticket at the kiosk."""

import time as time_module
from datetime import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from queueing.appointments.models import Appointment, AppointmentStatus, SlotCapacity
from queueing.models import Ticket
from sms.models import SmsMessage
from tests.browser.kiosk_helpers import LANDSCAPE, open_kiosk, screen, wait_until
from tests.kiosk.conftest import last_code
from tests.queueing.factories import build_floor

# Not the kiosk tests' demo subscriber: codes asked for here count against their own number.
PHONE = "13700137001"
PHONE_SIZE = (390, 844)


@pytest.fixture(autouse=True)
def _fresh_code_limits(settings):
    """The live server counts the codes asked for per phone and per address in
    windows of the shared cache, which outlive a test: each test starts with none."""

    def clear():
        now = time_module.time()
        cache.delete_many([
            f"rl:otp-phone:{PHONE}:{int(now // settings.OTP_PHONE_WINDOW_SECONDS)}",
            f"rl:otp-client:127.0.0.1:{int(now // settings.OTP_SOURCE_WINDOW_SECONDS)}",
        ])

    clear()
    yield
    clear()


def bookable_floor():
    """A hall open 24 hours whose payment service is booked every quarter hour
    all day: the first upcoming slot starts within the check-in window."""
    floor = build_floor()
    SlotCapacity.objects.bulk_create([
        SlotCapacity(outlet=floor.hall, service=floor.payment, weekday=day, starts=time(0), ends=time(23, 59),
                     slot_minutes=15, per_slot=2)
        for day in range(7)
    ])
    return floor


def book_on_the_phone(new_page, screenshot, hall):
    """Book the first free slot from the hall's phone page; ends on my bookings. Returns (page, code)."""
    page = new_page(*PHONE_SIZE)
    page.goto(f"/m/{hall.code}/")
    page.click("[data-book-link]")
    first_slot = page.locator("[data-slots] .a-slot:not([disabled])").first
    expect(first_slot).to_be_visible()
    first_slot.click()
    screenshot(page, "appointments-slots")
    page.click("[data-book-submit]")
    sign_in = page.locator("[data-sign-in]")
    expect(sign_in).to_be_visible()
    page.fill("[data-sign-in-phone]", PHONE)
    page.click("[data-sign-in-send]")
    wait_until(lambda: SmsMessage.objects.filter(to=PHONE, purpose__startswith="otp").exists())
    page.fill("[data-sign-in-code]", last_code(PHONE))
    screenshot(page, "appointments-book")
    page.click("[data-sign-in-verify]")
    page.wait_for_url("**/m/me/bookings/?new=*")
    card = page.locator(".a-card.is-new")
    expect(card).to_be_visible()
    expect(card.locator("[data-qr]")).to_be_visible()
    page.wait_for_function("document.querySelector('.a-card.is-new [data-qr]').naturalWidth > 0")
    screenshot(page, "appointments-mine")
    return page, card.locator("[data-code]").inner_text()


def test_a_customer_books_on_the_phone_and_checks_in_at_the_kiosk(new_page, screenshot):
    floor = bookable_floor()

    _, code = book_on_the_phone(new_page, screenshot, floor.hall)

    booking = Appointment.objects.get(code=code)
    assert (booking.phone, booking.status) == (PHONE, AppointmentStatus.BOOKED)
    kiosk, _ = open_kiosk(new_page, floor.hall)
    kiosk.click('[data-go="booking-checkin"]')
    checkin = screen(kiosk, "booking-checkin")
    expect(checkin).to_be_visible()
    for key in code:
        checkin.locator(f'[data-code-key="{key}"]').click()
    expect(checkin.locator("[data-booking-checkin-code]")).to_have_text(code)
    screenshot(kiosk, "kiosk-appointment-checkin")
    checkin.locator("[data-booking-checkin-submit]").click()
    done = screen(kiosk, "booking-checkin-ticket")
    expect(done).to_be_visible()
    ticket = Ticket.objects.get(appointment__code=code)
    expect(done.locator("[data-booking-checkin-number]")).to_have_text(ticket.number)
    assert ticket.channel == "appointment"
    expect(done.locator("[data-booking-checkin-print-status]")).to_contain_text("请取走")
    kiosk.wait_for_function("document.querySelector('[data-screen=booking-checkin-ticket] [data-booking-checkin-qr] img').naturalWidth > 0")
    screenshot(kiosk, "kiosk-appointment-ticket")


def test_the_phone_page_cancels_a_booking(new_page, screenshot):
    floor = bookable_floor()
    page, code = book_on_the_phone(new_page, screenshot, floor.hall)
    page.on("dialog", lambda dialog: dialog.accept())

    page.locator(f'.a-card[data-code="{code}"] [data-cancel]').click()

    expect(page.locator(f'.a-card[data-code="{code}"]')).to_have_attribute("data-status", "cancelled")
    assert Appointment.objects.get(code=code).status == AppointmentStatus.CANCELLED


def test_the_kiosk_home_screen_offers_check_in_and_keeps_its_tiles_on_a_landscape_screen(new_page, screenshot):
    page, _ = open_kiosk(new_page, width=LANDSCAPE[0], height=LANDSCAPE[1])

    strip = page.locator('[data-screen="home"] [data-go="booking-checkin"]').bounding_box()

    assert strip["y"] + strip["height"] <= LANDSCAPE[1]
    screenshot(page, "kiosk-home-landscape")
