"""Live events: group names, payload builders and broadcasting after commit.

The only module that knows the groups and event shapes. Display events carry
a per-hall `seq` that rises by one per event across all processes (an INCR in
the shared cache, Redis in production); a display that sees a gap reconnects
and takes a fresh snapshot, so a lost broadcast heals itself.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from config.cache import cache_counter_next

logger = logging.getLogger(__name__)


def hall_display_group(outlet_code: str) -> str:
    return f"hall-{outlet_code}.display"


def hall_tickets_group(outlet_code: str) -> str:
    """Every customer following a ticket of the hall (server side: each consumer
    picks its own ticket's line from a positions message)."""
    return f"hall-{outlet_code}.tickets"


def ticket_group(token: str) -> str:
    # Tokens are URL-safe base64; group names allow [A-Za-z0-9_.-] only.
    return f"ticket-{token}"


def _seq_key(outlet_code: str) -> str:
    return f"hall-seq:{outlet_code}"


def hall_seq_current(outlet_code: str) -> int:
    return int(cache.get(_seq_key(outlet_code)) or 0)


def hall_seq_next(outlet_code: str) -> int:
    # One INCR on Redis: this runs after every change of a hall.
    return cache_counter_next(cache, _seq_key(outlet_code))


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, message)


def send_hall_event(outlet_code: str, event_type: str, payload: dict) -> None:
    """Number and send one display event now (call from on_commit)."""
    message = {"type": event_type, "seq": hall_seq_next(outlet_code), **payload}
    _send(hall_display_group(outlet_code), message)


def broadcast_hall_event_on_commit(outlet_code: str, event_type: str, payload: dict) -> None:
    """After commit, send `payload` (JSON-safe) to the hall's displays.

    robust: a Redis outage must never fail a write that has already committed."""
    transaction.on_commit(lambda: send_hall_event(outlet_code, event_type, payload), robust=True)


def broadcast_queue_changed_on_commit(outlet_id: int, outlet_code: str, *, positions: bool = True) -> None:
    """After commit, send the hall's waiting counts to its displays and, when
    places in the line may have moved, every waiting ticket's new position to
    the customers following them (both computed then, so they are fresh)."""

    def send():
        from .selectors import hall_waiting_positions, service_summaries

        send_hall_event(outlet_code, "queue.changed", {"services": service_summaries(outlet_id=outlet_id)})
        if positions:
            # Every follower's consumer decodes this message, so it is three
            # flat integer lists rather than a map of objects.
            lines = hall_waiting_positions(outlet_id=outlet_id)
            _send(hall_tickets_group(outlet_code), {
                "type": "positions.changed",
                "ids": list(lines),
                "positions": [line["position"] for line in lines.values()],
                "waits": [line["estimated_wait_seconds"] for line in lines.values()],
            })

    transaction.on_commit(send, robust=True)


def broadcast_ticket_on_commit(token: str, ticket_id: int) -> None:
    """After commit, send the ticket's holder its ticket's state (read then)."""

    def send():
        from .selectors import ticket_live_state

        _send(ticket_group(token), ticket_live_state(ticket_id=ticket_id))

    transaction.on_commit(send, robust=True)


def ticket_called_payload(*, number: str, counter_number: int, counter_name: str, service_code: str,
                          called_at: str, recall: bool) -> dict:
    return {
        "number": number,
        "counter": counter_number,
        "counter_name": counter_name,
        "service": service_code,
        "called_at": called_at,
        "recall": recall,
    }
