"""No Celery worker for a while: texts, order fulfilment and reminders wait in
the database and the broker, and go out once each when a worker comes back.
A real worker process (`celery -A config worker --pool=solo`) on a broker of
this test's own (a private Redis) and the test database; texts go to a local
HTTP gateway that counts what it receives."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from config import embedded_redis
from config.celery import app
from config.tasks import enqueue
from kiosk.carrier.models import Subscriber
from kiosk.models import Order, OrderStatus
from kiosk.services import orders_fulfil_paid
from sms.models import SmsMessage, SmsStatus
from sms.services import sms_outbox_sweep, sms_queue
from tests.browser.conftest import _database_url
from tests.kiosk.factories import SubscriberFactory
from tests.kiosk.test_orders import callback, topup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]


class Gateway:
    """An SMS gateway on a free port that keeps every text it is sent."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [body["text"] for body in self.received]


class Worker:
    """`celery -A config worker --pool=solo` on the test database and the private broker."""

    def __init__(self, broker_url: str, gateway: Gateway):
        self.broker_url, self.gateway, self.process = broker_url, gateway, None
        self.log_path = ROOT / "var" / f"worker-{os.getpid()}.log"

    def start(self):
        env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": self.broker_url,
               "SMS_BACKEND": "http", "SMS_GATEWAY_URL": self.gateway.url, "SMS_GATEWAY_TOKEN": "test",
               "DEBUG": "true", "SECRET_KEY": settings.SECRET_KEY, "REDIS_URL": settings.REDIS_URL,
               "REDIS_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"], "LOG_LEVEL": "WARNING"}
        self.log_path.parent.mkdir(exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                cwd=ROOT, env=env, stdout=log, stderr=log,
            )

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


@pytest.fixture
def broker(on_postgres):
    """Tasks the test queues go to a Redis of its own, not to the suite's memory broker."""
    process, url = embedded_redis.start()
    before = app.conf.broker_write_url
    app.conf.broker_write_url = url  # what send_task uses (Celery copies it from broker_url at start)
    app._pool = None
    app.amqp._producer_pool = None
    yield url
    app.conf.broker_write_url = before
    app._pool = None
    app.amqp._producer_pool = None
    embedded_redis.stop(process)


@pytest.fixture
def worker(broker):
    gateway = Gateway()
    worker = Worker(broker, gateway)
    yield worker
    worker.stop()
    gateway.server.shutdown()


def wait_until(predicate, worker, seconds=25.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        if worker.process is not None and worker.process.poll() is not None:
            pytest.fail(f"The worker exited ({worker.process.returncode}):\n{worker.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Not done within {seconds} s. Worker log:\n{worker.log()}")
        time.sleep(0.1)


def test_texts_and_a_paid_order_wait_for_the_worker_and_go_out_once(worker):
    SubscriberFactory(msisdn="13800138000", balance_fen=1_000)
    api = APIClient()
    called = sms_queue(to="13900000001", text="请到3号窗口办理 A001", purpose="ticket_called")
    near = sms_queue(to="13900000002", text="前面还有2位 A002", purpose="ticket_near", dedupe_key="near:A002")
    again = sms_queue(to="13900000002", text="前面还有2位 A002", purpose="ticket_near", dedupe_key="near:A002")
    reminder = sms_queue(to="13900000003", text="您预约的业务明天10:00办理", purpose="appointment_reminder",
                         dedupe_key="appointment:1:day-before")
    order_no = topup(api, amount_fen=5_000).json()["order_no"]
    paid = callback(api, order_no, 5_000)
    repeated = callback(api, order_no, 5_000)

    # No worker: nothing went out, nothing was credited, all of it is waiting.
    assert again is None and (paid.status_code, repeated.status_code) == (200, 200)
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {SmsStatus.QUEUED}
    assert Order.objects.get(order_no=order_no).status == OrderStatus.PAID
    assert Subscriber.objects.get(msisdn="13800138000").balance_fen == 1_000

    worker.start()
    wait_until(lambda: SmsMessage.objects.filter(status=SmsStatus.SENT).count() == 3
               and Order.objects.get(order_no=order_no).status == OrderStatus.FULFILLED, worker)

    assert sorted(worker.gateway.texts()) == sorted(m.text for m in (called, near, reminder))
    assert set(SmsMessage.objects.values_list("attempts", flat=True)) == {1}
    assert Subscriber.objects.get(msisdn="13800138000").balance_fen == 6_000

    # Beat's sweeps and a task delivered twice change nothing now.
    assert orders_fulfil_paid() == 0
    assert sms_outbox_sweep(now=timezone.now() + timedelta(hours=1))["resent"] == 0
    enqueue("kiosk.tasks.order_fulfil", Order.objects.get(order_no=order_no).pk)
    enqueue("sms.tasks.sms_deliver", near.pk)
    marker = sms_queue(to="13900000004", text="marker", purpose="test")  # the worker takes tasks in order
    wait_until(lambda: SmsMessage.objects.get(pk=marker.pk).status == SmsStatus.SENT, worker)
    assert sorted(worker.gateway.texts()) == sorted(m.text for m in (called, near, reminder, marker))
    assert Subscriber.objects.get(msisdn="13800138000").balance_fen == 6_000


def test_texts_whose_task_was_lost_go_out_once_from_the_sweep(worker, broker):
    first = sms_queue(to="13900000001", text="lost one", purpose="ticket_called")
    second = sms_queue(to="13900000002", text="lost two", purpose="ticket_called")
    redis.Redis.from_url(broker).flushdb()  # the broker lost its messages (a restart that keeps nothing)
    worker.start()
    later = timezone.now() + timedelta(minutes=11)

    assert sms_outbox_sweep(now=later)["resent"] == 2
    assert sms_outbox_sweep(now=later)["resent"] == 0  # beat again before the worker got to them
    wait_until(lambda: SmsMessage.objects.filter(status=SmsStatus.SENT).count() == 2, worker)

    marker = sms_queue(to="13900000004", text="marker", purpose="test")
    wait_until(lambda: SmsMessage.objects.get(pk=marker.pk).status == SmsStatus.SENT, worker)
    assert sorted(worker.gateway.texts()) == sorted([first.text, second.text, "marker"])
