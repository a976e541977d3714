"""The live sockets: snapshot first, then every event in order, nothing personal."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from queueing import services
from tests.queueing.factories import build_floor

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_floor():
    return build_floor()


@database_sync_to_async
def issue(floor, phone=""):
    """A ticket; one with a phone is taken by phone, and its holder has checked in."""
    channel = "mobile" if phone else "kiosk"
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel=channel, phone=phone)[0]
    if phone:
        ticket = services.ticket_check_in_at_hall(outlet=floor.hall, token=ticket.token)
    return ticket


@database_sync_to_async
def open_and_call(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    return services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)


@database_sync_to_async
def cancel(ticket):
    services.ticket_cancel(token=ticket.token)


async def connect(path):
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_of_type(communicator, message_type, timeout=3):
    """The next frame of a type, skipping others (bounded by the timeout)."""
    for _ in range(50):
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == message_type:
            return frame
    raise AssertionError(f"no {message_type} frame")


async def frame_where(communicator, predicate, timeout=3):
    """The first frame for which predicate(frame) holds, skipping the others
    (a follower also hears its wait change as counters open)."""
    for _ in range(50):
        frame = await communicator.receive_json_from(timeout=timeout)
        if predicate(frame):
            return frame
    raise AssertionError("no such frame")


@pytest.mark.smoke
async def test_a_display_first_receives_a_snapshot_of_the_hall():
    floor = await make_floor()
    await issue(floor)
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")

    frame = await display.receive_json_from(timeout=3)

    await display.disconnect()
    assert frame["type"] == "snapshot"
    assert frame["hall"] == floor.hall.code
    assert {s["code"]: s["waiting"] for s in frame["services"]} == {"payment": 1, "enquiry": 0}


@pytest.mark.smoke
async def test_a_display_receives_each_call_with_its_counter():
    floor = await make_floor()
    await issue(floor)
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")
    snapshot = await display.receive_json_from(timeout=3)

    await open_and_call(floor)
    called = await next_of_type(display, "ticket.called")

    await display.disconnect()
    assert (called["number"], called["counter"], called["service"], called["recall"]) == ("A001", 1, "payment", False)
    assert called["seq"] > snapshot["seq"]


async def test_display_events_carry_a_seq_that_rises_by_one():
    floor = await make_floor()
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")
    snapshot = await display.receive_json_from(timeout=3)

    await issue(floor)
    await issue(floor)
    await open_and_call(floor)
    seqs = [(await display.receive_json_from(timeout=3))["seq"] for _ in range(5)]

    await display.disconnect()
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 6))


async def test_nothing_personal_reaches_a_display():
    floor = await make_floor()
    ticket = await issue(floor, phone="13800138000")
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")

    frames = [await display.receive_json_from(timeout=3)]
    await open_and_call(floor)
    for _ in range(4):
        frames.append(await display.receive_json_from(timeout=3))

    await display.disconnect()
    text = json.dumps(frames)
    assert "13800138000" not in text and "8000" not in text.replace(str(ticket.pk), "")
    assert ticket.token not in text


async def test_an_unknown_hall_display_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/halls/NOPE/display/",
                                         headers=[(b"origin", b"http://localhost")])

    connected, _ = await communicator.connect()

    await communicator.disconnect()
    assert not connected


@pytest.mark.smoke
async def test_a_ticket_holder_gets_the_ticket_state_on_connect():
    floor = await make_floor()
    await issue(floor)
    ticket = await issue(floor)
    follower = await connect(f"/ws/tickets/{ticket.token}/")

    frame = await follower.receive_json_from(timeout=3)

    await follower.disconnect()
    assert frame == {"type": "ticket", "number": "A002", "status": "waiting", "cancel_reason": None, "position": 2,
                     "estimated_wait_seconds": frame["estimated_wait_seconds"],
                     "estimated_wait_range": frame["estimated_wait_range"], "counter": None,
                     "counter_name": None, "service": "payment", "parked": False,
                     "check_in_required": False, "away_until": None, "step_away_left": 1}


async def test_a_ticket_holder_sees_the_line_move_when_someone_ahead_is_called():
    floor = await make_floor()
    await issue(floor)
    ticket = await issue(floor)
    follower = await connect(f"/ws/tickets/{ticket.token}/")
    await follower.receive_json_from(timeout=3)

    await open_and_call(floor)
    frame = await frame_where(follower, lambda f: f["position"] != 2)

    await follower.disconnect()
    assert (frame["status"], frame["position"]) == ("waiting", 1)


async def test_a_ticket_holder_is_told_when_called_and_where_to_go():
    floor = await make_floor()
    ticket = await issue(floor)
    follower = await connect(f"/ws/tickets/{ticket.token}/")
    await follower.receive_json_from(timeout=3)

    await open_and_call(floor)
    frame = await frame_where(follower, lambda f: f["status"] != "waiting")

    await follower.disconnect()
    assert (frame["status"], frame["counter"], frame["position"]) == ("called", 1, None)


async def test_a_ticket_holder_sees_their_own_cancellation():
    floor = await make_floor()
    ticket = await issue(floor)
    follower = await connect(f"/ws/tickets/{ticket.token}/")
    await follower.receive_json_from(timeout=3)

    await cancel(ticket)
    frame = await follower.receive_json_from(timeout=3)

    await follower.disconnect()
    assert frame["status"] == "cancelled"


async def test_an_unknown_ticket_token_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/tickets/not-a-token/",
                                         headers=[(b"origin", b"http://localhost")])

    connected, _ = await communicator.connect()

    await communicator.disconnect()
    assert not connected


# --- Who may open a public socket ----------------------------------------------------


@pytest.mark.parametrize("path", ["display", "ticket"])
async def test_a_client_without_an_origin_header_is_accepted(path):
    floor = await make_floor()
    ticket = await issue(floor)
    url = f"/ws/halls/{floor.hall.code}/display/" if path == "display" else f"/ws/tickets/{ticket.token}/"
    communicator = WebsocketCommunicator(application, url)

    connected, _ = await communicator.connect()
    first = await communicator.receive_json_from(timeout=3)

    await communicator.disconnect()
    assert connected and first["type"] in ("snapshot", "ticket")


@pytest.mark.parametrize("path", ["display", "ticket"])
async def test_a_browser_page_of_another_site_is_refused(path):
    floor = await make_floor()
    ticket = await issue(floor)
    url = f"/ws/halls/{floor.hall.code}/display/" if path == "display" else f"/ws/tickets/{ticket.token}/"
    communicator = WebsocketCommunicator(application, url, headers=[(b"origin", b"https://evil.example.net")])

    connected, _ = await communicator.connect()

    await communicator.disconnect()
    assert not connected


@pytest.mark.parametrize("path", ["/ws/halls/ZZ\x00/display/", "/ws/tickets/ab\x00cd/", "/ws/halls/ZZ\x00/floor/",
                                  "/ws/nowhere/"])
async def test_a_socket_path_that_names_nothing_is_refused(path):
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])

    connected, _ = await communicator.connect()

    await communicator.disconnect()
    assert not connected
