"""Keeping the rollups current (models.py): a hall's business day is worked
out again from its tickets and event log, whole, and its rows replaced in
one transaction, so a rollup is always the same function of the log however
often and whenever it runs.

- Every ROLLUP_EVERY_SECONDS (Celery beat) the halls whose tickets or
  counters changed since the last run are worked out again for their live
  day (`rollups_refresh_recent`): reports lag the floor by at most that.
- After the night's day close, yesterday's rollups of every hall with tickets
  are made final (`rollups_refresh_day`).
- `manage.py rollups_rebuild --from --to [--hall]` rebuilds any range.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import FloatField, Func
from django.db.models.functions import ExtractHour
from django.utils import timezone

from halls.models import HallService, Outlet
from queueing.days import day_ends_at, halls_with_hours, live_days
from queueing.models import CounterEvent, Ticket, TicketEvent, TicketEventKind, TicketRating

from ..measures import Tally, TicketFacts, tally_ticket
from ..models import AgentDay, HallDay, ServiceHour


@dataclass(frozen=True)
class RollupWritten:
    hall_days: int = 0
    rows: int = 0


def _day_span(day: date) -> tuple[datetime, datetime]:
    """The business day's span for counters' time: from QUEUE_DAY_ENDS_AT to the same time the next day."""
    ends = day_ends_at()
    start = timezone.make_aware(datetime.combine(day, ends))
    return start, start + timedelta(days=1)


def _targets(outlet_ids) -> dict[tuple[int, int], float]:
    return {
        (hs.outlet_id, hs.service_id): float(hs.target_wait)
        for hs in HallService.objects.filter(outlet_id__in=outlet_ids).select_related("service")
    }


class Epoch(Func):
    """A moment as seconds since 1970: far cheaper to read than a datetime
    (the rollups read tens of thousands a hall-day). Differences of two are
    rounded to the millisecond (SQLite's day numbers carry less)."""

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                              **extra)


def _seconds(end: float | None, start: float | None) -> float | None:
    return None if end is None or start is None else round(end - start, 3)


def hall_day_facts(outlet_id: int, day: date) -> tuple[list[TicketFacts], list[dict]]:
    """The hall-day's tickets as facts, and what each served or no-show
    ticket says of the agent who ended it ({user, counter, status, handle,
    busy, rating})."""
    rows = list(
        Ticket.objects.filter(outlet_id=outlet_id, business_date=day)
        .annotate(hour=ExtractHour("issued_at"), issued=Epoch("issued_at"), first_called=Epoch("first_called_at"),
                  called=Epoch("called_at"), started=Epoch("started_at"), finished=Epoch("finished_at"))
        .values_list("id", "service_id", "status", "cancel_reason", "hour", "issued", "first_called", "called",
                     "started", "finished")
    )
    ids = [r[0] for r in rows]
    issued_for, transfers, ended_by = {}, defaultdict(int), {}
    # The day's tickets by join, not by a list of their ids: a busy hall-day
    # has thousands, and sending them back as parameters costs more than the read.
    day_tickets = {"ticket__outlet_id": outlet_id, "ticket__business_date": day}
    for ticket_id, kind, service_id, actor_id, counter_id, at in TicketEvent.objects.filter(
        **day_tickets,
        kind__in=[TicketEventKind.ISSUED, TicketEventKind.TRANSFERRED, TicketEventKind.FINISHED,
                  TicketEventKind.NO_SHOW],
    ).order_by("at", "id").annotate(at_s=Epoch("at")).values_list(
        "ticket_id", "kind", "service_id", "actor_id", "counter_id", "at_s"
    ):
        if kind == TicketEventKind.ISSUED:
            issued_for.setdefault(ticket_id, service_id)
        elif kind == TicketEventKind.TRANSFERRED:
            transfers[ticket_id] += 1
        else:
            ended_by[ticket_id] = (actor_id, counter_id, at)
    ratings = dict(TicketRating.objects.filter(**day_tickets).values_list("ticket_id", "score")) if ids else {}
    facts, agents = [], []
    for tid, service_id, status, reason, hour, issued, first_called, called, started, finished in rows:
        wait = _seconds(first_called, issued)
        unserved = None
        if first_called is None and status == "cancelled" and finished is not None:
            unserved = _seconds(finished, issued)
        handle = _seconds(finished, started) if status == "done" else None
        facts.append(TicketFacts(
            service_id=service_id, issued_service_id=issued_for.get(tid, service_id), hour=hour,
            status=status, cancel_reason=reason, wait=wait, waited_unserved=unserved, handle=handle,
            transfers=transfers.get(tid, 0), rating=ratings.get(tid),
        ))
        if tid in ended_by and status in ("done", "no_show"):
            user_id, counter_id, at = ended_by[tid]
            if user_id is None or counter_id is None:
                continue
            end = finished if status == "done" and finished is not None else at
            agents.append({
                "user": user_id, "counter": counter_id, "status": status, "handle": handle,
                "busy": max(0.0, _seconds(end, called)) if called is not None else 0.0, "rating": ratings.get(tid),
            })
    return facts, agents


def _counter_time(outlet_id: int, day: date, now: datetime) -> dict[tuple[int, int], list[float]]:
    """(user, counter) -> [open seconds, paused seconds] over the business
    day's span, from the counter event log. An open or paused spell belongs
    to whoever opened the counter; one still going counts until now."""
    start, end = _day_span(day)
    end = min(end, now)
    out: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    state: dict[int, tuple[str, datetime, int | None]] = {}
    events = CounterEvent.objects.filter(outlet_id=outlet_id, at__gte=start, at__lt=end).order_by("at", "id")
    for counter_id, kind, from_state, to_state, actor_id, at in events.values_list(
        "counter_id", "kind", "from_state", "to_state", "actor_id", "at"
    ):
        if counter_id not in state:
            state[counter_id] = (from_state, start, actor_id if from_state != "closed" else None)
        current, since, owner = state[counter_id]
        if owner is not None and current in ("open", "paused"):
            spell = (at - since).total_seconds()
            out[(owner, counter_id)][0] += spell
            if current == "paused":
                out[(owner, counter_id)][1] += spell
        if kind == "opened":
            owner = actor_id
        state[counter_id] = (to_state, at, owner if to_state != "closed" else None)
    for counter_id, (current, since, owner) in state.items():
        if owner is not None and current in ("open", "paused") and end > since:
            spell = (end - since).total_seconds()
            out[(owner, counter_id)][0] += spell
            if current == "paused":
                out[(owner, counter_id)][1] += spell
    return out


def _compute(outlet_id: int, day: date, targets: dict, now: datetime):
    facts, agents = hall_day_facts(outlet_id, day)
    hours: dict[tuple[int, int], Tally] = defaultdict(Tally)
    whole = Tally()
    for f in facts:
        target_issued = targets.get((outlet_id, f.issued_service_id), 600.0)
        target = targets.get((outlet_id, f.service_id), 600.0)
        same = f.issued_service_id == f.service_id
        tally_ticket(hours[(f.issued_service_id, f.hour)], f, target_issued, issued_here=True, ended_here=same)
        if not same:
            tally_ticket(hours[(f.service_id, f.hour)], f, target, issued_here=False, ended_here=True)
        tally_ticket(whole, f, target, issued_here=True, ended_here=True)
    people: dict[tuple[int, int], dict] = defaultdict(lambda: {
        "served": 0, "no_show": 0, "handle_seconds": 0.0, "busy_seconds": 0.0, "paused_seconds": 0.0,
        "open_seconds": 0.0, "ratings": 0, "rating_sum": 0,
    })
    for a in agents:
        row = people[(a["user"], a["counter"])]
        row["served" if a["status"] == "done" else "no_show"] += 1
        row["handle_seconds"] += a["handle"] or 0.0
        row["busy_seconds"] += a["busy"]
        if a["rating"] is not None:
            row["ratings"] += 1
            row["rating_sum"] += a["rating"]
    for key, (open_seconds, paused) in _counter_time(outlet_id, day, now).items():
        people[key]["open_seconds"] += open_seconds
        people[key]["paused_seconds"] += paused
    return hours, whole, people, bool(facts)


def rollups_refresh_day(*, outlet_ids, day: date, now: datetime | None = None) -> RollupWritten:
    """Work out the halls' business day `day` again and replace its rows
    (one transaction per hall). A hall-day without tickets or counter time
    keeps no rows."""
    now = now or timezone.now()
    outlet_ids = list(outlet_ids)
    targets = _targets(outlet_ids)
    written = rows = 0
    for outlet_id in outlet_ids:
        with transaction.atomic():
            # The hall's row orders the writers of its rollups: two refreshes at once
            # read and write one after the other, and the later one reads what the earlier saw.
            Outlet.objects.select_for_update(no_key=True).filter(pk=outlet_id).first()
            hours, whole, people, any_ticket = _compute(outlet_id, day, targets, now)
            ServiceHour.objects.filter(outlet_id=outlet_id, date=day).delete()
            HallDay.objects.filter(outlet_id=outlet_id, date=day).delete()
            AgentDay.objects.filter(outlet_id=outlet_id, date=day).delete()
            ServiceHour.objects.bulk_create([
                ServiceHour(outlet_id=outlet_id, service_id=service_id, date=day, hour=hour, **t.as_fields())
                for (service_id, hour), t in sorted(hours.items())
            ])
            if any_ticket:
                HallDay.objects.create(outlet_id=outlet_id, date=day, **whole.as_fields())
            AgentDay.objects.bulk_create([
                AgentDay(outlet_id=outlet_id, user_id=user_id, counter_id=counter_id, date=day, **figures)
                for (user_id, counter_id), figures in sorted(people.items())
            ])
        written += 1
        rows += len(hours) + any_ticket + len(people)
    return RollupWritten(written, rows)


def rollups_refresh_recent(*, since: datetime, now: datetime | None = None) -> RollupWritten:
    """Work out again the live day of every hall whose tickets or counters
    changed since `since`."""
    now = now or timezone.now()
    # order_by(): without it the events' own ordering (at, id) joins the
    # DISTINCT, and every event of the window comes back instead of each hall once.
    changed = set(TicketEvent.objects.filter(at__gte=since).values_list("outlet_id", flat=True).distinct().order_by())
    changed |= set(CounterEvent.objects.filter(at__gte=since).values_list("outlet_id", flat=True)
                   .distinct().order_by())
    if not changed:
        return RollupWritten()
    hours = halls_with_hours(changed, around=timezone.localdate(now))
    by_day: dict[date, list[int]] = defaultdict(list)
    for outlet_id, day in live_days(sorted(changed), now, halls=hours).items():
        by_day[day].append(outlet_id)
    total = RollupWritten()
    for day, ids in sorted(by_day.items()):
        done = rollups_refresh_day(outlet_ids=sorted(ids), day=day, now=now)
        # The day before, where its tickets ended since (its close, a late finish).
        late = sorted(set(
            Ticket.objects.filter(outlet_id__in=ids, business_date=day - timedelta(days=1), finished_at__gte=since)
            .values_list("outlet_id", flat=True).distinct().order_by()
        ))
        before = rollups_refresh_day(outlet_ids=late, day=day - timedelta(days=1), now=now) if late else RollupWritten()
        total = RollupWritten(total.hall_days + done.hall_days + before.hall_days,
                              total.rows + done.rows + before.rows)
    return total


def halls_with_tickets(day: date) -> list[int]:
    return list(Ticket.objects.filter(business_date=day).values_list("outlet_id", flat=True).distinct().order_by())
