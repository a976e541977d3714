"""How honest the wait estimates were: replay a hall's event log and, at
every ticket taken, compare what each estimator would have told its holder
with the wait the ticket really had (its first call minus its issue).

Two estimators are compared:
- the hall's estimator (queueing.estimates): the line played forward, with
  the time left on tickets at counters, counters of several services counted
  in part, and handle times learned per service and hour from the weeks
  before the replayed days, moved towards the day's own as they count;
- the naive one: position / counters open for the service x the day's mean
  handle time (the service's default until three are done).

Only what was known at the moment counts: the hall's counters and their
services as configured now (their history is not kept), the line and the
counters' states rebuilt from the event log.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from halls.models import CounterService, HallService
from queueing.estimates import CounterNow, Handle, line_estimates, naive_wait_seconds
from queueing.models import PRIORITY_RANK, CounterEvent, Ticket, TicketEvent
from queueing.selectors import handle_time_rows

LEARN_DAYS = 28
MIN_HISTORY_SAMPLES = 20
MIN_TODAY_SAMPLES = 3
TODAY_PRIOR_SAMPLES = 30
CLOSE_ENOUGH_SECONDS = 120


@dataclass
class Errors:
    n: int = 0
    absolute: float = 0.0
    within: int = 0

    def add(self, estimate: float, actual: float) -> None:
        self.n += 1
        self.absolute += abs(estimate - actual)
        self.within += abs(estimate - actual) <= CLOSE_ENOUGH_SECONDS

    def figures(self) -> dict:
        return {
            "tickets": self.n,
            "mae_seconds": round(self.absolute / self.n, 1) if self.n else None,
            "within_2_minutes": round(self.within / self.n, 4) if self.n else None,
        }


def _learned(outlet_id: int, before: datetime) -> dict:
    """(service, hour) -> Handle from the LEARN_DAYS before `before`."""
    rows = handle_time_rows(since=before - timedelta(days=LEARN_DAYS), until=before, outlet_id=outlet_id)
    return {
        (service_id, int(hour)): Handle(float(mean), float(sd) if sd and float(sd) > 0 else 0.6 * float(mean))
        for _, service_id, hour, n, mean, sd in rows if n >= MIN_HISTORY_SAMPLES and mean is not None
    }


def estimate_accuracy(*, outlet_id: int, since: datetime, until: datetime) -> dict:
    """Replay the hall's tickets taken in [since, until): {"new": figures,
    "naive": figures} where figures are {tickets, mae_seconds,
    within_2_minutes} over the tickets that were called."""
    learned = _learned(outlet_id, since)
    defaults = dict(HallService.objects.filter(outlet_id=outlet_id).values_list(
        "service_id", "service__default_handle_seconds"))
    counter_services = defaultdict(set)
    for counter_id, service_id in CounterService.objects.filter(counter__outlet_id=outlet_id).values_list(
            "counter_id", "service_id"):
        counter_services[counter_id].add(service_id)
    competitors = defaultdict(set)
    for services in counter_services.values():
        for s in services:
            competitors[s] |= services
    waited = dict(
        Ticket.objects.filter(outlet_id=outlet_id, issued_at__gte=since, issued_at__lt=until,
                              first_called_at__isnull=False)
        .values_list("id", "first_called_at")
    )
    ranks = dict(Ticket.objects.filter(outlet_id=outlet_id, issued_at__gte=since, issued_at__lt=until)
                 .values_list("id", "priority"))
    log = sorted(
        [("t", e.at, e.id, e) for e in TicketEvent.objects.filter(outlet_id=outlet_id, at__gte=since, at__lt=until)
         .only("ticket_id", "kind", "service_id", "counter_id", "at", "from_status")]
        + [("c", e.at, e.id, e) for e in CounterEvent.objects.filter(outlet_id=outlet_id, at__gte=since,
                                                                     at__lt=until)],
        key=lambda item: (item[1], item[0] == "t", item[2]),
    )
    new, naive = Errors(), Errors()
    day = None
    for source, at, _, event in log:
        local_day = timezone.localdate(at)
        if local_day != day:
            day = local_day
            counter_state: dict[int, str] = {}
            at_counter: dict[int, tuple] = {}
            waiting: list[tuple] = []  # (rank, issued_at, id, service_id)
            done = defaultdict(list)  # service -> handle seconds of the day
            started: dict[int, datetime] = {}
        if source == "c":
            counter_state[event.counter_id] = event.to_state
            continue
        kind = event.kind
        if kind == "issued":
            rank = PRIORITY_RANK.get(ranks.get(event.ticket_id, "normal"), 1)
            waiting.append((rank, at, event.ticket_id, event.service_id))
            waiting.sort()
            actual = waited.get(event.ticket_id)
            if actual is not None:
                estimate_new, estimate_naive = _estimates(
                    event.ticket_id, event.service_id, at, waiting, counter_state, counter_services, at_counter,
                    competitors, learned, defaults, done)
                seconds = (actual - at).total_seconds()
                new.add(estimate_new, seconds)
                naive.add(estimate_naive, seconds)
        elif kind == "called":
            waiting = [w for w in waiting if w[2] != event.ticket_id]
            at_counter[event.counter_id] = (event.service_id, "called", at)
        elif kind == "started":
            at_counter[event.counter_id] = (event.service_id, "serving", at)
            started[event.ticket_id] = at
        elif kind in ("finished", "no_show", "parked"):
            at_counter.pop(event.counter_id, None)
            if kind == "finished" and event.ticket_id in started:
                done[event.service_id].append((at - started.pop(event.ticket_id)).total_seconds())
        elif kind == "cancelled":
            waiting = [w for w in waiting if w[2] != event.ticket_id]
            if event.counter_id:
                at_counter.pop(event.counter_id, None)
        elif kind == "transferred":
            at_counter.pop(event.counter_id, None)
            waiting.append((1, at, event.ticket_id, event.service_id))
            waiting.sort()
    return {"new": new.figures(), "naive": naive.figures()}


def _estimates(ticket_id, service_id, at, waiting, counter_state, counter_services, at_counter, competitors,
               learned, defaults, done) -> tuple[float, float]:
    hour = timezone.localtime(at).hour
    handle = {}
    for sid, default in defaults.items():
        today = done.get(sid, [])
        base = learned.get((sid, hour))
        if base is not None:
            if len(today) >= MIN_TODAY_SAMPLES:
                weight = len(today) / (len(today) + TODAY_PRIOR_SAMPLES)
                base = Handle((1 - weight) * base.mean + weight * sum(today) / len(today), base.sd)
            handle[sid] = base
        elif len(today) >= MIN_TODAY_SAMPLES:
            handle[sid] = Handle.default(sum(today) / len(today))
        else:
            handle[sid] = Handle.default(float(default))
    open_counters = [c for c, state in counter_state.items() if state == "open"]
    counters = []
    for c in open_counters:
        current = at_counter.get(c)
        if current is not None:
            current = (current[0], current[1], (at - current[2]).total_seconds())
        counters.append(CounterNow(c, frozenset(counter_services.get(c, ())), current))
    line = [(w[2], w[3]) for w in waiting]
    for _, sid in line:
        handle.setdefault(sid, Handle.default(300.0))
    estimates = line_estimates(counters=counters, waiting=line, handle=handle, planned=competitors)
    new = estimates.tickets[ticket_id].seconds

    # Naive: the place among the services its counters call / counters open x the day's mean.
    rivals = competitors.get(service_id, {service_id})
    position = 1 + sum(1 for w in waiting if w[3] in rivals and (w[0], w[1], w[2]) < _key(waiting, ticket_id))
    serving = sum(1 for c in open_counters if service_id in counter_services.get(c, ()))
    today = done.get(service_id, [])
    mean = sum(today) / len(today) if len(today) >= MIN_TODAY_SAMPLES else float(defaults.get(service_id, 300))
    return new, naive_wait_seconds(position=position, open_counters=serving, handle_seconds=mean)


def _key(waiting, ticket_id):
    return next((w[0], w[1], w[2]) for w in waiting if w[2] == ticket_id)
