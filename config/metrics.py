"""The product's own Prometheus metrics, recorded where the domain events
happen (the request and database metrics are django-prometheus's).

Labels stay bounded: a service code, a channel, an event kind, a socket kind,
an SMS purpose and outcome; never a hall, a ticket or a phone. 4,000 halls
times everything would be millions of series.

Several processes (Daphne, Celery workers): with PROMETHEUS_MULTIPROC_DIR set
(before the process starts: prometheus_client reads it on import) every
process writes its values to files there and /metrics adds them up, so any
process of a host answers for all of them (docs/deploy.md). Without it each
process counts for itself only.

Nothing here imports the apps: they import this module.
"""

import glob
import os
import re

from django.db import transaction
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.multiprocess import mark_process_dead

TICKET_EVENTS = Counter(
    "qms_ticket_events", "Ticket changes (issued, called, finished, no_show, cancelled...), by service and channel.",
    ["event", "service", "channel"],
)
TICKET_WAIT = Histogram(
    "qms_ticket_wait_seconds", "Seconds from a ticket's issue to its first call, by service.", ["service"],
    buckets=(30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200),
)
SOCKETS_OPEN = Gauge(
    "qms_websockets_open", "WebSockets open now, by kind (display, ticket, floor).", ["kind"],
    multiprocess_mode="livesum",
)
SMS_SENT = Counter(
    "qms_sms", "Texts handed to the SMS backend, by purpose and outcome (sent, error: retried, failed: given up).",
    ["purpose", "outcome"],
)


def ticket_changed_on_commit(*, event: str, service: str, channel: str, wait_seconds: float | None = None) -> None:
    """Count a ticket change once its transaction commits (a rolled-back change is not counted)."""
    def record():
        TICKET_EVENTS.labels(event, service, channel).inc()
        if wait_seconds is not None:
            TICKET_WAIT.labels(service).observe(max(0.0, wait_seconds))

    transaction.on_commit(record, robust=True)


def sms_handed_on_commit(*, purpose: str, outcome: str) -> None:
    transaction.on_commit(lambda: SMS_SENT.labels(purpose, outcome).inc(), robust=True)


def socket_opened(kind: str) -> None:
    SOCKETS_OPEN.labels(kind).inc()


def socket_closed(kind: str) -> None:
    SOCKETS_OPEN.labels(kind).dec()


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def forget_dead_processes(path: str | None = None) -> None:
    """Drop the live gauges (open sockets) of processes that are gone, so a
    killed server's sockets are not counted for ever. Counters and histograms
    of dead processes stay: they are totals."""
    path = path or multiprocess_dir()
    if not path:
        return
    pids = {int(m.group(1)) for f in glob.glob(os.path.join(path, "gauge_live*_*.db"))
            if (m := re.search(r"_(\d+)\.db$", f))}
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, path)
        except PermissionError:
            pass  # alive, another user's
