"""Starting Celery tasks by name, so that a service never imports the task
module that imports it (a task imports the service it runs, never the other
way round)."""

import importlib

from celery import current_app


def enqueue(name: str, *args) -> None:
    """Queue the task `name` ("app.tasks.function") with `args` (ids and other
    JSON-safe values). In eager mode (CELERY_TASK_ALWAYS_EAGER, tests) it runs
    here and now, as `.delay` would; otherwise it goes to the broker by name,
    with no import of the task's module."""
    app = current_app._get_current_object()
    if app.conf.task_always_eager:
        importlib.import_module(name.rsplit(".", 1)[0])
        app.tasks[name].apply(args=args, throw=app.conf.task_eager_propagates)
        return
    app.send_task(name, args=args)
