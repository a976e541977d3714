"""The phone pages of bookings and the booking code's QR code."""

from django.test import Client


def test_the_booking_page_offers_the_halls_bookable_services_and_days(hall_floor):
    response = Client().get(f"/m/{hall_floor.hall.code}/book/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="payment"' in body and 'value="enquiry"' not in body
    assert 'data-day="2027-01-18"' in body
    assert f'/api/v1/halls/{hall_floor.hall.code}/appointments/slots/' in body


def test_the_booking_page_of_an_unknown_hall_is_404(db):
    assert Client().get("/m/NOPE-1/book/").status_code == 404
    assert Client().get("/m/nope/book/").status_code == 404


def test_the_halls_phone_page_links_to_booking(hall_floor):
    body = Client().get(f"/m/{hall_floor.hall.code}/").content.decode()

    assert f'href="/m/{hall_floor.hall.code}/book/"' in body


def test_my_bookings_page_renders_for_anyone(db):
    response = Client().get("/m/me/bookings/")

    assert response.status_code == 200
    assert b"data-sign-in" in response.content


def test_a_booking_codes_qr_is_an_svg_of_the_code_only(db):
    response = Client().get("/m/me/bookings/ABC234/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_anything_but_a_booking_code_has_no_qr(db):
    assert Client().get("/m/me/bookings/abc/qr.svg").status_code == 404
    assert Client().get("/m/me/bookings/" + "A" * 30 + "/qr.svg").status_code == 404


def test_the_kiosk_page_offers_appointment_check_in(db):
    from tests.halls.factories import OutletFactory
    from tests.kiosk.factories import KioskDeviceFactory

    hall = OutletFactory()
    KioskDeviceFactory(outlet=hall, token="page-kiosk-token")

    response = Client().get(f"/kiosk/{hall.code}/?token=page-kiosk-token", follow=True)

    assert response.status_code == 200
    assert b'data-screen="checkin"' in response.content
    assert b'data-go="checkin"' in response.content
