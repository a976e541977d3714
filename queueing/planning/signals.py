"""Peak-flow warnings follow each change of a hall's line: the queue's
refresher says the line changed (queueing.signals.hall_line_changed, off the
request path) and hands over the line it has just played. The contract's
rule, a new ticket's wait against the service's target, is checked there and
then against the levels the hall's last evaluation kept (levels.py): a change
that moves no level costs one read of the shared cache. A change that moves
one, or any change of a hall whose live floor page is open, has a worker
evaluate the hall in full, at most once every PLANNING_EVALUATE_EVERY_SECONDS
per hall across all server processes; the halls that changed within
PLANNING_EVALUATE_BATCH_SECONDS are evaluated together, their floors read in
one go as the minute task reads the city's. The evaluation runs in the Celery
worker, not in the server that took the ticket: issuing and calling keep
their speed however busy the hall is. The figures that move with time rather
than with changes (the longest wait, the last 15 minutes' arrivals, pauses,
quiet devices, the forecast) are the minute task's."""

import logging
import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver

from config.cache import cache_set_add
from config.tasks import enqueue
from queueing.signals import hall_line_changed

from .events import watch_key
from .levels import levels_key, wait_level_moves

logger = logging.getLogger(__name__)

_last_claimed: dict[int, float] = {}
_lock = threading.Lock()


def _claimed_lately(outlet_id: int, window: float) -> bool:
    """Whether this process had the hall evaluated within the window."""
    with _lock:
        return time.monotonic() - _last_claimed.get(outlet_id, float("-inf")) < window


def _worth_evaluating(outlet_id: int, line: dict) -> bool:
    """Whether the line just played moves a wait level the hall's last
    evaluation kept, or a live floor page of the hall is open (it shows every
    change); unknown counts as yes."""
    levels, watched = levels_key(outlet_id), watch_key(outlet_id)
    try:
        found = cache.get_many([levels, watched])
    except Exception:  # noqa: BLE001 - the claim that follows says the cache is down
        return True
    return watched in found or wait_level_moves(found.get(levels), line["estimates"].services)


def _claim(outlet_id: int, window: float) -> bool:
    """Whether this change is the one that has the hall evaluated: the first
    in its window in this process, then in the shared cache (every process).
    While the shared cache is down nothing is claimed: the broker is the same
    Redis, and the minute task evaluates every hall once it is back."""
    now = time.monotonic()
    with _lock:
        if now - _last_claimed.get(outlet_id, float("-inf")) < window:
            return False
        _last_claimed[outlet_id] = now
        if len(_last_claimed) > 10_000:
            _last_claimed.clear()
    if window <= 0:
        return True
    try:
        return bool(cache.add(f"planning:evaluate:{outlet_id}", 1, timeout=max(1, math.ceil(window))))
    except Exception:  # noqa: BLE001 - the shared cache is down; the minute task catches up
        logger.warning("Hall %s: warnings not evaluated on change, the shared cache is unavailable", outlet_id)
        return False


PENDING_KEY = "planning:evaluate:pending"
BATCH_KEY = "planning:evaluate:batch"


def _pending(outlet_id: int) -> None:
    """Put the hall in the next batch; the first hall of a batch sends its
    task, which runs once the batch's window has passed and takes every hall
    added by then (a hall added later starts the next batch)."""
    window = settings.PLANNING_EVALUATE_BATCH_SECONDS
    try:
        cache_set_add(cache, PENDING_KEY, [outlet_id], timeout=max(60, 10 * window))
        first = window <= 0 or cache.add(BATCH_KEY, 1, timeout=window)
    except Exception:  # noqa: BLE001 - the shared cache is down; the minute task catches up
        logger.warning("Hall %s: warnings not evaluated on change, the shared cache is unavailable", outlet_id)
        return
    if first:
        enqueue("queueing.planning.tasks.warnings_evaluate_pending", countdown=window + 0.2 if window > 0 else None)


@receiver(hall_line_changed, dispatch_uid="planning-evaluate-warnings")
def _line_changed(sender, outlet_id, outlet_code, line=None, **kwargs):
    if not settings.PLANNING_EVALUATE_ON_CHANGE:
        return
    window = settings.PLANNING_EVALUATE_EVERY_SECONDS
    if _claimed_lately(outlet_id, window):
        return
    if line is not None and not _worth_evaluating(outlet_id, line):
        return
    if _claim(outlet_id, window):
        _pending(outlet_id)
