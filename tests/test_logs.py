"""Structured logs: JSON lines, each with its request's, socket's or task's id."""

import io
import json
import logging

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from config.celery import app as celery_app
from config.logs import SocketRequestId, formatter

logger = logging.getLogger("tests.test_logs")


def logging_view(request):
    logger.info("answered %s", "a request")
    return HttpResponse("ok")


urlpatterns = [path("logged/", logging_view)]


@celery_app.task(name="tests.test_logs.logging_task")
def logging_task():
    logger.info("task ran")


class LoggingConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        logger.info("socket opened")
        await self.accept()


@pytest.fixture
def json_lines():
    """The JSON lines written through the formatter the settings use."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.urls("tests.test_logs")
def test_a_request_gets_an_id_in_its_answer_and_on_its_log_lines(json_lines):
    response = Client().get("/logged/")

    [line] = json_lines()
    assert len(response["X-Request-ID"]) == 32
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["event"], line["level"], line["logger"]) == ("answered a request", "info", "tests.test_logs")


@pytest.mark.urls("tests.test_logs")
def test_the_callers_request_id_is_kept(json_lines):
    response = Client().get("/logged/", HTTP_X_REQUEST_ID="proxy-7f3a.2")

    assert response["X-Request-ID"] == "proxy-7f3a.2"
    assert json_lines()[0]["request_id"] == "proxy-7f3a.2"


@pytest.mark.urls("tests.test_logs")
def test_a_request_id_that_is_not_a_plain_token_is_replaced(json_lines):
    response = Client().get("/logged/", HTTP_X_REQUEST_ID='x" injected="1')

    assert response["X-Request-ID"] != 'x" injected="1' and len(response["X-Request-ID"]) == 32


def test_existing_logging_calls_with_an_exception_come_out_as_one_json_line(json_lines):
    try:
        raise ValueError("bad value")
    except ValueError:
        logger.exception("Hall %s: failed", "ZZ-H001")

    [line] = json_lines()
    assert line["event"] == "Hall ZZ-H001: failed" and line["level"] == "error"
    assert "ValueError: bad value" in line["exception"] and line["timestamp"].endswith("Z")


async def test_a_sockets_log_lines_carry_its_handshake_id(json_lines):
    socket = WebsocketCommunicator(SocketRequestId(LoggingConsumer.as_asgi()), "/ws/x/",
                                   headers=[(b"x-request-id", b"socket-42")])

    connected, _ = await socket.connect(timeout=10)
    await socket.disconnect()

    assert connected and json_lines()[0]["request_id"] == "socket-42"


def test_a_celery_tasks_log_lines_carry_its_id(json_lines, celery_eager):
    result = logging_task.delay()

    [line] = json_lines()
    assert (line["event"], line["task_id"], line["task"]) == ("task ran", result.id, "tests.test_logs.logging_task")
