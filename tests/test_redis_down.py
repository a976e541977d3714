"""Redis is for live screens, shared caches and rate limits: when it is down,
what does not need it keeps working. These tests run a Redis of their own,
stop it for real, and start it again on the same port."""

import copy
import logging
import uuid

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config import embedded_redis
from config.asgi import application
from halls.models import CounterState
from queueing import events, services
from queueing.models import Ticket, TicketStatus
from tests.kiosk.factories import KioskDeviceFactory

pytestmark = pytest.mark.django_db(transaction=True)


class PrivateRedis:
    """A Redis of this test's own, on a fixed port, that the test stops and starts."""

    def __init__(self):
        self.process, self.url = embedded_redis.start()
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def stop(self):
        embedded_redis.stop(self.process)

    def start(self):
        self.process, _ = embedded_redis.start(self.port)


@pytest.fixture
def redis_server(settings):
    """The cache and the channel layer on a private Redis (the Celery broker
    stays on the suite's)."""
    server = PrivateRedis()
    prefix = f"down-{uuid.uuid4().hex[:8]}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"].update(BACKEND="config.cache.SharedPoolRedisCache", LOCATION=server.url, KEY_PREFIX=prefix)
    settings.CACHES = caches
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.SharedDecodeChannelLayer",
                                           "CONFIG": {"hosts": [server.url], "prefix": prefix}}}
    yield server
    server.stop()


@pytest.fixture
def redis_down(redis_server):
    redis_server.stop()
    return redis_server


def staff_api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def test_staff_sign_in_while_redis_is_down(floor, redis_down, caplog):
    floor.agent.set_password("agent-password-1")
    floor.agent.save()

    with caplog.at_level(logging.WARNING, logger="config.ratelimit"):
        response = APIClient().post("/api/v1/auth/token/", {"username": floor.agent.username,
                                                            "password": "agent-password-1"})

    assert response.status_code == 200 and response.json()["token"]
    assert "Rate limits are not enforced" in caplog.text


def test_an_anonymous_ticket_while_redis_is_down(floor, redis_down):
    response = APIClient().post(f"/api/v1/halls/{floor.hall.code}/tickets/",
                                {"service": "payment", "channel": "mobile", "phone": "13800138000"}, format="json")

    assert response.status_code == 201
    assert Ticket.objects.filter(token=response.json()["token"]).exists()


def test_a_kiosk_ticket_and_a_one_time_code_while_redis_is_down(floor, redis_down):
    kiosk = KioskDeviceFactory(outlet=floor.hall, token="down-kiosk-token")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Kiosk down-kiosk-token")

    ticket = api.post(f"/api/v1/halls/{floor.hall.code}/tickets/", {"service": "payment", "channel": "kiosk"},
                      format="json")
    code = api.post("/api/v1/auth/otp/", {"phone": "13800138000"}, format="json")

    assert (ticket.status_code, code.status_code) == (201, 202)
    assert kiosk.pk


def test_calling_the_next_ticket_while_redis_is_down(floor, redis_down):
    waiting = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    api = staff_api(floor.agent)

    opened = api.post(f"/api/v1/counters/{floor.counter1.pk}/open/")
    called = api.post(f"/api/v1/counters/{floor.counter1.pk}/call-next/")

    assert opened.json()["counter"]["state"] == CounterState.OPEN
    assert (called.status_code, called.json()["number"]) == (200, waiting.number)
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.CALLED


def test_a_display_heartbeat_while_redis_is_down(floor, redis_down):
    response = APIClient().post(f"/api/v1/halls/{floor.hall.code}/displays/heartbeat/",
                                {"device_id": "lobby-screen-1", "kind": "lobby"}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize("page", ["/display/{code}/", "/display/{code}/counter/1/", "/m/", "/console/login/", "/"])
def test_pages_while_redis_is_down(floor, redis_down, page):
    response = Client().get(page.format(code=floor.hall.code))

    assert response.status_code == 200


def test_a_ticket_page_while_redis_is_down(floor, redis_down):
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]

    response = Client().get(f"/t/{ticket.token}/")

    assert response.status_code == 200 and ticket.number in response.content.decode()


async def test_a_display_socket_opens_with_its_snapshot_while_redis_is_down(floor, redis_down):
    display = WebsocketCommunicator(application, f"/ws/halls/{floor.hall.code}/display/")

    connected, _ = await display.connect(timeout=10)
    snapshot = await display.receive_json_from(timeout=10)
    await display.send_json_to({"type": "ping"})
    pong = await display.receive_json_from(timeout=10)

    await display.disconnect()
    assert connected and snapshot["type"] == "snapshot" and snapshot["hall"] == floor.hall.code
    assert pong == {"type": "pong", "seq": None}


async def test_a_display_socket_opened_while_redis_was_down_gets_events_once_it_is_back(floor, redis_down):
    from channels.db import database_sync_to_async

    display = WebsocketCommunicator(application, f"/ws/halls/{floor.hall.code}/display/")
    await display.connect(timeout=10)
    await display.receive_json_from(timeout=10)  # the snapshot

    await database_sync_to_async(redis_down.start)()
    await display.send_json_to({"type": "ping"})  # joins its group again
    pong = await display.receive_json_from(timeout=10)
    await database_sync_to_async(events.send_hall_event)(floor.hall.code, "alert", {"level": "notice",
                                                                                     "message": "back"})
    alert = await display.receive_json_from(timeout=10)

    await display.disconnect()
    assert pong["seq"] is not None
    assert (alert["type"], alert["message"], alert["seq"]) == ("alert", "back", pong["seq"] + 1)
