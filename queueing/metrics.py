"""The queue's figures for Prometheus (config.metrics), taken from each ticket
change as it is recorded: counted by service code and channel, never by hall."""

from config.cache import process_memo
from config.metrics import ticket_changed_on_commit
from halls.models import Service

from .models import Ticket, TicketEventKind


def _service_code(ticket: Ticket) -> str:
    if Ticket.service.is_cached(ticket):
        return ticket.service.code
    # Codes do not change: one query per service and process.
    code = process_memo(
        f"metrics:service-code:{ticket.service_id}",
        lambda: Service.objects.filter(pk=ticket.service_id).values_list("code", flat=True).first(), 3600,
    )
    return code or "unknown"


def ticket_change_count(ticket: Ticket, *, kind, at) -> None:
    """Count the change after commit; a first call also records the ticket's wait."""
    kind = getattr(kind, "value", kind)
    wait = None
    if kind == TicketEventKind.CALLED and ticket.first_called_at == at and ticket.issued_at:
        wait = (at - ticket.issued_at).total_seconds()
    ticket_changed_on_commit(event=kind, service=_service_code(ticket), channel=ticket.channel or "unknown",
                             wait_seconds=wait)
