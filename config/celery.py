"""The Celery app: `celery -A config worker --beat`."""

import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_unsafe_start(**kwargs):
    """A production worker or beat with published secrets does not start (config/checks.py)."""
    import sys

    import django
    from django.core.management.base import SystemCheckError

    django.setup()
    from config.checks import refuse_unsafe_start

    try:
        refuse_unsafe_start()
    except SystemCheckError as refused:
        # Celery logs and swallows a signal receiver's exceptions; SystemExit it does not.
        print(refused, file=sys.stderr)
        raise SystemExit(1) from None


@worker_process_init.connect
def _keep_an_event_loop(**kwargs):
    """A pool process sends its live messages (the displays' line, a live
    floor) from one event loop kept for its life, and so over the channel
    layer's pooled connections, instead of a new loop and connection a
    message (queueing.events)."""
    from queueing.events import keep_event_loop

    keep_event_loop()


@task_prerun.connect
def _bind_task_to_logs(task_id=None, task=None, **kwargs):
    """Every log line of a task carries its id and name (config/logs.py)."""
    import structlog

    structlog.contextvars.bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


@task_postrun.connect
def _unbind_task_from_logs(**kwargs):
    import structlog

    structlog.contextvars.unbind_contextvars("task_id", "task")
