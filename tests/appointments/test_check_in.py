"""Checking a booking in at the kiosk: the window, the ticket's place in its
line, late arrivals, repeats, and who may check in."""

from datetime import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from queueing.appointments.models import Appointment, AppointmentStatus, SlotLoad
from queueing.models import Ticket, TicketEvent, TicketEventKind

from .conftest import PHONE
from .factories import at, kiosk_client


def book(client, hall, starts_at):
    response = client.post(f"/api/v1/halls/{hall.code}/appointments/",
                           {"service": "payment", "starts_at": starts_at.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["code"]


def check_in(kiosk, hall, **body):
    return kiosk.post(f"/api/v1/halls/{hall.code}/appointments/check-in/", body, format="json")


def walk_in(kiosk, hall):
    response = kiosk.post(f"/api/v1/halls/{hall.code}/tickets/", {"service": "payment", "channel": "kiosk"},
                          format="json")
    assert response.status_code == 201, response.content
    return response.json()


def staff(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_checking_in_before_the_window_is_refused_with_when_to_come_back(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 20))

    response = check_in(kiosk, hall_floor.hall, code=code)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_in_window"
    assert "09:30" in error["message"]
    assert not Ticket.objects.exists()


def test_checking_in_within_the_window_before_the_slot_places_the_ticket_at_check_in(
        customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 40))

    response = check_in(kiosk, hall_floor.hall, code=code)

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.phone) == ("appointment", PHONE)
    assert ticket.queued_at == ticket.issued_at == at(9, 40)
    assert response.json()["appointment"]["status"] == "checked_in"
    assert response.json()["late"] is False


def test_a_check_in_after_the_slot_start_is_placed_at_the_slot_start_ahead_of_later_walk_ins(
        customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 50))
    earlier = walk_in(kiosk, hall_floor.hall)
    clock.move_to(at(10, 5))
    later = walk_in(kiosk, hall_floor.hall)
    clock.move_to(at(10, 10))

    response = check_in(kiosk, hall_floor.hall, code=code)

    assert response.status_code == 201, response.content
    ticket = response.json()["ticket"]
    assert ticket["position"] == 2
    placed = Ticket.objects.get(number=ticket["number"])
    assert placed.queued_at == at(10) and placed.issued_at == at(10, 10)
    assert later["number"] != ticket["number"] != earlier["number"]
    issued = TicketEvent.objects.get(ticket=placed, kind=TicketEventKind.ISSUED)
    assert datetime.fromisoformat(issued.detail["queued_at"]) == at(10)


def test_the_counter_calls_earlier_walk_ins_then_the_booking_then_later_walk_ins(customer, kiosk, hall_floor,
                                                                                    clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 50))
    earlier = walk_in(kiosk, hall_floor.hall)["number"]
    clock.move_to(at(10, 5))
    later = walk_in(kiosk, hall_floor.hall)["number"]
    clock.move_to(at(10, 10))
    booked = check_in(kiosk, hall_floor.hall, code=code).json()["ticket"]["number"]
    agent = staff(hall_floor.agent)
    counter = hall_floor.counter2.pk  # payment only
    assert agent.post(f"/api/v1/counters/{counter}/open/").status_code == 200

    called = []
    for _ in range(3):
        response = agent.post(f"/api/v1/counters/{counter}/call-next/")
        assert response.status_code == 200, response.content
        called.append(response.json()["number"])
        agent.post(f"/api/v1/counters/{counter}/start/")
        agent.post(f"/api/v1/counters/{counter}/finish/")

    assert called == [earlier, booked, later]


def test_a_walk_in_behind_the_placed_ticket_reports_its_new_position(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(10, 5))
    later = walk_in(kiosk, hall_floor.hall)
    assert later["position"] == 1
    clock.move_to(at(10, 10))

    check_in(kiosk, hall_floor.hall, code=code)

    response = APIClient().get(f"/api/v1/tickets/{later['token']}/")
    assert response.json()["position"] == 2


def test_a_placed_ticket_asks_the_refresher_for_everyones_positions(customer, kiosk, hall_floor, clock,
                                                                      monkeypatch, django_capture_on_commit_callbacks):
    from queueing import refresh

    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(10, 10))
    jobs = []
    monkeypatch.setattr(refresh.refresher, "request", lambda outlet_id, job: jobs.append(job))

    with django_capture_on_commit_callbacks(execute=True):
        check_in(kiosk, hall_floor.hall, code=code)

    assert any(job["positions"] for job in jobs)


def test_checking_in_after_the_window_gives_a_walk_in_ticket_and_counts_as_late(customer, kiosk, hall_floor,
                                                                                 clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(10, 20))

    response = check_in(kiosk, hall_floor.hall, code=code)

    assert response.status_code == 201
    assert response.json()["late"] is True
    ticket = Ticket.objects.get()
    assert ticket.queued_at == ticket.issued_at == at(10, 20)
    assert Appointment.objects.get(code=code).status == AppointmentStatus.LATE
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 0


def test_a_booking_of_an_earlier_day_cannot_be_checked_in(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(10, day=at(10).date().replace(day=19)))

    response = check_in(kiosk, hall_floor.hall, code=code)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_in_window"


def test_a_repeated_check_in_returns_the_same_ticket(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 45))
    first = check_in(kiosk, hall_floor.hall, code=code)
    clock.move_to(at(9, 47))

    again = check_in(kiosk, hall_floor.hall, code=code.lower())

    assert again.status_code == 200
    assert again.json()["ticket"]["number"] == first.json()["ticket"]["number"]
    assert Ticket.objects.count() == 1


def test_checking_in_by_phone_finds_todays_booking(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 45))

    response = check_in(kiosk, hall_floor.hall, phone=PHONE)

    assert response.status_code == 201
    assert response.json()["appointment"]["code"] == code


def test_a_phone_without_a_booking_today_is_404(kiosk, hall_floor):
    response = check_in(kiosk, hall_floor.hall, phone="13700137000")

    assert response.status_code == 404


def test_a_cancelled_booking_cannot_be_checked_in(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    customer.post(f"/api/v1/me/appointments/{code}/cancel/")
    clock.move_to(at(9, 45))

    response = check_in(kiosk, hall_floor.hall, code=code)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "appointment_cancelled"


@pytest.mark.parametrize("body", [{}, {"code": "AB"}, {"phone": "12345"}, {"code": "ABCDEF", "phone": PHONE},
                                  {"code": "AB C!D"}])
def test_check_in_with_bad_input_is_400(kiosk, hall_floor, body):
    response = check_in(kiosk, hall_floor.hall, **body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_check_in_needs_a_kiosk_or_staff_of_the_hall(api, customer, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 45))

    assert check_in(api, hall_floor.hall, code=code).status_code == 401
    assert check_in(customer, hall_floor.hall, code=code).status_code == 401
    assert not Ticket.objects.exists()


def test_a_kiosk_of_another_hall_may_not_check_in(customer, hall_floor, clock):
    from tests.halls.factories import OutletFactory

    code = book(customer, hall_floor.hall, at(10))
    elsewhere = kiosk_client(OutletFactory(), token="other-hall-kiosk")
    clock.move_to(at(9, 45))

    assert check_in(elsewhere, hall_floor.hall, code=code).status_code == 403


def test_a_booking_of_another_hall_is_not_found_at_this_one(customer, hall_floor, clock):
    from tests.halls.factories import OutletFactory

    code = book(customer, hall_floor.hall, at(10))
    other = OutletFactory()
    elsewhere = kiosk_client(other, token="other-hall-kiosk")
    clock.move_to(at(9, 45))

    assert check_in(elsewhere, other, code=code).status_code == 404


def test_staff_of_the_hall_may_check_in(customer, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 45))

    response = check_in(staff(hall_floor.agent), hall_floor.hall, code=code)

    assert response.status_code == 201
