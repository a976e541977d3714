"""What-if simulation of a hall's day (SimPy), for the manager's questions:
"what if two more people work after 17:00?", "what if one moves from
enterprise to payments?".

A day is simulated event by event:

- arrivals: for each 30-minute slot and service, a Poisson number of
  customers with the forecast's mean, times the day's multiplier, at uniform
  times within the slot (a non-homogeneous Poisson process, piecewise
  constant). The multiplier is gamma-distributed with mean 1 and the given
  coefficient of variation (`day_cv`): days differ by more than Poisson
  noise, as real days do;
- a share of each service's customers are priority customers (vip, care);
- handle times per service: lognormal with the service's mean and CV (or
  exponential, for checks against Erlang C);
- patience: exponential with the service's mean; a customer not called by
  then leaves (None: nobody leaves);
- counters: open over time as the staffing plan says (a roster gives one),
  each serving its services. An idle counter calls the waiting customer of
  the highest priority class among its services, the earliest arrival
  within the class. A counter finishes the customer it is serving when its
  time is up; counters open at closing time keep calling until
  `after_close_minutes` past closing, when whoever still waits is not served.

Over many simulated days the results are each slot's (and service's, and
the day's) service level, average wait and abandonment with 95 % confidence
intervals across days. The service level is the reports': customers called
within the target / (customers called + customers who left or were not
served after waiting longer than the target).

Each day draws from its own random stream (seed, day number), and the
customers of a day (arrival, service, class, handle time, patience) are drawn
before and apart from the counters: two plans simulated with the same seed
meet the same customers, so a what-if's effect is not lost in noise.

Checked against Erlang C in steady state (constant arrivals, identical
counters, exponential handle times, nobody leaving): over 200 simulated
hours the service level agrees within ±0.03 (tests/planning/test_simulation.py),
and against Erlang A with exponential patience.
"""

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time

import numpy as np

SLOT_MINUTES = 30


def minute_of(t: time | int, *, end: bool = False) -> int:
    """Minutes from midnight of a time (an int passes through); with `end`,
    00:00 is midnight at the end of the day."""
    if isinstance(t, int):
        return t
    m = t.hour * 60 + t.minute
    return 24 * 60 if end and m == 0 else m


# --- The day's inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceProfile:
    """`distribution`: "lognormal" (mean `aht_seconds`, coefficient of
    variation `cv`) or "exponential". `patience_seconds`: mean patience,
    None for nobody leaving. `priority_share`: share of priority customers."""

    aht_seconds: float
    cv: float = 0.6
    distribution: str = "lognormal"
    patience_seconds: float | None = None
    target_wait_seconds: float = 600.0
    priority_share: float = 0.0


@dataclass(frozen=True)
class Opening:
    """A counter open from `start` to `end` (minutes from midnight), calling
    `services` (in routing order; the queue order is by class and arrival)."""

    start: int
    end: int
    services: tuple[str, ...]


@dataclass(frozen=True)
class CounterPlan:
    """One staffed counter over the day."""

    openings: tuple[Opening, ...]
    name: str = ""


@dataclass(frozen=True)
class HallDay:
    """`arrivals`: (slot start minute, service) -> expected customers in that
    30-minute slot. `counters`: the staffing plan."""

    opens: int
    closes: int
    arrivals: Mapping[tuple[int, str], float]
    services: Mapping[str, ServiceProfile]
    counters: tuple[CounterPlan, ...]
    day_cv: float = 0.1
    after_close_minutes: int = 30


# --- What-ifs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddCounters:
    """`count` more counters serving `services` from `start` until `end`
    (default: closing time). "Two more people after 17:00":
    AddCounters(2, ("payment",), time(17))."""

    count: int
    services: tuple[str, ...]
    start: time | int
    end: time | int | None = None

    def apply(self, day: HallDay) -> HallDay:
        start = minute_of(self.start)
        end = day.closes if self.end is None else minute_of(self.end, end=True)
        extra = tuple(
            CounterPlan((Opening(start, end, tuple(self.services)),), name=f"+{i + 1}") for i in range(self.count)
        )
        return replace(day, counters=day.counters + extra)


@dataclass(frozen=True)
class MoveCounters:
    """`count` counters that serve `from_service` serve `to_service` instead
    from `start` to `end` (default: the whole day). "Move one from enterprise
    to payments": MoveCounters("enterprise", "payment"). Counters serving
    only `from_service` are moved first; fewer are moved when fewer serve it."""

    from_service: str
    to_service: str
    count: int = 1
    start: time | int | None = None
    end: time | int | None = None

    def apply(self, day: HallDay) -> HallDay:
        start = 0 if self.start is None else minute_of(self.start)
        end = 24 * 60 + day.after_close_minutes if self.end is None else minute_of(self.end, end=True)

        def serves_during(counter: CounterPlan) -> bool:
            return any(o.start < end and start < o.end and self.from_service in o.services for o in counter.openings)

        candidates = sorted(
            (i for i, c in enumerate(day.counters) if serves_during(c)),
            key=lambda i: (min(len(o.services) for o in day.counters[i].openings), i),
        )[: self.count]
        counters = list(day.counters)
        for i in candidates:
            openings = []
            for o in counters[i].openings:
                if self.from_service not in o.services or o.end <= start or end <= o.start:
                    openings.append(o)
                    continue
                others = tuple(s for s in o.services if s not in (self.from_service, self.to_service))
                moved = (self.to_service, *others)
                if o.start < start:
                    openings.append(Opening(o.start, start, o.services))
                openings.append(Opening(max(o.start, start), min(o.end, end), moved))
                if end < o.end:
                    openings.append(Opening(end, o.end, o.services))
            counters[i] = replace(counters[i], openings=tuple(openings))
        return replace(day, counters=tuple(counters))


@dataclass(frozen=True)
class RemoveCounters:
    """`count` counters serving `service` close from `start` to `end`."""

    count: int
    service: str
    start: time | int | None = None
    end: time | int | None = None

    def apply(self, day: HallDay) -> HallDay:
        start = 0 if self.start is None else minute_of(self.start)
        end = 24 * 60 + day.after_close_minutes if self.end is None else minute_of(self.end, end=True)
        chosen = [i for i, c in enumerate(day.counters)
                  if any(o.start < end and start < o.end and self.service in o.services for o in c.openings)]
        counters = list(day.counters)
        for i in chosen[: self.count]:
            openings = []
            for o in counters[i].openings:
                if o.start < start:
                    openings.append(Opening(o.start, min(o.end, start), o.services))
                if end < o.end:
                    openings.append(Opening(max(o.start, end), o.end, o.services))
            counters[i] = replace(counters[i], openings=tuple(openings))
        return replace(day, counters=tuple(counters))


WhatIf = AddCounters | MoveCounters | RemoveCounters


def apply_what_ifs(day: HallDay, changes: Sequence[WhatIf]) -> HallDay:
    """The day with the manager's changes applied, in order."""
    for change in changes:
        day = change.apply(day)
    return day


def plan_from_roster(shifts: Sequence, day: date) -> tuple[CounterPlan, ...]:
    """The staffing plan of a roster's day (queueing.planning.roster.Shift):
    one counter per shift, closed for the break, calling the service each
    slot is assigned to (or all of the shift's services)."""
    counters = []
    for shift in shifts:
        if shift.day != day:
            continue
        start, end = minute_of(shift.start), minute_of(shift.end, end=True)
        off = (minute_of(shift.break_start), minute_of(shift.break_end, end=True)) if shift.break_start else None
        if shift.assignments:
            openings = [
                Opening(minute_of(t), minute_of(t) + SLOT_MINUTES, (service,)) for t, service in shift.assignments
            ]
        else:
            spans = [(start, end)] if off is None else [(start, off[0]), (off[1], end)]
            openings = [Opening(a, b, tuple(shift.services)) for a, b in spans if b > a]
        counters.append(CounterPlan(tuple(_merge(openings)), name=str(shift.staff_id)))
    return tuple(counters)


def _merge(openings: list[Opening]) -> list[Opening]:
    """Adjacent openings with the same services as one."""
    out: list[Opening] = []
    for o in sorted(openings, key=lambda o: o.start):
        if out and out[-1].end == o.start and out[-1].services == o.services:
            out[-1] = Opening(out[-1].start, o.end, o.services)
        else:
            out.append(o)
    return out


# --- One simulated day ------------------------------------------------------------------------


@dataclass
class _Customer:
    arrival: float  # seconds from midnight
    service: str
    rank: int  # 0 priority, 1 normal
    handle: float
    patience: float | None
    waiting: bool = True
    wait: float | None = None
    outcome: str = ""  # served, abandoned, unserved


def _handle_times(rng, profile: ServiceProfile, n: int) -> np.ndarray:
    if profile.distribution == "exponential":
        return rng.exponential(profile.aht_seconds, n)
    sigma2 = math.log(1 + profile.cv**2)
    return rng.lognormal(math.log(profile.aht_seconds) - sigma2 / 2, math.sqrt(sigma2), n)


def draw_customers(day: HallDay, rng) -> list[_Customer]:
    """The day's customers, drawn from `rng` alone (never from the plan)."""
    cv = day.day_cv
    multiplier = rng.gamma(1 / cv**2, cv**2) if cv > 0 else 1.0
    customers = []
    for (slot, service), mean in sorted(day.arrivals.items()):
        profile = day.services[service]
        n = int(rng.poisson(max(0.0, mean) * multiplier))
        if n == 0:
            continue
        times = (slot + rng.random(n) * SLOT_MINUTES) * 60
        handles = _handle_times(rng, profile, n)
        ranks = (rng.random(n) >= profile.priority_share).astype(int)
        patience = rng.exponential(profile.patience_seconds, n) if profile.patience_seconds else [None] * n
        customers += [
            _Customer(float(t), service, int(r), float(h), None if p is None else float(p))
            for t, h, r, p in zip(times, handles, ranks, patience)
        ]
    customers.sort(key=lambda c: c.arrival)
    return customers


def simulate_day(day: HallDay, rng) -> list[_Customer]:
    """One day, event by event; every customer comes back with an outcome."""
    import simpy

    env = simpy.Environment()
    customers = draw_customers(day, rng)
    lines: dict[tuple[str, int], deque[_Customer]] = {
        (s, r): deque() for s in day.services for r in (0, 1)
    }
    # Idle counters, longest idle first: counter number -> (its services, its wake-up event).
    # An arrival wakes one idle counter that serves it; a counter is idle only
    # when nothing waits for any of its services, so no one else needs waking.
    idle: dict[int, tuple[tuple[str, ...], object]] = {}
    close = (day.closes + day.after_close_minutes) * 60

    def give_up(customer):
        def leave(_event):
            if customer.waiting:
                customer.waiting = False
                customer.wait = customer.patience
                customer.outcome = "abandoned"
        return leave

    def arrivals():
        for customer in customers:
            if customer.arrival > env.now:
                yield env.timeout(customer.arrival - env.now)
            lines[(customer.service, customer.rank)].append(customer)
            if customer.patience is not None:
                env.timeout(customer.patience).callbacks.append(give_up(customer))
            for number, (services, wake) in idle.items():
                if customer.service in services:
                    del idle[number]
                    wake.succeed()
                    break

    def next_customer(services: tuple[str, ...]) -> _Customer | None:
        for rank in (0, 1):
            best = None
            for service in services:
                line = lines.get((service, rank))
                while line and not line[0].waiting:
                    line.popleft()  # left already
                if line and (best is None or line[0].arrival < best[0].arrival):
                    best = line
            if best is not None:
                return best.popleft()
        return None

    def counter(number: int, plan: CounterPlan):
        def closing(_event):
            entry = idle.pop(number, None)
            if entry is not None:
                entry[1].succeed()

        for opening in sorted(plan.openings, key=lambda o: o.start):
            start = opening.start * 60
            # A counter open at closing time keeps calling until the day ends.
            end = close if opening.end >= day.closes else opening.end * 60
            if env.now < start:
                yield env.timeout(start - env.now)
            if env.now >= end:
                continue
            env.timeout(end - env.now).callbacks.append(closing)
            while env.now < end:
                customer = next_customer(opening.services)
                if customer is None:
                    wake = env.event()
                    idle[number] = (opening.services, wake)
                    yield wake
                    continue
                customer.waiting = False
                customer.wait = env.now - customer.arrival
                customer.outcome = "served"
                yield env.timeout(customer.handle)

    env.process(arrivals())
    for number, plan in enumerate(day.counters):
        env.process(counter(number, plan))
    env.run(until=close)
    for customer in customers:
        if customer.waiting:
            customer.waiting = False
            customer.wait = close - customer.arrival
            customer.outcome = "unserved"
    return customers


# --- Many days, and what they predict ---------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A mean across simulated days with its 95 % confidence interval (None
    with fewer than two days that have data)."""

    mean: float | None
    low: float | None
    high: float | None
    days: int


@dataclass(frozen=True)
class Prediction:
    """One slot's (or service's, or the day's) prediction: `slot` is the
    slot's start minute or None for the whole day; `service` None for all.
    `service_level` is the reports' (leavers within the target not counted);
    `answered_in_time` the share of all arrivals called within the target
    (Erlang A's service level); `average_wait_seconds` covers everyone,
    until called or gone."""

    slot: int | None
    service: str | None
    arrivals: float
    service_level: Estimate
    average_wait_seconds: Estimate
    abandonment: Estimate
    answered_in_time: Estimate


@dataclass(frozen=True)
class SimulationResult:
    days: int
    slots: tuple[Prediction, ...]
    services: tuple[Prediction, ...]
    day: Prediction
    seconds: float = 0.0
    slot_services: tuple[Prediction, ...] = field(default=())
    windows: Mapping[tuple[int, int, str | None], Prediction] = field(default_factory=dict)

    def slot(self, start: time | int, service: str | None = None) -> Prediction:
        minute = minute_of(start)
        rows = self.slots if service is None else self.slot_services
        return next(p for p in rows if p.slot == minute and p.service == service)

    def service(self, code: str) -> Prediction:
        return next(p for p in self.services if p.service == code)

    def between(self, start: time | int, end: time | int, service: str | None = None) -> Prediction:
        """The prediction for the customers arriving from `start` to `end`."""
        return self.windows[(minute_of(start), minute_of(end, end=True), service)]


def _estimate(values: list[float]) -> Estimate:
    from scipy.stats import t as student

    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0)
    mean = float(np.mean(values))
    if n < 2:
        return Estimate(mean, None, None, 1)
    half = float(student.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
    return Estimate(mean, mean - half, mean + half, n)


def _day_figures(customers: list[_Customer], targets: Mapping[str, float]) -> tuple:
    """(arrivals, service level, average wait of everyone, abandonment,
    answered within the target of all arrivals) of one day's customers; None
    for the ratios when there were none."""
    n = len(customers)
    if n == 0:
        return 0, None, None, None, None
    within = counted = left = 0
    total_wait = 0.0
    for c in customers:
        target = targets[c.service]
        total_wait += c.wait
        if c.outcome == "served":
            counted += 1
            within += c.wait <= target
        else:
            left += c.outcome == "abandoned"
            counted += c.wait > target
    sl = within / counted if counted else 1.0
    return n, sl, total_wait / n, left / n, within / n


def simulate(
    day: HallDay,
    *,
    days: int = 100,
    seed: int = 0,
    changes: Sequence[WhatIf] = (),
    warmup_minutes: int = 0,
    windows: Sequence[tuple[time | int, time | int]] = (),
) -> SimulationResult:
    """Simulate `days` days of `day` with the what-ifs `changes` applied and
    predict per slot, per service and for the day. Customers arriving within
    `warmup_minutes` of opening take part but are not counted (for steady
    state checks). `windows`: extra (start, end) spans to predict for, read
    back with `SimulationResult.between`."""
    import time as clock

    started = clock.monotonic()
    plan = apply_what_ifs(day, changes)
    targets = {code: p.target_wait_seconds for code, p in day.services.items()}
    since = (day.opens + warmup_minutes) * 60
    per_slot: dict[tuple[int | None, str | None], list[tuple]] = {}
    spans = [(minute_of(a), minute_of(b, end=True)) for a, b in windows]
    per_window: dict[tuple[int, int, str | None], list[tuple]] = {}
    for k in range(days):
        rng = np.random.default_rng([seed, k])
        customers = [c for c in simulate_day(plan, rng) if c.arrival >= since]
        groups: dict[tuple[int | None, str | None], list[_Customer]] = {}
        for c in customers:
            slot = int(c.arrival // 60) // SLOT_MINUTES * SLOT_MINUTES
            for key in ((slot, None), (slot, c.service), (None, c.service), (None, None)):
                groups.setdefault(key, []).append(c)
        keys = {(slot, None) for slot in range(day.opens // SLOT_MINUTES * SLOT_MINUTES, day.closes, SLOT_MINUTES)}
        keys |= {(None, s) for s in day.services} | {(None, None)} | set(groups)
        for key in keys:
            per_slot.setdefault(key, []).append(_day_figures(groups.get(key, []), targets))
        for a, b in spans:
            for service in (None, *day.services):
                chosen = [c for c in customers if a * 60 <= c.arrival < b * 60 and service in (None, c.service)]
                per_window.setdefault((a, b, service), []).append(_day_figures(chosen, targets))

    def prediction(slot, service, rows) -> Prediction:
        return Prediction(
            slot=slot,
            service=service,
            arrivals=float(np.mean([r[0] for r in rows])),
            service_level=_estimate([r[1] for r in rows if r[1] is not None]),
            average_wait_seconds=_estimate([r[2] for r in rows if r[2] is not None]),
            abandonment=_estimate([r[3] for r in rows if r[3] is not None]),
            answered_in_time=_estimate([r[4] for r in rows if r[4] is not None]),
        )

    predictions = {key: prediction(*key, rows) for key, rows in per_slot.items()}
    return SimulationResult(
        days=days,
        slots=tuple(
            p for (slot, service), p in sorted(predictions.items(), key=_order) if slot is not None and service is None
        ),
        services=tuple(
            p for (slot, service), p in sorted(predictions.items(), key=_order) if slot is None and service
        ),
        day=predictions[(None, None)],
        seconds=clock.monotonic() - started,
        slot_services=tuple(
            p for (slot, service), p in sorted(predictions.items(), key=_order) if slot is not None and service
        ),
        windows={key: prediction(None, key[2], rows) for key, rows in per_window.items()},
    )


def _order(item):
    (slot, service), _ = item
    return (slot is None, slot or 0, service or "")
