"""Live events: group names, payload builders and broadcasting after commit.

The only module that knows the groups and event shapes. Display events carry
a per-hall `seq` that rises by one per event across all processes (an INCR in
the shared cache, Redis in production); a display that sees a gap reconnects
and takes a fresh snapshot, so a lost broadcast heals itself.
"""

import asyncio
import atexit
import logging
import os
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction

from config.cache import cache_counter_next

logger = logging.getLogger(__name__)


def hall_display_group(outlet_code: str) -> str:
    return f"hall-{outlet_code}.display"


def hall_tickets_group(outlet_code: str) -> str:
    """Every customer following a ticket of the hall (server side: each consumer
    picks its own ticket's line from a positions message)."""
    return f"hall-{outlet_code}.tickets"


def ticket_group(token: str) -> str:
    # Tokens are URL-safe base64; group names allow [A-Za-z0-9_.-] only.
    return f"ticket-{token}"


def _seq_key(outlet_code: str) -> str:
    return f"hall-seq:{outlet_code}"


def hall_seq_current(outlet_code: str) -> int:
    return int(cache.get(_seq_key(outlet_code)) or 0)


def hall_seq_next(outlet_code: str) -> int:
    # One INCR on Redis: this runs after every change of a hall.
    return cache_counter_next(cache, _seq_key(outlet_code))


# The refresher's thread keeps one event loop (and so one set of channel-layer
# connections) for all its sends; other threads hop to the server's loop.
_thread = threading.local()
# Numbering and sending one hall event is one step within a process, so two
# threads of a process never send a hall's events out of order.
_send_lock = threading.Lock()


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    runner = getattr(_thread, "runner", None)
    if runner is not None:
        runner.run(layer.group_send(group, message))
    else:
        async_to_sync(layer.group_send)(group, message)


def send_hall_event(outlet_code: str, event_type: str, payload: dict) -> None:
    """Number and send one display event now (call from on_commit)."""
    with _send_lock:
        message = {"type": event_type, "seq": hall_seq_next(outlet_code), **payload}
        _send(hall_display_group(outlet_code), message)


def broadcast_hall_event_on_commit(outlet_code: str, event_type: str, payload: dict) -> None:
    """After commit, send `payload` (JSON-safe) to the hall's displays.

    robust: a Redis outage must never fail a write that has already committed."""
    transaction.on_commit(lambda: send_hall_event(outlet_code, event_type, payload), robust=True)


def broadcast_queue_changed_on_commit(outlet_id: int, outlet_code: str, *, positions: bool = True) -> None:
    """After commit, have the hall's waiting counts sent to its displays and,
    when places in the line may have moved, every waiting ticket's new
    position to the customers following them (see refresh_hall_on_commit)."""
    refresh_hall_on_commit(outlet_id, outlet_code, counts=True, positions=positions)


def refresh_hall_on_commit(outlet_id: int, outlet_code: str | None = None, *, counts: bool = False,
                           positions: bool = False, texts: bool = False) -> None:
    """After commit, refresh what others see of a hall's line: `counts` to its
    displays, `positions` to the customers following its tickets, and `texts`:
    a check for tickets that have come near the front (a Celery task).

    Each is computed when it is sent, so it is fresh. With
    QUEUE_LIVE_REFRESH_MS > 0 a background thread refreshes each hall at
    most once in that interval: a change in a quiet hall goes out at once,
    and the changes that follow within the interval are served together at
    its end, so a burst of tickets costs two counts, not one per ticket, and
    the request that made the change never waits for it. A change that moves
    nobody's place (`positions` false: a ticket joining the back of its line)
    waits for QUEUE_COUNTS_REFRESH_MS instead: a wall display's waiting
    counts need not change ten times a second.

    robust: a Redis or broker outage must never fail a write that has
    already committed."""
    job = {"code": outlet_code, "counts": counts, "positions": positions, "texts": texts}
    transaction.on_commit(lambda: _refresher.request(outlet_id, job), robust=True)


def _refresh_hall(outlet_id: int, job: dict) -> None:
    from .selectors import hall_waiting_positions, service_summaries

    code = job["code"]
    if job["counts"] and code:
        send_hall_event(code, "queue.changed", {"services": service_summaries(outlet_id=outlet_id, outlet_code=code)})
    if job["positions"] and code:
        # Every follower's consumer decodes this message and looks for its
        # ticket in it, so it is three flat integer lists, by ticket id.
        lines = hall_waiting_positions(outlet_id=outlet_id)
        ids = sorted(lines)
        _send(hall_tickets_group(code), {
            "type": "positions.changed",
            "ids": ids,
            "positions": [lines[i]["position"] for i in ids],
            "waits": [lines[i]["estimated_wait_seconds"] for i in ids],
        })
    if job["texts"]:
        from .tasks import texts_near_turn

        texts_near_turn.delay(outlet_id)


class HallRefresher:
    """Runs hall refreshes now, or throttled per hall in a background thread.

    A hall not refreshed within the interval is refreshed at once; otherwise
    its refresh waits for the interval to end, and the changes until then
    join it (their flags are merged). One thread per process, started on
    first use (and again in a forked child)."""

    def __init__(self):
        self._reset()
        atexit.register(self._flush_at_exit)

    def _reset(self):
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._pending: dict[int, dict] = {}
        self._last_run: dict[int, float] = {}  # hall -> when its last refresh was taken
        self._thread = None

    @staticmethod
    def delay_seconds(job: dict | None = None) -> float:
        """How long after a hall's last refresh `job` may go out; without a
        job, the longest such interval."""
        live, counts = settings.QUEUE_LIVE_REFRESH_MS, settings.QUEUE_COUNTS_REFRESH_MS
        ms = max(live, counts) if job is None else live if job["positions"] else counts
        return max(0, ms) / 1000

    @staticmethod
    def _merge(pending: dict, job: dict) -> dict:
        merged = {**pending, "code": pending["code"] or job["code"]}
        for flag in ("counts", "positions", "texts"):
            merged[flag] = pending[flag] or job[flag]
        return merged

    def request(self, outlet_id: int, job: dict) -> None:
        if self._pid != os.getpid():
            self._reset()
        delay = self.delay_seconds(job)
        if delay <= 0:
            # At once, from the request; with whatever of the hall was waiting.
            with self._cond:
                pending = self._pending.pop(outlet_id, None)
            self._run_one(outlet_id, job if pending is None else self._merge(pending, job))
            return
        with self._cond:
            pending = self._pending.get(outlet_id)
            now = time.monotonic()
            last = self._last_run.get(outlet_id)
            due = now if last is None or now - last >= delay else last + delay
            if pending is None:
                self._pending[outlet_id] = {**job, "due": due}
            else:
                # A change that may not wait as long brings the hall's refresh forward.
                self._pending[outlet_id] = {**self._merge(pending, job), "due": min(pending["due"], due)}
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="hall-refresher", daemon=True)
                self._thread.start()
            self._cond.notify()

    def flush(self) -> None:
        """Run every pending refresh now (at exit, and for tests)."""
        with self._cond:
            ready, self._pending = self._pending, {}
        for outlet_id, job in ready.items():
            self._run_one(outlet_id, job)

    def _flush_at_exit(self) -> None:
        # By now the thread pools that async_to_sync hands work to are shut
        # down: send through an event loop of this thread's own.
        if not self._pending:
            return
        with asyncio.Runner() as runner:
            _thread.runner = runner
            try:
                self.flush()
            finally:
                del _thread.runner

    def _take_due(self) -> dict[int, dict]:
        with self._cond:
            while True:
                if self._pending:
                    now = time.monotonic()
                    due = {oid: job for oid, job in self._pending.items() if job["due"] <= now}
                    if due:
                        for oid in due:
                            del self._pending[oid]
                            self._last_run[oid] = now
                        if len(self._last_run) > 1000:
                            # A hall refreshed longer ago than the interval is as if never.
                            horizon = now - self.delay_seconds()
                            self._last_run = {k: t for k, t in self._last_run.items() if t > horizon}
                        return due
                    self._cond.wait(min(job["due"] for job in self._pending.values()) - now)
                else:
                    self._cond.wait()

    def _loop(self) -> None:
        _thread.runner = asyncio.Runner()
        while True:
            for outlet_id, job in self._take_due().items():
                self._run_one(outlet_id, job)
            # As at the end of a request: back to the pool, or closed unless
            # CONN_MAX_AGE keeps it.
            close_old_connections()

    @staticmethod
    def _run_one(outlet_id: int, job: dict) -> None:
        try:
            _refresh_hall(outlet_id, job)
        except Exception:  # noqa: BLE001 - the next change of the hall refreshes it again
            logger.exception("Refreshing hall %s failed", outlet_id)


_refresher = HallRefresher()


def broadcast_ticket_on_commit(token: str, ticket_id: int) -> None:
    """After commit, send the ticket's holder its ticket's state (read then)."""

    def send():
        from .selectors import ticket_live_state

        _send(ticket_group(token), ticket_live_state(ticket_id=ticket_id))

    transaction.on_commit(send, robust=True)


def ticket_called_payload(*, number: str, counter_number: int, counter_name: str, service_code: str,
                          called_at: str, recall: bool) -> dict:
    return {
        "number": number,
        "counter": counter_number,
        "counter_name": counter_name,
        "service": service_code,
        "called_at": called_at,
        "recall": recall,
    }
