"""The coalescing refresh as servers run it (QUEUE_LIVE_REFRESH_MS > 0): a
burst of changes reaches the displays as few fresh counts, calls are never
held back, followers still see their new place, and nothing pending is lost."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection

from queueing import events, refresh, services
from tests.queueing.test_consumers import connect, frame_where, issue, make_floor, open_and_call

pytestmark = pytest.mark.django_db(transaction=True)

REFRESH_MS = 150


@pytest.fixture(autouse=True)
def coalescing(settings):
    settings.QUEUE_LIVE_REFRESH_MS = REFRESH_MS
    settings.QUEUE_COUNTS_REFRESH_MS = REFRESH_MS


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
    # Opening the counter may tell the follower its new wait first (still second).
    frame = await frame_where(follower, lambda f: f["type"] == "ticket" and f["position"] != 2)

    await follower.disconnect()
    assert frame["position"] == 1


@pytest.fixture
def display(floor, listen, settings, monkeypatch):
    """A listener on the hall's display group, and a fresh refresher (nothing
    pending from other tests) with a ten-minute interval."""
    settings.QUEUE_LIVE_REFRESH_MS = 600_000
    settings.QUEUE_COUNTS_REFRESH_MS = 600_000
    monkeypatch.setattr(refresh, "refresher", refresh.HallRefresher())
    yield listen(events.hall_display_group(floor.hall.code))
    refresh.refresher._pending.clear()  # nothing left for the process's exit


def types(listener):
    return [m["type"] for m in listener.received()]


def test_a_change_in_a_quiet_hall_is_sent_at_once(floor, display):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

    display.wait_for(lambda m: [x["type"] for x in m if x["type"] != "alert"] == ["queue.changed"])


def test_a_pending_refresh_is_sent_when_the_process_flushes(floor, display):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    display.wait_for(lambda m: len(m) == 1)
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    assert types(display) == ["queue.changed"]  # held for the rest of the interval

    refresh.refresher.flush()

    display.wait_for(lambda m: [x["type"] for x in m if x["type"] != "alert"] == ["queue.changed", "queue.changed"])


def test_a_new_tickets_counts_wait_for_the_counts_interval(floor, display, settings):
    settings.QUEUE_LIVE_REFRESH_MS = 50
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    display.wait_for(lambda m: len(m) == 1)

    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

    # Six live intervals, and no more counts (a peak-flow alert is another matter).
    assert [m["type"] for m in display.settle(quiet=0.3) if m["type"] != "alert"] == ["queue.changed"]


def test_a_call_brings_the_halls_waiting_counts_forward(floor, display, listen, settings):
    settings.QUEUE_LIVE_REFRESH_MS = 50
    followers = listen(events.hall_tickets_group(floor.hall.code))
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    display.wait_for(lambda m: "queue.changed" in [x["type"] for x in m])
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")  # held
    before = len(display.received())

    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    # The call at once; the hall's counts and places within the live
    # interval, not the ten-minute counts interval.
    display.wait_for(lambda m: sorted(x["type"] for x in m[before:]) == ["queue.changed", "ticket.called"], 2)
    followers.wait_for(lambda m: "positions.changed" in [x["type"] for x in m], 2)


async def display_messages_while(hall_code, argv, env, quiet=2.0):
    """Run `argv` while listening to the hall's display group; its result and
    every display message until none has come for `quiet` seconds after it."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(events.hall_display_group(hall_code), channel)
    process = await asyncio.create_subprocess_exec(*argv, env=env, cwd=Path(__file__).resolve().parents[2],
                                                   stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), quiet))
        except asyncio.TimeoutError:
            break
    await layer.group_discard(events.hall_display_group(hall_code), channel)
    return process.returncode, stderr.decode(), messages


def test_a_process_that_exits_still_sends_its_pending_refresh(floor):
    """A command or a server stopping with a refresh still waiting sends it
    on its way out (another process, the shared Redis, the real database)."""
    if connection.vendor != "postgresql" or "InMemory" in django_settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("needs PostgreSQL and Redis shared with another process")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = (
        "import django; django.setup()\n"
        "from halls.models import Outlet\n"
        "from queueing import services\n"
        f"hall = Outlet.objects.get(code={floor.hall.code!r})\n"
        "for _ in range(3):\n"
        "    services.ticket_issue(outlet=hall, service_code='payment', channel='kiosk')\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "QUEUE_LIVE_REFRESH_MS": "600000",
           "DJANGO_SETTINGS_MODULE": "config.settings"}

    returncode, stderr, messages = async_to_sync(display_messages_while)(
        floor.hall.code, [sys.executable, "-c", script], env)

    assert returncode == 0 and "failed" not in stderr, stderr
    counts = [m for m in messages if m["type"] == "queue.changed"]
    assert {s["code"]: s["waiting"] for s in counts[-1]["services"]}["payment"] == 3
