"""Taking a number and leaving the queue.

Lock order, everywhere in the queue: the counter row, then the ticket row,
then the waiting line's row. Holding them in one order means two requests
can wait for each other but never deadlock.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.locks import transaction_lock
from halls.errors import HallClosed, NoQueue, UnknownService
from halls.models import Outlet
from halls.selectors import hall_offered_service, outlet_is_open

from .. import refresh
from ..days import business_day_of, hall_day_live
from ..errors import DailyCapReached, IdempotencyKeyReused, IllegalTransition, PhoneLimitReached
from ..models import (
    PRIORITY_RANK,
    CancelReason,
    Channel,
    Priority,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from .presence import needs_check_in
from .records import after_ticket_change, line_join, line_leave, sequence_next, ticket_event
from .texts import texts_near_turn_on_commit


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:03d}"


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
    queued_at: datetime | None = None,
) -> tuple[Ticket, bool]:
    """Issue the next number of a service in a hall. Returns (ticket, created).

    The ticket belongs to the hall's business day at `now` (days.business_day_of):
    numbers start again each business day. The same `idempotency_key` for the
    same hall returns the first ticket, however many times and however
    concurrently it is sent; a key reused for a different request (another
    service or phone) is refused rather than handing someone else's ticket
    out. Raises NoQueue, UnknownService, HallClosed, DailyCapReached,
    PhoneLimitReached, IdempotencyKeyReused.

    `queued_at` (at most `now`): the ticket's place in its line, when a rule
    places it earlier than its issue (a booking checked in for its slot);
    by default it joins the back of its line."""
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
    business_date = business_day_of(outlet, now)

    try:
        with transaction.atomic():
            if phone and channel == Channel.MOBILE:
                _phone_day_limit(phone, business_date)
            sequence = sequence_next(outlet_id=outlet.id, prefix=hall_service.prefix, business_date=business_date)
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
                queued_at=min(queued_at, now) if queued_at is not None else now,
                awaiting_arrival=needs_check_in(outlet=outlet, channel=channel),
                idempotency_key=idempotency_key or None,
                issued_by=actor if actor is not None and actor.is_authenticated else None,
            )
            line_join(ticket)
            placed_ahead = ticket.queued_at < now
            detail = {"channel": channel, "priority": priority}
            if placed_ahead:
                detail["queued_at"] = ticket.queued_at.isoformat()
            ticket_event(ticket, kind=TicketEventKind.ISSUED, from_status="", at=now, actor=actor, detail=detail)
            # A normal ticket joins the back of its line: nobody else's place
            # moves. A new ticket moves nobody nearer; only it may be near at
            # once (a short line), and only a ticket with a phone gets a text.
            # A ticket placed ahead (queued_at before now) moves those behind it.
            refresh.refresh_hall_on_commit(outlet.id, outlet.code, counts=True,
                                           positions=priority != Priority.NORMAL or placed_ahead)
            if ticket.phone:
                texts_near_turn_on_commit(outlet.id)
    except IntegrityError:
        # A concurrent request with the same key won the race; its ticket is the answer.
        if idempotency_key:
            existing = _replay_issue(outlet, idempotency_key, service_code, phone)
            if existing is not None:
                return existing, False
        raise
    return ticket, True


def _phone_day_limit(phone: str, business_date) -> None:
    """Raise PhoneLimitReached when `phone` already has QUEUE_PHONE_DAILY_LIMIT
    mobile tickets of the day. In the issuing transaction, under a lock of the
    phone and day (taken before any queue row, and only by mobile issues with
    a phone): two issues at once for one phone count one after the other, so
    the limit holds, while other phones and channels never wait for it."""
    transaction_lock(f"phone-day:{phone}:{business_date}")
    taken = Ticket.objects.filter(phone=phone, business_date=business_date, channel=Channel.MOBILE).count()
    if taken >= settings.QUEUE_PHONE_DAILY_LIMIT:
        raise PhoneLimitReached()


def _replay_issue(outlet, key, service_code, phone) -> Ticket | None:
    existing = Ticket.objects.filter(outlet=outlet, idempotency_key=key).select_related("service").first()
    if existing is not None and (existing.service.code != service_code or existing.phone != (phone or "")):
        # A ticket moved by transfer still answers its original request.
        first_service = existing.events.filter(kind=TicketEventKind.ISSUED).values_list("service__code", flat=True)
        if existing.phone != (phone or "") or service_code not in first_service:
            raise IdempotencyKeyReused()
    return existing


def _cancel_waiting(ticket: Ticket, *, reason: str, now: datetime, actor=None) -> Ticket:
    """The locked waiting `ticket` leaves the queue (in the caller's transaction)."""
    if ticket.status != TicketStatus.WAITING:
        raise IllegalTransition(
            f"Only a waiting ticket can be cancelled; this one is {ticket.status}.", code="ticket_not_waiting"
        )
    if ticket.business_date < hall_day_live(ticket.outlet, now):
        raise IllegalTransition("该号码的营业日已结束 / This ticket's business day has ended.",
                                code="ticket_not_waiting")
    ticket.status = TicketStatus.CANCELLED
    ticket.cancel_reason = reason
    ticket.finished_at = now
    parked, ticket.parked = ticket.parked, False
    ticket.save(update_fields=["status", "cancel_reason", "finished_at", "parked"])
    if not parked:  # a visit parked in a pool is out of the counted line already
        line_leave(ticket)
    ticket_event(ticket, kind=TicketEventKind.CANCELLED, from_status=TicketStatus.WAITING, at=now, actor=actor,
                 detail={"reason": reason})
    after_ticket_change(ticket, ticket.outlet.code, line_moved=True)
    return ticket


def ticket_cancel(*, token: str, now: datetime | None = None) -> Ticket:
    """The holder leaves the queue (cancel_reason "customer"). Only a waiting
    ticket of a day not yet over can be cancelled: raises IllegalTransition."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(no_key=True).select_related("outlet").get(token=token)
        return _cancel_waiting(ticket, reason=CancelReason.CUSTOMER, now=now)


def ticket_cancel_by_staff(*, outlet: Outlet, number: str, actor, now: datetime | None = None) -> Ticket:
    """Staff take a waiting ticket of today out of the queue (the customer
    told them they are leaving): cancel_reason "staff", the agent recorded.
    Raises Ticket.DoesNotExist when today has no such number,
    IllegalTransition when it is not waiting."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(no_key=True).select_related("outlet")
            .get(outlet=outlet, number=number, business_date=hall_day_live(outlet, now))
        )
        return _cancel_waiting(ticket, reason=CancelReason.STAFF, now=now, actor=actor)
