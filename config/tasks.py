"""Starting a Celery task by its name, so that a service never imports the
task that runs it (the task imports the service: one direction only).

Call `enqueue` from `transaction.on_commit`, with ids and small JSON-safe
values, never model instances.
"""

import functools
from importlib import import_module

from celery.exceptions import Retry
from django.conf import settings

from .celery import app


def _setting(name: str) -> bool:
    # Django's setting is read at call time, so that a test may switch it (the
    # pytest-django `settings` fixture); Celery's own copy is read once.
    value = getattr(settings, f"CELERY_{name.upper()}", None)
    return bool(app.conf[name] if value is None else value)


def enqueue(name: str, *args, countdown: float | None = None) -> None:
    """Send the task `name` ("kiosk.tasks.order_fulfil") with `args` to the
    workers. With CELERY_TASK_ALWAYS_EAGER on, run it here and now instead,
    retries and all (`send_task` alone would ignore that setting); its final
    error is raised when CELERY_TASK_EAGER_PROPAGATES is on too. `countdown`:
    not before that many seconds (eager: at once)."""
    if _setting("task_always_eager"):
        # A task is registered when its module is imported; a web process may not have yet.
        import_module(name.rpartition(".")[0])
        result = _apply_with_retries(app.tasks[name], args)
        if _setting("task_eager_propagates"):
            result.maybe_throw()
        return
    app.send_task(name, args=list(args), countdown=countdown)


def _apply_with_retries(task, args):
    """Run `task` here, and each retry it asks for, until it ends; its final
    result. Not throw=True: that would raise the first retry instead of
    running it. Celery runs the retries of an eager task itself, but the
    second and later with the task_eager_propagates setting, which raises the
    retry instead of running it: those are run here, the same way."""
    run = functools.partial(task.apply, args=args, throw=False)
    while True:
        try:
            return run()
        except Retry as retry:
            if retry.sig is None:
                raise
            run = functools.partial(retry.sig.apply, throw=False)
