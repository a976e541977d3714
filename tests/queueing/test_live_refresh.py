"""The coalescing refresh as servers run it (QUEUE_LIVE_REFRESH_MS > 0): a
burst of changes reaches the displays as few fresh counts, calls are never
held back, followers still see their new place, and nothing pending is lost."""

import time

import pytest
from channels.db import database_sync_to_async

from queueing import events, services
from tests.queueing.test_consumers import connect, issue, make_floor, next_of_type, open_and_call

pytestmark = pytest.mark.django_db(transaction=True)

REFRESH_MS = 150


@pytest.fixture(autouse=True)
def coalescing(settings):
    settings.QUEUE_LIVE_REFRESH_MS = REFRESH_MS


async def frames_until_quiet(communicator, quiet=REFRESH_MS * 4 / 1000):
    """Every frame until none has come for `quiet` seconds (bounded)."""
    frames = []
    for _ in range(100):
        if await communicator.receive_nothing(timeout=quiet):
            break
        frames.append(await communicator.receive_json_from(timeout=3))
    return frames


@database_sync_to_async
def issue_many(floor, n):
    for _ in range(n):
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")


async def test_a_burst_of_tickets_reaches_a_display_as_fewer_fresh_counts():
    floor = await make_floor()
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")
    await display.receive_json_from(timeout=3)  # the snapshot

    await issue_many(floor, 5)
    frames = await frames_until_quiet(display)

    await display.disconnect()
    counts = [f for f in frames if f["type"] == "queue.changed"]
    assert 1 <= len(counts) < 5
    assert {s["code"]: s["waiting"] for s in counts[-1]["services"]}["payment"] == 5


async def test_a_call_reaches_a_display_before_the_counts_it_changes():
    floor = await make_floor()
    await issue(floor)
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")
    await display.receive_json_from(timeout=3)

    await open_and_call(floor)
    frames = await frames_until_quiet(display)

    await display.disconnect()
    kinds = [f["type"] for f in frames]
    assert kinds.index("ticket.called") < len(kinds) - 1 - kinds[::-1].index("queue.changed")
    last_counts = [f for f in frames if f["type"] == "queue.changed"][-1]
    assert {s["code"]: s["waiting"] for s in last_counts["services"]}["payment"] == 0


async def test_display_events_still_rise_by_one():
    floor = await make_floor()
    display = await connect(f"/ws/halls/{floor.hall.code}/display/")
    snapshot = await display.receive_json_from(timeout=3)

    await issue_many(floor, 3)
    await open_and_call(floor)
    frames = await frames_until_quiet(display)

    await display.disconnect()
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(seqs)))


async def test_a_follower_sees_the_line_move_after_a_call():
    floor = await make_floor()
    await issue(floor)
    second = await issue(floor)
    follower = await connect(f"/ws/tickets/{second.token}/")
    assert (await follower.receive_json_from(timeout=3))["position"] == 2

    await open_and_call(floor)
    frame = await next_of_type(follower, "ticket")

    await follower.disconnect()
    assert frame["position"] == 1


@pytest.fixture
def sent(monkeypatch, settings):
    """The event types a fresh refresher sends, with a ten-minute interval."""
    settings.QUEUE_LIVE_REFRESH_MS = 600_000
    monkeypatch.setattr(events, "_refresher", events.HallRefresher())
    types = []
    monkeypatch.setattr("queueing.events._send", lambda group, message: types.append(message["type"]))
    return types


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_a_change_in_a_quiet_hall_is_sent_at_once(floor, sent):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

    assert wait_until(lambda: sent == ["queue.changed"])


def test_a_pending_refresh_is_sent_when_the_process_flushes(floor, sent):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    wait_until(lambda: sent == ["queue.changed"])
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    time.sleep(0.2)
    assert sent == ["queue.changed"]  # held for the rest of the interval

    events._refresher.flush()

    assert sent == ["queue.changed", "queue.changed"]
