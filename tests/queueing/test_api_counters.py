"""Counter operations over HTTP: `POST /api/v1/counters/{id}/<action>/`, staff of the hall only."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from queueing import services
from queueing.models import Ticket, TicketEvent
from tests.api_errors import assert_api_error
from tests.queueing.factories import build_floor

ACTIONS = ["open", "close", "pause", "resume", "call-next", "recall", "start", "finish", "no-show", "transfer"]
ACTION_BODY_KEYS = {"counter", "current_ticket", "ticket"}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # With DATABASE_URL set (the PostgreSQL run) DEBUG is off and SecurityMiddleware
    # would redirect the test client's plain-HTTP requests to https.
    settings.SECURE_SSL_REDIRECT = False


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def act(client, counter, action, body=None, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return client.post(f"/api/v1/counters/{counter.pk}/{action}/", body, format="json", headers=headers)


def issue(floor, service="payment", priority="normal") -> Ticket:
    return services.ticket_issue(outlet=floor.hall, service_code=service, channel="kiosk", priority=priority)[0]


def open_counter(floor, counter=None):
    counter = counter or floor.counter2
    services.counter_open(counter_id=counter.pk, user=floor.agent)
    return counter


def called(floor, counter=None) -> Ticket:
    """A ticket called to an open counter (counter 2, payment, by default)."""
    issue(floor)
    counter = open_counter(floor, counter)
    return services.ticket_call_next(counter_id=counter.pk, actor=floor.agent)


# --- Counter state ------------------------------------------------------------


def test_opening_a_counter_signs_the_caller_in(floor, staff_api):
    response = act(staff_api, floor.counter1, "open")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ACTION_BODY_KEYS
    assert body["counter"]["id"] == floor.counter1.pk
    assert body["counter"]["number"] == 1
    assert body["counter"]["hall"] == floor.hall.code
    assert (body["counter"]["state"], body["counter"]["signed_in_user"]) == ("open", floor.agent.username)
    assert (body["current_ticket"], body["ticket"]) == (None, None)


def test_opening_a_counter_someone_else_is_signed_in_to_is_a_conflict(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)

    response = act(client_for(floor.agent), floor.counter1, "open")

    assert_api_error(response, 409, "counter_in_use")


def test_an_agent_signed_in_to_one_counter_cannot_open_another(floor, staff_api):
    open_counter(floor, floor.counter1)

    response = act(staff_api, floor.counter2, "open")

    assert_api_error(response, 409, "signed_in_elsewhere")


def test_closing_a_counter_signs_its_agent_out(floor, staff_api):
    open_counter(floor)

    response = act(staff_api, floor.counter2, "close")

    assert response.status_code == 200
    counter = response.json()["counter"]
    assert (counter["state"], counter["signed_in_user"]) == ("closed", None)


def test_closing_a_counter_with_a_ticket_at_it_is_a_conflict(floor, staff_api):
    called(floor)

    response = act(staff_api, floor.counter2, "close")

    assert_api_error(response, 409, "counter_busy")


def test_pausing_a_counter_records_the_reason(floor, staff_api):
    open_counter(floor)

    response = act(staff_api, floor.counter2, "pause", {"reason": "meeting"})

    assert response.status_code == 200
    counter = response.json()["counter"]
    assert (counter["state"], counter["pause_reason"], counter["signed_in_user"]) == (
        "paused", "meeting", floor.agent.username,
    )


def test_pausing_without_a_reason_means_a_break(floor, staff_api):
    open_counter(floor)

    response = act(staff_api, floor.counter2, "pause")

    assert response.json()["counter"]["pause_reason"] == "break"


def test_pausing_for_an_unknown_reason_is_a_validation_error(floor, staff_api):
    open_counter(floor)

    response = act(staff_api, floor.counter2, "pause", {"reason": "nap"})

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["reason"]


def test_pausing_a_closed_counter_is_a_conflict(floor, staff_api):
    response = act(staff_api, floor.counter2, "pause")

    assert_api_error(response, 409, "counter_not_open")


def test_resuming_a_paused_counter_opens_it_again(floor, staff_api):
    open_counter(floor)
    services.counter_pause(counter_id=floor.counter2.pk, actor=floor.agent)

    response = act(staff_api, floor.counter2, "resume")

    assert response.status_code == 200
    counter = response.json()["counter"]
    assert (counter["state"], counter["pause_reason"], counter["signed_in_user"]) == (
        "open", "", floor.agent.username,
    )


def test_resuming_a_closed_counter_is_a_conflict(floor, staff_api):
    response = act(staff_api, floor.counter2, "resume")

    assert_api_error(response, 409, "counter_not_open")


# --- Call next ----------------------------------------------------------------


@pytest.mark.smoke
def test_call_next_answers_with_the_ticket_now_called(floor, staff_api):
    waiting = issue(floor)
    open_counter(floor)

    response = act(staff_api, floor.counter2, "call-next")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["number"], body["status"]) == (waiting.pk, "A001", "called")
    assert (body["counter"], body["call_count"], body["position"]) == (2, 1, None)


def test_call_next_takes_vip_before_an_earlier_normal_ticket(floor, staff_api):
    issue(floor)
    vip = issue(floor, priority="vip")
    open_counter(floor)

    response = act(staff_api, floor.counter2, "call-next")

    assert response.json()["id"] == vip.pk


def test_call_next_with_nothing_waiting_answers_204_with_an_empty_body(floor, staff_api):
    issue(floor, "enquiry")  # counter 2 serves payment only
    open_counter(floor)

    response = act(staff_api, floor.counter2, "call-next")

    assert response.status_code == 204
    assert response.content == b""


def test_call_next_at_a_closed_counter_is_a_conflict(floor, staff_api):
    issue(floor)

    response = act(staff_api, floor.counter2, "call-next")

    assert_api_error(response, 409, "counter_not_open")
    assert Ticket.objects.get().status == "waiting"


def test_call_next_at_a_paused_counter_is_a_conflict(floor, staff_api):
    issue(floor)
    open_counter(floor)
    services.counter_pause(counter_id=floor.counter2.pk, actor=floor.agent)

    response = act(staff_api, floor.counter2, "call-next")

    assert_api_error(response, 409, "counter_not_open")
    assert Ticket.objects.get().status == "waiting"


@pytest.mark.parametrize("status", ["called", "serving"])
def test_call_next_while_the_current_ticket_is_unfinished_is_a_conflict(floor, staff_api, status):
    current = called(floor)
    if status == "serving":
        services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
    waiting = issue(floor)

    response = act(staff_api, floor.counter2, "call-next")

    assert_api_error(response, 409, "counter_busy")
    assert Ticket.objects.get(pk=current.pk).status == status
    assert Ticket.objects.get(pk=waiting.pk).status == "waiting"


@pytest.mark.smoke
def test_a_second_press_with_the_same_idempotency_key_returns_the_same_ticket(floor, staff_api):
    first_waiting = issue(floor)
    second_waiting = issue(floor)
    open_counter(floor)
    first = act(staff_api, floor.counter2, "call-next", key="console-press-1")

    again = act(staff_api, floor.counter2, "call-next", key="console-press-1")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] == first_waiting.pk
    assert Ticket.objects.get(pk=second_waiting.pk).status == "waiting"
    assert TicketEvent.objects.filter(kind="called").count() == 1


def test_a_new_idempotency_key_is_a_new_press(floor, staff_api):
    issue(floor)
    open_counter(floor)
    act(staff_api, floor.counter2, "call-next", key="console-press-1")

    response = act(staff_api, floor.counter2, "call-next", key="console-press-2")

    assert_api_error(response, 409, "counter_busy")


# --- The current ticket -------------------------------------------------------


def test_recall_calls_the_current_ticket_again(floor, staff_api):
    ticket = called(floor)

    response = act(staff_api, floor.counter2, "recall")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ACTION_BODY_KEYS
    assert body["counter"]["id"] == floor.counter2.pk
    assert (body["ticket"]["id"], body["ticket"]["status"], body["ticket"]["call_count"]) == (ticket.pk, "called", 2)
    assert body["current_ticket"]["id"] == ticket.pk


def test_start_begins_serving_the_current_ticket(floor, staff_api):
    ticket = called(floor)

    response = act(staff_api, floor.counter2, "start")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ACTION_BODY_KEYS
    assert (body["ticket"]["id"], body["ticket"]["status"]) == (ticket.pk, "serving")
    assert body["ticket"]["started_at"] is not None
    assert (body["current_ticket"]["id"], body["current_ticket"]["status"]) == (ticket.pk, "serving")


def test_finish_completes_the_current_ticket_and_frees_the_counter(floor, staff_api):
    ticket = called(floor)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)

    response = act(staff_api, floor.counter2, "finish")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ACTION_BODY_KEYS
    assert (body["ticket"]["id"], body["ticket"]["status"]) == (ticket.pk, "done")
    assert body["current_ticket"] is None
    assert body["counter"]["state"] == "open"


def test_no_show_closes_the_current_ticket_and_frees_the_counter(floor, staff_api):
    ticket = called(floor)

    response = act(staff_api, floor.counter2, "no-show")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ACTION_BODY_KEYS
    assert (body["ticket"]["id"], body["ticket"]["status"]) == (ticket.pk, "no_show")
    assert body["current_ticket"] is None


def test_transfer_sends_the_current_ticket_to_another_queue_with_the_same_number(floor, staff_api):
    ticket = called(floor, floor.counter1)

    response = act(staff_api, floor.counter1, "transfer", {"service": "enquiry"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ACTION_BODY_KEYS
    moved = body["ticket"]
    assert (moved["id"], moved["number"], moved["service"]) == (ticket.pk, "A001", "enquiry")
    assert moved["status"] == "waiting"
    assert moved["position"] == 1
    assert body["current_ticket"] is None


def test_a_transferred_ticket_is_called_by_a_counter_of_its_new_service(floor, staff_api):
    ticket = called(floor, floor.counter1)
    act(staff_api, floor.counter1, "transfer", {"service": "enquiry"})
    services.counter_open(counter_id=floor.counter3.pk, user=floor.agent2)

    response = act(client_for(floor.agent2), floor.counter3, "call-next")

    assert (response.json()["id"], response.json()["number"]) == (ticket.pk, "A001")


def test_transfer_to_an_unknown_service_is_a_bad_request(floor, staff_api):
    ticket = called(floor)

    response = act(staff_api, floor.counter2, "transfer", {"service": "karaoke"})

    error = assert_api_error(response, 400)
    assert "service" in error["fields"]
    assert Ticket.objects.get(pk=ticket.pk).status == "called"


def test_transfer_without_a_service_is_a_validation_error(floor, staff_api):
    called(floor)

    response = act(staff_api, floor.counter2, "transfer", {})

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["service"]


def test_transfer_to_the_same_service_is_a_conflict(floor, staff_api):
    called(floor)

    response = act(staff_api, floor.counter2, "transfer", {"service": "payment"})

    assert_api_error(response, 409, "same_service")


@pytest.mark.parametrize("action, body", [("recall", None), ("start", None), ("finish", None), ("no-show", None),
                                          ("transfer", {"service": "enquiry"})])
def test_acting_on_the_current_ticket_when_there_is_none_is_a_conflict(floor, staff_api, action, body):
    open_counter(floor)

    response = act(staff_api, floor.counter2, action, body)

    assert_api_error(response, 409, "no_current_ticket")


def test_finishing_a_ticket_that_was_never_started_is_a_conflict(floor, staff_api):
    called(floor)

    response = act(staff_api, floor.counter2, "finish")

    assert_api_error(response, 409, "illegal_transition")


def test_a_retried_finish_with_the_same_idempotency_key_answers_with_the_same_ticket(floor, staff_api):
    ticket = called(floor)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
    act(staff_api, floor.counter2, "finish", key="finish-1")

    retry = act(staff_api, floor.counter2, "finish", key="finish-1")

    assert retry.status_code == 200
    assert (retry.json()["ticket"]["id"], retry.json()["ticket"]["status"]) == (ticket.pk, "done")
    assert TicketEvent.objects.filter(kind="finished").count() == 1


# --- Who may act --------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_an_agent_of_another_hall_cannot_act_on_this_halls_counters(floor, action):
    ticket = called(floor)
    elsewhere = build_floor()
    body = {"service": "enquiry"} if action == "transfer" else None

    response = act(client_for(elsewhere.agent), floor.counter2, action, body)

    assert_api_error(response, 403, "permission_denied")
    assert Ticket.objects.get(pk=ticket.pk).status == "called"


@pytest.mark.parametrize("action", ACTIONS)
def test_without_signing_in_counter_actions_are_unauthorized(floor, api, action):
    response = act(api, floor.counter2, action)

    assert_api_error(response, 401, "not_authenticated")


def test_the_unauthorized_answer_names_the_token_scheme(floor, api):
    response = act(api, floor.counter2, "open")

    assert response["WWW-Authenticate"].startswith("Token")


def test_an_unknown_token_is_unauthorized(floor, api):
    api.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = act(api, floor.counter2, "open")

    assert_api_error(response, 401, "authentication_failed")


@pytest.mark.parametrize("action", ACTIONS)
def test_an_unknown_counter_is_not_found(floor, staff_api, action):
    response = staff_api.post(f"/api/v1/counters/{floor.counter3.pk + 1000}/{action}/", format="json")

    assert_api_error(response, 404, "not_found")


def test_a_superuser_may_act_on_any_halls_counters(floor):
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")

    response = act(client_for(root), floor.counter2, "open")

    assert response.status_code == 200
    assert response.json()["counter"]["signed_in_user"] == "root"



def test_a_counters_state_change_time_is_in_its_answer(floor, staff_api):
    open_counter(floor)

    response = act(staff_api, floor.counter2, "pause")

    changed_at = datetime.fromisoformat(response.json()["counter"]["state_changed_at"])
    assert changed_at.utcoffset() is not None
    assert abs(changed_at - timezone.now()) < timedelta(minutes=1)
