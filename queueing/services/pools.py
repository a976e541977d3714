"""Pools (暂存): an agent parks the current visit while the customer fills a
form or fetches a document, and calls it back when they are ready.

A parked ticket keeps its number and stays `waiting`, out of the general line:
no other counter calls it, the displays do not count it and it has no place
in line. It waits in the counter's pool (any agent at that counter may call it
back) or in the agent's own (it follows them to the counter they sign in to).
It comes back by hand from the console's pool list, or, once its return time
(optional, in minutes) is reached, as the next call at that counter (the
agent's, for their pool) before the line (queueing.services.routing).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from config.api import DomainError, InvalidInput
from halls.models import CounterState

from ..days import hall_day_live
from ..errors import CounterBusy, CounterNotOpen
from ..models import ACTIVE_AT_COUNTER, PoolKind, Ticket, TicketEventKind, TicketStatus
from ..selectors import pool_owned_by
from .calls import _act_on_current, _counter_opening, call_ticket
from .counters import broadcast_counter_freed, has_active_ticket
from .records import after_ticket_change, ticket_event


class NotInPool(DomainError):
    code = "not_in_pool"
    message = "该号码不在本窗口或您的暂存中 / That number is not parked with this counter or with you."
    status = 404


def ticket_park(*, counter_id: int, actor, to: str = PoolKind.COUNTER, minutes: int | None = None,
                request_key: str | None = None, now: datetime | None = None) -> Ticket:
    """Park the counter's current ticket (called or being served) in the
    counter's pool (`to` "counter") or the acting agent's ("agent"), back
    after `minutes` when given. The counter is free for its next call."""
    now = now or timezone.now()
    if to not in PoolKind.values:
        raise InvalidInput(fields={"to": [f"Choose one of {', '.join(PoolKind.values)}."]})
    if minutes is not None and not 1 <= minutes <= 480:
        raise InvalidInput(fields={"minutes": ["1 到 480 分钟 / 1 to 480 minutes."]})
    if to == PoolKind.AGENT and (actor is None or not actor.is_authenticated):
        raise InvalidInput(fields={"to": ["只有登录的营业员有个人暂存 / Only a signed-in agent has a pool."]})

    def park(counter, ticket):
        from_status = ticket.status
        ticket.status = TicketStatus.WAITING
        ticket.parked = True
        ticket.counter = None
        ticket.pool_counter = counter if to == PoolKind.COUNTER else None
        ticket.pool_agent = actor if to == PoolKind.AGENT else None
        ticket.pool_due_at = now + timedelta(minutes=minutes) if minutes else None
        ticket.call_count = 0
        ticket.called_at = None
        ticket.started_at = None
        ticket.save(update_fields=["status", "parked", "counter", "pool_counter", "pool_agent", "pool_due_at",
                                   "call_count", "called_at", "started_at"])
        ticket_event(ticket, kind=TicketEventKind.PARKED, from_status=from_status, at=now, actor=actor,
                     counter=counter, request_key=request_key, detail={"pool": to, "minutes": minutes})
        broadcast_counter_freed(counter)
        # Out of the counter, into no line: nobody's place moves.
        after_ticket_change(ticket, counter.outlet.code, line_moved=False)
        return ticket

    return _act_on_current(counter_id=counter_id, request_key=request_key, now=now, needs=ACTIVE_AT_COUNTER,
                           action="park", act=park)


def ticket_call_from_pool(*, counter_id: int, number: str, actor, request_key: str | None = None,
                          now: datetime | None = None) -> Ticket:
    """Call back a visit parked in the counter's pool or in the pool of the
    agent signed in to it, whether or not its return time has come. Raises
    CounterNotOpen, CounterBusy, NotInPool."""
    now = now or timezone.now()
    with transaction.atomic():
        counter, replay = _counter_opening(counter_id, request_key, now)
        if replay is not None:
            return replay
        if counter.state != CounterState.OPEN:
            raise CounterNotOpen()
        if has_active_ticket(counter):
            raise CounterBusy()
        ticket = (
            Ticket.objects.select_for_update(no_key=True).select_related("service")
            .filter(pool_owned_by(counter), outlet_id=counter.outlet_id, number=number, parked=True,
                    status=TicketStatus.WAITING, business_date=hall_day_live(counter.outlet, now))
            .first()
        )
        if ticket is None:
            raise NotInPool()
        return call_ticket(counter, ticket, actor=actor, now=now, request_key=request_key)
