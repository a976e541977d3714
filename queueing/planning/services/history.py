"""Writing generated ticket history (planning.history) into the queue's tables.

`history_generate` writes, for each hall and each business day asked for,
what `history.simulate_day` draws: the tickets (numbered from 1 per prefix,
consecutive, with their times and final states), every ticket's events, the
counters' events, the day's TicketSequence rows, and a HistoryDay row that
says the day was generated. In bulk, one transaction per day and one COPY
per table on PostgreSQL (services.rows): the tickets' ids are taken from
their sequence first, so that their events can name them. With generated
history, a crash may lose the last days written, never half a day.

Who worked: each day the hall's agents (its staff memberships with the agent
role) take its counters in turn, so that the counters' and tickets' events
name the person, as live ones do; and a share of the customers served rate
their service (RATED_SHARE, scores mostly good, now and then a comment). A
hall without agents gets events without a person and no ratings.

Which days: only days before the hall's live business day (today's queue is
never touched), and of those only days that hold nothing yet. A day with any
ticket, number or generated history of its own is skipped, not replaced:
the event log is append-only, and a day that was really worked is never
overwritten by a made-up one. So generating again with the same seed adds
exactly the days that are missing, and is safe at any time; a different seed
does not change days already there. Two runs at once cannot both write a
day: the HistoryDay row is unique per hall and day, written first.
"""

import base64
import hashlib
import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from halls.models import StaffMembership, StaffRole
from queueing.models import PRIORITY_RANK, CounterEvent, Ticket, TicketEvent, TicketRating, TicketSequence
from queueing.services import format_number

from ..history import SimulatedDay, hall_profile, simulate_day
from ..models import HistoryDay
from ..selectors import hall_live_day, hall_setup, history_days_taken
from ..slots import HallSetup, days_between
from .rows import rows_insert

logger = logging.getLogger(__name__)

RATED_SHARE = 0.25
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (0.02, 0.03, 0.10, 0.25, 0.60)
COMMENT_SHARE = 0.2
COMMENTS = {
    5: ("服务很好，办理很快", "营业员很耐心，谢谢", "效率高，点赞"),
    4: ("整体不错", "等的时间稍长，服务很好"),
    3: ("排队时间有点长", "还可以"),
    2: ("等了太久", "窗口开得太少"),
    1: ("等候时间太长了", "办理过程不顺利"),
}


@dataclass
class HistoryWritten:
    """What a run wrote: days generated, days skipped (already there), days
    the hall was closed, and rows."""

    days: int = 0
    skipped: int = 0
    closed: int = 0
    tickets: int = 0
    events: int = 0
    counter_events: int = 0

    def add(self, other: "HistoryWritten") -> None:
        for name in ("days", "skipped", "closed", "tickets", "events", "counter_events"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _token(seed: int, code: str, day: date, number: str) -> str:
    """A ticket token like the live ones (43 URL-safe characters), drawn from the seed."""
    digest = hashlib.blake2b(f"history|{seed}|{code}|{day.isoformat()}|{number}".encode(), digest_size=32).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def history_generate(*, outlet_ids, start: date, end: date, seed: int,
                     now: datetime | None = None) -> HistoryWritten:
    """Generate ticket history for each hall of `outlet_ids` (halls with
    counters and services) for its business days `start` to `end`, both
    included, skipping days that are not over yet or already hold anything
    (see the module's docstring). Deterministic from `seed`. Each day is
    written in its own transaction. Returns what was written."""
    now = now or timezone.now()
    written = HistoryWritten()
    for outlet_id in outlet_ids:
        written.add(_hall_history(outlet_id, start, end, seed, now))
    return written


def _hall_history(outlet_id: int, start: date, end: date, seed: int, now: datetime) -> HistoryWritten:
    written = HistoryWritten()
    setup = hall_setup(outlet_id=outlet_id)
    last = min(end, hall_live_day(outlet_id=outlet_id, now=now) - timedelta(days=1))
    if last < start or not setup.counters or not setup.services:
        return written
    profile = hall_profile(setup, seed)
    staff = list(StaffMembership.objects.filter(outlet_id=outlet_id, role=StaffRole.AGENT, user__is_active=True)
                 .order_by("user_id").values_list("user_id", flat=True))
    taken = history_days_taken(outlet_id=outlet_id, start=start, end=last)
    for day in days_between(start, last):
        if day in taken:
            written.skipped += 1
            continue
        simulated = simulate_day(setup, profile, setup.window(day), seed=seed)
        if simulated is None:
            written.closed += 1
            continue
        try:
            written.add(_write_day(setup, simulated, seed, staff=staff))
        except IntegrityError:
            # Another run wrote this day (or a ticket of it) meanwhile.
            written.skipped += 1
    if written.days:
        logger.info("History of %s: %d days, %d tickets", setup.code, written.days, written.tickets)
    return written


def _who_works(setup: HallSetup, day: date, staff: list[int]) -> dict[int, int | None]:
    """Counter id -> the agent at it that day: the agents in turn, shifted by a day each day."""
    if not staff:
        return {}
    return {c.id: staff[(i + day.toordinal()) % len(staff)] for i, c in enumerate(setup.counters)}


def _ratings(setup: HallSetup, simulated: SimulatedDay, ids: list[int], seed: int) -> list[dict]:
    rng = random.Random(f"ratings|{seed}|{setup.code}|{simulated.day.isoformat()}")
    out = []
    for ticket_id, t in zip(ids, simulated.tickets, strict=True):
        if str(t.status) != "done" or rng.random() >= RATED_SHARE:
            continue
        score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
        comment = rng.choice(COMMENTS[score]) if rng.random() < COMMENT_SHARE else ""
        out.append({"ticket_id": ticket_id, "score": score, "comment": comment,
                    "created_at": t.finished_at + timedelta(seconds=rng.randint(20, 600))})
    return out


def _write_day(setup: HallSetup, simulated: SimulatedDay, seed: int, *, copy: bool | None = None,
               staff: list[int] = ()) -> HistoryWritten:
    """Write one simulated day in one transaction. `copy`: COPY (default on
    PostgreSQL) or bulk_create. `staff`: the hall's agents (user ids)."""
    day = simulated.day
    outlet_id = setup.outlet_id
    at_counter = _who_works(setup, day, list(staff))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Generated, not taken: a crash may lose the last days written
            # (the HistoryDay row with them, so a rerun writes them again),
            # and each day need not wait for its commit to reach the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # First: the day's claim. A concurrent run waits on this row and then fails.
        HistoryDay.objects.create(outlet_id=outlet_id, business_date=day, seed=seed, tickets=len(simulated.tickets))
        tickets = []
        for t in simulated.tickets:
            number = format_number(t.prefix, t.sequence)
            tickets.append({
                "outlet_id": outlet_id, "service_id": t.service_id, "prefix": t.prefix, "sequence": t.sequence,
                "number": number, "business_date": day, "token": _token(seed, setup.code, day, number),
                "status": str(t.status), "cancel_reason": t.cancel_reason and str(t.cancel_reason),
                "priority": str(t.priority), "priority_rank": PRIORITY_RANK[t.priority], "channel": str(t.channel),
                "phone": "", "counter_id": t.counter_id, "call_count": t.call_count, "issued_at": t.issued_at,
                "queued_at": t.issued_at,
                "first_called_at": t.first_called_at, "called_at": t.called_at, "started_at": t.started_at,
                "finished_at": t.finished_at,
            })
        ids = rows_insert(Ticket, tickets, copy=copy, ids=True)
        events = [
            {"ticket_id": ticket_id, "outlet_id": outlet_id, "kind": str(e.kind), "from_status": str(e.from_status),
             "to_status": str(e.to_status), "service_id": t.service_id, "counter_id": e.counter_id, "at": e.at,
             "detail": e.detail, "actor_id": at_counter.get(e.counter_id)}
            for ticket_id, t in zip(ids, simulated.tickets, strict=True)
            for e in t.events
        ]
        rows_insert(TicketEvent, events, copy=copy)
        counter_events = [
            {"counter_id": e.counter_id, "outlet_id": outlet_id, "kind": str(e.kind), "from_state": e.from_state,
             "to_state": e.to_state, "reason": e.reason, "at": e.at, "actor_id": at_counter.get(e.counter_id)}
            for e in simulated.counter_events
        ]
        rows_insert(CounterEvent, counter_events, copy=copy)
        if at_counter:
            rows_insert(TicketRating, _ratings(setup, simulated, ids, seed), copy=copy)
        rows_insert(TicketSequence, [
            {"outlet_id": outlet_id, "prefix": prefix, "business_date": day, "last_number": last}
            for prefix, last in sorted(simulated.sequences.items())
        ], copy=copy)
    return HistoryWritten(days=1, tickets=len(tickets), events=len(events), counter_events=len(counter_events))


def history_analyze() -> None:
    """Refresh the planner's statistics of the tables a bulk history load
    filled, so that the reads that follow (rollups, forecasts, reports) get
    index plans at once rather than whenever autovacuum, if it runs, comes by."""
    with connection.cursor() as cursor:
        for model in (Ticket, TicketEvent, CounterEvent, TicketRating):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
