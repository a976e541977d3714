"""Wait estimates: when each waiting ticket will be called, and when a ticket
taken now would be.

The hall is played forward from now, in the order call-next really serves
it: each open counter becomes free when its current ticket is done (the time
left on a ticket being served, a called customer's walk to the counter and
their service), and then takes the ticket its work profile picks among the
services it serves (`profile_key`, the rule call-next applies too: the first
in call order, the first of its services in their order, or the largest
waited time x weight). The order in which the play takes the tickets is
their place in line. A ticket's wait is when a counter takes it. A
counter serving several services thereby counts for each in part, as its
routing and the line decide; the handle times are the hall's own for the
service and the hour (queueing.selectors.handle_stats).

A service no open counter serves waits for one to open: then, as before,
one counter is assumed, with the tickets its planned counters would call
first ahead of it.

Each estimate comes with a range (about 80 % of waits fall in it): the
handle times' spread over the tickets served before it, and a share of the
estimate itself for what no model knows (a counter pausing, a customer who
takes long). The plain position / counters x mean estimate is kept as
`naive_wait_seconds`, for comparison (benchmarks/wait_estimates.py).
"""

import heapq
import math
from collections import deque
from dataclasses import dataclass, field

# A called customer walks to the counter before service starts.
WALK_UP_SECONDS = 30
# A ticket already served longer than its mean: what is left of it.
OVERRUN_SHARE = 0.3
# The range: z for ~80 % two-sided, and the share of the estimate no model knows.
RANGE_Z = 1.28
MODEL_SHARE = 0.15
DEFAULT_CV = 0.6  # a service's handle-time spread (sd / mean) when history says nothing


@dataclass(frozen=True)
class Handle:
    """A service's handle time at a hall: mean and standard deviation, seconds."""

    mean: float
    sd: float

    @classmethod
    def default(cls, mean: float) -> "Handle":
        return cls(mean, DEFAULT_CV * mean)


@dataclass(frozen=True)
class CounterNow:
    """An open counter as the estimate sees it."""

    counter_id: int
    services: frozenset
    # The ticket at it: None, or (service_id, "called" | "serving", seconds since called / started).
    current: tuple | None = None
    # Its work profile (halls.models.RoutingProfile), and the order (strict)
    # and weight (weighted) of each of its services.
    profile: str = "fifo"
    positions: dict | None = None
    weights: dict | None = None


def profile_key(profile: str, positions: dict | None, weights: dict | None, service_id: int, rank: int,
                waited: float) -> tuple:
    """How a counter of `profile` ranks the first waiting ticket of one of its
    services (its priority class `rank`, `waited` seconds since it joined
    the line): the lowest key is called; equal keys go by call order. The
    one rule of call-next (queueing.services.routing) and of the play here.

    fifo: call order alone. strict: the service's place in the counter's
    order first (it beats the priority class). weighted: the priority class,
    then the largest waited time x the service's weight."""
    if profile == "strict":
        return ((positions or {}).get(service_id, 0),)
    if profile == "weighted":
        return (rank, -(weights or {}).get(service_id, 1) * waited)
    return ()


@dataclass(frozen=True)
class Estimate:
    seconds: int
    low: int
    high: int


@dataclass
class LineEstimate:
    tickets: dict = field(default_factory=dict)  # ticket id -> Estimate
    services: dict = field(default_factory=dict)  # service id -> Estimate for a ticket taken now
    taken: list = field(default_factory=list)  # the waiting tickets' ids in the order the counters take them


def naive_wait_seconds(*, position: int, open_counters: int, handle_seconds: float) -> int:
    """Time until a ticket at `position` (1 = next) is called, counting only
    how many counters serve its service and a mean handle time."""
    counters = max(open_counters, 1)
    return int(math.ceil(position / counters) * handle_seconds)


def _busy_for(current, handle: dict) -> float:
    """Seconds until a counter's current ticket is done."""
    if current is None:
        return 0.0
    service_id, status, elapsed = current
    mean = handle[service_id].mean
    if status == "called":
        return max(WALK_UP_SECONDS - elapsed, 0) + mean
    left = mean - elapsed
    return left if left > OVERRUN_SHARE * mean else OVERRUN_SHARE * mean


def _range(seconds: float, served_ahead: float, spread: float, counters: int) -> Estimate:
    """`served_ahead` tickets of spread `spread` (sd, seconds) are served,
    over `counters` counters, before this one."""
    sd = math.sqrt(max(served_ahead, 0)) * spread / max(counters, 1)
    sd = math.sqrt(sd * sd + (MODEL_SHARE * seconds) ** 2)
    return Estimate(int(round(seconds)), int(max(0.0, seconds - RANGE_Z * sd)), int(round(seconds + RANGE_Z * sd)))


def line_estimates(*, counters: list[CounterNow], waiting: list[tuple[int, int]], handle: dict,
                   planned: dict | None = None, services: list | None = None,
                   rest: dict | None = None) -> LineEstimate:
    """Estimates for a hall's line.

    counters: the open counters (paused ones are not serving). waiting: the
    waiting tickets, (ticket id, service id[, priority rank, seconds since
    it joined the line]), in call order (a counter of the weighted profile
    needs the last two; without them it calls in call order). handle:
    service id -> Handle. planned: service id -> the services its planned
    counters call (their routing), for services no open counter serves.
    services: the services to estimate a new ticket for (default: those in
    `handle`). rest: service id -> waiting tickets after those in `waiting`
    (a long line read only in part): played as work the counters share, and
    given no estimate of their own."""
    planned = planned or {}
    rest = rest or {}
    result = LineEstimate()
    by_service: dict[int, deque] = {}
    for index, row in enumerate(waiting):
        by_service.setdefault(row[1], deque()).append(index)
    served = {s for c in counters for s in c.services}
    served_count = {s: sum(1 for c in counters if s in c.services) for s in served}

    # Play the counters forward: the earliest free takes the first ticket it serves.
    heap = [(_busy_for(c.current, handle), i) for i, c in enumerate(counters)]
    heapq.heapify(heap)
    free_at = [t for t, _ in sorted(heap, key=lambda item: item[1])]
    done_before = {}  # service id -> tickets of it started before the line ran out
    while heap:
        at, i = heapq.heappop(heap)
        heads = [by_service[s][0] for s in counters[i].services if by_service.get(s)]
        if not heads:
            free_at[i] = at
            continue
        index = _pick(counters[i], heads, waiting)
        ticket_id, service_id = waiting[index][:2]
        by_service[service_id].popleft()
        result.taken.append(ticket_id)
        count = served_count.get(service_id, 1)
        ahead = done_before.get(service_id, 0)
        result.tickets[ticket_id] = _range(at, ahead + count, handle[service_id].sd, count)
        done_before[service_id] = ahead + 1
        heapq.heappush(heap, (at + handle[service_id].mean, i))

    # A ticket taken now, of each service: the first of its counters to be free
    # once everything ahead of it is taken (the rest of a long line as work
    # shared evenly by the counters that serve it).
    for service_id in services if services is not None else handle:
        if service_id in served:
            at = min(free_at[i] for i, c in enumerate(counters) if service_id in c.services)
            count = served_count[service_id]
            sharing = _sharing(counters, service_id)
            ahead = sum(done_before.get(s, 0) for s in sharing)
            if rest:
                group = sum(1 for c in counters if c.services & sharing)
                work = sum(n * handle[s].mean for s, n in rest.items() if s in sharing)
                at += work / max(group, 1)
                ahead += sum(n for s, n in rest.items() if s in sharing)
            result.services[service_id] = _range(at, ahead + count, handle[service_id].sd, count)

    # Services no open counter serves: one counter is assumed to open.
    for service_id in set(by_service) | set(rest) | set(services if services is not None else handle):
        if service_id in served:
            continue
        rivals = planned.get(service_id, {service_id})
        line = sorted(i for s in rivals for i in _indexes(waiting, s))
        beyond = sum(n for s, n in rest.items() if s in rivals)
        mean = handle[service_id].mean if service_id in handle else 300.0
        spread = handle[service_id].sd if service_id in handle else DEFAULT_CV * mean
        for position, index in enumerate(line, start=1):
            ticket_id, ticket_service = waiting[index][:2]
            if ticket_service == service_id and ticket_id not in result.tickets:
                seconds = naive_wait_seconds(position=position, open_counters=1, handle_seconds=mean)
                result.tickets[ticket_id] = _range(seconds, position, spread, 1)
        seconds = naive_wait_seconds(position=len(line) + beyond + 1, open_counters=1, handle_seconds=mean)
        result.services[service_id] = _range(seconds, len(line) + beyond + 1, spread, 1)
    return result


def _pick(counter: CounterNow, heads: list[int], waiting) -> int:
    """The index (in `waiting`) of the ticket the counter calls among the
    first waiting ticket of each of its services."""
    if counter.profile not in ("strict", "weighted"):
        return min(heads)

    def key(index):
        row = waiting[index]
        rank, waited = (row[2], row[3]) if len(row) > 3 else (1, 0.0)
        return (*profile_key(counter.profile, counter.positions, counter.weights, row[1], rank, waited), index)

    return min(heads, key=key)


def _sharing(counters, service_id) -> set:
    """Every service a counter that serves `service_id` also serves."""
    return {s for c in counters if service_id in c.services for s in c.services}


def _indexes(waiting, service_id):
    return (i for i, row in enumerate(waiting) if row[1] == service_id)


def absent_estimates(result: LineEstimate, line: list[tuple]) -> None:
    """Give the tickets that were not played (their holders not here now:
    queueing.presence) the wait they would have if they were: that of the
    first played ticket of their service after them, whose turn they would
    take, or else a new ticket's; one whose holder stepped away, not before
    they are back. `line`: (ticket id, service id, played, seconds until back)
    in call order. Adds to `result.tickets`."""
    next_played: dict = {}
    for ticket_id, service_id, played, back_in in reversed(line):
        if played:
            next_played[service_id] = ticket_id
            continue
        estimate = result.tickets.get(next_played.get(service_id)) or result.services.get(service_id)
        if estimate is None:
            continue
        shift = max(0, int(math.ceil(back_in)) - estimate.seconds)
        result.tickets[ticket_id] = Estimate(estimate.seconds + shift, estimate.low + shift, estimate.high + shift)
