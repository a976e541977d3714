"""Tickets: issuing, calling, serving, transferring, cancelling, and their texts.

Lock order, everywhere: the counter row, then the ticket row. Holding them in
one order means two requests can wait for each other but never deadlock.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from halls.errors import HallClosed, NoQueue, UnknownService
from halls.models import Counter, CounterState, Outlet
from halls.selectors import hall_offered_service, outlet_is_open
from sms.services import sms_queue

from .. import events
from ..errors import (
    CounterBusy,
    CounterNotOpen,
    DailyCapReached,
    IdempotencyKeyReused,
    IllegalTransition,
    NoCurrentTicket,
    PhoneLimitReached,
    SameService,
)
from ..models import (
    ACTIVE_AT_COUNTER,
    PRIORITY_RANK,
    Channel,
    Priority,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from .counters import _has_active_ticket, _lock_counter, broadcast_counter_freed


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:03d}"


def _next_sequence(*, outlet_id: int, prefix: str, business_date) -> int:
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


def _line_change(*, outlet_id: int, service_id: int, priority_rank: int, delta: int) -> None:
    """Count a ticket into (+1) or out of (-1) its waiting line, in the caller's
    transaction: every move into or out of waiting calls this, so the kept
    count (WaitingLine) always agrees with the tickets. One upsert; the line's
    row is the last lock the caller takes, so it cannot deadlock."""
    table = "queueing_waitingline"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (outlet_id, service_id, priority_rank, waiting) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (outlet_id, service_id, priority_rank) "
            f"DO UPDATE SET waiting = {table}.waiting + EXCLUDED.waiting",
            [outlet_id, service_id, priority_rank, delta],
        )


def _line_join(ticket: Ticket) -> None:
    _line_change(outlet_id=ticket.outlet_id, service_id=ticket.service_id, priority_rank=ticket.priority_rank,
                 delta=1)


def _line_leave(ticket: Ticket) -> None:
    _line_change(outlet_id=ticket.outlet_id, service_id=ticket.service_id, priority_rank=ticket.priority_rank,
                 delta=-1)


def _ticket_event(ticket: Ticket, *, kind, from_status, at, actor=None, counter=None, detail=None,
                  request_key=None) -> TicketEvent:
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


def _after_ticket_change(ticket: Ticket, outlet_code: str, *, line_moved: bool) -> None:
    """After commit: the hall's counts to its displays, the ticket's state to its
    holder, and, when `line_moved` (a waiting ticket left or joined the line),
    everyone's new place in line; then the near-turn texts."""
    events.refresh_hall_on_commit(ticket.outlet_id, outlet_code, counts=True, positions=line_moved, texts=line_moved)
    events.broadcast_ticket_on_commit(ticket.token, ticket.id)


def texts_near_turn_send(*, outlet_id: int) -> int:
    """Queue "almost your turn" for waiting tickets with a phone that are
    QUEUE_NEAR_TURN_POSITION places from the front or less, or whose estimated
    wait is under QUEUE_NEAR_TURN_SECONDS. Once per ticket."""
    from ..selectors import hall_waiting_positions

    lines = hall_waiting_positions(outlet_id=outlet_id)
    near = [
        ticket_id for ticket_id, line in lines.items()
        if line["position"] <= settings.QUEUE_NEAR_TURN_POSITION
        or line["estimated_wait_seconds"] < settings.QUEUE_NEAR_TURN_SECONDS
    ]
    # The event that began the current wait (issue, or the last transfer) names
    # the wait in the dedupe key: a repeated run never texts a wait twice, and
    # a transferred ticket waiting again is texted again.
    wait_began = (
        TicketEvent.objects.filter(
            ticket=OuterRef("pk"), kind__in=[TicketEventKind.ISSUED, TicketEventKind.TRANSFERRED]
        ).order_by("-id").values("id")[:1]
    )
    sent = 0
    tickets = (
        Ticket.objects.filter(pk__in=near, status=TicketStatus.WAITING).exclude(phone="")
        .annotate(wait_event_id=Subquery(wait_began)).select_related("outlet")
    )
    for ticket in tickets:
        line = lines[ticket.pk]
        minutes = max(1, round(line["estimated_wait_seconds"] / 60))
        message = sms_queue(
            to=ticket.phone,
            text=(
                f"【营业厅排队】您在{ticket.outlet.name}的 {ticket.number} 号前面还有 {line['position'] - 1} 位，"
                f"预计约 {minutes} 分钟，请留意叫号。"
            ),
            purpose="ticket_near_turn",
            dedupe_key=f"ticket-{ticket.pk}-near-{ticket.wait_event_id}",
        )
        sent += message is not None
    return sent


# --- Issuing ----------------------------------------------------------------


def ticket_issue(
    *,
    outlet: Outlet,
    service_code: str,
    channel: str,
    phone: str = "",
    priority: str = Priority.NORMAL,
    idempotency_key: str | None = None,
    actor=None,
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """Issue the next number of a service in a hall. Returns (ticket, created).

    The same `idempotency_key` for the same hall returns the first ticket,
    however many times and however concurrently it is sent; a key reused for a
    different request (another service or phone) is refused rather than
    handing someone else's ticket out. Raises NoQueue, UnknownService,
    HallClosed, DailyCapReached, PhoneLimitReached, IdempotencyKeyReused."""
    if idempotency_key:
        existing = _replay_issue(outlet, idempotency_key, service_code, phone)
        if existing is not None:
            return existing, False
    if not outlet.has_queue or not outlet.is_active:
        raise NoQueue()
    hall_service = hall_offered_service(outlet, service_code)
    if hall_service is None:
        raise UnknownService(fields={"service": [f"Unknown service: {service_code}"]})
    now = now or timezone.now()
    if not outlet_is_open(outlet, now):
        raise HallClosed()
    business_date = timezone.localdate(now)
    if phone and channel == Channel.MOBILE:
        taken = Ticket.objects.filter(phone=phone, business_date=business_date, channel=Channel.MOBILE).count()
        if taken >= settings.QUEUE_PHONE_DAILY_LIMIT:
            raise PhoneLimitReached()

    try:
        with transaction.atomic():
            sequence = _next_sequence(outlet_id=outlet.id, prefix=hall_service.prefix, business_date=business_date)
            if hall_service.daily_cap is not None and sequence > hall_service.daily_cap:
                raise DailyCapReached()
            ticket = Ticket.objects.create(
                outlet=outlet,
                service=hall_service.service,
                prefix=hall_service.prefix,
                sequence=sequence,
                number=format_number(hall_service.prefix, sequence),
                business_date=business_date,
                token=secrets.token_urlsafe(32),
                status=TicketStatus.WAITING,
                priority=priority,
                priority_rank=PRIORITY_RANK[priority],
                channel=channel,
                phone=phone or "",
                issued_at=now,
                idempotency_key=idempotency_key or None,
                issued_by=actor if actor is not None and actor.is_authenticated else None,
            )
            _line_join(ticket)
            _ticket_event(
                ticket, kind=TicketEventKind.ISSUED, from_status="", at=now, actor=actor,
                detail={"channel": channel, "priority": priority},
            )
            # A normal ticket joins the back of its line: nobody else's place
            # moves. A new ticket moves nobody nearer; only it may be near at
            # once (a short line), and only a ticket with a phone gets a text.
            events.refresh_hall_on_commit(
                outlet.id, outlet.code, counts=True, positions=priority != Priority.NORMAL, texts=bool(ticket.phone)
            )
    except IntegrityError:
        # A concurrent request with the same key won the race; its ticket is the answer.
        if idempotency_key:
            existing = _replay_issue(outlet, idempotency_key, service_code, phone)
            if existing is not None:
                return existing, False
        raise
    return ticket, True


def _replay_issue(outlet, key, service_code, phone) -> Ticket | None:
    existing = Ticket.objects.filter(outlet=outlet, idempotency_key=key).select_related("service").first()
    if existing is not None and (existing.service.code != service_code or existing.phone != (phone or "")):
        # A ticket moved by transfer still answers its original request.
        first_service = existing.events.filter(kind=TicketEventKind.ISSUED).values_list("service__code", flat=True)
        if existing.phone != (phone or "") or service_code not in first_service:
            raise IdempotencyKeyReused()
    return existing


def ticket_cancel(*, token: str, now: datetime | None = None) -> Ticket:
    """The holder leaves the queue. Only a waiting ticket can be cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(no_key=True).select_related("outlet").get(token=token)
        if ticket.status != TicketStatus.WAITING:
            raise IllegalTransition(
                f"Only a waiting ticket can be cancelled; this one is {ticket.status}.", code="ticket_not_waiting"
            )
        ticket.status = TicketStatus.CANCELLED
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
        _line_leave(ticket)
        _ticket_event(ticket, kind=TicketEventKind.CANCELLED, from_status=TicketStatus.WAITING, at=now)
        _after_ticket_change(ticket, ticket.outlet.code, line_moved=True)
    return ticket


def _replayed(counter: Counter, request_key: str | None) -> Ticket | None:
    """The ticket of an action already done under this Idempotency-Key, if any."""
    if not request_key:
        return None
    event = TicketEvent.objects.filter(counter=counter, request_key=request_key).select_related("ticket").first()
    return event.ticket if event else None


def ticket_call_next(*, counter_id: int, actor, request_key: str | None = None,
                     now: datetime | None = None) -> Ticket | None:
    """Call the next waiting ticket for an open counter: among the counter's
    services, vip and care before normal, then the longest waiting.

    Returns None when nothing waits. Raises CounterNotOpen, CounterBusy (its
    current ticket is not finished, which is also what makes a double press
    harmless). Concurrent agents never get the same ticket: the candidate row
    is locked with SKIP LOCKED, so a second agent takes the next one instead
    of waiting for, or repeating, the first."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = _lock_counter(counter_id)
        replay = _replayed(counter, request_key)
        if replay is not None:
            return replay
        if counter.state != CounterState.OPEN:
            raise CounterNotOpen()
        if _has_active_ticket(counter):
            raise CounterBusy()
        service_ids = list(counter.counter_services.values_list("service_id", flat=True))
        ticket = (
            Ticket.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
            .select_related("service")
            .filter(outlet_id=counter.outlet_id, service_id__in=service_ids, status=TicketStatus.WAITING)
            .order_by("priority_rank", "issued_at", "id")
            .first()
        )
        if ticket is None:
            return None
        ticket.outlet = counter.outlet  # already read with the counter
        ticket.status = TicketStatus.CALLED
        ticket.counter = counter
        ticket.call_count = 1
        ticket.called_at = now
        ticket.first_called_at = ticket.first_called_at or now
        ticket.save(update_fields=["status", "counter", "call_count", "called_at", "first_called_at"])
        _line_leave(ticket)
        call = _ticket_event(ticket, kind=TicketEventKind.CALLED, from_status=TicketStatus.WAITING, at=now,
                             actor=actor, counter=counter, request_key=request_key)
        _broadcast_called(ticket, counter, recall=False)
        _after_ticket_change(ticket, counter.outlet.code, line_moved=True)
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


def _broadcast_called(ticket: Ticket, counter: Counter, *, recall: bool) -> None:
    events.broadcast_hall_event_on_commit(
        counter.outlet.code,
        "ticket.called",
        events.ticket_called_payload(
            number=ticket.number,
            counter_number=counter.number,
            counter_name=counter.label,
            service_code=ticket.service.code,
            called_at=timezone.localtime(ticket.called_at).isoformat(),
            recall=recall,
        ),
    )


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


def _require(ticket: Ticket, allowed: tuple, action: str) -> None:
    if ticket.status not in allowed:
        raise IllegalTransition(
            f"{ticket.number} is {ticket.status}; {action} needs it to be {' or '.join(allowed)}.",
        )


def ticket_recall(*, counter_id: int, actor, request_key: str | None = None,
                  now: datetime | None = None) -> Ticket:
    """Call the counter's current ticket again. When it has already been called
    QUEUE_MAX_CALLS times without an answer, it becomes a no-show instead."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = _lock_counter(counter_id)
        replay = _replayed(counter, request_key)
        if replay is not None:
            return replay
        ticket = _lock_current(counter)
        _require(ticket, (TicketStatus.CALLED,), "recall")
        if ticket.call_count >= settings.QUEUE_MAX_CALLS:
            return _mark_no_show(counter, ticket, actor=actor, now=now, request_key=request_key,
                                 detail={"reason": "max_calls", "calls": ticket.call_count})
        ticket.call_count += 1
        ticket.called_at = now
        ticket.save(update_fields=["call_count", "called_at"])
        _ticket_event(ticket, kind=TicketEventKind.RECALLED, from_status=TicketStatus.CALLED, at=now, actor=actor,
                      counter=counter, request_key=request_key, detail={"call": ticket.call_count})
        _broadcast_called(ticket, counter, recall=True)
        _after_ticket_change(ticket, counter.outlet.code, line_moved=False)
    return ticket


def ticket_start(*, counter_id: int, actor, request_key: str | None = None, now: datetime | None = None) -> Ticket:
    """The customer has come to the counter: service starts."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = _lock_counter(counter_id)
        replay = _replayed(counter, request_key)
        if replay is not None:
            return replay
        ticket = _lock_current(counter)
        _require(ticket, (TicketStatus.CALLED,), "start")
        ticket.status = TicketStatus.SERVING
        ticket.started_at = now
        ticket.save(update_fields=["status", "started_at"])
        _ticket_event(ticket, kind=TicketEventKind.STARTED, from_status=TicketStatus.CALLED, at=now, actor=actor,
                      counter=counter, request_key=request_key)
        _after_ticket_change(ticket, counter.outlet.code, line_moved=False)
    return ticket


def ticket_finish(*, counter_id: int, actor, request_key: str | None = None, now: datetime | None = None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        counter = _lock_counter(counter_id)
        replay = _replayed(counter, request_key)
        if replay is not None:
            return replay
        ticket = _lock_current(counter)
        _require(ticket, (TicketStatus.SERVING,), "finish")
        ticket.status = TicketStatus.DONE
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
        _ticket_event(ticket, kind=TicketEventKind.FINISHED, from_status=TicketStatus.SERVING, at=now, actor=actor,
                      counter=counter, request_key=request_key)
        broadcast_counter_freed(counter)
        _after_ticket_change(ticket, counter.outlet.code, line_moved=False)
    return ticket


def ticket_no_show(*, counter_id: int, actor, request_key: str | None = None, now: datetime | None = None) -> Ticket:
    """The called customer did not come."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = _lock_counter(counter_id)
        replay = _replayed(counter, request_key)
        if replay is not None:
            return replay
        ticket = _lock_current(counter)
        _require(ticket, (TicketStatus.CALLED,), "no-show")
        return _mark_no_show(counter, ticket, actor=actor, now=now, request_key=request_key)


def _mark_no_show(counter, ticket, *, actor, now, request_key=None, detail=None) -> Ticket:
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at"])
    _ticket_event(ticket, kind=TicketEventKind.NO_SHOW, from_status=TicketStatus.CALLED, at=now, actor=actor,
                  counter=counter, request_key=request_key, detail=detail)
    broadcast_counter_freed(counter)
    _after_ticket_change(ticket, counter.outlet.code, line_moved=False)
    return ticket


def ticket_transfer(*, counter_id: int, service_code: str, actor, request_key: str | None = None,
                    now: datetime | None = None) -> Ticket:
    """The counter's current ticket waits again, same number, in another
    service's queue of the same hall. It keeps its issue time, so it is not
    sent to the back of the line."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = _lock_counter(counter_id)
        replay = _replayed(counter, request_key)
        if replay is not None:
            return replay
        ticket = _lock_current(counter)
        _require(ticket, ACTIVE_AT_COUNTER, "transfer")
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
        _line_join(ticket)
        _ticket_event(ticket, kind=TicketEventKind.TRANSFERRED, from_status=from_status, at=now, actor=actor,
                      counter=counter, request_key=request_key,
                      detail={"from_service": from_service, "to_service": target.service.code})
        broadcast_counter_freed(counter)
        _after_ticket_change(ticket, counter.outlet.code, line_moved=True)
    return ticket
