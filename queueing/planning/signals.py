"""Peak-flow warnings follow each change of a hall's line: the queue's
refresher says the line changed (queueing.signals.hall_line_changed, off the
request path) and the hall's warnings are evaluated, at most once every
PLANNING_EVALUATE_EVERY_SECONDS per hall and server process."""

import threading
import time

from django.conf import settings
from django.dispatch import receiver

from halls.models import Outlet
from queueing.signals import hall_line_changed

from .services import warnings_evaluate

_last_evaluated: dict[int, float] = {}
_lock = threading.Lock()


@receiver(hall_line_changed, dispatch_uid="planning-evaluate-warnings")
def _line_changed(sender, outlet_id, outlet_code, line, **kwargs):
    if not settings.PLANNING_EVALUATE_ON_CHANGE:
        return
    now = time.monotonic()
    with _lock:
        if now - _last_evaluated.get(outlet_id, float("-inf")) < settings.PLANNING_EVALUATE_EVERY_SECONDS:
            return
        _last_evaluated[outlet_id] = now
        if len(_last_evaluated) > 10_000:
            _last_evaluated.clear()
    outlet = Outlet.objects.filter(pk=outlet_id).first()
    if outlet is not None:
        warnings_evaluate(outlet=outlet, line=line)
