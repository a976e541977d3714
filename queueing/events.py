"""Live events: group names, the per-hall sequence, every payload, and the
broadcasts. The only module that knows the groups and the event shapes.

Display events carry a per-hall `seq` that rises by one per event across all
processes (an INCR in the shared cache, Redis in production); a display that
sees a gap reconnects and takes a fresh snapshot, so a lost broadcast heals
itself. A sequence Redis has lost (a restart without persistence) starts
again from the current time in milliseconds, above any number it gave
before, so a display never takes new events for stale ones.

Redis is for the live screens only: when it is down, a change still
commits and the events that could not be numbered or sent are logged and
dropped; screens catch up when it is back (their pings carry the current
seq, see `hall_seq_current`).
"""

import asyncio
import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.cache import cache_counter_next

from .selectors import queue_snapshot, ticket_live_state

logger = logging.getLogger(__name__)

# While Redis is away every display's ping would log the same warning.
_WARN_EVERY_SECONDS = 60
_warned_at: dict[str, float] = {}


def _warn(key: str, message: str, *args) -> None:
    now = time.monotonic()
    if now - _warned_at.get(key, -_WARN_EVERY_SECONDS) >= _WARN_EVERY_SECONDS:
        _warned_at[key] = now
        logger.warning(message, *args, exc_info=True)

# --- Groups ------------------------------------------------------------------------------


def hall_display_group(outlet_code: str) -> str:
    return f"hall-{outlet_code}.display"


def hall_tickets_group(outlet_code: str) -> str:
    """Every customer following a ticket of the hall (server side: each consumer
    picks its own ticket's line from a positions message)."""
    return f"hall-{outlet_code}.tickets"


def ticket_group(token: str) -> str:
    # Tokens are URL-safe base64; group names allow [A-Za-z0-9_.-] only.
    return f"ticket-{token}"


# --- The hall's sequence --------------------------------------------------------------------


def _seq_key(outlet_code: str) -> str:
    return f"hall-seq:{outlet_code}"


def _seq_start() -> int:
    return int(time.time() * 1000)


def hall_seq_current(outlet_code: str) -> int | None:
    """The hall's last event number; None when the shared cache cannot be read.

    A hall without a sequence yet gets one here (from now in milliseconds),
    so that the snapshot that reads it and the events that follow agree."""
    key = _seq_key(outlet_code)
    try:
        value = cache.get(key)
        if value is None:
            cache.add(key, _seq_start(), timeout=None)
            value = cache.get(key)
        return int(value or 0)
    except Exception:  # noqa: BLE001 - Redis down: the caller says "unknown"
        _warn("seq-read", "Cannot read hall event sequences (e.g. %s): shared cache unavailable", outlet_code)
        return None


def hall_seq_next(outlet_code: str) -> int:
    """The next event number of the hall (raises when the shared cache is down).

    A missing sequence (first use, or lost with Redis) starts from now in
    milliseconds: numbers never go back, so a display that saw the old ones
    sees a gap and takes a fresh snapshot."""
    return cache_counter_next(cache, _seq_key(outlet_code), start=_seq_start())


# --- Sending -----------------------------------------------------------------------------

# The refresher's thread keeps one event loop (and so one set of channel-layer
# connections) for all its sends; other threads hop to the server's loop.
thread_state = threading.local()
# Numbering and sending one hall event is one step within a process, so two
# threads of a process never send a hall's events out of order.
_send_lock = threading.Lock()


def keep_event_loop() -> None:
    """This thread sends from one event loop of its own from now on (a
    Celery pool process: its sends reuse the channel layer's connections)."""
    if getattr(thread_state, "runner", None) is None:
        thread_state.runner = asyncio.Runner()


def group_send(group: str, message: dict) -> None:
    """Send `message` to a channel-layer group, now."""
    layer = get_channel_layer()
    if layer is None:
        return
    runner = getattr(thread_state, "runner", None)
    if runner is not None:
        runner.run(layer.group_send(group, message))
    else:
        async_to_sync(layer.group_send)(group, message)


def send_hall_event(outlet_code: str, event_type: str, payload: dict) -> bool:
    """Number and send one display event now (call it after commit). Returns
    whether it went out. Tried twice: the first use of a pooled connection
    after Redis restarts fails, the second takes a new one (a number the
    first try took is skipped, which displays see as a gap and resync). A
    failure is logged, not raised: the change it reports has committed, and
    the screens resync on their own."""
    for attempt in (1, 2):
        try:
            with _send_lock:
                message = {"type": event_type, "seq": hall_seq_next(outlet_code), **payload}
                group_send(hall_display_group(outlet_code), message)
            return True
        except Exception:  # noqa: BLE001
            if attempt == 2:
                _warn("hall-event", "Hall events not sent (e.g. %s of %s): channel layer unavailable",
                      event_type, outlet_code)
    return False


def send_to_groups(messages: list[tuple[str, dict]]) -> bool:
    """Send each (group, message) now, all in one hop to the event loop (a
    batch of halls' updates); tried twice like send_to_group."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return True

    async def send_all():
        await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))

    for attempt in (1, 2):
        try:
            runner = getattr(thread_state, "runner", None)
            if runner is not None:
                runner.run(send_all())
            else:
                async_to_sync(send_all)()
            return True
        except Exception:  # noqa: BLE001
            if attempt == 2:
                _warn("group-send", "Live messages not sent (e.g. to %s): channel layer unavailable", messages[0][0])
    return False


def send_to_group(group: str, message: dict) -> bool:
    """group_send, tried twice (see send_hall_event); failures logged."""
    for attempt in (1, 2):
        try:
            group_send(group, message)
            return True
        except Exception:  # noqa: BLE001
            if attempt == 2:
                _warn("group-send", "Live messages not sent (e.g. to %s): channel layer unavailable", group)
    return False


def send_ticket_state(token: str, ticket_id: int) -> None:
    """Send the ticket's holder its ticket's state, read now."""
    send_to_group(ticket_group(token), ticket_live_state(ticket_id=ticket_id))


# --- After commit ------------------------------------------------------------------------------


def broadcast_hall_event_on_commit(outlet_code: str, event_type: str, payload: dict) -> None:
    """After commit, send `payload` (JSON-safe) to the hall's displays.

    robust: a Redis outage must never fail a write that has already committed."""
    transaction.on_commit(lambda: send_hall_event(outlet_code, event_type, payload), robust=True)


def broadcast_ticket_on_commit(token: str, ticket_id: int) -> None:
    """After commit, send the ticket's holder its ticket's state (read then)."""
    transaction.on_commit(lambda: send_ticket_state(token, ticket_id), robust=True)


def broadcast_ticket_called_on_commit(*, outlet_code: str, number: str, counter_number: int, counter_name: str,
                                      service_code: str, called_at, recall: bool, reinstated: bool = False) -> None:
    broadcast_hall_event_on_commit(outlet_code, "ticket.called", {
        "number": number,
        "counter": counter_number,
        "counter_name": counter_name,
        "service": service_code,
        "called_at": timezone.localtime(called_at).isoformat(),
        "recall": recall,
        "reinstated": reinstated,
    })


def broadcast_counter_changed_on_commit(*, outlet_code: str, counter_number: int, counter_name: str, state: str,
                                        reason: str = "", current: str | None = None) -> None:
    """A counter's state, or the number at it, changed (its screen follows)."""
    broadcast_hall_event_on_commit(outlet_code, "counter.changed", {
        "counter": counter_number, "counter_name": counter_name, "state": state, "reason": reason, "current": current,
    })


def broadcast_counter_request_on_commit(*, outlet_code: str, request_id: int) -> None:
    """A request to open a counter was made or answered: the hall's consoles
    fetch the open ones (the display socket carries only its id; screens
    ignore it)."""
    broadcast_hall_event_on_commit(outlet_code, "counter.requested", {"request": request_id})


def broadcast_alert_on_commit(*, outlet_code: str, level: str | None, message: str) -> None:
    """A line for the hall's customers on the wall display (level None clears it)."""
    broadcast_hall_event_on_commit(outlet_code, "alert", {"level": level, "message": message})


# --- Payloads read when they are sent ---------------------------------------------------------


def queue_changed_payload(services: list[dict]) -> dict:
    return {"services": services}


def positions_message(lines: dict[int, dict]) -> dict:
    """Every waiting ticket's place, for the hall's followers. Every follower's
    consumer decodes this message and looks for its ticket in it, so it is
    flat integer lists, by ticket id: place, estimated wait, and the wait's
    range (low, high)."""
    ids = sorted(lines)
    return {
        "type": "positions.changed",
        "ids": ids,
        "positions": [lines[i]["position"] for i in ids],
        "waits": [lines[i]["estimated_wait_seconds"] for i in ids],
        "lows": [lines[i]["estimated_wait_range"][0] for i in ids],
        "highs": [lines[i]["estimated_wait_range"][1] for i in ids],
    }


def hall_snapshot(outlet) -> dict:
    """What a lobby display starts from: the queue snapshot with the hall's
    current seq, read first, so that an event numbered after it is applied
    (at least once) rather than missed."""
    seq = hall_seq_current(outlet.code)
    return {"hall": outlet.code, "seq": seq or 0, **queue_snapshot(outlet=outlet)}
