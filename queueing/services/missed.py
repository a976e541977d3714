"""Missed calls: 过号顺延 (a no-show of today waits again, a few places back)
and the sweep that calls again, then marks as no-shows, the called tickets
nobody came for."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from halls.models import HallService, Outlet

from ..days import hall_day_live
from ..errors import NotReinstatable
from ..models import Ticket, TicketEventKind, TicketStatus
from .calls import ticket_missed_call
from .placing import line_place_after
from .records import after_ticket_change, line_join, ticket_event


def ticket_reinstate(*, outlet: Outlet, number: str, actor, now: datetime | None = None) -> Ticket:
    """过号顺延: today's no-show `number` waits again with its number, after
    the next QUEUE_REINSTATE_PLACES waiting tickets of its line (or last when
    fewer wait), at most QUEUE_REINSTATE_MAX times. Raises Ticket.DoesNotExist
    when today has no such number, NotReinstatable otherwise."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(no_key=True).select_related("service", "outlet")
            .get(outlet=outlet, number=number.strip().upper(), business_date=hall_day_live(outlet, now))
        )
        if ticket.status != TicketStatus.NO_SHOW:
            raise NotReinstatable(f"{ticket.number} 不是过号状态 / {ticket.number} is not a no-show.")
        if ticket.reinstated_count >= settings.QUEUE_REINSTATE_MAX:
            raise NotReinstatable(
                f"{ticket.number} 已顺延过 {ticket.reinstated_count} 次 / "
                f"{ticket.number} has been reinstated {ticket.reinstated_count} time(s) already.")
        places = settings.QUEUE_REINSTATE_PLACES
        ticket.queued_at = line_place_after(ticket, places, now)
        ticket.status = TicketStatus.WAITING
        ticket.counter = None
        ticket.call_count = 0
        ticket.called_at = None
        ticket.finished_at = None
        ticket.reinstated_count += 1
        ticket.save(update_fields=["queued_at", "status", "counter", "call_count", "called_at", "finished_at",
                                   "reinstated_count"])
        line_join(ticket)
        ticket_event(ticket, kind=TicketEventKind.REINSTATED, from_status=TicketStatus.NO_SHOW, at=now, actor=actor,
                     detail={"places": places, "times": ticket.reinstated_count})
        after_ticket_change(ticket, outlet.code, line_moved=True)
    return ticket


def missed_calls_sweep(now: datetime | None = None) -> dict[str, int]:
    """Every called ticket not started within its service's limit (the hall's
    service's own, else QUEUE_AUTO_NO_SHOW_SECONDS; 0 never) is called again
    once, and after as long again marked a no-show. Each ticket in its own
    transaction, re-checked under its counter's lock. Returns the counts."""
    now = now or timezone.now()
    default = settings.QUEUE_AUTO_NO_SHOW_SECONDS
    own = {
        (outlet_id, service_id): seconds
        for outlet_id, service_id, seconds in HallService.objects.filter(no_show_after_seconds__isnull=False)
        .values_list("outlet_id", "service_id", "no_show_after_seconds")
    }
    done = {"recalled": 0, "no_show": 0}
    limits = [s for s in (default, *own.values()) if s > 0]
    if not limits:
        return done
    shortest = min(limits)
    called = (
        Ticket.objects.filter(status=TicketStatus.CALLED, called_at__lte=now - timedelta(seconds=shortest))
        .values_list("id", "outlet_id", "service_id", "counter_id", "called_at")
    )
    for ticket_id, outlet_id, service_id, counter_id, called_at in called:
        limit = own.get((outlet_id, service_id), default)
        if not limit or called_at > now - timedelta(seconds=limit):
            continue
        outcome = ticket_missed_call(counter_id=counter_id, ticket_id=ticket_id, called_at=called_at, now=now)
        if outcome:
            done[outcome] += 1
    return done
