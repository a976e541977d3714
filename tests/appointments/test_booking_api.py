"""Slots, booking, my bookings, cancel and move through the API."""

from datetime import time

import pytest

from queueing.appointments.models import Appointment, AppointmentStatus, SlotCapacity, SlotLoad
from sms.models import SmsMessage

from .conftest import PHONE
from .factories import MONDAY, at, customer_client


def slots_of(api, hall, day=MONDAY, service="payment"):
    response = api.get(f"/api/v1/halls/{hall.code}/appointments/slots/", {"service": service, "date": day.isoformat()})
    assert response.status_code == 200, response.content
    return response.json()["slots"]


def book(client, hall, starts_at, service="payment", **headers):
    return client.post(f"/api/v1/halls/{hall.code}/appointments/",
                       {"service": service, "starts_at": starts_at.isoformat()}, format="json", **headers)


def test_a_hall_lists_its_slots_of_a_service_with_capacity_and_free_places(api, hall_floor):
    slots = slots_of(api, hall_floor.hall)

    assert len(slots) == 16  # 09:00 to 17:00 in half hours
    assert slots[0] == {"starts_at": "2027-01-18T09:00:00+08:00", "ends_at": "2027-01-18T09:30:00+08:00",
                        "capacity": 2, "booked": 0, "free": 2}


def test_slots_lie_within_the_halls_opening_hours(api, hall_floor, clock):
    clock.move_to(at(7))
    SlotCapacity.objects.filter(outlet=hall_floor.hall).update(starts=time(7), ends=time(21))

    slots = slots_of(api, hall_floor.hall)

    assert slots[0]["starts_at"] == "2027-01-18T08:00:00+08:00"
    assert slots[-1]["ends_at"] == "2027-01-18T20:00:00+08:00"


def test_a_day_the_hall_is_closed_has_no_slots(api, hall_floor):
    hall_floor.hall.opening_exceptions.create(date=MONDAY, is_closed=True, note="休息")

    assert slots_of(api, hall_floor.hall) == []


def test_past_slots_are_not_offered(api, hall_floor, clock):
    clock.move_to(at(10, 5))

    slots = slots_of(api, hall_floor.hall)

    assert slots[0]["starts_at"] == "2027-01-18T10:30:00+08:00"


def test_a_service_without_capacity_has_no_slots_and_an_unknown_one_is_400(api, hall_floor):
    assert slots_of(api, hall_floor.hall, service="enquiry") == []

    response = api.get(f"/api/v1/halls/{hall_floor.hall.code}/appointments/slots/",
                       {"service": "nope", "date": MONDAY.isoformat()})

    assert response.status_code == 400
    assert "service" in response.json()["error"]["fields"]


def test_booking_a_slot_gives_a_code_takes_a_place_and_texts_the_code(customer, hall_floor):
    response = book(customer, hall_floor.hall, at(10))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "booked" and len(body["code"]) == 6
    assert body["starts_at"] == "2027-01-18T10:00:00+08:00"
    assert body["check_in_opens_at"] == "2027-01-18T09:30:00+08:00"
    assert body["check_in_closes_at"] == "2027-01-18T10:15:00+08:00"
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 1
    text = SmsMessage.objects.get(to=PHONE)
    assert body["code"] in text.text


def test_a_full_slot_is_refused_with_slot_full(hall_floor):
    for n in range(2):
        assert book(customer_client(f"1380000000{n}"), hall_floor.hall, at(10)).status_code == 201

    response = book(customer_client("13800000009"), hall_floor.hall, at(10))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_full"
    assert Appointment.objects.count() == 2


def test_a_time_that_is_not_a_slot_is_bad_input(customer, hall_floor):
    response = book(customer, hall_floor.hall, at(10, 10))

    assert response.status_code == 400
    assert "starts_at" in response.json()["error"]["fields"]


def test_booking_needs_a_verified_phone(api, hall_floor):
    response = book(api, hall_floor.hall, at(10))

    assert response.status_code == 401
    assert not Appointment.objects.exists()


def test_a_phone_holds_at_most_the_limit_of_active_bookings(customer, hall_floor, settings):
    settings.QUEUE_APPOINTMENT_PHONE_LIMIT = 2
    assert book(customer, hall_floor.hall, at(10)).status_code == 201
    assert book(customer, hall_floor.hall, at(11)).status_code == 201

    response = book(customer, hall_floor.hall, at(12))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "appointment_limit_reached"


def test_the_same_slot_is_booked_once_by_a_phone(customer, hall_floor):
    book(customer, hall_floor.hall, at(10))

    response = book(customer, hall_floor.hall, at(10))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_booked"


def test_a_retried_booking_with_the_same_key_returns_the_first(customer, hall_floor):
    first = book(customer, hall_floor.hall, at(10), HTTP_IDEMPOTENCY_KEY="k-1")

    again = book(customer, hall_floor.hall, at(10), HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.status_code == 200
    assert again.json()["code"] == first.json()["code"]
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 1


def test_my_bookings_lists_only_mine(customer, other_customer, hall_floor):
    mine = book(customer, hall_floor.hall, at(10)).json()["code"]
    book(other_customer, hall_floor.hall, at(10))

    response = customer.get("/api/v1/me/appointments/")

    assert response.status_code == 200
    assert [a["code"] for a in response.json()["results"]] == [mine]
    assert response.json()["results"][0]["phone_masked"] == "138****8000"


def test_cancelling_frees_the_slot(customer, hall_floor):
    code = book(customer, hall_floor.hall, at(10)).json()["code"]

    response = customer.post(f"/api/v1/me/appointments/{code}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 0


def test_a_cancelled_booking_cannot_be_cancelled_again(customer, hall_floor):
    code = book(customer, hall_floor.hall, at(10)).json()["code"]
    customer.post(f"/api/v1/me/appointments/{code}/cancel/")

    response = customer.post(f"/api/v1/me/appointments/{code}/cancel/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "appointment_not_active"


def test_someone_elses_booking_is_not_found(customer, other_customer, hall_floor):
    code = book(customer, hall_floor.hall, at(10)).json()["code"]

    assert other_customer.get(f"/api/v1/me/appointments/{code}/").status_code == 404
    assert other_customer.post(f"/api/v1/me/appointments/{code}/cancel/").status_code == 404
    response = other_customer.post(f"/api/v1/me/appointments/{code}/move/",
                                   {"starts_at": at(11).isoformat()}, format="json")
    assert response.status_code == 404
    assert Appointment.objects.get(code=code).status == AppointmentStatus.BOOKED


def test_an_unknown_booking_is_404(customer, hall_floor):
    response = customer.post("/api/v1/me/appointments/ZZZZZZ/cancel/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_moving_takes_the_new_slot_and_frees_the_old_keeping_the_code(customer, hall_floor):
    code = book(customer, hall_floor.hall, at(10)).json()["code"]

    response = customer.post(f"/api/v1/me/appointments/{code}/move/", {"starts_at": at(14).isoformat()},
                             format="json")

    assert response.status_code == 200, response.content
    assert response.json()["code"] == code
    assert response.json()["starts_at"] == "2027-01-18T14:00:00+08:00"
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 0
    assert SlotLoad.objects.get(starts_at=at(14)).booked == 1


def test_moving_to_a_full_slot_is_refused_and_keeps_the_booking(customer, hall_floor):
    code = book(customer, hall_floor.hall, at(10)).json()["code"]
    for n in range(2):
        book(customer_client(f"1380000000{n}"), hall_floor.hall, at(14))

    response = customer.post(f"/api/v1/me/appointments/{code}/move/", {"starts_at": at(14).isoformat()},
                             format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_full"
    assert Appointment.objects.get(code=code).starts_at == at(10)
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 1


@pytest.mark.parametrize("body", [{}, {"starts_at": "tomorrow"}, {"starts_at": "2027-01-18T10:10:00+08:00"}])
def test_a_move_with_bad_input_is_400(customer, hall_floor, body):
    code = book(customer, hall_floor.hall, at(10)).json()["code"]

    response = customer.post(f"/api/v1/me/appointments/{code}/move/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_the_endpoints_are_in_the_api_schema(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/v1/halls/{code}/appointments/slots/", "/api/v1/halls/{code}/appointments/",
                 "/api/v1/me/appointments/", "/api/v1/me/appointments/{booking}/cancel/",
                 "/api/v1/me/appointments/{booking}/move/", "/api/v1/halls/{code}/appointments/check-in/",
                 "/api/v1/halls/{code}/appointments/daily/"):
        assert path in schema["paths"], path



def test_an_unknown_or_malformed_hall_is_404(api, hall_floor):
    for code in ("NOPE-1", "bad code", "ZZ-H001%00"):
        response = api.get(f"/api/v1/halls/{code}/appointments/slots/", {"service": "payment", "date": "2027-01-18"})
        assert response.status_code in (400, 404), code
