"""Taking, following and leaving the queue over HTTP:
`POST /api/v1/halls/{code}/tickets/`, `GET /api/v1/tickets/{token}/`, `POST .../cancel/`."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import OpeningException, OpeningHours
from queueing import services
from queueing.models import Ticket
from tests.api_errors import assert_api_error
from tests.queueing.factories import build_floor

TICKET_FIELDS = {
    "id", "token", "number", "service", "hall", "status", "priority", "channel", "position",
    "estimated_wait_seconds", "issued_at", "track_url",
}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # With DATABASE_URL set (the PostgreSQL run) DEBUG is off and SecurityMiddleware
    # would redirect the test client's plain-HTTP requests to https.
    settings.SECURE_SSL_REDIRECT = False


# 2027-01-15 16:00 in Zhengzhou, a Friday afternoon.
FIXED_INSTANT = 1_800_000_000.0


@pytest.fixture
def fixed_clock():
    """A clock that stands still: every request of the test falls in one rate-limit window."""
    with time_machine.travel(FIXED_INSTANT, tick=False):
        yield


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def issue(client, hall, key=None, **body):
    """Take a ticket; by default what a kiosk attendant would send."""
    payload = {"service": "payment", "channel": "kiosk", **body}
    headers = {"Idempotency-Key": key} if key else None
    return client.post(f"/api/v1/halls/{hall.code}/tickets/", payload, format="json", headers=headers)


def mobile(phone="13800138000", **body):
    """What the carrier's app sends without signing in."""
    return {"channel": "mobile", "phone": phone, **body}


def track(client, token):
    return client.get(f"/api/v1/tickets/{token}/")


# --- Issuing ------------------------------------------------------------------


@pytest.mark.smoke
def test_staff_issue_a_ticket_with_every_contract_field(floor, staff_api):
    response = issue(staff_api, floor.hall)

    assert response.status_code == 201
    body = response.json()
    assert TICKET_FIELDS <= set(body)
    ticket = Ticket.objects.get()
    assert body["id"] == ticket.pk
    assert body["token"] == ticket.token
    assert (body["number"], body["service"], body["hall"]) == ("A001", "payment", floor.hall.code)
    assert (body["status"], body["priority"], body["channel"]) == ("waiting", "normal", "kiosk")
    assert (body["position"], body["estimated_wait_seconds"]) == (1, 120)
    assert body["track_url"].endswith(f"/t/{ticket.token}/")


def test_issued_at_is_iso_8601_with_an_offset(floor, staff_api):
    response = issue(staff_api, floor.hall)

    issued_at = datetime.fromisoformat(response.json()["issued_at"])
    assert issued_at.utcoffset() is not None
    assert abs(issued_at - timezone.now()) < timedelta(minutes=1)


def test_the_next_ticket_of_a_service_takes_the_next_number(floor, staff_api):
    issue(staff_api, floor.hall)

    response = issue(staff_api, floor.hall)

    assert response.json()["number"] == "A002"


def test_each_service_numbers_with_its_own_prefix(floor, staff_api):
    issue(staff_api, floor.hall)

    response = issue(staff_api, floor.hall, service="enquiry")

    assert response.json()["number"] == "H001"


@pytest.mark.parametrize("channel", ["kiosk", "mobile", "staff", "appointment"])
def test_staff_may_issue_on_any_channel(floor, staff_api, channel):
    response = issue(staff_api, floor.hall, channel=channel)

    assert response.status_code == 201
    assert response.json()["channel"] == channel


@pytest.mark.parametrize("priority", ["normal", "vip", "care"])
def test_staff_may_issue_any_priority(floor, staff_api, priority):
    response = issue(staff_api, floor.hall, priority=priority)

    assert response.status_code == 201
    assert response.json()["priority"] == priority


def test_staff_may_issue_with_a_phone_number_shown_masked(floor, staff_api):
    response = issue(staff_api, floor.hall, phone="13800138000")

    assert response.status_code == 201
    assert response.json()["phone_masked"] == "138****8000"
    assert "13800138000" not in response.content.decode()


def test_anyone_may_take_a_normal_mobile_ticket_with_a_phone(floor, api):
    response = issue(api, floor.hall, **mobile())

    assert response.status_code == 201
    body = response.json()
    assert (body["channel"], body["priority"], body["status"]) == ("mobile", "normal", "waiting")
    assert Ticket.objects.get().issued_by is None


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "mobile"},
        {"channel": "mobile", "phone": ""},
        {"channel": "kiosk", "phone": "13800138000"},
        {"channel": "staff", "phone": "13800138000"},
        {"channel": "appointment", "phone": "13800138000"},
        {"channel": "mobile", "phone": "13800138000", "priority": "vip"},
        {"channel": "mobile", "phone": "13800138000", "priority": "care"},
    ],
    ids=["no-phone", "blank-phone", "kiosk", "staff", "appointment", "vip", "care"],
)
def test_without_signing_in_only_a_normal_mobile_ticket_with_a_phone_is_allowed(floor, api, body):
    response = issue(api, floor.hall, **body)

    assert_api_error(response, 403, "permission_denied")
    assert not Ticket.objects.exists()


def test_the_21st_anonymous_ticket_from_one_address_within_the_window_is_rate_limited(floor, api, fixed_clock):
    # Different phones: the per-phone daily limit is a different rule.
    for n in range(20):
        assert issue(api, floor.hall, **mobile(f"1390000{n:04d}")).status_code == 201

    response = issue(api, floor.hall, **mobile("13911112222"))

    assert_api_error(response, 429, "rate_limited")
    assert Ticket.objects.count() == 20


def test_the_anonymous_limit_counts_per_client_address(floor, api, fixed_clock, settings):
    settings.QUEUE_ANON_ISSUE_LIMIT = 2
    for n in range(2):
        issue(api, floor.hall, **mobile(f"1390000{n:04d}"))

    response = api.post(
        f"/api/v1/halls/{floor.hall.code}/tickets/",
        {"service": "payment", **mobile("13911112222")},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    )

    assert response.status_code == 201


def test_staff_are_not_held_to_the_anonymous_limit(floor, staff_api, fixed_clock, settings):
    settings.QUEUE_ANON_ISSUE_LIMIT = 2
    for _ in range(2):
        issue(staff_api, floor.hall)

    response = issue(staff_api, floor.hall)

    assert response.status_code == 201


@pytest.mark.smoke
def test_a_retry_with_the_same_idempotency_key_returns_the_same_ticket(floor, staff_api):
    first = issue(staff_api, floor.hall, key="kiosk-7-press-42")

    retry = issue(staff_api, floor.hall, key="kiosk-7-press-42")

    assert retry.status_code == 201
    assert (retry.json()["id"], retry.json()["number"]) == (first.json()["id"], first.json()["number"])
    assert Ticket.objects.count() == 1


def test_an_anonymous_retry_with_the_same_idempotency_key_returns_the_same_ticket(floor, api):
    first = issue(api, floor.hall, key="app-3f9c", **mobile())

    retry = issue(api, floor.hall, key="app-3f9c", **mobile())

    assert retry.json()["id"] == first.json()["id"]
    assert Ticket.objects.count() == 1


def test_a_retry_does_not_use_up_a_number(floor, staff_api):
    issue(staff_api, floor.hall, key="press-1")
    issue(staff_api, floor.hall, key="press-1")

    response = issue(staff_api, floor.hall, key="press-2")

    assert response.json()["number"] == "A002"


def test_different_idempotency_keys_take_different_tickets(floor, staff_api):
    first = issue(staff_api, floor.hall, key="press-1")

    second = issue(staff_api, floor.hall, key="press-2")

    assert second.json()["id"] != first.json()["id"]
    assert Ticket.objects.count() == 2


def test_the_same_idempotency_key_at_another_hall_takes_a_ticket_there(floor, api):
    other = build_floor()
    issue(api, floor.hall, key="same-key", **mobile())

    response = issue(api, other.hall, key="same-key", **mobile("13900001111"))

    assert response.status_code == 201
    assert response.json()["hall"] == other.hall.code
    assert Ticket.objects.count() == 2


def test_a_hall_outside_its_opening_hours_refuses_tickets(db, api):
    floor = build_floor(always_open=False)
    # Open one hour a day, starting two hours from now: never now.
    now = timezone.localtime()
    OpeningHours.objects.bulk_create(
        OpeningHours(outlet=floor.hall, weekday=d, opens=(now + timedelta(hours=2)).time().replace(microsecond=0),
                     closes=(now + timedelta(hours=3)).time().replace(microsecond=0))
        for d in range(7)
    )

    response = issue(api, floor.hall, **mobile())

    assert_api_error(response, 409, "hall_closed")
    assert not Ticket.objects.exists()


def test_a_hall_with_no_opening_hours_refuses_tickets(db):
    floor = build_floor(always_open=False)

    response = issue(client_for(floor.agent), floor.hall)

    assert_api_error(response, 409, "hall_closed")


def test_a_hall_closed_today_for_a_holiday_refuses_tickets(floor, api):
    OpeningException.objects.create(outlet=floor.hall, date=timezone.localdate(), is_closed=True, note="春节")

    response = issue(api, floor.hall, **mobile())

    assert_api_error(response, 409, "hall_closed")


def test_an_outlet_without_a_queue_refuses_tickets(floor, api):
    floor.hall.has_queue = False
    floor.hall.save()

    response = issue(api, floor.hall, **mobile())

    assert_api_error(response, 409, "no_queue")


def test_an_unknown_service_is_a_bad_request(floor, staff_api):
    response = issue(staff_api, floor.hall, service="karaoke")

    error = assert_api_error(response, 400)
    assert "service" in error["fields"]
    assert not Ticket.objects.exists()


def test_a_service_the_hall_does_not_offer_is_a_bad_request(floor, staff_api):
    floor.hall.hall_services.filter(service=floor.enquiry).update(is_active=False)

    response = issue(staff_api, floor.hall, service="enquiry")

    assert_api_error(response, 400)


@pytest.mark.parametrize(
    "phone",
    ["12345", "1380013800", "138001380001", "23800138000", "12800138000", "1380013800a", "+8613800138000",
     "138-0013-8000"],
)
def test_an_invalid_phone_is_a_validation_error_on_the_phone_field(floor, api, phone):
    response = issue(api, floor.hall, **mobile(phone))

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["phone"]


def test_a_phone_written_with_non_ascii_digits_is_a_validation_error(floor, api):
    # Python's \d also matches full-width and other scripts' digits.
    response = issue(api, floor.hall, **mobile("13８００１３８０００"))

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["phone"]


@pytest.mark.parametrize("body", [{"channel": "pager"}, {"priority": "urgent"}, {"service": ""}, {"channel": None}])
def test_an_invalid_field_is_a_validation_error_naming_it(floor, staff_api, body):
    response = issue(staff_api, floor.hall, **body)

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == list(body)


def test_each_request_is_validated_afresh_after_a_refused_one(floor, staff_api):
    refused = issue(staff_api, floor.hall, channel="pager")
    taken = issue(staff_api, floor.hall)
    refused_again = issue(staff_api, floor.hall, priority="urgent")

    assert list(assert_api_error(refused, 400, "validation_error")["fields"]) == ["channel"]
    assert taken.status_code == 201
    assert list(assert_api_error(refused_again, 400, "validation_error")["fields"]) == ["priority"]


def test_staff_of_another_hall_may_not_issue_here(floor):
    other = build_floor()

    response = issue(client_for(other.agent), floor.hall)

    assert_api_error(response, 403, "permission_denied")
    assert not Ticket.objects.exists()


def test_a_superuser_may_issue_at_any_hall(floor):
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")

    response = issue(client_for(root), floor.hall, priority="vip")

    assert response.status_code == 201


def test_issuing_at_an_unknown_hall_is_not_found(floor, staff_api):
    response = staff_api.post("/api/v1/halls/NO-SUCH/tickets/", {"service": "payment", "channel": "kiosk"},
                              format="json")

    assert_api_error(response, 404, "not_found")


# --- Tracking -----------------------------------------------------------------


@pytest.mark.smoke
def test_the_holder_follows_a_ticket_by_its_token(floor, staff_api, api):
    issue(staff_api, floor.hall)
    token = issue(staff_api, floor.hall).json()["token"]

    response = track(api, token)

    assert response.status_code == 200
    body = response.json()
    assert TICKET_FIELDS <= set(body)
    assert (body["number"], body["status"]) == ("A002", "waiting")
    assert (body["position"], body["estimated_wait_seconds"]) == (2, 240)


def test_following_an_unknown_token_is_not_found(floor, api):
    response = track(api, "no-such-token")

    assert_api_error(response, 404, "not_found")


def test_a_ticket_moves_up_when_the_one_before_it_is_called(floor, staff_api, api):
    issue(staff_api, floor.hall)
    token = issue(staff_api, floor.hall).json()["token"]
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    response = track(api, token)

    assert response.json()["position"] == 1


def test_a_called_ticket_shows_its_counter_and_no_position(floor, staff_api, api):
    token = issue(staff_api, floor.hall).json()["token"]
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    response = track(api, token)

    body = response.json()
    assert (body["status"], body["counter"], body["position"]) == ("called", 2, None)


@pytest.mark.parametrize("priority", ["vip", "care"])
def test_vip_and_care_tickets_are_placed_before_normal_ones(floor, staff_api, api, priority):
    normal = issue(staff_api, floor.hall).json()

    priority_ticket = issue(staff_api, floor.hall, priority=priority).json()

    assert priority_ticket["position"] == 1
    assert track(api, normal["token"]).json()["position"] == 2


def test_within_a_class_the_earliest_issued_goes_first(floor, staff_api, api):
    first = issue(staff_api, floor.hall, priority="vip").json()

    second = issue(staff_api, floor.hall, priority="care").json()

    assert (first["position"], second["position"]) == (1, 2)
    assert track(api, first["token"]).json()["position"] == 1


def test_position_1_is_the_ticket_that_is_called_next(floor, staff_api, api):
    tokens = [issue(staff_api, floor.hall, priority=p).json()["token"] for p in ("normal", "care", "normal", "vip")]
    positions = {token: track(api, token).json()["position"] for token in tokens}
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    called = services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    assert sorted(positions.values()) == [1, 2, 3, 4]
    assert positions[called.token] == 1


# --- Leaving the queue --------------------------------------------------------


def test_the_holder_cancels_a_waiting_ticket(floor, staff_api, api):
    token = issue(staff_api, floor.hall).json()["token"]

    response = api.post(f"/api/v1/tickets/{token}/cancel/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["position"]) == ("cancelled", None)
    assert Ticket.objects.get(token=token).status == "cancelled"


def test_cancelling_twice_is_a_conflict_in_the_error_shape(floor, staff_api, api):
    token = issue(staff_api, floor.hall).json()["token"]
    api.post(f"/api/v1/tickets/{token}/cancel/")

    response = api.post(f"/api/v1/tickets/{token}/cancel/")

    assert_api_error(response, 409)


def test_a_called_ticket_cannot_be_cancelled(floor, staff_api, api):
    token = issue(staff_api, floor.hall).json()["token"]
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    response = api.post(f"/api/v1/tickets/{token}/cancel/")

    assert_api_error(response, 409)
    assert Ticket.objects.get(token=token).status == "called"


def test_cancelling_an_unknown_token_is_not_found(floor, api):
    response = api.post("/api/v1/tickets/no-such-token/cancel/")

    assert_api_error(response, 404, "not_found")


def test_the_ticket_behind_a_cancelled_one_moves_up(floor, staff_api, api):
    first = issue(staff_api, floor.hall).json()["token"]
    second = issue(staff_api, floor.hall).json()["token"]

    api.post(f"/api/v1/tickets/{first}/cancel/")

    assert track(api, second).json()["position"] == 1


def test_a_ticket_called_again_after_a_transfer_keeps_its_first_call_time(floor, staff_api, api):
    token = issue(staff_api, floor.hall).json()["token"]
    first_call = timezone.now() - timedelta(minutes=10)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent, now=first_call)
    services.ticket_transfer(counter_id=floor.counter1.pk, service_code="enquiry", actor=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    body = track(api, token).json()

    assert datetime.fromisoformat(body["first_called_at"]) == first_call
    assert datetime.fromisoformat(body["called_at"]) > first_call
