"""Reads of the live queue shared by the API, the displays and the services."""

import hashlib
import math
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from config.cache import cached, forget
from halls.models import Counter, CounterService, CounterState, HallService, Outlet, RoutingProfile, StaffMembership
from halls.selectors import hall_with_setup

from .days import business_day_live, hall_day_live, halls_with_hours, live_days
from .estimates import CounterNow, Estimate, Handle, absent_estimates, line_estimates
from .models import (
    ACTIVE_AT_COUNTER,
    CALL_ORDER,
    OPEN_AT_CLOSE,
    PRIORITY_RANK,
    CancelReason,
    HallDiversion,
    HallNotice,
    HandleTime,
    Priority,
    Ticket,
    TicketStatus,
    WaitingLine,
)
from .presence import ABSENT_INDEX_SQL, ABSENT_SQL, away_now, is_callable

HANDLE_TIME_CACHE_SECONDS = 60
MIN_HANDLE_SAMPLES = 3  # today's finished tickets of a service before their mean counts
MIN_HISTORY_SAMPLES = 20  # finished tickets of a service and hour before history counts
TODAY_PRIOR_SAMPLES = 30  # how many of today's tickets weigh as much as the history
# A hall's line as the refresher last computed it (queueing.refresh): what the
# issue path and the ticket page read instead of playing the whole line again.
LINE_CACHE_SECONDS = 5
# When only the counts change (a ticket at the back of its line), this many
# tickets from the front are played one by one, the rest as shared work.
LINE_EXACT_TICKETS = 200
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
    """Which services each counter serves, how, and how many open counters serve each service.

    {"open_counters": {service_id: n}, "competitors": {service_id: {service_ids}},
     "serving": {counter_id: frozenset(service_ids)} for the open counters,
     "setup": {counter_id: (profile, {service_id: position}, {service_id: weight})}
     for the open counters, "inexact": {service_ids}}.
    A counter serves its own services and every other service of a shared
    queue one of them belongs to (halls.HallQueue), in that service's turn.
    Its profile is its agent's when they have one (halls.StaffMembership),
    else its own. `competitors` is every service whose tickets the counters
    of a service may call instead: the queue a ticket really stands in.
    `inexact`: the services whose places the fast count (ticket_position)
    cannot give, as their counters do not all call the same services in call
    order. Cached; see ROUTING_CACHE_SECONDS."""
    return cached(_routing_key(outlet_id), lambda: halls_routing([outlet_id])[outlet_id], ROUTING_CACHE_SECONDS,
                  local_seconds=ROUTING_LOCAL_SECONDS)


def halls_routing(outlet_ids) -> dict[int, dict]:
    """hall_routing for many halls, read now in two queries."""
    outlet_ids = list(outlet_ids)
    # The agent's own profile, when they have one at the counter's hall.
    agent_profile = (
        StaffMembership.objects.filter(user_id=OuterRef("counter__signed_in_user_id"),
                                       outlet_id=OuterRef("counter__outlet_id"))
        .exclude(profile="").values("profile")[:1]
    )
    # Unordered: the result is sets and counts, and the default ordering
    # (counter, then its outlet's code) would cost a join and a sort.
    rows = (
        CounterService.objects.filter(counter__outlet_id__in=outlet_ids).order_by()
        .annotate(agent_profile=Subquery(agent_profile))
        .values_list("counter__outlet_id", "counter_id", "service_id", "counter__state", "counter__profile",
                     "agent_profile", "position", "weight")
    )
    by_hall = defaultdict(list)
    for outlet_id, counter_id, service_id, state, profile, agent, position, weight in rows:
        by_hall[outlet_id].append((counter_id, service_id, state, agent or profile, position, weight))
    queues = defaultdict(dict)
    for outlet_id, service_id, queue_id in HallService.objects.filter(
            outlet_id__in=outlet_ids, queue__isnull=False).order_by().values_list("outlet_id", "service_id",
                                                                                   "queue_id"):
        queues[outlet_id][service_id] = queue_id
    return {outlet_id: _routing_from(by_hall.get(outlet_id, []), queues.get(outlet_id, {}))
            for outlet_id in outlet_ids}


def with_queue_mates(services: dict[int, tuple], queues: dict[int, int]) -> dict[int, tuple]:
    """A counter's services {service_id: (position, weight)} with every other
    service of the shared queues they belong to (`queues`: service_id ->
    queue id): a queue's services share one turn (the earliest position of
    the counter's services in it) and one weight (the largest), so the
    counter calls the queue's whole line in call order."""
    if not queues:
        return services
    turns = {}
    for service_id, (position, weight) in services.items():
        queue_id = queues.get(service_id)
        if queue_id is not None:
            before = turns.get(queue_id)
            turns[queue_id] = (position, weight) if before is None else (min(before[0], position),
                                                                         max(before[1], weight))
    if not turns:
        return services
    expanded = dict(services)
    for service_id, queue_id in queues.items():
        if queue_id in turns:
            expanded[service_id] = turns[queue_id]
    return expanded


def _routing_from(rows, queues: dict[int, int]) -> dict:
    by_counter = defaultdict(dict)
    open_by_counter, profiles = {}, {}
    for counter_id, service_id, state, profile, position, weight in rows:
        by_counter[counter_id][service_id] = (position, weight)
        open_by_counter[counter_id] = state == CounterState.OPEN
        profiles[counter_id] = profile
    by_counter = {counter_id: with_queue_mates(services, queues) for counter_id, services in by_counter.items()}
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
                competitors[service_id] |= set(services)
    serving, setup = {}, {}
    for counter_id, services in by_counter.items():
        if open_by_counter[counter_id]:
            serving[counter_id] = frozenset(services)
            setup[counter_id] = (profiles[counter_id], {s: p for s, (p, _) in services.items()},
                                 {s: w for s, (_, w) in services.items()})
    # The fast count is exact where every open counter that may call a
    # service's competitors calls all of them, and in call order.
    inexact = set()
    for counter_id, services in serving.items():
        for service_id in services:
            if setup[counter_id][0] != RoutingProfile.FIFO or services != competitors[service_id]:
                inexact |= competitors[service_id]
    for service_id, rivals in competitors.items():
        if rivals & inexact:
            inexact.add(service_id)
    return {"open_counters": dict(open_counters), "competitors": dict(competitors), "serving": serving,
            "setup": setup, "inexact": inexact}


def handle_stats(*, outlet_id: int, now: datetime | None = None) -> dict[int, Handle]:
    """How long each service the hall offers takes now: mean and spread, in
    seconds; cached a minute.

    From the hall's history for this hour of the day (queueing.HandleTime,
    refreshed nightly), moved towards today's own finished tickets as they
    count; a service without enough of either uses its configured default."""
    local = timezone.localtime(now or timezone.now())
    key = f"handle-stats:{outlet_id}:{local.date().isoformat()}:{local.hour}"
    return cached(key, lambda: _handle_stats_read(outlet_id, local), HANDLE_TIME_CACHE_SECONDS,
                  local_seconds=HANDLE_TIME_CACHE_SECONDS / 6)


def _handle_stats_read(outlet_id: int, local: datetime) -> dict[int, Handle]:
    return halls_handle_stats([outlet_id], local)[outlet_id]


def halls_handle_stats(outlet_ids, local: datetime) -> dict[int, dict[int, Handle]]:
    """handle_stats for many halls at the local time `local`, read now in three queries."""
    outlet_ids = list(outlet_ids)
    handle = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    today = {
        (r["outlet_id"], r["service_id"]): r for r in (
            Ticket.objects.filter(
                outlet_id__in=outlet_ids, business_date=local.date(), status=TicketStatus.DONE,
                started_at__isnull=False,
            )
            .values("outlet_id", "service_id")
            .annotate(n=Count("id"), avg=Avg(handle))
            .order_by()
        ) if r["avg"] is not None
    }
    history = {
        (row.outlet_id, row.service_id): row
        for row in HandleTime.objects.filter(outlet_id__in=outlet_ids, hour=local.hour,
                                             samples__gte=MIN_HISTORY_SAMPLES)
    }
    stats = {outlet_id: {} for outlet_id in outlet_ids}
    for outlet_id, service_id, default in HallService.objects.filter(outlet_id__in=outlet_ids).order_by().values_list(
            "outlet_id", "service_id", "service__default_handle_seconds"):
        past, now = history.get((outlet_id, service_id)), today.get((outlet_id, service_id))
        if past is not None:
            mean, sd = past.mean_seconds, past.sd_seconds
            if now is not None and now["n"] >= MIN_HANDLE_SAMPLES:
                # Today's tickets count as much as their number against a month of history.
                weight = now["n"] / (now["n"] + TODAY_PRIOR_SAMPLES)
                mean = (1 - weight) * mean + weight * now["avg"].total_seconds()
            stats[outlet_id][service_id] = Handle(mean, sd)
        elif now is not None and now["n"] >= MIN_HANDLE_SAMPLES:
            stats[outlet_id][service_id] = Handle.default(now["avg"].total_seconds())
        else:
            stats[outlet_id][service_id] = Handle.default(float(default))
    return stats


def handle_seconds_by_service(*, outlet_id: int) -> dict[int, int]:
    """The mean handle time now per service, in whole seconds."""
    return {sid: int(round(h.mean)) for sid, h in handle_stats(outlet_id=outlet_id).items()}


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


def hall_line(*, outlet_id: int, outlet_code: str | None = None, now: datetime | None = None,
              limit: int | None = None) -> dict:
    """The hall's waiting line on its live day, played forward now
    (queueing.estimates): {"estimates": LineEstimate, "positions": {ticket id:
    position}, "waiting": {service id: n}}. The refresher runs it once per
    change and keeps the result (hall_line_keep) for the reads of the next
    seconds.

    `limit`: play only the first `limit` tickets one by one, and the rest of
    a long line (counted, not read) as work shared by its counters; its
    tickets then have no estimate or position of their own."""
    now = now or timezone.now()
    day = _live_day(outlet_id, outlet_code)
    routing = hall_routing(outlet_id=outlet_id)
    handle = handle_stats(outlet_id=outlet_id, now=now)
    query = (
        Ticket.objects.filter(outlet_id=outlet_id, status=TicketStatus.WAITING, parked=False, business_date=day)
        .order_by(*CALL_ORDER)
        .values_list("id", "service_id", "priority_rank", "queued_at", "awaiting_arrival", "away_until")
    )
    rows = _waiting_rows(query if limit is None else query[:limit], now)
    rest = {}
    if limit is not None and len(rows) == limit:
        taken = defaultdict(int)
        for row in rows:
            taken[row[1]] += 1
        counts = _waiting_counts(outlet_id, day)
        rest = {sid: n - taken[sid] for sid, n in counts.items() if n > taken[sid]}
    current = _currents(now, _at_counters(outlet_id, day)
                        .values_list("counter_id", "service_id", "status", "called_at", "started_at"))
    return _line_from(rows, current, routing, handle, rest, now)


def _waiting_rows(rows, now: datetime) -> list[tuple]:
    """(id, service id, priority rank, seconds since it joined the line,
    awaiting arrival, away until): the first four as the play of the line
    (queueing.estimates) reads them, the last two for who is here now
    (queueing.presence)."""
    return [(ticket_id, service_id, rank, (now - queued_at).total_seconds(), awaiting_arrival, away_until)
            for ticket_id, service_id, rank, queued_at, awaiting_arrival, away_until in rows]


def _currents(now: datetime, rows) -> dict[int, tuple]:
    """counter id -> (service id, status, seconds since called or started)."""
    return {
        counter_id: (service_id, status, (now - (started if status == TicketStatus.SERVING else called))
                     .total_seconds())
        for counter_id, service_id, status, called, started in rows
    }


def _line_from(rows, current, routing, handle, rest, now) -> dict:
    """The line played from `rows` (_waiting_rows, in call order). Only the
    tickets callable now (queueing.presence) are played, each counter taking
    them by its work profile; one that is not callable gets the place and
    wait it would have if it were, and still counts as waiting."""
    setup = routing.get("setup", {})
    # In the order of their ids: counters free at the same moment call in that order.
    counters = [CounterNow(counter_id, services, current.get(counter_id), *setup.get(counter_id, ()))
                for counter_id, services in sorted(routing["serving"].items())]
    handle = dict(handle)
    for service_id in {s for c in counters for s in c.services} | {row[1] for row in rows} | set(rest):
        handle.setdefault(service_id, Handle.default(300.0))
    present, line = [], []
    for ticket_id, service_id, rank, waited, awaiting_arrival, away_until in rows:
        here = is_callable(awaiting_arrival, away_until, now)
        if here:
            present.append((ticket_id, service_id, rank, waited))
        back_in = (away_until - now).total_seconds() if not here and not awaiting_arrival else 0.0
        line.append((ticket_id, service_id, here, back_in))
    estimates = line_estimates(counters=counters, waiting=present, handle=handle, planned=routing["competitors"],
                               rest=rest)
    if len(present) < len(rows):
        absent_estimates(estimates, line)
    # Positions: 1 + the waiting tickets, among the services its counters may
    # call, that the counters take before it as the line is played forward
    # (each counter by its profile); a ticket no open counter serves, in
    # call order. Where every counter calls all its competitors in call
    # order, this is the count ticket_position makes. A ticket whose holder
    # is not here: 1 + the callable tickets of its competitors ahead of it
    # in call order, the place it would have if they were.
    service_of = {row[0]: row[1] for row in present}
    competitors = routing["competitors"]
    seen = defaultdict(int)
    positions, waiting = {}, defaultdict(int)
    for ticket_id in estimates.taken:
        service_id = service_of[ticket_id]
        positions[ticket_id] = 1 + sum(seen[s] for s in competitors.get(service_id, {service_id}))
        seen[service_id] += 1
    for ticket_id, service_id, *_ in present:
        if ticket_id not in positions:
            positions[ticket_id] = 1 + sum(seen[s] for s in competitors.get(service_id, {service_id}))
            seen[service_id] += 1
    ahead = defaultdict(int)
    for ticket_id, service_id, here, _ in line:
        if not here:
            positions[ticket_id] = 1 + sum(ahead[s] for s in competitors.get(service_id, {service_id}))
        ahead[service_id] += here
        waiting[service_id] += 1
    for service_id, n in rest.items():
        waiting[service_id] += n
    return {"estimates": estimates, "positions": positions, "waiting": dict(waiting)}


def halls_lines(outlet_ids, now: datetime | None = None, *, halls: dict | None = None) -> dict[int, dict]:
    """hall_line for many halls, read now in a few queries whatever their
    number: {outlet id: line}, with each line's "day" (its live business day)
    and "handle" (its handle times) for the reads that follow."""
    now = now or timezone.now()
    outlet_ids = list(outlet_ids)
    days = live_days(outlet_ids, now, halls=halls)
    routings = halls_routing(outlet_ids)
    handles = halls_handle_stats(outlet_ids, timezone.localtime(now))
    rows, current = defaultdict(list), defaultdict(dict)
    for ticket_id, outlet_id, service_id, rank, queued_at, day, awaiting_arrival, away_until in (
        Ticket.objects.filter(outlet_id__in=outlet_ids, status=TicketStatus.WAITING, parked=False,
                              business_date__in=set(days.values()))
        .order_by("outlet_id", *CALL_ORDER)
        .values_list("id", "outlet_id", "service_id", "priority_rank", "queued_at", "business_date",
                     "awaiting_arrival", "away_until")
    ):
        if days.get(outlet_id) == day:
            rows[outlet_id].append((ticket_id, service_id, rank, (now - queued_at).total_seconds(),
                                    awaiting_arrival, away_until))
    oldest = min(days.values(), default=timezone.localdate(now))
    for outlet_id, counter_id, service_id, status, called, started, day in (
        Ticket.objects.filter(Q(status=TicketStatus.SERVING) | Q(status=TicketStatus.CALLED, business_date__gte=oldest),
                              outlet_id__in=outlet_ids)
        .values_list("outlet_id", "counter_id", "service_id", "status", "called_at", "started_at", "business_date")
    ):
        if status == TicketStatus.SERVING or day >= days.get(outlet_id, day):
            current[outlet_id].update(_currents(now, [(counter_id, service_id, status, called, started)]))
    lines = {}
    for outlet_id in outlet_ids:
        line = _line_from(rows.get(outlet_id, []), current.get(outlet_id, {}), routings[outlet_id],
                          handles.get(outlet_id, {}), {}, now)
        lines[outlet_id] = {**line, "day": days.get(outlet_id), "handle": handles.get(outlet_id, {}),
                            "routing": routings[outlet_id]}
    return lines


def _line_keys(outlet_id: int) -> tuple[str, str]:
    return f"hall-line:{outlet_id}:services", f"hall-line:{outlet_id}:tickets"


def hall_line_keep(outlet_id: int, line: dict) -> None:
    """Keep the line just computed for the reads of the next few seconds."""
    services_key, tickets_key = _line_keys(outlet_id)
    estimates = line["estimates"]
    try:
        cache.set_many({
            services_key: {sid: (e.seconds, e.low, e.high) for sid, e in estimates.services.items()},
            tickets_key: {tid: (line["positions"][tid], e.seconds, e.low, e.high)
                          for tid, e in estimates.tickets.items()},
        }, LINE_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - the cache is an optimisation
        pass


def _kept(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001
        return None


def service_estimates(*, outlet_id: int, outlet_code: str | None = None) -> dict[int, Estimate]:
    """What a ticket taken now would wait, per service: as the refresher last
    played the line, or played now."""
    kept = _kept(_line_keys(outlet_id)[0])
    if kept is not None:
        return {sid: Estimate(*values) for sid, values in kept.items()}
    return hall_line(outlet_id=outlet_id, outlet_code=outlet_code)["estimates"].services


def service_summaries(*, outlet_id: int, outlet_code: str | None = None, line: dict | None = None) -> list[dict]:
    """Per offered service: waiting count and the wait a ticket taken now would
    have (and its range).

    With `outlet_code`, the hall's services come from its cached setup; with
    `line` (hall_line), the estimates come from it."""
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
    if line is not None:
        waiting, estimates = line["waiting"], line["estimates"].services
    else:
        waiting = _waiting_counts(outlet_id, _live_day(outlet_id, outlet_code))
        estimates = service_estimates(outlet_id=outlet_id, outlet_code=outlet_code)
    summaries = []
    for hs in hall_services:
        estimate = estimates.get(hs.service_id) or Estimate(hs.service.default_handle_seconds, 0, 0)
        summaries.append(
            {
                "code": hs.service.code,
                "name": hs.service.name_zh,
                "name_en": hs.service.name_en,
                "prefix": hs.prefix,
                "waiting": waiting.get(hs.service_id, 0),
                "estimated_wait_seconds": estimate.seconds,
                "estimated_wait_range": [estimate.low, estimate.high],
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
            "reinstated": t.reinstated_count > 0,
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
        "alert": hall_alert(outlet_id=outlet.id),
    }


def hall_alert(*, outlet_id: int) -> dict | None:
    """The line the hall's wall displays show its customers: {level, message} or None."""
    notice = HallNotice.objects.filter(outlet_id=outlet_id).values("level", "message").first()
    return notice


def hall_waiting_positions(*, outlet_id: int, line: dict | None = None) -> dict[int, dict]:
    """Position and estimated wait of every waiting ticket of a hall (from
    `line`, or played now)."""
    line = line or hall_line(outlet_id=outlet_id)
    tickets = line["estimates"].tickets
    return {
        ticket_id: {"position": position, "estimated_wait_seconds": tickets[ticket_id].seconds,
                    "estimated_wait_range": [tickets[ticket_id].low, tickets[ticket_id].high]}
        for ticket_id, position in line["positions"].items()
    }


def counter_boards(*, outlet_id: int, day: date | None = None) -> list[dict]:
    """Every counter's state and the number at it, for lobby and counter screens."""
    counters = Counter.objects.filter(outlet_id=outlet_id).order_by("number")
    current = dict(_at_counters(outlet_id, day or _live_day(outlet_id)).values_list("counter_id", "number"))
    return [
        {"number": c.number, "name": c.label, "state": c.state, "current": current.get(c.id)} for c in counters
    ]


def ticket_position(ticket: Ticket, *, routing: dict | None = None, now: datetime | None = None) -> int | None:
    """1 + the waiting tickets the hall's counters will call before this one.

    Counted from the back: every waiting ticket its counters may call in its
    priority class or a higher one (the kept line counts, this one included),
    less those of its class behind it, less those ahead of it whose holders
    are not here now (queueing.presence: they are passed over). A ticket
    just taken has nobody behind it, and the absent are few (a partial
    index), so however long the line, this reads a few rows. A ticket whose
    own holder is not here gets the place it would have if they were."""
    if ticket.status != TicketStatus.WAITING or ticket.parked:
        return None
    now = now or timezone.now()
    routing = routing or hall_routing(outlet_id=ticket.outlet_id)
    if ticket.service_id in routing.get("inexact", ()):
        played = _played_position(ticket)
        if played is not None:
            return played
    services = sorted(routing["competitors"].get(ticket.service_id, {ticket.service_id}))
    in_services = f"service_id IN ({', '.join(['%s'] * len(services))})"
    day = ticket.business_date
    # In SQL: this runs for every ticket issued, and building the same query
    # with the ORM cost more than running it. One statement, so the counts
    # come from one snapshot; the waiting-line index answers the second, the
    # absent tickets' partial index the third.
    queued_at = connection.ops.adapt_datetimefield_value(ticket.queued_at)
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COALESCE(SUM(waiting), 0) FROM {WaitingLine._meta.db_table} "
            f"WHERE outlet_id = %s AND business_date = %s AND {in_services} AND priority_rank <= %s), "
            f"(SELECT COUNT(*) FROM {table} "
            f"WHERE outlet_id = %s AND status = '{TicketStatus.WAITING.value}' AND NOT parked AND {in_services} "
            "AND priority_rank = %s AND business_date = %s AND (queued_at > %s OR (queued_at = %s AND id > %s))), "
            f"(SELECT COUNT(*) FROM {table} "
            f"WHERE outlet_id = %s AND business_date = %s AND status = '{TicketStatus.WAITING.value}' "
            f"AND {in_services} AND {ABSENT_INDEX_SQL} AND {ABSENT_SQL} "
            "AND (priority_rank < %s OR (priority_rank = %s AND (queued_at < %s OR (queued_at = %s AND id < %s)))))",
            [ticket.outlet_id, day, *services, ticket.priority_rank,
             ticket.outlet_id, *services, ticket.priority_rank, day, queued_at, queued_at, ticket.id,
             ticket.outlet_id, day, *services, connection.ops.adapt_datetimefield_value(now),
             ticket.priority_rank, ticket.priority_rank, queued_at, queued_at, ticket.id],
        )
        in_line, behind, absent_ahead = cursor.fetchone()
        return max(int(in_line) - behind - absent_ahead, 1)


def _played_position(ticket: Ticket) -> int | None:
    """A ticket's place where its counters' profiles decide it: as the
    refresher last played the line, else played now (its front: a ticket
    further back gets the fast count)."""
    kept = _kept(_line_keys(ticket.outlet_id)[1]) or {}
    if ticket.id in kept:
        return kept[ticket.id][0]
    line = hall_line(outlet_id=ticket.outlet_id, outlet_code=ticket.outlet.code, limit=LINE_EXACT_TICKETS)
    return line["positions"].get(ticket.id)


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


def ticket_progress(ticket: Ticket, *, just_issued: bool = False) -> dict:
    """A ticket as its holder sees it now: status and cancel reason (a ticket
    of a day that is over shows as closed), position, estimated wait and its
    range. `just_issued`: the ticket has just joined the back of its line (its
    wait is a new ticket's, as the refresher last played the line)."""
    status, cancel_reason = ticket_view(ticket)
    now = timezone.now()
    waiting = status == TicketStatus.WAITING
    away_until = away_now(ticket, now) if waiting else None
    view = {
        "status": status, "cancel_reason": cancel_reason,
        # Presence (queueing.presence): a phone ticket waiting for its holder to
        # check in, a holder away until a time (ISO), the step-aways left.
        "check_in_required": waiting and ticket.awaiting_arrival,
        "away_until": timezone.localtime(away_until).isoformat() if away_until else None,
        "step_away_left": max(settings.QUEUE_STEP_AWAY_MAX_TIMES - ticket.away_count, 0) if waiting else 0,
    }
    if status != TicketStatus.WAITING:
        waited = 0 if status in ACTIVE_AT_COUNTER else None
        return {**view, "position": None, "estimated_wait_seconds": waited, "estimated_wait_range": None}
    if ticket.parked:
        # Out of the line, in an agent's pool: no place; back when it is due.
        due = ticket.pool_due_at
        left = max(0, int((due - now).total_seconds())) if due else None
        return {**view, "position": None, "estimated_wait_seconds": left, "estimated_wait_range": None}
    position = ticket_position(ticket, now=now)
    estimate = None
    if just_issued and ticket.priority_rank == PRIORITY_RANK[Priority.NORMAL]:
        # As the refresher last played the line, a ticket taken now of this service.
        kept = _kept(_line_keys(ticket.outlet_id)[0]) or {}
        if ticket.service_id in kept:
            estimate = Estimate(*kept[ticket.service_id])
    if estimate is None:
        kept = _kept(_line_keys(ticket.outlet_id)[1]) or {}
        if ticket.id in kept:
            estimate = Estimate(*kept[ticket.id][1:])
    if estimate is None:
        line = hall_line(outlet_id=ticket.outlet_id, outlet_code=ticket.outlet.code)
        estimate = line["estimates"].tickets.get(ticket.id) or Estimate(0, 0, 0)
    return {**view, "position": position, "estimated_wait_seconds": estimate.seconds,
            "estimated_wait_range": [estimate.low, estimate.high]}


def counter_current_ticket(counter: Counter) -> Ticket | None:
    """The ticket at the counter: being served, or called on the live business day."""
    return (
        _at_counters(counter.outlet_id, hall_day_live(counter.outlet))
        .filter(counter=counter)
        .select_related("service", "outlet")
        .first()
    )


def counter_profile_view(counter: Counter) -> dict:
    """How the counter calls: {profile (its own), agent_profile (its agent's
    at this hall, or None), effective (the one it calls by now), services:
    [{service, name, position, weight}] in its order}."""
    agent = None
    if counter.signed_in_user_id:
        agent = (StaffMembership.objects.filter(user_id=counter.signed_in_user_id, outlet_id=counter.outlet_id)
                 .exclude(profile="").values_list("profile", flat=True).first())
    services = [
        {"service": cs.service.code, "name": cs.service.name_zh, "position": cs.position, "weight": cs.weight}
        for cs in counter.counter_services.select_related("service").order_by("position", "service__sort_order")
    ]
    return {"profile": counter.profile, "agent_profile": agent or None, "effective": agent or counter.profile,
            "services": services}


def pool_owned_by(counter: Counter) -> Q:
    """The parked tickets a counter may call back (queueing.services.pools):
    its own pool's and the pool of the agent signed in to it."""
    owners = Q(pool_counter_id=counter.pk)
    if counter.signed_in_user_id:
        owners |= Q(pool_agent_id=counter.signed_in_user_id)
    return owners


def counter_pool(counter: Counter, now: datetime | None = None) -> list[Ticket]:
    """The visits parked with the counter or its agent on the live business
    day: those due back first (by return time), then the others as parked."""
    return list(
        Ticket.objects.filter(pool_owned_by(counter), outlet_id=counter.outlet_id, parked=True,
                              status=TicketStatus.WAITING, business_date=hall_day_live(counter.outlet, now))
        .select_related("service")
        .order_by(F("pool_due_at").asc(nulls_last=True), "id")
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
        "parked": ticket.parked,
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


def hall_diversions(*, outlet_id: int) -> list[dict]:
    """Where the hall's manager points remote customers now (a nearby hall
    with a shorter wait): [{service (code or None: every service), to_code,
    to_name, to_address, to_wait_seconds}]."""
    diversions = (
        HallDiversion.objects.filter(outlet_id=outlet_id, ended_at__isnull=True)
        .select_related("to_outlet", "service")
    )
    found = []
    for d in diversions:
        waits = service_estimates(outlet_id=d.to_outlet_id, outlet_code=d.to_outlet.code)
        wait = waits.get(d.service_id) if d.service_id else min(waits.values(), default=None, key=lambda e: e.seconds)
        found.append({
            "service": d.service.code if d.service_id else None,
            "to_code": d.to_outlet.code, "to_name": d.to_outlet.name, "to_address": d.to_outlet.address,
            "to_wait_seconds": wait.seconds if wait else None,
        })
    return found


# Longer than this is not a service but a counter left open: not learned from.
LONGEST_HANDLE_SECONDS = 4 * 3600


def handle_time_rows(*, since: datetime, until: datetime, outlet_id: int | None = None) -> list[tuple]:
    """(outlet, service, local hour, n, mean, sd) of the tickets finished in
    [since, until), of one hall or all: how long services took, per hour."""
    table = Ticket._meta.db_table
    offset_hours = int(timezone.localtime(until).utcoffset().total_seconds() // 3600)
    if connection.vendor == "postgresql":
        seconds = "EXTRACT(EPOCH FROM (finished_at - started_at))"
        hour = "EXTRACT(HOUR FROM started_at AT TIME ZONE %s)"
        hour_params = [timezone.get_current_timezone_name()]
        sd = "COALESCE(STDDEV_SAMP({s}), 0)"
    else:
        seconds = "((julianday(finished_at) - julianday(started_at)) * 86400.0)"
        hour = "CAST(strftime('%%H', datetime(started_at, %s)) AS INTEGER)"
        hour_params = [f"{offset_hours:+d} hours"]
        sd = "0"  # SQLite has no standard deviation: the estimates fall back on a default spread
    sql = (
        f"SELECT outlet_id, service_id, {hour} AS hour, COUNT(*), AVG({seconds}), {sd.format(s=seconds)} "
        f"FROM {table} WHERE status = %s AND started_at IS NOT NULL AND finished_at IS NOT NULL "
        f"AND finished_at >= %s AND finished_at < %s AND {seconds} BETWEEN 0 AND %s "
        + ("AND outlet_id = %s " if outlet_id is not None else "")
        + "GROUP BY outlet_id, service_id, hour"
    )
    params = [*hour_params, TicketStatus.DONE, since, until, LONGEST_HANDLE_SECONDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params + ([outlet_id] if outlet_id is not None else []))
        return cursor.fetchall()


def hall_missed_tickets(outlet: Outlet, *, limit: int = 10, now: datetime | None = None) -> list[dict]:
    """Today's latest no-shows of the hall, newest first, each saying whether
    it may still be reinstated (过号顺延)."""
    rows = (
        Ticket.objects.filter(outlet=outlet, status=TicketStatus.NO_SHOW, business_date=hall_day_live(outlet, now))
        .select_related("service", "counter").order_by("-finished_at", "-id")[:limit]
    )
    return [
        {"number": t.number, "service": t.service.code, "service_name": t.service.name_zh,
         "counter": t.counter.number if t.counter else None,
         "missed_at": timezone.localtime(t.finished_at).isoformat() if t.finished_at else None,
         "reinstated_count": t.reinstated_count,
         "reinstatable": t.reinstated_count < settings.QUEUE_REINSTATE_MAX}
        for t in rows
    ]


# The hall picker's waits: the whole city's lines played in one batch, kept
# this long (every phone opening /m/ reads the same figures).
HALLS_WAITS_CACHE_SECONDS = 15
# A nearby hall is suggested when a service's wait here reaches its target,
# and the other hall, this close, waits at most this share of it.
NEARBY_KM = 5.0
NEARBY_HALLS_READ = 8
NEARBY_SHORTER_SHARE = 0.6


def halls_new_ticket_waits(outlet_ids, now: datetime | None = None, *,
                           halls: dict | None = None) -> dict[int, dict[int, int]]:
    """{outlet id: {service id: seconds}}: what a ticket taken now would wait
    at each hall, for many halls in a few queries whatever their number
    (halls_lines; `halls`: the outlets with their hours, when the caller
    has them); kept HALLS_WAITS_CACHE_SECONDS."""
    outlet_ids = sorted(set(outlet_ids))
    if not outlet_ids:
        return {}
    digest = hashlib.sha1(",".join(map(str, outlet_ids)).encode()).hexdigest()[:16]

    def compute():
        lines = halls_lines(outlet_ids, now, halls=halls)
        return {oid: {sid: e.seconds for sid, e in line["estimates"].services.items()} for oid, line in lines.items()}

    return cached(f"halls-waits:{digest}", compute, HALLS_WAITS_CACHE_SECONDS)


def _km(a_lat, a_lng, b_lat, b_lng) -> float:
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b_lng - a_lng) / 2) ** 2
    return 2 * 6371 * math.asin(min(1.0, math.sqrt(h)))


def nearby_shorter_waits(*, outlet: Outlet, summaries: list[dict], candidates) -> dict[str, dict]:
    """For each service of `summaries` (service_summaries of `outlet`) whose
    wait has reached its target: the nearest hall among `candidates` (open
    halls with a queue) within NEARBY_KM that offers it and waits at most
    NEARBY_SHORTER_SHARE of it. {service code: {to_code, to_name,
    to_address, km, to_wait_seconds}}. One batch of lines for the few
    nearest halls."""
    if outlet.lat is None or outlet.lng is None:
        return {}
    targets = {
        hs.service.code: (hs.target_wait_seconds or hs.service.target_wait_seconds)
        for hs in HallService.objects.filter(outlet=outlet).select_related("service")
    }
    long = [s for s in summaries if s["estimated_wait_seconds"] >= targets.get(s["code"], 600)]
    if not long:
        return {}
    near = sorted(
        ((_km(float(outlet.lat), float(outlet.lng), float(h.lat), float(h.lng)), h) for h in candidates
         if h.pk != outlet.pk and h.lat is not None and h.lng is not None),
        key=lambda pair: pair[0],
    )
    near = [(km, h) for km, h in near if km <= NEARBY_KM][:NEARBY_HALLS_READ]
    if not near:
        return {}
    offered = defaultdict(dict)
    for outlet_id, code, service_id in HallService.objects.filter(
            outlet_id__in=[h.pk for _, h in near], is_active=True).values_list("outlet_id", "service__code",
                                                                               "service_id"):
        offered[outlet_id][code] = service_id
    waits = halls_new_ticket_waits([h.pk for _, h in near])
    found = {}
    for summary in long:
        for km, hall in near:
            service_id = offered[hall.pk].get(summary["code"])
            wait = waits.get(hall.pk, {}).get(service_id) if service_id else None
            if wait is not None and wait <= NEARBY_SHORTER_SHARE * summary["estimated_wait_seconds"]:
                found[summary["code"]] = {"to_code": hall.code, "to_name": hall.name, "to_address": hall.address,
                                          "km": round(km, 1), "to_wait_seconds": wait}
                break
    return found
