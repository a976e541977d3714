"""What others see of a hall's line, refreshed after each change: the
waiting counts on its displays and every waiting ticket's place for the
customers following them. Computed when sent, so always fresh; throttled per
hall so that a burst of tickets costs two refreshes, not one per ticket.
"""

import asyncio
import atexit
import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, transaction

from . import events
from .selectors import LINE_EXACT_TICKETS, hall_line, hall_line_keep, hall_waiting_positions, service_summaries
from .signals import hall_line_changed

logger = logging.getLogger(__name__)


def refresh_hall_on_commit(outlet_id: int, outlet_code: str, *, counts: bool = True, positions: bool = False) -> None:
    """After commit, refresh what others see of a hall's line: `counts` to its
    displays, `positions` to the customers following its tickets.

    Each is computed when it is sent. With QUEUE_LIVE_REFRESH_MS > 0 a
    background thread refreshes each hall at most once in that interval: a
    change in a quiet hall goes out at once, and the changes that follow
    within the interval are served together at its end, so the request that
    made the change never waits for it. A change that moves nobody's place
    (`positions` false: a ticket joining the back of its line) waits for
    QUEUE_COUNTS_REFRESH_MS instead: a wall display's waiting counts need not
    change ten times a second.

    robust: a Redis outage must never fail a write that has already committed."""
    job = {"code": outlet_code, "counts": counts, "positions": positions}
    transaction.on_commit(lambda: refresher.request(outlet_id, job), robust=True)


def refresh_hall(outlet_id: int, job: dict) -> None:
    """Send what `job` asks for, read now: the line is played forward once
    (queueing.estimates), kept for the reads of the next seconds, and its
    counts and places sent; then whoever watches the hall's line is told
    (the `hall_line_changed` signal: peak-flow warnings)."""
    code = job["code"]
    # Nobody's place moved (a ticket at the back of its line): the front of a
    # long line is enough for the counts and a new ticket's wait.
    line = hall_line(outlet_id=outlet_id, outlet_code=code, limit=None if job["positions"] else LINE_EXACT_TICKETS)
    hall_line_keep(outlet_id, line)
    if job["counts"]:
        summaries = service_summaries(outlet_id=outlet_id, outlet_code=code, line=line)
        events.send_hall_event(code, "queue.changed", events.queue_changed_payload(summaries))
    if job["positions"]:
        events.send_to_group(events.hall_tickets_group(code),
                             events.positions_message(hall_waiting_positions(outlet_id=outlet_id, line=line)))
    for receiver, error in hall_line_changed.send_robust(sender=HallRefresher, outlet_id=outlet_id,
                                                          outlet_code=code, line=line):
        if isinstance(error, Exception):
            logger.error("Hall %s: %s failed on the line's change", code, receiver, exc_info=error)


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
        for flag in ("counts", "positions"):
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
            events.thread_state.runner = runner
            try:
                self.flush()
            finally:
                del events.thread_state.runner

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
        events.thread_state.runner = asyncio.Runner()
        while True:
            for outlet_id, job in self._take_due().items():
                self._run_one(outlet_id, job)
            # As at the end of a request: back to the pool, or closed unless
            # CONN_MAX_AGE keeps it.
            close_old_connections()

    @staticmethod
    def _run_one(outlet_id: int, job: dict) -> None:
        try:
            refresh_hall(outlet_id, job)
        except Exception:  # noqa: BLE001 - the next change of the hall refreshes it again
            logger.exception("Refreshing hall %s failed", outlet_id)


refresher = HallRefresher()
