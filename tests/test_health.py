"""/health/live/ and /health/ready/: what the load balancer and the
orchestrator ask each web process."""

import copy
import uuid

import pytest
from django.test import Client
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable

from config.celery import app as celery_app
from tests.test_redis_down import PrivateRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_answers(monkeypatch):
    monkeypatch.setattr(celery_app.control, "ping", lambda **kwargs: [{"celery@web-1": {"ok": "pong"}}])


@pytest.fixture
def redis_down(settings):
    """The cache and the channel layer on a Redis of the test's own, stopped."""
    server = PrivateRedis()
    caches = copy.deepcopy(settings.CACHES)
    caches["default"].update(BACKEND="config.cache.SharedPoolRedisCache", LOCATION=server.url,
                             KEY_PREFIX=f"health-{uuid.uuid4().hex[:8]}")
    settings.CACHES = caches
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.SharedDecodeChannelLayer",
                                           "CONFIG": {"hosts": [server.url], "prefix": "health"}}}
    server.stop()
    return server


def test_live_answers_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/health/live/")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"]


def test_ready_when_everything_answers(worker_answers):
    response = Client().get("/health/ready/")

    body = response.json()
    assert (response.status_code, body["status"]) == (200, "ok")
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "cache": "ok", "channel_layer": "ok", "celery": "ok"}


def test_ready_without_a_worker_is_degraded_but_stays_in_rotation(settings):
    settings.HEALTH_CELERY_TIMEOUT_SECONDS = 0.2

    response = Client().get("/health/ready/")

    body = response.json()
    assert (response.status_code, body["status"]) == (200, "degraded")
    assert body["checks"]["celery"] == {"status": "degraded", "detail": "no worker answered within 0.2 s",
                                        "seconds": body["checks"]["celery"]["seconds"]}
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_with_a_broker_that_cannot_be_asked_is_degraded(monkeypatch):
    def refused(**kwargs):
        raise ConnectionRefusedError("broker away")

    monkeypatch.setattr(celery_app.control, "ping", refused)

    response = Client().get("/health/ready/")

    assert (response.status_code, response.json()["checks"]["celery"]["detail"]) == (
        200, "workers cannot be asked (ConnectionRefusedError)")


def test_ready_is_503_when_the_database_does_not_answer(worker_answers, monkeypatch):
    def away(self):
        raise ServiceUnavailable('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr(Database, "run", away)

    response = Client().get("/health/ready/")

    body = response.json()
    assert (response.status_code, body["status"]) == (503, "unavailable")
    assert body["checks"]["database"]["status"] == "unavailable"
    assert "db.internal" not in response.content.decode() and "10.0.0.5" not in response.content.decode()


def test_ready_is_503_when_redis_is_down(worker_answers, redis_down):
    response = Client().get("/health/ready/")

    body = response.json()
    assert (response.status_code, body["status"]) == (503, "unavailable")
    assert (body["checks"]["cache"]["status"], body["checks"]["channel_layer"]["status"]) == (
        "unavailable", "unavailable")
    assert body["checks"]["database"]["status"] == "ok"
    assert str(redis_down.port) not in response.content.decode()


def test_ready_with_redis_down_is_degraded_when_redis_is_not_required(worker_answers, redis_down, settings):
    settings.HEALTH_REDIS_REQUIRED = False

    response = Client().get("/health/ready/")

    assert (response.status_code, response.json()["status"]) == (200, "degraded")


def test_ready_asks_every_shard_of_the_channel_layer(worker_answers, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.SharedDecodeChannelLayer",
                                           "CONFIG": {"hosts": [settings.REDIS_URL, {"address": settings.REDIS_URL}],
                                                      "prefix": "health"}}}

    response = Client().get("/health/ready/")

    assert {"channel_layer", "channel_layer_1"} <= set(response.json()["checks"])
    assert response.status_code == 200
