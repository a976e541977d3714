"""Celery tasks of planning: each calls one service and is idempotent."""

from celery import shared_task

from halls.models import Outlet

from .services import warnings_evaluate
from .services import warnings_evaluate_all as warnings_evaluate_all_now


@shared_task(acks_late=True)
def warnings_evaluate_all() -> int:
    """Evaluate every hall's peak-flow warnings (beat: every minute)."""
    return warnings_evaluate_all_now()


@shared_task(acks_late=True)
def warnings_evaluate_hall(outlet_id: int) -> int:
    """Evaluate one hall's peak-flow warnings (after a change of its line);
    the number of its active warnings."""
    outlet = Outlet.objects.filter(pk=outlet_id, is_active=True).first()
    return 0 if outlet is None else len(warnings_evaluate(outlet=outlet))
