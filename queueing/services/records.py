"""What every ticket change writes beside the ticket itself: its number, its
waiting line's count, its event, and what goes out after commit. Used by
every service of the queue; the caller holds the transaction."""

from django.db import connection

from .. import events, refresh
from ..metrics import ticket_change_count
from ..models import Ticket, TicketEvent
from .texts import texts_near_turn_on_commit


def sequence_next(*, outlet_id: int, prefix: str, business_date) -> int:
    """Take the next number of a hall's prefix for the day, in the caller's transaction.

    One upsert: the row lock it takes orders concurrent issuers across all
    processes, and a rollback of the caller returns the number, so numbers stay
    consecutive. Never MAX()+1, never a process-local lock."""
    table = "queueing_ticketsequence"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (outlet_id, prefix, business_date, last_number) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (outlet_id, prefix, business_date) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
            [outlet_id, prefix, business_date],
        )
        return cursor.fetchone()[0]


def _line_change(ticket: Ticket, delta: int) -> None:
    """Count a ticket into (+1) or out of (-1) its waiting line, in the caller's
    transaction: every move into or out of waiting calls this, so the kept
    count (WaitingLine) always agrees with the tickets. One upsert; the line's
    row is the last lock the caller takes, so it cannot deadlock."""
    table = "queueing_waitingline"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (outlet_id, business_date, service_id, priority_rank, waiting) "
            "VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT (outlet_id, business_date, service_id, priority_rank) "
            f"DO UPDATE SET waiting = {table}.waiting + EXCLUDED.waiting",
            [ticket.outlet_id, ticket.business_date, ticket.service_id, ticket.priority_rank, delta],
        )


def line_join(ticket: Ticket) -> None:
    _line_change(ticket, 1)


def line_leave(ticket: Ticket) -> None:
    _line_change(ticket, -1)


def ticket_event(ticket: Ticket, *, kind, from_status, at, actor=None, counter=None, detail=None,
                 request_key=None) -> TicketEvent:
    ticket_change_count(ticket, kind=kind, at=at)  # Prometheus, after commit
    return TicketEvent.objects.create(
        ticket=ticket,
        outlet_id=ticket.outlet_id,
        kind=kind,
        from_status=from_status,
        to_status=ticket.status,
        service_id=ticket.service_id,
        counter=counter,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=at,
        detail=detail or {},
        request_key=request_key,
    )


def after_ticket_change(ticket: Ticket, outlet_code: str, *, line_moved: bool) -> None:
    """After commit: the hall's counts to its displays, the ticket's state to its
    holder, and, when `line_moved` (a waiting ticket left or joined the line),
    everyone's new place in line and a look for tickets now near the front."""
    refresh.refresh_hall_on_commit(ticket.outlet_id, outlet_code, counts=True, positions=line_moved)
    events.broadcast_ticket_on_commit(ticket.token, ticket.id)
    if line_moved:
        texts_near_turn_on_commit(ticket.outlet_id)
