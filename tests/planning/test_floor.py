"""The hall manager's live floor: the page, its API and its staff-only socket;
and the agents' answer to a manager's request to open a counter."""

import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.asgi import application
from halls.models import StaffRole
from queueing import services as queue
from queueing.models import CounterRequest
from queueing.planning import services
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor


@pytest.fixture
def hall(db):
    floor = build_floor(code="FLOOR-1")
    floor.manager = UserFactory(username="manager-floor")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    queue.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    return floor


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The page --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get("/manage/")

    assert response.status_code == 302 and response["Location"].startswith("/console/login/?next=/manage/")


def test_a_manager_of_one_hall_goes_straight_to_its_floor(hall):
    response = signed_in(hall.manager).get("/manage/")

    assert response.status_code == 302 and response["Location"] == "/manage/FLOOR-1/"


def test_the_floor_page_shows_the_halls_services_and_counters(hall):
    queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")

    page = signed_in(hall.manager).get("/manage/FLOOR-1/").content.decode()

    state = json.loads(re.search(r'<script id="floor-state" type="application/json">(.*?)</script>', page, re.S)[1])
    assert 'data-can-act="true"' in page
    assert {s["name"]: s["waiting"] for s in state["services"]}["缴费充值"] == 1
    assert next(c for c in state["counters"] if c["number"] == 2)["agent"] == "agent-FLOOR-1"


def test_an_agent_sees_the_floor_and_may_not_act(hall):
    page = signed_in(hall.agent).get("/manage/FLOOR-1/")

    assert page.status_code == 200 and 'data-can-act="false"' in page.content.decode()


def test_an_agent_has_no_halls_to_manage(hall):
    assert signed_in(hall.agent).get("/manage/").status_code == 403


def test_another_halls_manager_is_refused_the_floor(hall):
    other = build_floor(code="FLOOR-2")
    stranger = UserFactory(username="manager-elsewhere")
    member(stranger, other.hall, StaffRole.MANAGER)

    assert signed_in(stranger).get("/manage/FLOOR-1/").status_code == 403


def test_the_floor_api_has_services_counters_devices_and_warnings(hall):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hall.manager).key}")

    body = api.get("/api/v1/halls/FLOOR-1/floor/").json()

    assert {"hall", "generated_at", "is_open", "services", "counters", "quiet_devices", "warnings"} <= set(body)
    counter = next(c for c in body["counters"] if c["number"] == 2)
    assert (counter["state"], counter["agent"], counter["services"]) == ("open", "agent-FLOOR-1", ["payment"])


def test_the_floor_shows_each_counters_work_profile_its_agents_when_they_have_one(hall):
    queue.counter_profile_set(counter_id=hall.counter1.pk, profile="weighted", actor=hall.manager)
    hall.agent.memberships.update(profile="strict")  # signed in to counter 2
    hall.counter3.__class__.objects.filter(pk=hall.counter3.pk).update(profile="strict")

    page = signed_in(hall.manager).get("/manage/FLOOR-1/").content.decode()

    state = json.loads(re.search(r'<script id="floor-state" type="application/json">(.*?)</script>', page, re.S)[1])
    assert {c["number"]: c["profile"] for c in state["counters"]} == {1: "weighted", 2: "strict", 3: "strict"}


# --- The socket ------------------------------------------------------------------------


def _cookie_headers(user, origin=b"http://testserver"):
    client = Client()
    client.force_login(user)
    headers = [(b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode())]
    if origin:
        headers.append((b"origin", origin))
    return headers


@pytest.mark.django_db(transaction=True)
async def test_the_floor_socket_sends_the_floor_to_the_halls_staff():
    hall = await database_sync_to_async(build_floor)(code="FLOOR-S")
    headers = await database_sync_to_async(_cookie_headers)(hall.agent)
    socket = WebsocketCommunicator(application, "/ws/halls/FLOOR-S/floor/", headers=headers)

    connected, _ = await socket.connect()
    first = await socket.receive_json_from(timeout=5)

    await socket.disconnect()
    assert connected and first["type"] == "floor" and first["hall"] == "FLOOR-S"


@pytest.mark.django_db(transaction=True)
async def test_the_floor_socket_refuses_anonymous_visitors():
    await database_sync_to_async(build_floor)(code="FLOOR-A")
    socket = WebsocketCommunicator(application, "/ws/halls/FLOOR-A/floor/",
                                   headers=[(b"origin", b"http://testserver")])

    connected, _ = await socket.connect()

    await socket.disconnect()
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_the_floor_socket_refuses_a_client_without_this_sites_origin():
    hall = await database_sync_to_async(build_floor)(code="FLOOR-O")
    headers = await database_sync_to_async(_cookie_headers)(hall.agent, origin=None)
    socket = WebsocketCommunicator(application, "/ws/halls/FLOOR-O/floor/", headers=headers)

    connected, _ = await socket.connect()

    await socket.disconnect()
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_each_evaluation_reaches_the_floor_socket():
    hall = await database_sync_to_async(build_floor)(code="FLOOR-E")
    headers = await database_sync_to_async(_cookie_headers)(hall.agent)
    socket = WebsocketCommunicator(application, "/ws/halls/FLOOR-E/floor/", headers=headers)
    await socket.connect()
    await socket.receive_json_from(timeout=5)

    @database_sync_to_async
    def busy_hall():
        for _ in range(4):
            queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")
        services.warnings_evaluate(outlet=hall.hall)

    def waiting(update):
        return next(s for s in update["services"] if s["code"] == "payment")["waiting"]

    await busy_hall()
    update = await socket.receive_json_from(timeout=5)
    while waiting(update) < 4:
        update = await socket.receive_json_from(timeout=5)

    await socket.disconnect()
    assert any(w["kind"] == "wait" and w["service"] == "payment" for w in update["warnings"])


@pytest.mark.django_db(transaction=True)
async def test_a_batch_evaluation_sends_an_open_floor_page_its_new_line():
    hall = await database_sync_to_async(build_floor)(code="FLOOR-B")
    headers = await database_sync_to_async(_cookie_headers)(hall.agent)
    socket = WebsocketCommunicator(application, "/ws/halls/FLOOR-B/floor/", headers=headers)
    await socket.connect()
    await socket.receive_json_from(timeout=5)

    @database_sync_to_async
    def a_ticket_then_the_batch():
        queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")
        services.warnings_evaluate_halls(outlet_ids=[hall.hall.pk])

    await a_ticket_then_the_batch()
    update = await socket.receive_json_from(timeout=5)

    await socket.disconnect()
    assert next(s for s in update["services"] if s["code"] == "payment")["waiting"] == 1


def test_a_batch_evaluation_sends_nothing_to_a_hall_nobody_watches(hall, listen):
    from queueing.planning.events import hall_floor_group

    listener = listen(hall_floor_group(hall.hall.code))
    queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")

    services.warnings_evaluate_halls(outlet_ids=[hall.hall.pk])

    assert listener.settle(quiet=0.5) == []


def test_a_batch_evaluation_that_starts_a_warning_tells_no_floor_nobody_watches(hall, listen,
                                                                                django_capture_on_commit_callbacks):
    from queueing.planning.events import hall_floor_group
    from queueing.planning.models import PeakWarning

    listener = listen(hall_floor_group(hall.hall.code))
    for _ in range(4):
        queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")

    with django_capture_on_commit_callbacks(execute=True):
        services.warnings_evaluate_halls(outlet_ids=[hall.hall.pk])

    assert PeakWarning.objects.filter(outlet=hall.hall).exists() and listener.settle(quiet=0.5) == []


# --- Requests to open a counter ----------------------------------------------------------------


def test_the_agents_see_a_request_to_open_a_counter_and_accepting_opens_it_for_them(hall):
    queue.counter_request_create(counter=hall.counter1, actor=hall.manager, service=hall.payment)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hall.agent2).key}")

    [request] = api.get("/api/v1/halls/FLOOR-1/counter-requests/").json()
    answered = api.post(f"/api/v1/counter-requests/{request['id']}/answer/", {"accept": True}, format="json")

    assert (request["counter"], request["service"], request["requested_by"]) == (1, "payment", "manager-floor")
    assert answered.status_code == 200 and answered.json()["answer"] == "accepted"
    hall.counter1.refresh_from_db()
    assert (hall.counter1.state, hall.counter1.signed_in_user) == ("open", hall.agent2)


def test_a_request_answered_by_a_colleague_cannot_be_answered_again(hall):
    request = queue.counter_request_create(counter=hall.counter1, actor=hall.manager)
    queue.counter_request_answer(request_id=request.pk, agent=hall.agent2, accept=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hall.agent).key}")

    response = api.post(f"/api/v1/counter-requests/{request.pk}/answer/", {"accept": True}, format="json")

    assert response.status_code == 409
    assert CounterRequest.objects.get().answer == "declined"


def test_another_halls_agent_cannot_answer(hall):
    request = queue.counter_request_create(counter=hall.counter1, actor=hall.manager)
    other = build_floor(code="FLOOR-X")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other.agent).key}")

    assert api.post(f"/api/v1/counter-requests/{request.pk}/answer/", {"accept": True},
                    format="json").status_code == 403
