"""Celery tasks of the queue: each takes ids, calls one service, and is
idempotent. Services start them by name (config.tasks.enqueue)."""

from celery import shared_task

from .services import business_days_close as business_days_close_now
from .services import handle_times_learn as handle_times_learn_now
from .services import missed_calls_sweep as missed_calls_sweep_now
from .services import texts_near_turn_send, texts_near_turn_started
from .services import ticket_away_over as ticket_away_over_now


@shared_task(acks_late=True)
def texts_near_turn(outlet_id: int) -> int:
    """Text "almost your turn" to the hall's tickets that have come near the
    front; each ticket is texted once (the outbox dedupes). Returns the count."""
    texts_near_turn_started(outlet_id)
    return texts_near_turn_send(outlet_id=outlet_id)


@shared_task(acks_late=True)
def business_days_close() -> int:
    """Close every business day that is over (beat: every minute)."""
    return business_days_close_now()


@shared_task(acks_late=True)
def handle_times_learn() -> int:
    """Learn every hall's handle times per service and hour (beat: nightly)."""
    return handle_times_learn_now()


@shared_task(acks_late=True)
def missed_calls_sweep() -> dict:
    """Call again, then mark as no-shows, the called tickets nobody came for
    (beat: every 15 seconds)."""
    return missed_calls_sweep_now()
def ticket_away_over(ticket_id: int) -> bool:
    """A step-away's time is up: the holder's page and the others' places
    are refreshed (queued with the step-away, to run when it ends)."""
    return ticket_away_over_now(ticket_id=ticket_id)
