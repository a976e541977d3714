"""Presence of a ticket's holder: stepping away (暂离) and checking in on
arrival (到店签到). Who may be called now is queueing.presence; these are
the writes.

- Step away: a waiting holder who has arrived leaves for 5, 10 or 15 minutes
  (QUEUE_STEP_AWAY_MAX_MINUTES), at most QUEUE_STEP_AWAY_MAX_TIMES a ticket.
  The ticket keeps its place (`queued_at` unchanged) and is passed over until
  `away_until`, or until the holder says they are back.
- Check in: a phone ticket of a hall with remote check-in (Outlet.
  remote_check_in) waits for its holder to arrive: at the kiosk (the ticket's
  QR code, or its number and the phone's last four digits), by scanning the
  hall's check-in code with the phone (a key signed for the hall and its
  business day), or by the phone's location. A holder whose turn came before
  they arrived keeps their place QUEUE_ARRIVAL_GRACE_MINUTES from the first
  time a counter passed them over; checking in later places them after the
  next QUEUE_REINSTATE_PLACES waiting tickets (placing.line_place_after).

Every change writes its TicketEvent and, after commit, refreshes the hall's
places in line (a ticket passed over or callable again moves others' places).
Lock order as everywhere: the ticket, then (not needed here) its line.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.api import InvalidInput
from config.tasks import enqueue
from halls.models import Outlet

from ..days import business_day_live, hall_day_live
from ..errors import (
    AlreadyAway,
    HallKeyExpired,
    HallKeyInvalid,
    HallWithoutLocation,
    IllegalTransition,
    NotArrived,
    NotAway,
    OtherHallTicket,
    StepAwayLimit,
    TicketNotFound,
    TooFar,
)
from ..models import Channel, Ticket, TicketEventKind, TicketStatus
from ..presence import away_now
from .placing import line_place_after
from .records import after_ticket_change, ticket_event

STEP_AWAY_CHOICES = (5, 10, 15)
AWAY_OVER_TASK = "queueing.tasks.ticket_away_over"
HALL_KEY_SALT = "queueing.hall-check-in"
# A hall's key names its business day; this bounds it even so (a business day
# of a hall open past midnight lasts up to about 28 hours).
HALL_KEY_MAX_AGE = timedelta(hours=30)
EARTH_RADIUS_METRES = 6_371_000


class CheckInHow:
    KIOSK = "kiosk"
    QR = "qr"
    LOCATION = "location"
    STAFF = "staff"


def step_away_choices() -> list[int]:
    """The minutes a holder may choose from (5, 10, 15 up to the setting)."""
    longest = settings.QUEUE_STEP_AWAY_MAX_MINUTES
    return [m for m in STEP_AWAY_CHOICES if m <= longest] or ([longest] if longest > 0 else [])


def needs_check_in(*, outlet: Outlet, channel: str) -> bool:
    """Whether a ticket taken now through `channel` waits for its holder to check in."""
    return channel == Channel.MOBILE and outlet.remote_check_in


def _lock_waiting(token: str, now: datetime) -> Ticket:
    """The ticket of `token`, locked, waiting on a day not over (the caller holds the transaction)."""
    ticket = Ticket.objects.select_for_update(no_key=True).select_related("outlet").filter(token=token).first()
    if ticket is None:
        raise TicketNotFound("No such ticket.")
    _check_waiting(ticket, now)
    return ticket


def _check_waiting(ticket: Ticket, now: datetime) -> None:
    if ticket.status != TicketStatus.WAITING or ticket.business_date < hall_day_live(ticket.outlet, now):
        raise IllegalTransition("只有等候中的号码可以这样做 / Only a waiting ticket can do this.",
                                code="ticket_not_waiting")


# --- Stepping away -----------------------------------------------------------


def ticket_step_away(*, token: str, minutes: int, now: datetime | None = None) -> Ticket:
    """The holder steps away for `minutes` (one of step_away_choices()). The
    ticket keeps its place and is passed over until then. Raises InvalidInput
    (minutes), IllegalTransition (not waiting), NotArrived (a phone ticket not
    checked in yet), AlreadyAway, StepAwayLimit."""
    now = now or timezone.now()
    if minutes not in step_away_choices():
        raise InvalidInput(fields={"minutes": [f"Choose one of {', '.join(map(str, step_away_choices()))}."]})
    with transaction.atomic():
        ticket = _lock_waiting(token, now)
        if ticket.awaiting_arrival:
            raise NotArrived()
        if away_now(ticket, now):
            raise AlreadyAway()
        if ticket.away_count >= settings.QUEUE_STEP_AWAY_MAX_TIMES:
            raise StepAwayLimit()
        ticket.away_until = now + timedelta(minutes=minutes)
        ticket.away_count += 1
        ticket.save(update_fields=["away_until", "away_count"])
        ticket_event(ticket, kind=TicketEventKind.STEPPED_AWAY, from_status=TicketStatus.WAITING, at=now,
                     detail={"minutes": minutes, "until": ticket.away_until.isoformat()})
        after_ticket_change(ticket, ticket.outlet.code, line_moved=True)
        # When the time is up, the others' places change back: say so then.
        ticket_id, seconds = ticket.pk, minutes * 60
        transaction.on_commit(lambda: enqueue(AWAY_OVER_TASK, ticket_id, countdown=seconds), robust=True)
    return ticket


def ticket_come_back(*, token: str, now: datetime | None = None) -> Ticket:
    """The holder who stepped away is back before their time: callable again
    at once, in their place. Raises IllegalTransition, NotAway."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _lock_waiting(token, now)
        until = away_now(ticket, now)
        if until is None:
            raise NotAway()
        ticket.away_until = None
        ticket.save(update_fields=["away_until"])
        ticket_event(ticket, kind=TicketEventKind.CAME_BACK, from_status=TicketStatus.WAITING, at=now,
                     detail={"early_seconds": int((until - now).total_seconds())})
        after_ticket_change(ticket, ticket.outlet.code, line_moved=True)
    return ticket


def ticket_away_over(*, ticket_id: int, now: datetime | None = None) -> bool:
    """A step-away's time is up (run by the task queued with it): tell the
    holder and the others following the hall that places have changed back.
    Writes nothing; True when there was something to say."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_related("outlet").filter(pk=ticket_id, status=TicketStatus.WAITING).first()
    if ticket is None or ticket.away_until is None or away_now(ticket, now):
        return False
    after_ticket_change(ticket, ticket.outlet.code, line_moved=True)
    return True


# --- Turn passed before arrival --------------------------------------------------


def tickets_passed_over(*, outlet_id: int, service_ids, business_date, called: Ticket | None,
                        now: datetime) -> int:
    """Call-next passed over the tickets ahead of `called` (or every one, when
    nothing could be called) whose holders have not arrived: note the first
    time, from which their grace runs. In the caller's transaction. Rows
    another transaction holds (a check-in, another counter noting the same)
    are skipped, so this never waits and never deadlocks."""
    ahead = Ticket.objects.filter(outlet_id=outlet_id, service_id__in=service_ids, status=TicketStatus.WAITING,
                                  business_date=business_date, awaiting_arrival=True, passed_over_at__isnull=True)
    if called is not None:
        rank, at = called.priority_rank, called.queued_at
        ahead = ahead.filter(Q(priority_rank__lt=rank) | Q(priority_rank=rank, queued_at__lt=at)
                             | Q(priority_rank=rank, queued_at=at, id__lt=called.id))
    ids = list(ahead.select_for_update(no_key=True, skip_locked=True).values_list("id", flat=True))
    if ids:
        Ticket.objects.filter(pk__in=ids).update(passed_over_at=now)
    return len(ids)


# --- Checking in -------------------------------------------------------------------


def _check_in(ticket: Ticket, *, how: str, now: datetime, actor=None, detail: dict | None = None) -> Ticket:
    """Check in the locked waiting `ticket` (the caller holds the transaction).
    A ticket that needs no check-in (or had it already) is left as it is."""
    if not ticket.awaiting_arrival:
        return ticket
    grace = timedelta(minutes=settings.QUEUE_ARRIVAL_GRACE_MINUTES)
    late = ticket.passed_over_at is not None and now > ticket.passed_over_at + grace
    was_queued_at = ticket.queued_at
    ticket.awaiting_arrival = False
    ticket.arrived_at = now
    fields = ["awaiting_arrival", "arrived_at"]
    if late:
        ticket.queued_at = line_place_after(ticket, settings.QUEUE_REINSTATE_PLACES, now)
        fields.append("queued_at")
    ticket.save(update_fields=fields)
    ticket_event(ticket, kind=TicketEventKind.CHECKED_IN, from_status=TicketStatus.WAITING, at=now, actor=actor,
                 detail={"how": how, **(detail or {})})
    if late:
        ticket_event(ticket, kind=TicketEventKind.PLACED_LATE, from_status=TicketStatus.WAITING, at=now,
                     actor=actor, detail={
                         "places": settings.QUEUE_REINSTATE_PLACES,
                         "turn_passed_at": ticket.passed_over_at.isoformat(),
                         "from_queued_at": was_queued_at.isoformat(),
                         "to_queued_at": ticket.queued_at.isoformat(),
                     })
    after_ticket_change(ticket, ticket.outlet.code, line_moved=True)
    return ticket


def ticket_check_in_at_hall(*, outlet: Outlet, token: str | None = None, number: str | None = None,
                            phone_last4: str | None = None, how: str = CheckInHow.KIOSK, actor=None,
                            now: datetime | None = None) -> Ticket:
    """Check in a ticket at the hall (its kiosk, or staff): by its token (the
    QR code on the phone's ticket page), or by its number today and the last
    four digits of its phone. Raises TicketNotFound (also when the digits do
    not match: nothing says whether the number exists), OtherHallTicket,
    IllegalTransition (not waiting)."""
    now = now or timezone.now()
    with transaction.atomic():
        tickets = Ticket.objects.select_for_update(no_key=True).select_related("outlet")
        if token:
            ticket = tickets.filter(token=token).first()
            if ticket is None:
                raise TicketNotFound("未找到该号码 / No such ticket.")
            if ticket.outlet_id != outlet.pk:
                raise OtherHallTicket(f"该号码是{ticket.outlet.name}的，请到该厅签到 / "
                                      f"This ticket is for {ticket.outlet.name}; check in there.")
        else:
            ticket = tickets.filter(outlet=outlet, number=(number or "").strip().upper(),
                                    business_date=hall_day_live(outlet, now)).first()
            if ticket is None or not ticket.phone or ticket.phone[-4:] != phone_last4:
                raise TicketNotFound()
        _check_waiting(ticket, now)
        return _check_in(ticket, how=how, now=now, actor=actor)


def hall_check_in_key(*, outlet: Outlet, now: datetime | None = None) -> str:
    """The key in the hall's check-in QR code: its code and live business day,
    signed. Valid that business day only: print the code each day. (Read
    from `outlet` itself, not the cached setup: pages that show the code do
    not need it.)"""
    day = business_day_live(outlet, now)
    return signing.dumps({"h": outlet.code, "d": day.isoformat()}, salt=HALL_KEY_SALT, compress=True)


def hall_of_check_in_key(key: str, now: datetime | None = None) -> Outlet:
    """The hall whose key `key` is, when it is valid today. Raises
    HallKeyInvalid, HallKeyExpired."""
    try:
        value = signing.loads(key, salt=HALL_KEY_SALT, max_age=HALL_KEY_MAX_AGE)
    except signing.SignatureExpired:
        raise HallKeyExpired() from None
    except signing.BadSignature:
        raise HallKeyInvalid() from None
    if not isinstance(value, dict) or not isinstance(value.get("h"), str):
        raise HallKeyInvalid()
    outlet = Outlet.objects.filter(code=value["h"], is_active=True).first()
    if outlet is None:
        raise HallKeyInvalid()
    if value.get("d") != hall_day_live(outlet, now).isoformat():
        raise HallKeyExpired()
    return outlet


def ticket_check_in_by_hall_key(*, token: str, hall_key: str, now: datetime | None = None) -> Ticket:
    """The holder scanned the hall's check-in code with their phone. Raises
    HallKeyInvalid, HallKeyExpired, OtherHallTicket (the code of another
    hall), TicketNotFound, IllegalTransition."""
    now = now or timezone.now()
    outlet = hall_of_check_in_key(hall_key, now)
    with transaction.atomic():
        ticket = _lock_waiting(token, now)
        if ticket.outlet_id != outlet.pk:
            raise OtherHallTicket(f"这是{outlet.name}的签到码，您的号码属于{ticket.outlet.name} / "
                                  f"This is {outlet.name}'s code; your ticket is for {ticket.outlet.name}.")
        return _check_in(ticket, how=CheckInHow.QR, now=now)


def distance_metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(min(1.0, a)))


def ticket_check_in_by_location(*, token: str, lat: float, lng: float, now: datetime | None = None) -> Ticket:
    """The holder's phone is within QUEUE_CHECK_IN_RADIUS_METRES of the hall.
    Raises HallWithoutLocation, TooFar, TicketNotFound, IllegalTransition."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _lock_waiting(token, now)
        hall = ticket.outlet
        if not ticket.awaiting_arrival:
            return ticket
        if hall.lat is None or hall.lng is None:
            raise HallWithoutLocation()
        distance = distance_metres(float(hall.lat), float(hall.lng), lat, lng)
        if distance > settings.QUEUE_CHECK_IN_RADIUS_METRES:
            raise TooFar(f"您距离营业厅约 {round(distance)} 米，到店后再签到 / "
                         f"You are about {round(distance)} m from the hall; check in when you arrive.")
        return _check_in(ticket, how=CheckInHow.LOCATION, now=now, detail={"metres": round(distance)})
