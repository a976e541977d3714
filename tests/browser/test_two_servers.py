"""Several Daphne processes share one Redis: a call made through one server
reaches a wall display connected to another."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from queueing import services
from tests.browser.conftest import LiveServer, act
from tests.queueing.factories import build_floor

CONNECTED = "window.qmsDisplay && window.qmsDisplay.connected"


@pytest.fixture
def second_server(daphne_server, django_db_blocker):
    server = LiveServer()
    with django_db_blocker.unblock():
        server.start()
    yield server
    server.stop()


def call_next(server, counter, token):
    request = urllib.request.Request(
        f"{server.url}/api/v1/counters/{counter.pk}/call-next/", data=b"{}", method="POST",
        headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_a_call_through_one_server_reaches_a_display_on_another(new_page, daphne_server, second_server):
    floor = build_floor()
    ticket = act(services.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    token = Token.objects.create(user=floor.agent)
    page = new_page(1920, 1080)
    page.goto(f"{second_server.url}/display/{floor.hall.code}/")
    page.wait_for_function(CONNECTED)

    called = call_next(daphne_server, floor.counter2, token)

    assert called["number"] == ticket.number
    expect(page.locator("[data-newest-number]")).to_have_text(ticket.number)
    expect(page.locator("[data-newest-counter] b")).to_have_text("2")
