"""Closing business days: what is still waiting or called when a hall's day
closes is cancelled ("day_closed"), each with its event and a text to a
holder who gave a phone, and the hall's counters are closed.

`business_days_close` is run every minute by Celery beat. It is idempotent
(it looks only at tickets still open) and catches up: after downtime it
closes every day that ended meanwhile, each at its own closing time. The
live path never waits for it: it reads the hall's live day only
(queueing.days), and a called ticket of a closed day still at a counter is
closed by the next action there (`close_stale_call_at`).
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from halls.models import Counter, CounterState

from .. import events, refresh
from ..days import business_day_close_at, business_day_live, hall_day_live, halls_with_hours
from ..metrics import ticket_change_count
from ..models import (
    ACTIVE_AT_COUNTER,
    OPEN_AT_CLOSE,
    CancelReason,
    CounterEvent,
    CounterEventKind,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    WaitingLine,
)
from .texts import text_day_closed

logger = logging.getLogger(__name__)

# Tickets closed per transaction: short transactions on a busy day's leftovers.
CLOSE_BATCH = 500
# A close caught up long after the day ended texts nobody: a note about
# yesterday's ticket in the small hours helps no one.
TEXT_WITHIN = timedelta(hours=2)


def _close_ticket(ticket: Ticket, *, at: datetime, hall_name: str, text: bool) -> TicketEvent:
    """Cancel an open ticket of a closed day (the caller holds its lock and the
    transaction). Returns its event, not yet saved."""
    from_status = ticket.status
    ticket.status = TicketStatus.CANCELLED
    ticket.cancel_reason = CancelReason.DAY_CLOSED
    ticket.finished_at = at
    ticket.parked = False  # a visit parked in a pool closes with the day too
    if text:
        text_day_closed(ticket, hall_name=hall_name)
    events.broadcast_ticket_on_commit(ticket.token, ticket.id)
    ticket_change_count(ticket, kind=TicketEventKind.CANCELLED, at=at)  # Prometheus, after commit
    return TicketEvent(
        ticket=ticket, outlet_id=ticket.outlet_id, kind=TicketEventKind.CANCELLED, from_status=from_status,
        to_status=ticket.status, service_id=ticket.service_id,
        counter_id=ticket.counter_id if from_status == TicketStatus.CALLED else None,
        at=at, detail={"reason": CancelReason.DAY_CLOSED},
    )


def business_day_close_hall(*, outlet, day, now: datetime | None = None) -> int:
    """Close the hall's business day `day`, which must be over (before the
    hall's live day): cancel its waiting and called tickets, drop its waiting
    lines, close the counters signed in before it closed that have nobody at
    them. Returns how many tickets it cancelled. Idempotent."""
    now = now or timezone.now()
    closes = business_day_close_at(outlet, day)
    at = min(closes, now) if closes is not None else now
    text = now - at <= TEXT_WITHIN
    cancelled = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: a ticket an agent is acting on right now is left for
            # the next run instead of waiting for (or deadlocking with) them.
            batch = list(
                Ticket.objects.select_for_update(no_key=True, skip_locked=True)
                .filter(outlet=outlet, business_date=day, status__in=OPEN_AT_CLOSE)
                .order_by("id")[:CLOSE_BATCH]
            )
            if not batch:
                break
            closed = [_close_ticket(t, at=at, hall_name=outlet.name, text=text) for t in batch]
            Ticket.objects.bulk_update(batch, ["status", "cancel_reason", "finished_at", "parked"])
            TicketEvent.objects.bulk_create(closed)
            cancelled += len(batch)
            refresh.refresh_hall_on_commit(outlet.pk, outlet.code, counts=True, positions=True)
        if len(batch) < CLOSE_BATCH:
            break
    with transaction.atomic():
        # The day's lines are empty now (or hold tickets locked this instant,
        # which the next run closes): their counts are for nothing live.
        WaitingLine.objects.filter(outlet=outlet, business_date__lte=day).delete()
    _close_counters(outlet, closed_at=at, now=now)
    if cancelled:
        logger.info("Hall %s: business day %s closed, %d tickets cancelled", outlet.code, day, cancelled)
    return cancelled


def _close_counters(outlet, *, closed_at: datetime, now: datetime) -> None:
    """Close the counters still open or paused since before the day closed,
    with nobody at them (a customer being served is left to finish; the next
    run closes that counter)."""
    busy = Ticket.objects.filter(outlet=outlet, status__in=ACTIVE_AT_COUNTER).values("counter_id")
    stale = (
        Counter.objects.filter(outlet=outlet, state_changed_at__lt=closed_at)
        .exclude(state=CounterState.CLOSED)
        .exclude(pk__in=busy)
        .values_list("pk", flat=True)
    )
    for counter_id in stale:
        with transaction.atomic():
            counter = Counter.objects.select_for_update(no_key=True).select_related("outlet").get(pk=counter_id)
            if counter.state == CounterState.CLOSED or (counter.state_changed_at or now) >= closed_at:
                continue
            if Ticket.objects.filter(counter=counter, status__in=ACTIVE_AT_COUNTER).exists():
                continue
            from_state = counter.state
            counter.state = CounterState.CLOSED
            counter.pause_reason = ""
            counter.signed_in_user = None
            counter.state_changed_at = now
            counter.save(update_fields=["state", "pause_reason", "signed_in_user", "state_changed_at"])
            CounterEvent.objects.create(counter=counter, outlet_id=counter.outlet_id, kind=CounterEventKind.CLOSED,
                                        from_state=from_state, to_state=counter.state, reason="day_closed", at=now)
            events.broadcast_counter_changed_on_commit(
                outlet_code=outlet.code, counter_number=counter.number, counter_name=counter.label,
                state=counter.state,
            )
            refresh.refresh_hall_on_commit(outlet.pk, outlet.code, counts=True)


def business_days_close(*, now: datetime | None = None) -> int:
    """Close every hall's business days that are over; returns how many
    tickets it cancelled. Run every minute; safe to run any number of times
    and after any time without a run."""
    now = now or timezone.now()
    # Days with tickets still open, per hall (an index on exactly this).
    open_days = defaultdict(set)
    today = timezone.localdate(now)
    for outlet_id, day in (
        Ticket.objects.filter(status__in=OPEN_AT_CLOSE, business_date__lte=today)
        .values_list("outlet_id", "business_date").distinct().order_by()
    ):
        open_days[outlet_id].add(day)
    # Counters left open across a close with no ticket open (a quiet evening).
    for outlet_id in Counter.objects.exclude(state=CounterState.CLOSED).values_list("outlet_id", flat=True).distinct():
        open_days[outlet_id]
    cancelled = 0
    for outlet_id, outlet in halls_with_hours(open_days).items():
        live = business_day_live(outlet, now)
        over = sorted(day for day in open_days[outlet_id] if day < live)
        for day in over:
            cancelled += business_day_close_hall(outlet=outlet, day=day, now=now)
        if not over:
            closed_at = _last_close(outlet, live, now)
            if closed_at is not None:
                _close_counters(outlet, closed_at=closed_at, now=now)
    return cancelled


def _last_close(outlet, live, now) -> datetime | None:
    """When the hall's most recent business day closed (within the last week)."""
    for back in range(1, 8):
        closes = business_day_close_at(outlet, live - timedelta(days=back))
        if closes is not None and closes <= now:
            return closes
    return None


def close_stale_call_at(counter: Counter, now: datetime) -> None:
    """A called ticket of a day that is over, still at `counter` (the closing
    task has not run yet), is closed now, so the counter's next action
    works on today. The caller holds the counter's lock."""
    stale = (
        Ticket.objects.select_for_update(no_key=True)
        .filter(counter=counter, status=TicketStatus.CALLED, business_date__lt=hall_day_live(counter.outlet, now))
        .first()
    )
    if stale is None:
        return
    closes = business_day_close_at(counter.outlet, stale.business_date)
    at = min(closes, now) if closes is not None else now
    event = _close_ticket(stale, at=at, hall_name=counter.outlet.name, text=now - at <= TEXT_WITHIN)
    stale.save(update_fields=["status", "cancel_reason", "finished_at"])
    event.save()
