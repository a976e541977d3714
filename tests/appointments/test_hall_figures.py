"""A hall's bookings per day for its staff (the reports page's card)."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from queueing.appointments import tasks
from tests.halls.factories import OutletFactory, UserFactory, member

from .factories import MONDAY, at


def staff(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def book(client, hall, starts_at):
    return client.post(f"/api/v1/halls/{hall.code}/appointments/",
                       {"service": "payment", "starts_at": starts_at.isoformat()}, format="json").json()["code"]


def test_a_days_bookings_are_counted_booked_checked_in_late_no_show_and_cancelled(
        customer, other_customer, kiosk, hall_floor, clock, settings):
    settings.QUEUE_APPOINTMENT_PHONE_LIMIT = 5
    hall = hall_floor.hall
    on_time, late, _missed, cancelled = (book(customer, hall, at(h)) for h in (10, 11, 12, 13))
    book(other_customer, hall, at(14))
    customer.post(f"/api/v1/me/appointments/{cancelled}/cancel/")
    clock.move_to(at(9, 45))
    kiosk.post(f"/api/v1/halls/{hall.code}/appointments/check-in/", {"code": on_time}, format="json")
    clock.move_to(at(11, 30))
    kiosk.post(f"/api/v1/halls/{hall.code}/appointments/check-in/", {"code": late}, format="json")
    clock.move_to(at(12, 30))
    tasks.appointment_no_shows_mark()

    response = staff(hall_floor.agent).get(f"/api/v1/halls/{hall.code}/appointments/daily/",
                                           {"from": MONDAY.isoformat(), "to": MONDAY.isoformat()})

    assert response.status_code == 200, response.content
    assert response.json() == [{"date": "2027-01-18", "booked": 4, "checked_in": 1, "late": 1, "no_show": 1,
                                "cancelled": 1}]


def test_the_figures_are_for_the_halls_staff_only(api, hall_floor):
    outsider = UserFactory(username="elsewhere")
    member(outsider, OutletFactory())
    url = f"/api/v1/halls/{hall_floor.hall.code}/appointments/daily/"

    assert api.get(url).status_code == 401
    assert staff(outsider).get(url).status_code == 403


def test_a_bad_range_is_400(hall_floor):
    response = staff(hall_floor.agent).get(f"/api/v1/halls/{hall_floor.hall.code}/appointments/daily/",
                                           {"from": "2027-02-01", "to": "2027-01-01"})

    assert response.status_code == 400
