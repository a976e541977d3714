"""Celery tasks of planning: each calls one service and is idempotent."""

from celery import shared_task

from .services import warnings_evaluate_all as warnings_evaluate_all_now


@shared_task(acks_late=True)
def warnings_evaluate_all() -> int:
    """Evaluate every hall's peak-flow warnings (beat: every minute)."""
    return warnings_evaluate_all_now()
