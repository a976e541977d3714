"""Reads of the live queue shared by the API, the displays and the services."""

import math
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from config.cache import cached, forget
from halls.models import Counter, CounterService, CounterState, HallService, Outlet
from halls.selectors import hall_with_setup

from .days import business_day_live, hall_day_live, halls_with_hours, live_days
from .models import ACTIVE_AT_COUNTER, OPEN_AT_CLOSE, CancelReason, Ticket, TicketStatus, WaitingLine

HANDLE_TIME_CACHE_SECONDS = 60
MIN_HANDLE_SAMPLES = 3
# Routing is read on every ticket issued and every call; it is forgotten after
# commit of any change of a counter or its services (queueing.signals), and
# kept at most this long whatever happens (a bulk update sends no signal).
ROUTING_CACHE_SECONDS = 60
# ...and each process keeps its copy this long: a counter opened through one
# server changes the estimates given by another at most this much later.
ROUTING_LOCAL_SECONDS = 1


def _routing_key(outlet_id: int) -> str:
    return f"hall-routing:{outlet_id}"


def hall_routing_forget(outlet_id: int) -> None:
    """Forget the hall's cached routing (see config.cache.forget)."""
    forget(_routing_key(outlet_id))


def hall_routing(*, outlet_id: int) -> dict:
    """Which services each counter serves, and how many open counters serve each service.

    {"open_counters": {service_id: n}, "competitors": {service_id: {service_ids}}}.
    `competitors` is every service whose tickets the counters of a service may
    call instead: the queue a ticket really stands in. Cached; see
    ROUTING_CACHE_SECONDS."""
    return cached(_routing_key(outlet_id), lambda: _hall_routing_read(outlet_id), ROUTING_CACHE_SECONDS,
                  local_seconds=ROUTING_LOCAL_SECONDS)


def _hall_routing_read(outlet_id: int) -> dict:
    # Unordered: the result is sets and counts, and the default ordering
    # (counter, then its outlet's code) would cost a join and a sort.
    rows = CounterService.objects.filter(counter__outlet_id=outlet_id).order_by().values_list(
        "counter_id", "service_id", "counter__state"
    )
    by_counter = defaultdict(set)
    open_by_counter = {}
    for counter_id, service_id, state in rows:
        by_counter[counter_id].add(service_id)
        open_by_counter[counter_id] = state == CounterState.OPEN
    open_counters = defaultdict(int)
    competitors = defaultdict(set)
    any_open = any(open_by_counter.values())
    for counter_id, services in by_counter.items():
        is_open = open_by_counter[counter_id]
        for service_id in services:
            if is_open:
                open_counters[service_id] += 1
            # With no counter open yet, the hall's planned routing stands in.
            if is_open or not any_open:
                competitors[service_id] |= services
    return {"open_counters": dict(open_counters), "competitors": dict(competitors)}


def handle_seconds_by_service(*, outlet_id: int) -> dict[int, int]:
    """Average handle time today per service, from finished tickets; cached a minute.

    Services with fewer than MIN_HANDLE_SAMPLES finished tickets today use their
    configured default."""
    return cached(f"handle-seconds:{outlet_id}", lambda: _handle_seconds_read(outlet_id), HANDLE_TIME_CACHE_SECONDS,
                  local_seconds=HANDLE_TIME_CACHE_SECONDS / 6)


def _handle_seconds_read(outlet_id: int) -> dict[int, int]:
    today = timezone.localdate()
    handle = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    rows = (
        Ticket.objects.filter(
            outlet_id=outlet_id, business_date=today, status=TicketStatus.DONE, started_at__isnull=False
        )
        .values("service_id")
        .annotate(n=Count("id"), avg=Avg(handle))
    )
    measured = {r["service_id"]: r["avg"].total_seconds() for r in rows if r["n"] >= MIN_HANDLE_SAMPLES and r["avg"]}
    defaults = dict(
        HallService.objects.filter(outlet_id=outlet_id).order_by()
        .values_list("service_id", "service__default_handle_seconds")
    )
    return {sid: int(round(measured.get(sid, default))) for sid, default in defaults.items()}


def estimate_wait_seconds(*, position: int, open_counters: int, handle_seconds: int) -> int:
    """Time until a ticket at `position` (1 = next) is called, given counters
    working in parallel. With no counter open, assume one will open."""
    counters = max(open_counters, 1)
    return int(math.ceil(position / counters) * handle_seconds)


def _live_day(outlet_id: int, outlet_code: str | None = None) -> date:
    """The hall's live business day (queueing.days): from its cached setup
    when the caller knows its code (the live path), else read now."""
    hall = hall_with_setup(code=outlet_code) if outlet_code else None
    if hall is None or hall.pk != outlet_id:
        hall = halls_with_hours([outlet_id]).get(outlet_id)
    return business_day_live(hall) if hall is not None else timezone.localdate()


def _waiting_counts(outlet_id: int, day: date) -> dict[int, int]:
    """Waiting tickets per service of a hall on its business day `day`, from
    the kept line counts (a row per service and priority class, whatever the
    lines' length). In SQL, like ticket_position: it runs after every change
    of a hall."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT service_id, SUM(waiting) FROM {WaitingLine._meta.db_table} "
            "WHERE outlet_id = %s AND business_date = %s GROUP BY service_id",
            [outlet_id, day],
        )
        return {service_id: n for service_id, n in cursor.fetchall() if n}


def service_summaries(*, outlet_id: int, outlet_code: str | None = None) -> list[dict]:
    """Per offered service: waiting count and the wait a ticket taken now would have.

    With `outlet_code`, the hall's services come from its cached setup."""
    hall = hall_with_setup(code=outlet_code) if outlet_code else None
    if hall is not None and hall.pk == outlet_id:
        hall_services = hall.hall_services.all()
    else:
        # The default ordering within one hall; its leading "outlet" would join
        # the outlet only to sort by a constant.
        hall_services = (
            HallService.objects.filter(outlet_id=outlet_id, is_active=True)
            .select_related("service")
            .order_by("sort_order", "service__sort_order")
        )
    waiting = _waiting_counts(outlet_id, _live_day(outlet_id, outlet_code))
    routing = hall_routing(outlet_id=outlet_id)
    handle = handle_seconds_by_service(outlet_id=outlet_id)
    summaries = []
    for hs in hall_services:
        sid = hs.service_id
        # A new ticket waits behind everything its counters may call first.
        ahead = sum(waiting.get(other, 0) for other in routing["competitors"].get(sid, {sid}))
        summaries.append(
            {
                "code": hs.service.code,
                "name": hs.service.name_zh,
                "name_en": hs.service.name_en,
                "prefix": hs.prefix,
                "waiting": waiting.get(sid, 0),
                "estimated_wait_seconds": estimate_wait_seconds(
                    position=ahead + 1,
                    open_counters=routing["open_counters"].get(sid, 0),
                    handle_seconds=handle.get(sid, hs.service.default_handle_seconds),
                ),
            }
        )
    return summaries


def _at_counters(outlet_id: int, day: date):
    """The hall's tickets at its counters: being served (whatever their day:
    the customer is there), or called on the live business day."""
    return Ticket.objects.filter(
        Q(status=TicketStatus.SERVING) | Q(status=TicketStatus.CALLED, business_date__gte=day), outlet_id=outlet_id
    )


def now_serving(*, outlet_id: int, limit: int = 20, day: date | None = None) -> list[dict]:
    tickets = (
        _at_counters(outlet_id, day or _live_day(outlet_id))
        .select_related("counter", "service")
        .order_by("-called_at")[:limit]
    )
    return [
        {
            "number": t.number,
            "counter": t.counter.number,
            "counter_name": t.counter.label,
            "service": t.service.code,
            "called_at": t.called_at.isoformat(),
        }
        for t in tickets
    ]


def queue_snapshot(*, outlet: Outlet) -> dict:
    """What a lobby display shows; no personal data. (Displays get it with
    the hall's event seq: queueing.events.hall_snapshot.)"""
    day = _live_day(outlet.id, outlet.code)
    return {
        "hall": outlet.code,
        "generated_at": timezone.localtime().isoformat(),
        "services": service_summaries(outlet_id=outlet.id, outlet_code=outlet.code),
        "now_serving": now_serving(outlet_id=outlet.id, day=day),
        "counters": counter_boards(outlet_id=outlet.id, day=day),
        "alert": None,
    }


def hall_waiting_positions(*, outlet_id: int) -> dict[int, dict]:
    """Position and estimated wait of every waiting ticket of a hall, in one query.

    Same rule as ticket_position: 1 + the waiting tickets, among the services
    its counters may call, that are called before it."""
    routing = hall_routing(outlet_id=outlet_id)
    handle = handle_seconds_by_service(outlet_id=outlet_id)
    rows = (
        Ticket.objects.filter(outlet_id=outlet_id, status=TicketStatus.WAITING, business_date=_live_day(outlet_id))
        .order_by("priority_rank", "issued_at", "id")
        .values_list("id", "service_id")
    )
    seen = defaultdict(int)  # waiting tickets so far, per service
    result = {}
    for ticket_id, service_id in rows:
        competitors = routing["competitors"].get(service_id, {service_id})
        position = 1 + sum(seen[s] for s in competitors)
        result[ticket_id] = {
            "position": position,
            "estimated_wait_seconds": estimate_wait_seconds(
                position=position,
                open_counters=routing["open_counters"].get(service_id, 0),
                handle_seconds=handle.get(service_id, 300),
            ),
        }
        seen[service_id] += 1
    return result


def counter_boards(*, outlet_id: int, day: date | None = None) -> list[dict]:
    """Every counter's state and the number at it, for lobby and counter screens."""
    counters = Counter.objects.filter(outlet_id=outlet_id).order_by("number")
    current = dict(_at_counters(outlet_id, day or _live_day(outlet_id)).values_list("counter_id", "number"))
    return [
        {"number": c.number, "name": c.label, "state": c.state, "current": current.get(c.id)} for c in counters
    ]


def ticket_position(ticket: Ticket, *, routing: dict | None = None) -> int | None:
    """1 + the waiting tickets the hall's counters will call before this one.

    Counted from the back: every waiting ticket its counters may call in its
    priority class or a higher one (the kept line counts, this one included),
    less those of its class behind it. A ticket just taken has nobody behind
    it, so however long the line, this reads a few rows."""
    if ticket.status != TicketStatus.WAITING:
        return None
    routing = routing or hall_routing(outlet_id=ticket.outlet_id)
    services = sorted(routing["competitors"].get(ticket.service_id, {ticket.service_id}))
    in_services = f"service_id IN ({', '.join(['%s'] * len(services))})"
    day = ticket.business_date
    # In SQL: this runs for every ticket issued, and building the same query
    # with the ORM cost more than running it. One statement, so both counts
    # come from one snapshot; the waiting-line index answers the second.
    issued_at = connection.ops.adapt_datetimefield_value(ticket.issued_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COALESCE(SUM(waiting), 0) FROM {WaitingLine._meta.db_table} "
            f"WHERE outlet_id = %s AND business_date = %s AND {in_services} AND priority_rank <= %s), "
            f"(SELECT COUNT(*) FROM {Ticket._meta.db_table} "
            f"WHERE outlet_id = %s AND status = '{TicketStatus.WAITING.value}' AND {in_services} "
            "AND priority_rank = %s AND business_date = %s AND (issued_at > %s OR (issued_at = %s AND id > %s)))",
            [ticket.outlet_id, day, *services, ticket.priority_rank,
             ticket.outlet_id, *services, ticket.priority_rank, day, issued_at, issued_at, ticket.id],
        )
        in_line, behind = cursor.fetchone()
        return max(int(in_line) - behind, 1)


def ticket_is_over(ticket: Ticket, now: datetime | None = None) -> bool:
    """A ticket still waiting or called whose business day is over (closed,
    or past its close while the closing task has not run yet): to everyone it
    is cancelled ("day_closed")."""
    return ticket.status in OPEN_AT_CLOSE and ticket.business_date < hall_day_live(ticket.outlet, now)


def ticket_view(ticket: Ticket, now: datetime | None = None) -> tuple[str, str | None]:
    """The ticket's status and cancel reason as its holder and staff see them now."""
    if ticket_is_over(ticket, now):
        return TicketStatus.CANCELLED.value, CancelReason.DAY_CLOSED.value
    return ticket.status, ticket.cancel_reason


def ticket_progress(ticket: Ticket) -> dict:
    """A ticket as its holder sees it now: status and cancel reason (a ticket
    of a day that is over shows as closed), position and estimated wait."""
    status, cancel_reason = ticket_view(ticket)
    view = {"status": status, "cancel_reason": cancel_reason}
    if status != TicketStatus.WAITING:
        return {**view, "position": None, "estimated_wait_seconds": 0 if status in ACTIVE_AT_COUNTER else None}
    routing = hall_routing(outlet_id=ticket.outlet_id)
    position = ticket_position(ticket, routing=routing)
    handle = handle_seconds_by_service(outlet_id=ticket.outlet_id)
    return {
        **view,
        "position": position,
        "estimated_wait_seconds": estimate_wait_seconds(
            position=position,
            open_counters=routing["open_counters"].get(ticket.service_id, 0),
            handle_seconds=handle.get(ticket.service_id, ticket.service.default_handle_seconds),
        ),
    }


def counter_current_ticket(counter: Counter) -> Ticket | None:
    """The ticket at the counter: being served, or called on the live business day."""
    return (
        _at_counters(counter.outlet_id, hall_day_live(counter.outlet))
        .filter(counter=counter)
        .select_related("service", "outlet")
        .first()
    )


def counter_waiting_counts(counter: Counter) -> list[dict]:
    """Waiting tickets for each of the counter's services, in the counter's order."""
    services = [cs.service for cs in counter.counter_services.select_related("service").order_by("position")]
    waiting = _waiting_counts(counter.outlet_id, hall_day_live(counter.outlet))
    return [{"code": s.code, "name": s.name_zh, "waiting": waiting.get(s.id, 0)} for s in services]


def ticket_live_state(*, ticket_id: int) -> dict:
    """The ticket holder's live message (the `/ws/tickets/{token}/` frame)."""
    ticket = Ticket.objects.select_related("counter", "service", "outlet").get(pk=ticket_id)
    progress = ticket_progress(ticket)
    at_counter = ticket.counter_id and progress["status"] in ACTIVE_AT_COUNTER
    return {
        "type": "ticket",
        "number": ticket.number,
        **progress,
        "counter": ticket.counter.number if at_counter else None,
        "counter_name": ticket.counter.label if at_counter else None,
        "service": ticket.service.code,
    }


def halls_waiting_counts(outlet_ids) -> dict[int, int]:
    """Waiting tickets per hall on its live business day, for many halls in a
    few queries (the hall picker lists 200 of them); halls with nobody
    waiting are absent."""
    outlet_ids = list(outlet_ids)
    today = timezone.localdate()
    counts = (
        WaitingLine.objects.filter(outlet_id__in=outlet_ids, business_date__gte=today - timedelta(days=1))
        .values("outlet_id", "business_date")
        .annotate(n=Sum("waiting"))
        .order_by()
        .values_list("outlet_id", "business_date", "n")
    )
    rows = [(outlet_id, day, n) for outlet_id, day, n in counts if n]
    live = live_days({outlet_id for outlet_id, _, _ in rows})
    return {outlet_id: n for outlet_id, day, n in rows if day == live.get(outlet_id)}
