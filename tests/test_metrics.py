"""/metrics: who may read it, and the product's figures in it."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY

from config.asgi import application
from kiosk.models import Order, OrderStatus
from queueing import services
from queueing.planning.models import PeakWarning, WarningKind, WarningLevel
from sms.backends import SmsDeliveryError
from sms.models import SmsMessage
from sms.services import sms_deliver_now, sms_mark_failed

ROOT = Path(__file__).resolve().parent.parent


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(**extra) -> str:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_metrics_answer_a_scraper_on_a_private_network():
    body = scrape(REMOTE_ADDR="10.1.2.3")

    assert "django_http_requests_total_by_method_total" in body
    assert "qms_peak_warnings_active" in body


@pytest.mark.parametrize("headers", [
    {"REMOTE_ADDR": "203.0.113.5"},
    {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.5"},  # relayed by the proxy
    {"REMOTE_ADDR": "203.0.113.5", "HTTP_AUTHORIZATION": "Bearer wrong"},
])
@pytest.mark.django_db
def test_metrics_are_not_public(settings, headers):
    settings.METRICS_TOKEN = "scrape-token-1234567890"

    assert Client().get("/metrics", **headers).status_code == 404


@pytest.mark.django_db
def test_metrics_answer_the_bearer_token_from_anywhere(settings):
    settings.METRICS_TOKEN = "scrape-token-1234567890"

    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.5",
                            HTTP_X_FORWARDED_FOR="203.0.113.5", HTTP_AUTHORIZATION="Bearer scrape-token-1234567890")

    assert response.status_code == 200


def test_an_issued_ticket_is_counted_by_service_and_channel_after_commit(floor, django_capture_on_commit_callbacks):
    before = value("qms_ticket_events_total", event="issued", service="payment", channel="kiosk")

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

    assert value("qms_ticket_events_total", event="issued", service="payment", channel="kiosk") == before + 1


def test_a_rolled_back_ticket_is_not_counted(floor, django_capture_on_commit_callbacks):
    before = value("qms_ticket_events_total", event="issued", service="payment", channel="kiosk")

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    assert value("qms_ticket_events_total", event="issued", service="payment", channel="kiosk") == before


def test_a_first_call_records_the_wait(floor, django_capture_on_commit_callbacks):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    waits = value("qms_ticket_wait_seconds_count", service="payment")
    calls = value("qms_ticket_events_total", event="called", service="payment", channel="kiosk")

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    assert value("qms_ticket_wait_seconds_count", service="payment") == waits + 1
    assert value("qms_ticket_events_total", event="called", service="payment", channel="kiosk") == calls + 1


class GatewayDown:
    name = "down"

    def send(self, *, to, text):
        raise SmsDeliveryError("gateway away")


@pytest.mark.django_db
def test_texts_are_counted_by_purpose_and_outcome(settings, django_capture_on_commit_callbacks):
    sent = SmsMessage.objects.create(to="13800138000", text="到号了", purpose="ticket_called")
    lost = SmsMessage.objects.create(to="13800138001", text="到号了", purpose="ticket_called")
    before = {o: value("qms_sms_total", purpose="ticket_called", outcome=o) for o in ("sent", "error", "failed")}

    with django_capture_on_commit_callbacks(execute=True):
        sms_deliver_now(message_id=sent.pk)
        settings.SMS_BACKEND = f"{__name__}.GatewayDown"
        with pytest.raises(SmsDeliveryError):
            sms_deliver_now(message_id=lost.pk)
        sms_mark_failed(message_id=lost.pk, error="gateway away")

    assert {o: value("qms_sms_total", purpose="ticket_called", outcome=o) - before[o] for o in before} == {
        "sent": 1, "error": 1, "failed": 1}


@pytest.mark.django_db(transaction=True)
async def test_open_display_sockets_are_gauged(floor):
    before = value("qms_websockets_open", kind="display")
    display = WebsocketCommunicator(application, f"/ws/halls/{floor.hall.code}/display/")

    await display.connect(timeout=10)
    await display.receive_json_from(timeout=10)
    while_open = value("qms_websockets_open", kind="display")
    await display.disconnect()

    assert (while_open, value("qms_websockets_open", kind="display")) == (before + 1, before)


def test_open_warnings_and_orders_in_flight_are_read_at_scrape(floor):
    now = timezone.now()
    PeakWarning.objects.create(outlet=floor.hall, kind=WarningKind.WAIT, subject="service:1",
                               level=WarningLevel.CRITICAL, peak_level=WarningLevel.CRITICAL, figure=40,
                               threshold=30, message="等候超标", started_at=now)
    Order.objects.create(order_no="T0001", kind="topup", status=OrderStatus.PAID, amount_fen=1000,
                         msisdn="13800138000", requester="kiosk:1", created_at=now - timedelta(minutes=9),
                         paid_at=now - timedelta(minutes=8))

    body = scrape()

    assert 'qms_peak_warnings_active{level="critical"} 1.0' in body
    assert 'qms_orders_in_flight{state="paid"} 1.0' in body
    assert "qms_orders_paid_unfulfilled_stuck 1.0" in body


CHILD = """
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from config import metrics
if sys.argv[1] == "count":
    metrics.TICKET_EVENTS.labels("issued", "payment", "kiosk").inc()
    metrics.socket_opened("display")
else:
    from django.test import Client
    from django.test.utils import setup_test_environment
    setup_test_environment()
    print(Client().get("/metrics").content.decode())
"""


def test_several_processes_add_up_through_the_multiprocess_directory(tmp_path):
    """Daphne runs several processes: any of them answers for all, and a
    socket of a process that is gone no longer counts."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DEBUG": "true",
           "DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3")}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", CHILD, "count"], cwd=ROOT, env=env, check=True, timeout=120)

    body = subprocess.run([sys.executable, "-c", CHILD, "scrape"], cwd=ROOT, env=env, check=True, timeout=120,
                          capture_output=True, text=True).stdout

    assert 'qms_ticket_events_total{channel="kiosk",event="issued",service="payment"} 2.0' in body
    assert 'qms_websockets_open{kind="display"}' not in body or 'qms_websockets_open{kind="display"} 0.0' in body
