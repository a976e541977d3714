"""Where a rule puts a ticket that comes back into its line (a reinstated
no-show, a phone ticket arriving after its turn): after the next few tickets
of its line, or last when fewer wait. The place is a `queued_at` between
two neighbours, so the call order, places in line and estimates need no
other change. The caller holds the transaction and the ticket's lock."""

from datetime import datetime, timedelta

from ..models import CALL_ORDER, Ticket, TicketStatus

_TICK = timedelta(microseconds=1)


def line_place_after(ticket: Ticket, places: int, now: datetime) -> datetime:
    """The `queued_at` that puts `ticket` after the next `places` waiting
    tickets of its line (its hall, service, priority class and business day),
    or at the back when no more than `places` wait. `places` 0: the front."""
    ahead = list(
        Ticket.objects.filter(outlet_id=ticket.outlet_id, service_id=ticket.service_id,
                              priority_rank=ticket.priority_rank, business_date=ticket.business_date,
                              status=TicketStatus.WAITING, parked=False)
        .exclude(pk=ticket.pk)
        .order_by(*CALL_ORDER)
        .values_list("queued_at", flat=True)[: places + 1]
    )
    if len(ahead) <= places:
        # Last: behind everyone waiting, however they were placed.
        return max([now, *(at + _TICK for at in ahead)])
    after = ahead[places - 1] if places > 0 else None
    before = ahead[places]
    if after is None:
        return before - _TICK
    # Halfway between its two neighbours; neighbours a microsecond apart (or
    # tied) leave it level with the one ahead, the id deciding the rest.
    return after + (before - after) / 2 if before - after > _TICK else after
