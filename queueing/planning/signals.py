"""Peak-flow warnings follow each change of a hall's line: the queue's
refresher says the line changed (queueing.signals.hall_line_changed, off the
request path) and a worker evaluates the hall's warnings, at most once every
PLANNING_EVALUATE_EVERY_SECONDS per hall across all server processes. The
evaluation runs in the Celery worker, not in the server that took the ticket:
issuing and calling keep their speed however busy the hall is."""

import logging
import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver

from config.tasks import enqueue
from queueing.signals import hall_line_changed

logger = logging.getLogger(__name__)

_last_claimed: dict[int, float] = {}
_lock = threading.Lock()


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


@receiver(hall_line_changed, dispatch_uid="planning-evaluate-warnings")
def _line_changed(sender, outlet_id, outlet_code, **kwargs):
    if not settings.PLANNING_EVALUATE_ON_CHANGE:
        return
    if _claim(outlet_id, settings.PLANNING_EVALUATE_EVERY_SECONDS):
        enqueue("queueing.planning.tasks.warnings_evaluate_hall", outlet_id)
