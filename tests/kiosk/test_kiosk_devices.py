"""Kiosks: `Authorization: Kiosk <device token>`, and taking tickets at their own hall."""

import pytest
from rest_framework.test import APIClient

from kiosk.models import KioskDevice, token_digest
from queueing.models import Ticket
from tests.api_errors import assert_api_error
from tests.queueing.factories import build_floor

from .conftest import KIOSK_TOKEN
from .factories import KioskDeviceFactory


@pytest.fixture
def floor_kiosk(db):
    floor = build_floor()
    KioskDeviceFactory(outlet=floor.hall, token="floor-kiosk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Kiosk floor-kiosk")
    return floor, client


def take(client, hall, **body):
    payload = {"service": "payment", "channel": "kiosk", **body}
    return client.post(f"/api/v1/halls/{hall.code}/tickets/", payload, format="json")


@pytest.mark.smoke
def test_a_kiosk_takes_a_ticket_at_its_own_hall(floor_kiosk):
    floor, client = floor_kiosk

    response = take(client, floor.hall)

    assert response.status_code == 201
    assert (response.json()["channel"], response.json()["number"]) == ("kiosk", "A001")
    assert Ticket.objects.get().issued_by is None


def test_a_kiosk_may_take_a_care_ticket(floor_kiosk):
    floor, client = floor_kiosk

    response = take(client, floor.hall, priority="care")

    assert response.json()["priority"] == "care"


def test_a_kiosk_may_not_take_a_vip_ticket(floor_kiosk):
    floor, client = floor_kiosk

    assert_api_error(take(client, floor.hall, priority="vip"), 403, "permission_denied")


def test_a_kiosk_takes_only_kiosk_tickets(floor_kiosk):
    floor, client = floor_kiosk

    assert_api_error(take(client, floor.hall, channel="staff"), 403, "permission_denied")


def test_a_kiosk_may_not_take_a_ticket_at_another_hall(floor_kiosk):
    _, client = floor_kiosk
    other = build_floor(code="T-OTHER")

    assert_api_error(take(client, other.hall), 403, "permission_denied")
    assert Ticket.objects.count() == 0


def test_an_unknown_kiosk_token_is_refused(db):
    floor = build_floor()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Kiosk not-a-kiosk")

    response = take(client, floor.hall)

    assert_api_error(response, 401, "authentication_failed")


def test_a_disabled_kiosk_is_refused(floor_kiosk):
    floor, client = floor_kiosk
    KioskDevice.objects.update(is_active=False)

    assert_api_error(take(client, floor.hall), 401, "authentication_failed")


def test_only_a_hash_of_the_device_token_is_stored(kiosk):
    assert kiosk.token_hash == token_digest(KIOSK_TOKEN)
    assert not KioskDevice.objects.filter(token_hash=KIOSK_TOKEN).exists()


def test_a_kiosk_request_marks_it_seen(kiosk_api, kiosk):
    kiosk_api.get("/api/v1/kiosk/")

    kiosk.refresh_from_db()
    assert kiosk.last_seen_at is not None


def test_a_kiosk_reads_which_hall_it_belongs_to(kiosk_api, kiosk):
    body = kiosk_api.get("/api/v1/kiosk/").json()

    assert (body["id"], body["hall"], body["name"]) == (kiosk.pk, kiosk.outlet.code, kiosk.name)


def test_the_kiosk_endpoint_needs_a_kiosk(api, db):
    assert_api_error(api.get("/api/v1/kiosk/"), 401, "not_authenticated")


def test_every_api_view_understands_the_kiosk_header(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Kiosk wrong")

    assert_api_error(client.get("/api/v1/halls/"), 401, "authentication_failed")
