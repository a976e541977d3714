"""A wall display left open while Redis stops and starts again (a restart that
keeps nothing, as the product's Redis is run): it goes on showing the hall
from the database meanwhile, and catches up by itself, without a reload,
within seconds of Redis being back. A Redis and a Daphne of this test's own;
the test stops the Redis for real."""

import copy
import uuid

import pytest
from playwright.sync_api import expect

from config import embedded_redis
from queueing import services
from tests.browser.conftest import CHROMIUM_ARGS, LiveServer, act  # noqa: F401 - CHROMIUM_ARGS documents the launch
from tests.queueing.factories import build_floor

CONNECTED = "window.qmsDisplay && window.qmsDisplay.connected"


class ServerOnItsOwnRedis(LiveServer):
    def __init__(self, redis_url: str, prefix: str):
        super().__init__()
        self.redis_url, self.prefix = redis_url, prefix

    def env(self) -> dict:
        return {**super().env(), "REDIS_URL": self.redis_url, "REDIS_PREFIX": self.prefix}


@pytest.fixture
def own_redis_and_server(settings, django_db_blocker):
    """(redis controller, server): the test's events go through the same Redis."""
    process, url = embedded_redis.start()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    prefix = f"restart-{uuid.uuid4().hex[:8]}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"].update(LOCATION=url, KEY_PREFIX=prefix)
    settings.CACHES = caches
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.SharedDecodeChannelLayer",
                                           "CONFIG": {"hosts": [url], "prefix": prefix}}}
    redis = {"process": process}

    class Redis:
        @staticmethod
        def stop():
            embedded_redis.stop(redis["process"])

        @staticmethod
        def start():
            redis["process"], _ = embedded_redis.start(port)

    server = ServerOnItsOwnRedis(url, prefix)
    with django_db_blocker.unblock():
        server.start()
    yield Redis, server
    server.stop()
    embedded_redis.stop(redis["process"])


@pytest.fixture
def display_page(browser, transactional_db, own_redis_and_server):
    _, server = own_redis_and_server
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=server.url, locale="zh-CN")
    yield context.new_page()
    context.close()


def show(page, floor):
    page.goto(f"/display/{floor.hall.code}/")
    page.wait_for_function(CONNECTED)


def test_the_next_call_after_redis_is_back_shows_within_five_seconds(display_page, own_redis_and_server):
    redis, _ = own_redis_and_server
    floor = build_floor()
    first, during, after = (act(services.ticket_issue, outlet=floor.hall, service_code="payment",
                                channel="kiosk")[0] for _ in range(3))
    act(services.counter_open, counter_id=floor.counter1.pk, user=floor.agent)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent2)
    show(display_page, floor)
    act(services.ticket_call_next, counter_id=floor.counter1.pk, actor=floor.agent)
    expect(display_page.locator("[data-newest-number]")).to_have_text(first.number)

    redis.stop()
    act(services.ticket_start, counter_id=floor.counter1.pk, actor=floor.agent)
    act(services.ticket_finish, counter_id=floor.counter1.pk, actor=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter1.pk, actor=floor.agent)  # lost with Redis
    redis.start()
    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent2)

    expect(display_page.locator("[data-newest-number]")).to_have_text(after.number, timeout=5000)
    expect(display_page.locator("[data-history]")).to_contain_text(during.number)
    assert display_page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded


def test_calls_made_while_redis_was_down_show_without_another_call(display_page, own_redis_and_server):
    redis, _ = own_redis_and_server
    floor = build_floor()
    ticket = act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    act(services.counter_open, counter_id=floor.counter1.pk, user=floor.agent)
    show(display_page, floor)

    redis.stop()
    act(services.ticket_call_next, counter_id=floor.counter1.pk, actor=floor.agent)  # lost with Redis
    display_page.wait_for_function("window.qmsDisplay.live === false", timeout=30_000)  # its next ping says so
    redis.start()

    # Pings every 3 s while live events are away, then a fresh snapshot.
    expect(display_page.locator("[data-newest-number]")).to_have_text(ticket.number, timeout=10_000)
    display_page.wait_for_function("window.qmsDisplay.live === true")
