"""HTTP through the ASGI application, as Daphne serves it: each request's
synchronous work runs in one of the process's reused worker threads."""

import json
import threading

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.core import signals
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

from config.asgi import application
from queueing.models import Ticket
from tests.queueing.factories import build_floor

pytestmark = pytest.mark.django_db(transaction=True)

seen = {"threads": [], "streamed_before_finish": None}


def _thread_view(request):
    seen["threads"].append(threading.current_thread().name)
    return HttpResponse("ok")


def _streaming_view(request):
    async def parts():
        for i in range(3):
            yield f"part {i};".encode()
        seen["streamed_before_finish"] = True

    return StreamingHttpResponse(parts(), content_type="text/plain")


urlpatterns = [path("thread/", _thread_view), path("stream/", _streaming_view)]


async def _request(method, url, body=b"", headers=None, query_string=b""):
    """The answer: status and the whole body (the last message of a streamed
    answer may carry none, as ASGI allows)."""
    communicator = HttpCommunicator(application, method, url, body=body, headers=headers or [])
    # The application's security middleware was set up with the production
    # settings, which redirect plain HTTP.
    communicator.scope["scheme"] = "https"
    communicator.scope["query_string"] = query_string
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(10)
    response = {"status": start["status"], "body": b""}
    while True:
        message = await communicator.receive_output(10)
        response["body"] += message.get("body", b"")
        if not message.get("more_body"):
            await communicator.wait(10)
            return response


@pytest.mark.asyncio
async def test_a_number_taken_over_asgi_is_answered_and_stored():
    floor = await database_sync_to_async(build_floor)()
    body = json.dumps({"service": "payment", "channel": "mobile", "phone": "13800138000"}).encode()
    response = await _request(
        "POST", f"/api/v1/halls/{floor.hall.code}/tickets/", body=body,
        headers=[(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                 (b"host", b"testserver")],
    )
    assert response["status"] == 201, response["body"]
    number = json.loads(response["body"])["number"]
    assert await database_sync_to_async(Ticket.objects.filter(outlet=floor.hall, number=number).exists)()


@pytest.mark.asyncio
async def test_requests_run_in_the_reused_worker_threads(settings):
    settings.ROOT_URLCONF = __name__
    seen["threads"].clear()
    for _ in range(6):
        response = await _request("GET", "/thread/", headers=[(b"host", b"testserver")])
        assert response["status"] == 200
    assert all(name.startswith("http") for name in seen["threads"])
    assert len(set(seen["threads"])) <= settings.HTTP_THREADS


@pytest.mark.asyncio
async def test_each_request_signals_its_start_and_finish_once(settings):
    settings.ROOT_URLCONF = __name__
    events = []

    def started(**kwargs):
        events.append("started")

    def finished(**kwargs):
        events.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        await _request("GET", "/thread/", headers=[(b"host", b"testserver")])
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert events == ["started", "finished"]


@pytest.mark.asyncio
async def test_a_streamed_answer_arrives_whole_and_is_closed_after_it(settings):
    settings.ROOT_URLCONF = __name__
    seen["streamed_before_finish"] = None
    finished_after_stream = []

    def finished(**kwargs):
        finished_after_stream.append(seen["streamed_before_finish"])

    signals.request_finished.connect(finished)
    try:
        response = await _request("GET", "/stream/", headers=[(b"host", b"testserver")])
    finally:
        signals.request_finished.disconnect(finished)
    assert response["status"] == 200
    assert response["body"] == b"part 0;part 1;part 2;"
    assert finished_after_stream == [True]


@pytest.mark.asyncio
async def test_a_query_string_that_is_not_utf8_is_a_400_not_a_crash():
    response = await _request("GET", "/", headers=[(b"host", b"testserver")], query_string=b"q=\xff")
    assert response["status"] == 400
