from celery import shared_task

from .services import texts_near_turn_send


@shared_task(acks_late=True)
def texts_near_turn(outlet_id: int) -> int:
    """Text "almost your turn" to the hall's tickets that have come near the
    front; each ticket is texted once (the outbox dedupes). Returns the count."""
    return texts_near_turn_send(outlet_id=outlet_id)
