"""Which ticket a counter calls next: its work profile over its services.

- A visit parked in the counter's pool, or in the pool of the agent signed in
  to it, whose return time has come is taken before the line (queueing.
  services.pools).
- Then the line, by the counter's profile (halls.models.RoutingProfile): its
  agent's when they have one at the hall, else the counter's own.
  `fifo`: vip and care first, then the longest waiting, across its services
  (one indexed query, as ever). `strict`: its services in their order
  (CounterService.position), the first one's line emptied before the next
  is called; within a turn, call order. `weighted`: vip and care first, then
  the largest waited time x the service's weight.
- A counter serving a service of a shared queue (halls.HallQueue) serves
  the queue's other services too, in the same turn and with the same weight:
  it calls the queue's whole line in call order.

The rule among services is queueing.estimates.profile_key, which the play
of the line that gives places and waits (queueing.selectors.hall_line)
applies too: a ticket's place is the order in which it is really called.
This is the one function that selects (`next_for_counter`): filters on who
may be called (presence, check-in) belong in `_line`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, Max, Min, OuterRef, Subquery

from halls.models import Counter, CounterService, HallService, RoutingProfile, StaffMembership, TransferPlacement

from ..days import hall_day_live
from ..estimates import profile_key
from ..models import CALL_ORDER, Ticket, TicketStatus
from ..presence import callable_now
from ..selectors import pool_owned_by, with_queue_mates
from .presence import tickets_passed_over

# A weighted pick is read without a lock, then locked; when a colleague took
# it meanwhile, the pick is made again, at most this many times.
WEIGHTED_ATTEMPTS = 5


@dataclass(frozen=True)
class CounterSetup:
    """How a counter calls: its profile and, per service it calls (shared
    queues' services included), (position, weight); whether a parked visit
    of its pool (or its agent's) is due back."""

    profile: str
    services: dict
    pool_due: bool = False


def counter_setup(counter: Counter, now: datetime | None = None, day=None) -> CounterSetup:
    """Read now (call-next follows a change at once): one query, and one more
    when one of the counter's services belongs to a shared queue. With `now`
    and `day`, the same query says whether a parked visit is due."""
    agent_profile = (
        StaffMembership.objects.filter(user_id=counter.signed_in_user_id, outlet_id=counter.outlet_id)
        .exclude(profile="").values("profile")[:1]
    )
    hall_queue = HallService.objects.filter(outlet_id=counter.outlet_id, service_id=OuterRef("service_id")) \
        .values("queue_id")[:1]
    annotations = {"agent_profile": Subquery(agent_profile), "hall_queue": Subquery(hall_queue)}
    if now is not None:
        annotations["pool_due"] = Exists(_pool_due(counter, now, day))
    rows = list(
        CounterService.objects.filter(counter_id=counter.pk).order_by().annotate(**annotations)
        .values_list("service_id", "position", "weight", "agent_profile", "hall_queue",
                     *(["pool_due"] if now is not None else []))
    )
    services = {row[0]: (row[1], row[2]) for row in rows}
    queue_ids = {row[4] for row in rows if row[4] is not None}
    if queue_ids:
        queues = dict(HallService.objects.filter(outlet_id=counter.outlet_id, queue_id__in=queue_ids)
                      .values_list("service_id", "queue_id"))
        services = with_queue_mates(services, queues)
    agent = next((row[3] for row in rows if row[3]), None)
    pool_due = now is not None and any(row[5] for row in rows)
    return CounterSetup(agent or counter.profile or RoutingProfile.FIFO, services, pool_due)


def next_for_counter(counter: Counter, now: datetime) -> Ticket | None:
    """The ticket the open, free `counter` calls now, locked (SKIP LOCKED:
    concurrent agents never get the same ticket; a second one takes the next
    instead of waiting), with its service; None when nothing waits for it.
    The caller holds the transaction and the counter's lock."""
    day = hall_day_live(counter.outlet, now)
    setup = counter_setup(counter, now, day)
    if setup.pool_due:
        due = _locked(_pool_due(counter, now, day)).order_by("pool_due_at", "id").first()
        if due is not None:
            return due
    if not setup.services:
        return None
    ticket = _pick(_line(counter, day, now), setup, now)
    if counter.outlet.remote_check_in:
        # Phone tickets whose turn came before their holders arrived: their grace starts.
        tickets_passed_over(outlet_id=counter.outlet_id, service_ids=list(setup.services), business_date=day,
                            called=ticket, now=now)
    return ticket


def _pick(line, setup: CounterSetup, now: datetime) -> Ticket | None:
    """The ticket of `line` the counter's profile takes, locked."""
    if setup.profile == RoutingProfile.STRICT:
        for turn in _turns(setup.services):
            ticket = _locked(line.filter(service_id__in=turn)).order_by(*CALL_ORDER).first()
            if ticket is not None:
                return ticket
        return None
    if setup.profile == RoutingProfile.WEIGHTED:
        return _weighted(line, setup, now)
    return _locked(line.filter(service_id__in=list(setup.services))).order_by(*CALL_ORDER).first()


def _line(counter: Counter, day, now: datetime):
    """The hall's general line of the day that may be called now: the waiting
    tickets not parked in a pool, whose holders are here (queueing.presence:
    the others keep their places and are passed over)."""
    return Ticket.objects.filter(callable_now(now), outlet_id=counter.outlet_id, status=TicketStatus.WAITING,
                                 parked=False, business_date=day)


def _locked(tickets):
    return tickets.select_for_update(no_key=True, skip_locked=True, of=("self",)).select_related("service")


def _turns(services: dict) -> list[list[int]]:
    """The strict profile's turns: the counter's services grouped by position, in order."""
    by_position = {}
    for service_id, (position, _) in services.items():
        by_position.setdefault(position, []).append(service_id)
    return [sorted(by_position[p]) for p in sorted(by_position)]


def _weighted(line, setup: CounterSetup, now: datetime) -> Ticket | None:
    """The largest waited time x weight among the first ticket of each
    service (a service's first ticket is its best: one weight, the longest
    wait); read without a lock, then locked."""
    weights = {service_id: weight for service_id, (_, weight) in setup.services.items()}

    def key(row):
        ticket_id, service_id, rank, queued_at = row
        waited = (now - queued_at).total_seconds()
        return (*profile_key(RoutingProfile.WEIGHTED, None, weights, service_id, rank, waited),
                rank, queued_at, ticket_id)

    passed = set()
    for _ in range(WEIGHTED_ATTEMPTS):
        heads = [
            row for row in (
                line.filter(service_id=service_id).exclude(pk__in=passed).order_by(*CALL_ORDER)
                .values_list("id", "service_id", "priority_rank", "queued_at").first()
                for service_id in sorted(setup.services)
            ) if row is not None
        ]
        if not heads:
            return None
        pick = min(heads, key=key)[0]
        ticket = _locked(line.filter(pk=pick)).first()
        if ticket is not None:
            return ticket
        passed.add(pick)  # a colleague has it (or just took it)
    return _locked(line.filter(service_id__in=list(setup.services))).order_by(*CALL_ORDER).first()


def _pool_due(counter: Counter, now: datetime, day):
    """The parked visits of the counter's pool, or of its agent's, whose
    return time has come."""
    return Ticket.objects.filter(pool_owned_by(counter), outlet_id=counter.outlet_id, parked=True,
                                 status=TicketStatus.WAITING, business_date=day, pool_due_at__lte=now)


def transfer_queued_at(ticket: Ticket, target: HallService, placement: str, now: datetime) -> datetime:
    """Where a ticket transferred to `target` stands in its new line (the
    target service's, with its shared queue's other services): `front`
    just ahead of the first waiting ticket of its priority class, `back`
    just after the last one (and not before now), `keep` where its issue
    time puts it (its `queued_at` unchanged)."""
    if placement == TransferPlacement.KEEP:
        return ticket.queued_at
    services = [target.service_id]
    if target.queue_id is not None:
        services = list(HallService.objects.filter(queue_id=target.queue_id).values_list("service_id", flat=True))
    line = Ticket.objects.filter(outlet_id=ticket.outlet_id, status=TicketStatus.WAITING, parked=False,
                                 business_date=ticket.business_date, service_id__in=services,
                                 priority_rank=ticket.priority_rank).exclude(pk=ticket.pk)
    tick = timedelta(microseconds=1)
    if placement == TransferPlacement.FRONT:
        first = line.aggregate(first=Min("queued_at"))["first"]
        return ticket.queued_at if first is None else min(ticket.queued_at, first - tick)
    last = line.aggregate(last=Max("queued_at"))["last"]
    return now if last is None else max(now, last + tick)
