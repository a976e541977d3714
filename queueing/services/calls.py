"""What an agent does at a counter with tickets: call the next, recall, start,
finish, mark a no-show, transfer.

Every action opens the same way (`_counter_opening`): lock the counter, answer
a retry of an action already done under the same Idempotency-Key with its
ticket, and close a called ticket of a business day that is over. Actions on
the counter's current ticket then lock it and check its state
(`_act_on_current`). Lock order: the counter, then the ticket, then its
waiting line (see tickets.py).
"""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from halls.errors import UnknownService
from halls.models import Counter, CounterState
from halls.selectors import hall_offered_service
from sms.services import sms_queue

from .. import events
from ..days import hall_day_live
from ..errors import CounterBusy, CounterNotOpen, IllegalTransition, NoCurrentTicket, SameService
from ..models import ACTIVE_AT_COUNTER, CALL_ORDER, Ticket, TicketEvent, TicketEventKind, TicketStatus
from ..presence import callable_now
from .counters import broadcast_counter_freed, has_active_ticket, lock_counter
from .days import close_stale_call_at
from .presence import tickets_passed_over
from .records import after_ticket_change, line_join, line_leave, ticket_event


def _counter_opening(counter_id: int, request_key: str | None, now: datetime) -> tuple[Counter, Ticket | None]:
    """Lock the counter (the caller holds the transaction). Returns it and,
    when an action was already done at it under `request_key`, that action's
    ticket: the caller answers with it and does nothing more."""
    counter = lock_counter(counter_id)
    if request_key:
        event = TicketEvent.objects.filter(counter=counter, request_key=request_key).select_related("ticket").first()
        if event is not None:
            return counter, event.ticket
    close_stale_call_at(counter, now)
    return counter, None


def _lock_current(counter: Counter) -> Ticket:
    """The counter's current ticket, locked (the caller holds the counter's lock)."""
    ticket = (
        Ticket.objects.select_for_update(no_key=True)
        .select_related("service")
        .filter(counter=counter, status__in=ACTIVE_AT_COUNTER)
        .first()
    )
    if ticket is None:
        raise NoCurrentTicket()
    return ticket


def _act_on_current(*, counter_id: int, request_key: str | None, now: datetime, needs: tuple, action: str,
                    act: Callable[[Counter, Ticket], Ticket]) -> Ticket:
    """The shared opening of the actions on a counter's current ticket: in one
    transaction, open the counter, lock its current ticket, check that it is
    in one of the states `needs`, then `act(counter, ticket)`."""
    with transaction.atomic():
        counter, replay = _counter_opening(counter_id, request_key, now)
        if replay is not None:
            return replay
        ticket = _lock_current(counter)
        if ticket.status not in needs:
            raise IllegalTransition(
                f"{ticket.number} is {ticket.status}; {action} needs it to be {' or '.join(needs)}.",
            )
        return act(counter, ticket)


def _broadcast_called(ticket: Ticket, counter: Counter, *, recall: bool) -> None:
    events.broadcast_ticket_called_on_commit(
        outlet_code=counter.outlet.code, number=ticket.number, counter_number=counter.number,
        counter_name=counter.label, service_code=ticket.service.code, called_at=ticket.called_at, recall=recall,
    )


def ticket_call_next(*, counter_id: int, actor, request_key: str | None = None,
                     now: datetime | None = None) -> Ticket | None:
    """Call the next waiting ticket of the hall's live business day for an
    open counter: among the counter's services, vip and care before normal,
    then the longest waiting.

    Returns None when nothing waits. Raises CounterNotOpen, CounterBusy (its
    current ticket is not finished, which is also what makes a double press
    harmless). Concurrent agents never get the same ticket: the candidate row
    is locked with SKIP LOCKED, so a second agent takes the next one instead
    of waiting for, or repeating, the first."""
    now = now or timezone.now()
    with transaction.atomic():
        counter, replay = _counter_opening(counter_id, request_key, now)
        if replay is not None:
            return replay
        if counter.state != CounterState.OPEN:
            raise CounterNotOpen()
        if has_active_ticket(counter):
            raise CounterBusy()
        service_ids = list(counter.counter_services.values_list("service_id", flat=True))
        day = hall_day_live(counter.outlet, now)
        # Only a ticket whose holder is here (queueing.presence): the others
        # keep their places and are passed over.
        ticket = (
            Ticket.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
            .select_related("service")
            .filter(callable_now(now), outlet_id=counter.outlet_id, service_id__in=service_ids,
                    status=TicketStatus.WAITING, business_date=day)
            .order_by(*CALL_ORDER)
            .first()
        )
        if counter.outlet.remote_check_in:
            tickets_passed_over(outlet_id=counter.outlet_id, service_ids=service_ids, business_date=day,
                                called=ticket, now=now)
        if ticket is None:
            return None
        ticket.outlet = counter.outlet  # already read with the counter
        ticket.status = TicketStatus.CALLED
        ticket.counter = counter
        ticket.call_count = 1
        ticket.called_at = now
        ticket.first_called_at = ticket.first_called_at or now
        ticket.save(update_fields=["status", "counter", "call_count", "called_at", "first_called_at"])
        line_leave(ticket)
        call = ticket_event(ticket, kind=TicketEventKind.CALLED, from_status=TicketStatus.WAITING, at=now,
                            actor=actor, counter=counter, request_key=request_key)
        _broadcast_called(ticket, counter, recall=False)
        after_ticket_change(ticket, counter.outlet.code, line_moved=True)
        if ticket.phone:
            # In the outbox with the call itself; delivery follows after commit.
            # Keyed by this call: a transferred ticket called again (even at the
            # same counter) is texted again; recalls make no call event, no text.
            sms_queue(
                to=ticket.phone,
                text=f"【营业厅排队】请 {ticket.number} 号到 {counter.label} 办理业务。",
                purpose="ticket_called",
                dedupe_key=f"ticket-{ticket.pk}-call-{call.pk}",
            )
    return ticket


def ticket_recall(*, counter_id: int, actor, request_key: str | None = None,
                  now: datetime | None = None) -> Ticket:
    """Call the counter's current ticket again. When it has already been called
    QUEUE_MAX_CALLS times without an answer, it becomes a no-show instead."""
    now = now or timezone.now()

    def recall(counter, ticket):
        if ticket.call_count >= settings.QUEUE_MAX_CALLS:
            return _mark_no_show(counter, ticket, actor=actor, now=now, request_key=request_key,
                                 detail={"reason": "max_calls", "calls": ticket.call_count})
        ticket.call_count += 1
        ticket.called_at = now
        ticket.save(update_fields=["call_count", "called_at"])
        ticket_event(ticket, kind=TicketEventKind.RECALLED, from_status=TicketStatus.CALLED, at=now, actor=actor,
                     counter=counter, request_key=request_key, detail={"call": ticket.call_count})
        _broadcast_called(ticket, counter, recall=True)
        after_ticket_change(ticket, counter.outlet.code, line_moved=False)
        return ticket

    return _act_on_current(counter_id=counter_id, request_key=request_key, now=now,
                           needs=(TicketStatus.CALLED,), action="recall", act=recall)


def ticket_start(*, counter_id: int, actor, request_key: str | None = None, now: datetime | None = None) -> Ticket:
    """The customer has come to the counter: service starts."""
    now = now or timezone.now()

    def start(counter, ticket):
        ticket.status = TicketStatus.SERVING
        ticket.started_at = now
        ticket.save(update_fields=["status", "started_at"])
        ticket_event(ticket, kind=TicketEventKind.STARTED, from_status=TicketStatus.CALLED, at=now, actor=actor,
                     counter=counter, request_key=request_key)
        after_ticket_change(ticket, counter.outlet.code, line_moved=False)
        return ticket

    return _act_on_current(counter_id=counter_id, request_key=request_key, now=now,
                           needs=(TicketStatus.CALLED,), action="start", act=start)


def ticket_finish(*, counter_id: int, actor, request_key: str | None = None, now: datetime | None = None) -> Ticket:
    """Service is done: the counter is free for the next call."""
    now = now or timezone.now()

    def finish(counter, ticket):
        ticket.status = TicketStatus.DONE
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
        ticket_event(ticket, kind=TicketEventKind.FINISHED, from_status=TicketStatus.SERVING, at=now, actor=actor,
                     counter=counter, request_key=request_key)
        broadcast_counter_freed(counter)
        after_ticket_change(ticket, counter.outlet.code, line_moved=False)
        return ticket

    return _act_on_current(counter_id=counter_id, request_key=request_key, now=now,
                           needs=(TicketStatus.SERVING,), action="finish", act=finish)


def ticket_no_show(*, counter_id: int, actor, request_key: str | None = None, now: datetime | None = None) -> Ticket:
    """The called customer did not come."""
    now = now or timezone.now()
    return _act_on_current(
        counter_id=counter_id, request_key=request_key, now=now, needs=(TicketStatus.CALLED,), action="no-show",
        act=lambda counter, ticket: _mark_no_show(counter, ticket, actor=actor, now=now, request_key=request_key),
    )


def _mark_no_show(counter, ticket, *, actor, now, request_key=None, detail=None) -> Ticket:
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at"])
    ticket_event(ticket, kind=TicketEventKind.NO_SHOW, from_status=TicketStatus.CALLED, at=now, actor=actor,
                 counter=counter, request_key=request_key, detail=detail)
    broadcast_counter_freed(counter)
    after_ticket_change(ticket, counter.outlet.code, line_moved=False)
    return ticket


def ticket_transfer(*, counter_id: int, service_code: str, actor, request_key: str | None = None,
                    now: datetime | None = None) -> Ticket:
    """The counter's current ticket waits again, same number, in another
    service's queue of the same hall. It keeps its issue time, so it is not
    sent to the back of the line."""
    now = now or timezone.now()

    def transfer(counter, ticket):
        target = hall_offered_service(counter.outlet, service_code)
        if target is None:
            raise UnknownService(fields={"service": [f"Unknown service: {service_code}"]})
        if target.service_id == ticket.service_id:
            raise SameService()
        from_status, from_service = ticket.status, ticket.service.code
        ticket.status = TicketStatus.WAITING
        ticket.service = target.service
        ticket.counter = None
        ticket.call_count = 0
        ticket.called_at = None
        ticket.started_at = None
        ticket.save(update_fields=["status", "service", "counter", "call_count", "called_at", "started_at"])
        line_join(ticket)
        ticket_event(ticket, kind=TicketEventKind.TRANSFERRED, from_status=from_status, at=now, actor=actor,
                     counter=counter, request_key=request_key,
                     detail={"from_service": from_service, "to_service": target.service.code})
        broadcast_counter_freed(counter)
        after_ticket_change(ticket, counter.outlet.code, line_moved=True)
        return ticket

    return _act_on_current(counter_id=counter_id, request_key=request_key, now=now,
                           needs=ACTIVE_AT_COUNTER, action="transfer", act=transfer)
