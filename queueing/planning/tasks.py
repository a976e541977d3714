"""Celery tasks of planning: each takes ids, calls one service, and is
idempotent (the same figures write nothing new). The schedule starts the ones
that fan out (config/settings.py, "Planning"); each hall is then one task,
so that the workers share the city and one hall's failure stays its own."""

from celery import shared_task
from django.core.cache import cache

from config.cache import cache_set_take
from config.tasks import enqueue
from halls.models import Outlet

from .selectors import halls_open_now, halls_with_a_queue
from .services import arrivals_forecast_hall, arrivals_reforecast_hall, warnings_evaluate, warnings_evaluate_halls
from .services import warnings_evaluate_all as warnings_evaluate_all_now
from .signals import PENDING_KEY
from .staffing import hall_outlook, outlook_keep


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


@shared_task(acks_late=True)
def warnings_evaluate_pending() -> int:
    """Evaluate the halls whose line changed since the last batch (see
    signals.py); the number of warnings that started or rose."""
    ids = sorted(int(pk) for pk in cache_set_take(cache, PENDING_KEY))
    return warnings_evaluate_halls(outlet_ids=ids) if ids else 0


@shared_task(acks_late=True)
def arrivals_forecast(outlet_id: int) -> int:
    """Forecast one hall's next days (services.arrivals_forecast_hall); returns the rows changed."""
    return arrivals_forecast_hall(outlet_id=outlet_id).changed


@shared_task(acks_late=True)
def arrivals_forecast_all() -> int:
    """Nightly (PLANNING_FORECAST_AT): a forecast task for every hall with a queue. Returns how many."""
    halls = halls_with_a_queue()
    for outlet_id in halls:
        enqueue("queueing.planning.tasks.arrivals_forecast", outlet_id)
    return len(halls)


@shared_task(acks_late=True)
def arrivals_reforecast(outlet_id: int) -> int:
    """Re-forecast the rest of one hall's day (services.arrivals_reforecast_hall)
    and keep what the next hours need against the roster, for the predictive
    warnings; returns the rows changed."""
    changed = arrivals_reforecast_hall(outlet_id=outlet_id)
    outlet = Outlet.objects.filter(pk=outlet_id, is_active=True).first()
    if outlet is not None:
        outlook_keep(outlet_id, hall_outlook(outlet=outlet))
    return changed


@shared_task(acks_late=True)
def arrivals_reforecast_open_halls() -> int:
    """Every PLANNING_REFORECAST_MINUTES: a re-forecast task for every hall open now. Returns how many."""
    halls = halls_open_now()
    for outlet_id in halls:
        enqueue("queueing.planning.tasks.arrivals_reforecast", outlet_id)
    return len(halls)


@shared_task(acks_late=True)
def outlook_refresh(outlet_id: int) -> int:
    """Work out again what the rest of the hall's day needs against its roster
    (after the roster changed); returns the half hours kept."""
    outlet = Outlet.objects.filter(pk=outlet_id, is_active=True).first()
    if outlet is None:
        return 0
    outlook = hall_outlook(outlet=outlet)
    outlook_keep(outlet_id, outlook)
    return len(outlook)
