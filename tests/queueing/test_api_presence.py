"""Stepping away and checking in over HTTP: `POST /api/v1/tickets/{token}/away/`,
`.../back/`, `.../check-in/` (holder of the token) and
`POST /api/v1/halls/{code}/tickets/check-in/` (the hall's kiosk)."""

import pytest
from rest_framework.test import APIClient

from queueing import services
from queueing.models import Ticket
from tests.api_errors import assert_api_error
from tests.kiosk.factories import KioskDeviceFactory
from tests.queueing.factories import build_floor


@pytest.fixture
def remote(floor):
    return services.ticket_issue(outlet=floor.hall, service_code="payment", channel="mobile",
                                 phone="13800138000")[0]


@pytest.fixture
def walk_in(floor):
    return services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]


def kiosk_client(hall, token="kiosk-presence-token"):
    KioskDeviceFactory(outlet=hall, token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Kiosk {token}")
    return client


def test_the_holder_steps_away_and_the_ticket_says_until_when(api, walk_in):
    response = api.post(f"/api/v1/tickets/{walk_in.token}/away/", {"minutes": 10}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["away_until"] is not None and body["step_away_left"] == 0
    assert body["status"] == "waiting" and body["check_in_required"] is False


def test_minutes_not_offered_are_a_validation_error(api, walk_in):
    response = api.post(f"/api/v1/tickets/{walk_in.token}/away/", {"minutes": 45}, format="json")

    assert_api_error(response, 400, "validation_error")


def test_coming_back_when_not_away_is_a_conflict(api, walk_in):
    response = api.post(f"/api/v1/tickets/{walk_in.token}/back/")

    assert_api_error(response, 409, "not_away")


def test_the_holder_comes_back_early(api, walk_in):
    api.post(f"/api/v1/tickets/{walk_in.token}/away/", {"minutes": 5}, format="json")

    response = api.post(f"/api/v1/tickets/{walk_in.token}/back/")

    assert response.status_code == 200 and response.json()["away_until"] is None


def test_an_unknown_token_is_not_found(api, db):
    response = api.post("/api/v1/tickets/no-such-ticket-token-at-all/away/", {"minutes": 5}, format="json")

    assert response.status_code == 404


def test_a_phone_ticket_says_its_holder_must_check_in(api, remote):
    response = api.get(f"/api/v1/tickets/{remote.token}/")

    assert response.json()["check_in_required"] is True


def test_the_holder_checks_in_with_the_halls_code(api, floor, remote):
    key = services.hall_check_in_key(outlet=floor.hall)

    response = api.post(f"/api/v1/tickets/{remote.token}/check-in/", {"hall_key": key}, format="json")

    assert response.status_code == 200 and response.json()["check_in_required"] is False


def test_a_bad_hall_code_is_refused(api, remote):
    response = api.post(f"/api/v1/tickets/{remote.token}/check-in/", {"hall_key": "nonsense"}, format="json")

    assert_api_error(response, 400, "hall_key_invalid")


def test_checking_in_far_from_the_hall_is_refused(api, remote):
    response = api.post(f"/api/v1/tickets/{remote.token}/check-in/", {"lat": 34.9, "lng": 113.68}, format="json")

    assert_api_error(response, 409, "too_far")


def test_checking_in_with_neither_code_nor_location_is_a_validation_error(api, remote):
    response = api.post(f"/api/v1/tickets/{remote.token}/check-in/", {"lat": 34.78}, format="json")

    assert_api_error(response, 400, "validation_error")


def test_the_kiosk_checks_in_the_ticket_whose_qr_code_it_scanned(floor, remote):
    client = kiosk_client(floor.hall)

    response = client.post(f"/api/v1/halls/{floor.hall.code}/tickets/check-in/",
                           {"token": f"https://qms.example/t/{remote.token}/"}, format="json")

    assert response.status_code == 200
    assert response.json()["number"] == remote.number
    assert Ticket.objects.get(pk=remote.pk).awaiting_arrival is False


def test_the_kiosk_checks_in_by_number_and_last_four_digits(floor, remote):
    client = kiosk_client(floor.hall)

    response = client.post(f"/api/v1/halls/{floor.hall.code}/tickets/check-in/",
                           {"number": remote.number, "phone_last4": "8000"}, format="json")

    assert response.status_code == 200


def test_the_kiosk_finds_nothing_with_the_wrong_digits(floor, remote):
    client = kiosk_client(floor.hall)

    response = client.post(f"/api/v1/halls/{floor.hall.code}/tickets/check-in/",
                           {"number": remote.number, "phone_last4": "0000"}, format="json")

    assert_api_error(response, 404, "ticket_not_found")


def test_a_kiosk_refuses_another_halls_ticket(floor, db):
    other = build_floor()
    ticket = services.ticket_issue(outlet=other.hall, service_code="payment", channel="mobile",
                                   phone="13800138000")[0]
    client = kiosk_client(floor.hall)

    response = client.post(f"/api/v1/halls/{floor.hall.code}/tickets/check-in/", {"token": ticket.token},
                           format="json")

    assert_api_error(response, 409, "other_hall")


def test_a_kiosk_of_another_hall_may_not_check_in_here(floor, remote):
    other = build_floor()
    client = kiosk_client(other.hall)

    response = client.post(f"/api/v1/halls/{floor.hall.code}/tickets/check-in/", {"token": remote.token},
                           format="json")

    assert response.status_code == 403


def test_checking_in_at_the_hall_needs_a_kiosk_or_staff(api, floor, remote):
    response = api.post(f"/api/v1/halls/{floor.hall.code}/tickets/check-in/", {"token": remote.token},
                        format="json")

    assert response.status_code in (401, 403)
