"""Ticket history that looks like a real hall: what a day of a hall's queue
would have written, drawn from a seed.

This module only computes; planning.services.history writes what it draws
(and says which days it skips). For one hall and one business day:

Arrivals. A non-homogeneous Poisson process per service, minute by minute
over the hours the hall is open (its opening hours and dated exceptions,
as the live queue reads them). Its rate is the hall's volume (arrivals on a
reference weekday, 8:30-18:00) times

- the day: Monday busiest, Friday a little up, a weekend day about two
  thirds of a weekday; a 调休 Saturday or Sunday exactly a weekday; a
  public holiday 35 % (the Spring Festival 20 %); see `planning.holidays`
  (outside the years chinese_calendar covers: plain weekday/weekend);
- the time of day: a working day has a lunch peak (around 12:15) and an
  after-work peak (around 17:30) over a flat afternoon; a rest day a broad
  midday and afternoon hump; a 24-hour hall is quiet at night;
- the service: the hall's mix (payment about a third; each hall its own,
  drawn around the city's); payment heavier in the first days of the month
  (bills: x1.9 on the 1st, fading to x1.1 on the 5th), enquiries a little;
  enterprise clients come on working days and before 17:00; handsets,
  new lines and points more at weekends;
- a slow trend (each hall grows or shrinks a few percent a year), and a
  day-to-day wobble of about 5 % (weather, the news).

Serving. Counters open by a staffing plan made from the day's expected load
(arrivals x handle time per half hour): the hall staffs a share (75-95 %,
the hall's own) of the counters that would run them at 85 % occupancy, at
least enough to cover every service by day, always within its counters;
counters open in runs of at least 90 minutes and take a half-hour break on
a long day. So the peaks overflow and the waits are a real queue's. Each
free counter calls the next ticket the way the live queue does: among its
services, vip and care before normal, then the earliest issued. A called
customer walks up (a recall when they are slow), is served for a lognormal
time around the service's default handle time (a little faster when the
line is long), or does not come (a no-show, more likely after a long wait:
2 % plus up to 12 %). A waiting customer gives up after their patience (a
Weibull time, 25-45 minutes on average by hall) and the ticket is cancelled
with reason "customer": the longer the waits, the more leave. No transfers.
Counters stop calling when the business day closes (a 24-hour hall's 45
minutes before, so its night counter is closed before the next day opens)
and close when their line is empty after closing time; whatever still
waits at the close is cancelled "day_closed", as the closing task does.

Determinism. Every draw comes from generators seeded by (seed, hall code,
date) and (seed, hall code) for the hall's profile: a day comes out the
same whichever other days or halls are generated with it (given the same
hall setup and the same numpy).
"""

import functools
import hashlib
import heapq
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from queueing.models import CancelReason, Channel, CounterEventKind, Priority, TicketEventKind, TicketStatus

from .holidays import DayKind, day_kind, holiday_name
from .slots import SLOT_SECONDS, SLOTS, DayWindow, HallSetup, midnight

# --- The city's habits --------------------------------------------------------

# Each service's share of an average hall's arrivals (a hall draws its own around these).
BASE_MIX = {
    "payment": 0.32, "new_line": 0.12, "plan_change": 0.16, "handset": 0.08, "broadband": 0.07,
    "enterprise": 0.03, "points": 0.07, "enquiry": 0.15,
}
OTHER_SHARE = 0.08  # a service the city's mix does not name
# Monday to Friday, relative to a reference weekday.
WEEKDAY_LEVEL = (1.10, 1.00, 0.96, 0.97, 1.04)
REST_LEVEL = {5: 0.68, 6: 0.62}  # Saturday, Sunday
HOLIDAY_LEVEL = 0.35
SPRING_FESTIVAL_LEVEL = 0.20
# Bills arrive at the start of the month: payment (and a few questions about them).
MONTH_START = {"payment": (1.9, 1.7, 1.45, 1.25, 1.1), "enquiry": (1.15, 1.1, 1.05)}
# On a rest day, relative to the hall's level that day.
REST_SERVICE = {"enterprise": 0.25, "handset": 1.35, "new_line": 1.15, "points": 1.1}
DAY_WOBBLE = 0.05  # sd of the log of a day's level
REFERENCE_DAY = date(2026, 1, 1)  # where the trend is 1
REFERENCE_HOURS = (8.5, 18.0)  # the reference weekday's hours, for the volume

TARGET_OCCUPANCY = 0.85
DAY_HOURS = (8.0, 21.0)  # by day, every service has a counter
MIN_RUN_SLOTS = 3  # a counter opens for at least 90 minutes
BREAK_AFTER_SLOTS = 12  # a counter open 6 hours takes a break...
BREAK_SECONDS = 1800  # ...of half an hour
HANDLE_CV = 0.6
HANDLE_CAP_SECONDS = 2400
RUSH_FACTOR = 0.9  # handle time when more than RUSH_PER_COUNTER wait per open counter
RUSH_PER_COUNTER = 3
NO_SHOW_BASE, NO_SHOW_WAIT, NO_SHOW_SCALE = 0.02, 0.12, 1800.0
PATIENCE_SHAPE = 1.5
RECALL_AFTER = 30.0  # seconds between calls
SLOW_WALK = 45.0  # a customer slower than this to the counter is called again
ALL_DAY_STOP_BEFORE = timedelta(minutes=45)
VIP_SHARE, CARE_SHARE = 0.03, 0.02
STAFF_CHANNEL_SHARE = 0.06

TIERS = (("busy", 800), ("average", 300), ("quiet", 0))


def _key(*parts) -> int:
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _rng(seed: int, *parts) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, _key(*parts)]))


# --- A hall's profile -------------------------------------------------------------


@dataclass(frozen=True)
class HallProfile:
    """How busy a hall is and how it works, drawn once per hall and seed.

    `volume`: expected arrivals on a reference weekday (a Tuesday at the
    start of 2026, open 8:30-18:00, not at a month start)."""

    volume: float
    mix: dict[int, float]  # service id -> share of arrivals
    staffing: float  # share of the counters its load needs that the hall opens
    handle_factor: float  # its agents' speed against the services' default handle times
    yearly_growth: float
    patience_seconds: float  # how long its customers wait before giving up, on average

    @property
    def tier(self) -> str:
        return next(name for name, floor in TIERS if self.volume >= floor)


def hall_profile(setup: HallSetup, seed: int) -> HallProfile:
    """The hall's profile: its volume follows its counters (60 customers a
    counter on a reference weekday, times a busyness of 0.55 to 1.2 drawn
    for the hall), so a 20-counter hall sees 650 to 1,450 customers on an
    ordinary weekday (up to about 2,000 on a Monday at the start of a
    month), an 8-counter hall 250 to 600, a 4-counter hall 130 to 300."""
    rng = _rng(seed, setup.code, "profile")
    busyness = float(np.clip(math.exp(rng.normal(0, 0.3)), 0.55, 1.2))
    volume = float(np.clip(len(setup.counters) * 60 * busyness, 60, 2000))
    raw = {s.id: BASE_MIX.get(s.code, OTHER_SHARE) * math.exp(rng.normal(0, 0.25)) for s in setup.services}
    total = sum(raw.values()) or 1.0
    return HallProfile(
        volume=volume,
        mix={sid: share / total for sid, share in raw.items()},
        staffing=float(rng.uniform(0.75, 0.95)),
        handle_factor=float(rng.uniform(0.9, 1.1)),
        yearly_growth=float(rng.uniform(-0.05, 0.15)),
        patience_seconds=float(rng.uniform(25, 45) * 60),
    )


# --- Arrival rates -------------------------------------------------------------------


def _gauss(t, mu, sd):
    return np.exp(-0.5 * ((t - mu) / sd) ** 2)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _shape(working: bool, t: np.ndarray) -> np.ndarray:
    """Relative arrival rate at `t` hours after the day's midnight."""
    night = 0.06 + 0.94 * _sig((t - 7.5) / 0.5) * _sig((21.5 - t) / 0.6)
    if working:
        day = 0.55 + 0.30 * _sig((t - 9.25) / 0.35) + 1.0 * _gauss(t, 12.25, 0.75) + 0.85 * _gauss(t, 17.4, 0.6)
    else:
        day = 0.50 + 0.25 * _sig((t - 9.5) / 0.4) + 0.55 * _gauss(t, 11.75, 1.0) + 0.70 * _gauss(t, 15.0, 1.5)
    return night * day


def _service_shape(code: str, working: bool, t: np.ndarray) -> np.ndarray:
    if code == "enterprise":
        return 0.25 + 0.75 * _sig((16.75 - t) / 0.3)
    if code == "handset":
        return 1.0 + 0.25 * _sig((t - 17.0) / 0.4)
    return np.ones_like(t)


_REFERENCE_MINUTES = (np.arange(REFERENCE_HOURS[0] * 60, REFERENCE_HOURS[1] * 60) + 0.5) / 60


@functools.cache
def _reference_mass(code: str) -> float:
    return float((_shape(True, _REFERENCE_MINUTES) * _service_shape(code, True, _REFERENCE_MINUTES)).sum())


def day_level(day: date) -> float:
    """The hall's level on `day` against a reference weekday (before trend and wobble)."""
    kind = day_kind(day)
    if kind == DayKind.WORKDAY:
        return WEEKDAY_LEVEL[day.weekday()]
    if kind == DayKind.ADJUSTED_WORKDAY:
        return 1.0
    if kind == DayKind.HOLIDAY:
        return SPRING_FESTIVAL_LEVEL if holiday_name(day) == "Spring Festival" else HOLIDAY_LEVEL
    return REST_LEVEL[day.weekday()]


def _service_day_factor(code: str, day: date, working: bool) -> float:
    factor = 1.0
    surge = MONTH_START.get(code, ())
    if day.day <= len(surge):
        factor *= surge[day.day - 1]
    if not working:
        factor *= REST_SERVICE.get(code, 1.0)
    return factor


def _minutes(window: DayWindow) -> np.ndarray:
    """Seconds after the day's midnight at which each open minute starts."""
    base = midnight(window.day)
    spans = [
        np.arange((start - base).total_seconds(), (end - base).total_seconds(), 60.0) for start, end in window.opens
    ]
    return np.concatenate(spans) if spans else np.zeros(0)


def minute_rates(setup: HallSetup, profile: HallProfile, window: DayWindow, *, wobble: float = 1.0):
    """(minute starts in seconds after midnight, expected arrivals per minute: services x minutes)."""
    starts = _minutes(window)
    t = (starts + 30.0) / 3600.0
    day = window.day
    working = day_kind(day) in (DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY)
    level = day_level(day) * (1 + profile.yearly_growth) ** ((day - REFERENCE_DAY).days / 365) * wobble
    base_shape = _shape(working, t)
    rates = np.empty((len(setup.services), len(starts)))
    for i, service in enumerate(setup.services):
        per_minute = profile.volume * profile.mix[service.id] / _reference_mass(service.code)
        rates[i] = (
            per_minute * level * _service_day_factor(service.code, day, working)
            * base_shape * _service_shape(service.code, working, t)
        )
    return starts, rates


def expected_arrivals(setup: HallSetup, profile: HallProfile, window: DayWindow) -> np.ndarray:
    """The day's expected arrivals per service and slot of the day's grid
    (services x SLOTS), without the day's wobble: the pattern history is drawn from."""
    starts, rates = minute_rates(setup, profile, window)
    out = np.zeros((len(setup.services), SLOTS))
    if len(starts):
        slots = np.clip((starts // SLOT_SECONDS).astype(int), 0, SLOTS - 1)
        for i in range(len(setup.services)):
            out[i] = np.bincount(slots, weights=rates[i], minlength=SLOTS)
    return out


def _arrival_times(rng, setup: HallSetup, profile: HallProfile, window: DayWindow):
    """The day's arrivals, in order: (seconds after midnight, service index).
    The first draws of a day's generator: simulate_day and draw_arrivals agree."""
    starts, rates = minute_rates(setup, profile, window, wobble=math.exp(rng.normal(0, DAY_WOBBLE)))
    times, services = [], []
    for i in range(len(setup.services)):
        counts = rng.poisson(rates[i])
        times.append(np.repeat(starts, counts) + rng.uniform(0, 60, counts.sum()))
        services.append(np.full(counts.sum(), i))
    t = np.concatenate(times) if times else np.zeros(0)
    s = np.concatenate(services).astype(int) if services else np.zeros(0, dtype=int)
    order = np.argsort(t, kind="stable")
    return t[order], s[order]


def draw_arrivals(setup: HallSetup, profile: HallProfile, window: DayWindow, *, seed: int) -> np.ndarray:
    """The tickets simulate_day would issue that day, counted per service and
    slot (services x SLOTS), without simulating the serving: for forecasting
    experiments on long histories."""
    out = np.zeros((len(setup.services), SLOTS))
    if not window.is_open:
        return out
    t, s = _arrival_times(_rng(seed, setup.code, window.day.toordinal()), setup, profile, window)
    np.add.at(out, (s, np.clip((t // SLOT_SECONDS).astype(int), 0, SLOTS - 1)), 1)
    return out


# --- What a simulated day gives ----------------------------------------------------


@dataclass
class SimEvent:
    kind: str
    from_status: str
    to_status: str
    counter_id: int | None
    at: datetime
    detail: dict


@dataclass
class SimTicket:
    service_id: int
    prefix: str
    sequence: int
    issued_at: datetime
    priority: str
    channel: str
    status: str = TicketStatus.WAITING
    cancel_reason: str | None = None
    counter_id: int | None = None
    call_count: int = 0
    first_called_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    events: list[SimEvent] = field(default_factory=list)


@dataclass
class SimCounterEvent:
    counter_id: int
    kind: str
    from_state: str
    to_state: str
    reason: str
    at: datetime


@dataclass
class SimulatedDay:
    day: date
    tickets: list[SimTicket]
    counter_events: list[SimCounterEvent]

    @property
    def sequences(self) -> dict[str, int]:
        """The last number of each prefix: what the day's TicketSequence rows hold."""
        last: dict[str, int] = {}
        for ticket in self.tickets:
            last[ticket.prefix] = max(last.get(ticket.prefix, 0), ticket.sequence)
        return last


# --- The staffing plan ------------------------------------------------------------------


def _coverage_order(setup: HallSetup) -> tuple[list[int], int]:
    """Counters in the order they open: first, by number, each that calls a
    service no counter before it calls (together they cover every service);
    then the others by number. Returns (indices into setup.counters, how many cover)."""
    uncovered = set(setup.service_ids)
    first, rest = [], []
    for i, counter in enumerate(setup.counters):
        if uncovered & set(counter.service_ids):
            first.append(i)
            uncovered -= set(counter.service_ids)
        else:
            rest.append(i)
    return first + rest, len(first)


def _smooth(on: np.ndarray) -> np.ndarray:
    """Fill gaps of an hour or less between open runs, then drop runs shorter than MIN_RUN_SLOTS."""
    on = on.copy()
    idx = np.flatnonzero(on)
    if len(idx) == 0:
        return on
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if 1 < b - a <= 3:
            on[a:b] = True
    runs = _runs(on)
    for a, b in runs:
        if b - a < MIN_RUN_SLOTS:
            on[a:b] = False
    return on


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    runs, start = [], None
    for k, value in enumerate(on):
        if value and start is None:
            start = k
        elif not value and start is not None:
            runs.append((start, k))
            start = None
    if start is not None:
        runs.append((start, len(on)))
    return runs


def _staffing_plan(setup, profile, window, expected, rng) -> list[list[tuple[float, str]]]:
    """Per counter (setup order), its planned actions: (seconds after midnight, action)."""
    base = midnight(window.day)
    first_open = (window.first_open - base).total_seconds()
    last_close = (window.last_close - base).total_seconds()
    all_day = window.closes_at - window.first_open >= timedelta(hours=24)
    share = np.zeros(SLOTS)
    for k in range(SLOTS):
        lo, hi = max(k * SLOT_SECONDS, first_open), min((k + 1) * SLOT_SECONDS, last_close)
        share[k] = max(0.0, hi - lo) / SLOT_SECONDS
    aht = np.array([s.handle_seconds * profile.handle_factor for s in setup.services])
    load = (expected * aht[:, None]).sum(axis=0) / SLOT_SECONDS
    count = len(setup.counters)
    wanted = np.clip(np.round(load / TARGET_OCCUPANCY * profile.staffing + 0.3), 1, count)
    order, covering = _coverage_order(setup)
    hours = (np.arange(SLOTS) + 0.5) / 2
    by_day = (hours >= DAY_HOURS[0]) & (hours < DAY_HOURS[1])
    wanted = np.where(by_day, np.maximum(wanted, covering), wanted)
    wanted = np.where(share > 0, wanted, 0)

    plans: list[list[tuple[float, str]]] = [[] for _ in setup.counters]
    # Breaks go to the quietest half hours between 10:30 and 15:00, in turn.
    candidates = [k for k in range(21, 30) if share[k] > 0]
    candidates.sort(key=lambda k: load[k])
    breaks_given = 0
    for rank, i in enumerate(order):
        on = _smooth(wanted > rank) if rank >= covering else wanted > rank
        for a, b in _runs(on):
            start = max(a * SLOT_SECONDS, first_open)
            end = min(b * SLOT_SECONDS, last_close)
            if start > first_open:
                start -= rng.uniform(0, 120)
            elif all_day:
                # A 24-hour hall's counter opens once the day before has closed it.
                start += rng.uniform(0, 120)
            else:
                start -= rng.uniform(0, 300)  # agents sign in before the doors open
            plans[i].append((start, "open"))
            if b - a >= BREAK_AFTER_SLOTS and candidates:
                fitting = [k for k in candidates if a + 2 <= k <= b - 3]
                if fitting:
                    k = fitting[breaks_given % len(fitting)]
                    breaks_given += 1
                    at = k * SLOT_SECONDS + rng.uniform(-300, 300)
                    plans[i].append((at, "pause"))
            plans[i].append((end, "drain" if end >= last_close else "close"))
    return plans


# --- One day -----------------------------------------------------------------------------

ARRIVE, FREE, PLAN, STOP = range(4)


@dataclass
class _Counter:
    id: int
    services: tuple[int, ...]  # indices into setup.services
    state: str = "closed"
    busy: bool = False
    pending: str | None = None  # "pause" or "close" once the customer at it is done
    idle_since: float = 0.0
    drain: bool = False  # past the hall's closing time: close once its lines are empty


def simulate_day(setup: HallSetup, profile: HallProfile, window: DayWindow, *, seed: int) -> SimulatedDay | None:
    """Draw one business day of the hall's queue; None when the hall does not open that day."""
    if not window.is_open or not setup.counters or not setup.services:
        return None
    return _Day(setup, profile, window, seed).run()


class _Day:
    def __init__(self, setup: HallSetup, profile: HallProfile, window: DayWindow, seed: int):
        self.setup, self.profile, self.window = setup, profile, window
        self.rng = _rng(seed, setup.code, window.day.toordinal())
        self.base = midnight(window.day)
        self.close = (window.closes_at - self.base).total_seconds()
        self.last_close = (window.last_close - self.base).total_seconds()
        all_day = window.closes_at - window.first_open >= timedelta(hours=24)
        self.stop = self.close - (ALL_DAY_STOP_BEFORE.total_seconds() if all_day else 0.0)
        self.stopped = False
        self.service_index = {s.id: i for i, s in enumerate(setup.services)}
        self.queue: list = []
        self.tie = 0
        self.heaps: list[list] = [[] for _ in setup.services]
        self.counter_events: list[SimCounterEvent] = []

    # -- time and the event queue

    def at(self, seconds: float) -> datetime:
        return self.base + timedelta(seconds=seconds)

    def push(self, t: float, kind: int, payload) -> None:
        self.tie += 1
        heapq.heappush(self.queue, (t, kind, self.tie, payload))

    # -- drawing the day

    def _arrivals(self) -> None:
        rng = self.rng
        self.t_issue, self.t_service = _arrival_times(rng, self.setup, self.profile, self.window)
        n = len(self.t_issue)
        kind = rng.random(n)
        self.priority = np.where(kind < VIP_SHARE, 0, np.where(kind < VIP_SHARE + CARE_SHARE, 1, 2))
        self.staff_channel = rng.random(n) < STAFF_CHANNEL_SHARE
        scale = self.profile.patience_seconds / math.gamma(1 + 1 / PATIENCE_SHAPE)
        self.abandon_at = self.t_issue + scale * rng.weibull(PATIENCE_SHAPE, n)
        self.walk = 8.0 + rng.lognormal(math.log(16.0), 0.6, n)
        self.wrap = rng.uniform(3.0, 12.0, n)
        self.reaction = rng.uniform(3.0, 10.0, n)
        self.no_show_draw = rng.random(n)
        sigma = math.sqrt(math.log(1 + HANDLE_CV**2))
        means = np.array([s.handle_seconds * self.profile.handle_factor for s in self.setup.services])
        mean = means[self.t_service] if n else np.zeros(0)
        raw = mean * np.exp(rng.normal(-sigma**2 / 2, sigma, n))
        handle = np.clip(raw, 20.0, np.minimum(4 * mean, HANDLE_CAP_SECONDS))
        # Plain floats from here on: the simulation reads them one at a time.
        self.t_issue, self.t_service = self.t_issue.tolist(), self.t_service.tolist()
        self.priority, self.staff_channel = self.priority.tolist(), self.staff_channel.tolist()
        self.abandon_at, self.walk, self.wrap = self.abandon_at.tolist(), self.walk.tolist(), self.wrap.tolist()
        self.reaction, self.no_show_draw, self.handle = (
            self.reaction.tolist(), self.no_show_draw.tolist(), handle.tolist()
        )
        self.tickets: list[SimTicket | None] = [None] * n

    def run(self) -> SimulatedDay:
        self._arrivals()
        expected = expected_arrivals(self.setup, self.profile, self.window)
        plans = _staffing_plan(self.setup, self.profile, self.window, expected, self.rng)
        self.counters = [
            _Counter(c.id, tuple(self.service_index[sid] for sid in c.service_ids if sid in self.service_index))
            for c in self.setup.counters
        ]
        for counter, plan in zip(self.counters, plans, strict=True):
            for t, action in plan:
                self.push(t, PLAN, (counter, action))
        self._make_tickets()
        for i, t in enumerate(self.t_issue):
            self.push(t, ARRIVE, i)
        self.push(float(self.stop), STOP, None)
        while self.queue:
            t, kind, _, payload = heapq.heappop(self.queue)
            if kind == ARRIVE:
                self._arrive(payload, t)
            elif kind == FREE:
                self._free(payload, t)
            elif kind == PLAN:
                self._plan(*payload, t)
            else:
                self._stop(t)
        self._end_of_day()
        return SimulatedDay(self.window.day, self.tickets, self.counter_events)

    def _make_tickets(self) -> None:
        numbers: dict[str, int] = {}
        for i, t in enumerate(self.t_issue):
            service = self.setup.services[self.t_service[i]]
            numbers[service.prefix] = numbers.get(service.prefix, 0) + 1
            priority = (Priority.VIP, Priority.CARE, Priority.NORMAL)[self.priority[i]]
            channel = Channel.STAFF if self.staff_channel[i] else Channel.KIOSK
            ticket = SimTicket(service.id, service.prefix, numbers[service.prefix], self.at(t), priority, channel)
            ticket.events.append(SimEvent(TicketEventKind.ISSUED, "", TicketStatus.WAITING, None, ticket.issued_at,
                                          {"channel": channel, "priority": priority}))
            self.tickets[i] = ticket

    # -- counters

    def _counter_event(self, counter: _Counter, kind: str, to_state: str, t: float, reason: str = "") -> None:
        self.counter_events.append(SimCounterEvent(counter.id, kind, counter.state, to_state, reason, self.at(t)))
        counter.state = to_state

    def _close(self, counter: _Counter, t: float, reason: str = "") -> None:
        if counter.state != "closed":
            self._counter_event(counter, CounterEventKind.CLOSED, "closed", t, reason)
        counter.pending = None

    def _plan(self, counter: _Counter, action: str, t: float) -> None:
        if action == "open":
            if counter.state == "open" and counter.pending == "close":
                counter.pending = None  # its next run starts before its last customer left: it stays open
            elif counter.state == "closed" and not self.stopped:
                self._counter_event(counter, CounterEventKind.OPENED, "open", t)
                counter.drain = False
                self._try_call(counter, t)
        elif action == "pause":
            if counter.state == "open":
                if counter.busy:
                    counter.pending = "pause"
                else:
                    self._pause(counter, t)
        elif action == "resume":
            if counter.state == "paused":
                self._counter_event(counter, CounterEventKind.RESUMED, "open", t)
                self._try_call(counter, t)
        elif action == "close":
            if counter.state == "paused" or (counter.state == "open" and not counter.busy):
                self._close(counter, t)
            elif counter.state == "open":
                counter.pending = "close"
        elif action == "drain":
            counter.drain = True
            if counter.state == "open" and not counter.busy and not self._waiting_for(counter, t):
                self._close(counter, t)

    def _pause(self, counter: _Counter, t: float) -> None:
        self._counter_event(counter, CounterEventKind.PAUSED, "paused", t, "break")
        counter.pending = None
        self.push(t + BREAK_SECONDS + self.rng.uniform(-120, 300), PLAN, (counter, "resume"))

    def _stop(self, t: float) -> None:
        """The day is over for calling: idle counters close, busy ones when done."""
        self.stopped = True
        for counter in self.counters:
            if counter.state == "paused" or (counter.state == "open" and not counter.busy):
                self._close(counter, t, "day_closed")
            elif counter.state == "open":
                counter.pending = "close"

    def _free(self, counter: _Counter, t: float) -> None:
        counter.busy = False
        if counter.pending == "close":
            self._close(counter, t, "day_closed" if self.stopped else "")
        elif counter.pending == "pause":
            self._pause(counter, t)
        else:
            self._try_call(counter, t)

    # -- the queue

    def _drop_abandoned(self, heap: list, t: float) -> None:
        while heap and self.abandon_at[heap[0][2]] <= t:
            i = heapq.heappop(heap)[2]
            self._cancel(i, self.abandon_at[i], CancelReason.CUSTOMER)

    def _waiting_for(self, counter: _Counter, t: float) -> bool:
        for s in counter.services:
            self._drop_abandoned(self.heaps[s], t)
            if self.heaps[s]:
                return True
        return False

    def _next_for(self, counter: _Counter, t: float) -> int | None:
        best = None
        for s in counter.services:
            heap = self.heaps[s]
            self._drop_abandoned(heap, t)
            if heap and (best is None or heap[0] < self.heaps[best][0]):
                best = s
        return None if best is None else heapq.heappop(self.heaps[best])[2]

    def _arrive(self, i: int, t: float) -> None:
        s = self.t_service[i]
        rank = 0 if self.priority[i] < 2 else 1
        heapq.heappush(self.heaps[s], (rank, t, i))
        idle = [c for c in self.counters if c.state == "open" and not c.busy and s in c.services]
        if idle and not self.stopped:
            counter = min(idle, key=lambda c: c.idle_since)
            counter.busy = True  # taken: it calls once the agent sees the ticket
            self.push(t + self.reaction[i], FREE, counter)

    def _try_call(self, counter: _Counter, t: float) -> None:
        if counter.state != "open" or counter.busy:
            return
        if self.stopped:
            self._close(counter, t, "day_closed")
            return
        i = self._next_for(counter, t)
        if i is None:
            counter.idle_since = t
            if counter.drain and t >= self.last_close:
                self._close(counter, t)
            return
        counter.busy = True
        self.push(self._serve(counter, i, t), FREE, counter)

    def _serve(self, counter: _Counter, i: int, t: float) -> float:
        """Call ticket i at the counter at t; returns when the counter is free again."""
        ticket = self.tickets[i]
        cid = counter.id
        wait = t - self.t_issue[i]
        ticket.counter_id = cid
        ticket.first_called_at = ticket.called_at = self.at(t)
        ticket.call_count = 1
        events = ticket.events
        events.append(SimEvent(TicketEventKind.CALLED, TicketStatus.WAITING, TicketStatus.CALLED, cid, self.at(t), {}))
        no_show = NO_SHOW_BASE + NO_SHOW_WAIT * (1 - math.exp(-wait / NO_SHOW_SCALE))
        if self.no_show_draw[i] < no_show:
            recall = t + RECALL_AFTER
            gone = recall + RECALL_AFTER + self.wrap[i]
            self._recall(ticket, cid, recall)
            ticket.status = TicketStatus.NO_SHOW
            ticket.finished_at = self.at(gone)
            events.append(SimEvent(TicketEventKind.NO_SHOW, TicketStatus.CALLED, TicketStatus.NO_SHOW, cid,
                                   ticket.finished_at, {}))
            return gone + 5.0
        walk = self.walk[i]
        if walk > SLOW_WALK:
            self._recall(ticket, cid, t + RECALL_AFTER)
        start = t + walk
        waiting = sum(len(self.heaps[s]) for s in counter.services)
        open_counters = sum(1 for c in self.counters if c.state == "open")
        rush = RUSH_FACTOR if waiting > RUSH_PER_COUNTER * max(open_counters, 1) else 1.0
        finish = start + self.handle[i] * rush
        ticket.started_at = self.at(start)
        ticket.finished_at = self.at(finish)
        ticket.status = TicketStatus.DONE
        events.append(SimEvent(TicketEventKind.STARTED, TicketStatus.CALLED, TicketStatus.SERVING, cid,
                               ticket.started_at, {}))
        events.append(SimEvent(TicketEventKind.FINISHED, TicketStatus.SERVING, TicketStatus.DONE, cid,
                               ticket.finished_at, {}))
        return finish + self.wrap[i]

    def _recall(self, ticket: SimTicket, cid: int, t: float) -> None:
        ticket.call_count += 1
        ticket.called_at = self.at(t)
        ticket.events.append(SimEvent(TicketEventKind.RECALLED, TicketStatus.CALLED, TicketStatus.CALLED, cid,
                                      ticket.called_at, {"call": ticket.call_count}))

    def _cancel(self, i: int, t: float, reason: str) -> None:
        ticket = self.tickets[i]
        ticket.status = TicketStatus.CANCELLED
        ticket.cancel_reason = reason
        ticket.finished_at = self.at(t)
        ticket.events.append(SimEvent(TicketEventKind.CANCELLED, TicketStatus.WAITING, TicketStatus.CANCELLED, None,
                                      ticket.finished_at, {"reason": reason}))

    def _end_of_day(self) -> None:
        """Whatever still waits gave up before the close, or is closed with the day."""
        for heap in self.heaps:
            for _, _, i in sorted(heap):
                if self.abandon_at[i] < self.close:
                    self._cancel(i, self.abandon_at[i], CancelReason.CUSTOMER)
                else:
                    self._cancel(i, self.close, CancelReason.DAY_CLOSED)
            heap.clear()
        for counter in self.counters:
            if counter.state != "closed":  # not expected: every counter closes by the stop
                self._close(counter, self.close, "day_closed")
