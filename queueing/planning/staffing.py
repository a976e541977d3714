"""How many counters a hall needs, half hour by half hour, and how many its
roster gives: the reads behind the planning page, the staffing API, the
week's roster requirement and the predictive warnings.

For one business day of a hall (`hall_staffing`):

1. Arrivals per service and slot: the stored forecast (the nightly one, as
   re-forecast through the day; planning.services.forecasts).
2. Handle time per service and hour: learned from the hall's finished
   tickets (queueing.HandleTime, nightly), else the service's default.
3. Pools: services that the hall's counters call together are staffed
   together. Two services belong to one pool when some counter calls both
   (the connected groups of the hall's counter setup); a service no counter
   calls is a pool of its own. A pool is staffed by Erlang C on its pooled
   stream (planning.erlang.pool: arrivals add up, handle times mix by
   arrivals); in a pooled line everyone's wait has one distribution, so the
   share called in time is the arrivals-weighted mean over the services'
   own target waits. Never below what its busiest service would need alone:
   pooling helps only as far as counters really share the work.
4. Counters at the counter per slot for the target (PLANNING_TARGET_SERVICE_LEVEL
   of customers called within each service's target wait); counters to
   roster = that / (1 - PLANNING_SHRINKAGE), divided first and rounded up
   once (the time people are away from the counter besides their planned
   break). While the hall is open at least one counter is.
5. Erlang A beside it: customers leave when the wait is long, with the mean
   patience learned from the hall's history (everyone's waiting time over
   the number who left). Fewer counters meet the target when some leave;
   PLANNING_STAFFING_MODEL says which one the plan uses (Erlang C by
   default: it plans for everyone who comes).
6. A pool's counters are shared among its services in proportion to their
   load (largest remainders), so that each service has a requirement the
   roster solver can staff with the people skilled in it.
7. Planned: the roster's people on duty in the slot (their shift, less their
   break), and for each service those who serve it: what they are skilled in
   (every service without skills), or the services a manager set on the
   shift by hand.

Limits: Erlang C takes each half hour as steady (a surge inside a slot is
averaged), treats handle times as exponential and a pool's counters as
interchangeable; the what-if simulation (planning.simulation) takes the real
mixture, routing and people who leave.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from math import floor

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.utils import timezone

from config.cache import cached
from halls.models import Outlet, StaffMembership
from queueing.days import business_day_live
from queueing.models import CancelReason, HandleTime, Ticket, TicketStatus

from . import erlang, simulation
from .models import RosterShift, RosterShiftSource
from .selectors import arrivals_actual, forecast_for_day, hall_setup
from .slots import SLOT, HallSetup, midnight

MODELS = ("erlang_c", "erlang_a")


@dataclass(frozen=True)
class Pool:
    """Services staffed together (their codes), named after its busiest."""

    name: str
    services: tuple[str, ...]


@dataclass
class ServiceSlot:
    forecast: float = 0.0
    actual: int | None = None
    required: int = 0
    scheduled: int = 0


@dataclass
class SlotStaffing:
    start: datetime
    forecast: float
    actual: int | None
    # Counters to roster (after shrinkage) by the plan's model, by Erlang C and by Erlang A.
    required: int
    required_erlang_c: int
    required_erlang_a: int
    scheduled: int
    services: dict[str, ServiceSlot] = field(default_factory=dict)
    # pool name -> (counters to roster by the plan's model, people on duty serving it)
    pools: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def short(self) -> int:
        return max(0, self.required - self.scheduled)


@dataclass
class HallStaffing:
    outlet: Outlet
    day: date
    model: str
    target_service_level: float
    shrinkage: float
    patience_seconds: float | None
    pools: tuple[Pool, ...]
    handle_seconds: dict[str, float]
    slots: list[SlotStaffing]
    has_forecast: bool
    counters: int = 0  # the hall's counters: the most that can be open at once

    @property
    def required_hours(self) -> float:
        return sum(s.required for s in self.slots) * SLOT.total_seconds() / 3600

    @property
    def scheduled_hours(self) -> float:
        return sum(s.scheduled for s in self.slots) * SLOT.total_seconds() / 3600

    def requirement(self) -> dict[tuple[date, time, str], int]:
        """(day, slot start, service code) -> counters, as the roster solver
        takes it: never more in a slot than the hall has counters (people
        beyond them would have nowhere to sit), shared among the services as
        the requirement is."""
        out = {}
        for s in self.slots:
            wanted = {code: row.required for code, row in s.services.items()}
            if self.counters and sum(wanted.values()) > self.counters:
                wanted = share(self.counters, wanted)
            at = timezone.localtime(s.start).time()
            out.update({(self.day, at, code): n for code, n in wanted.items() if n})
        return out

    @property
    def over_capacity(self) -> list["SlotStaffing"]:
        """Slots that need more counters than the hall has."""
        return [s for s in self.slots if self.counters and s.required > self.counters]


# --- Pools ---------------------------------------------------------------------------------


def hall_pools(setup: HallSetup, load: dict[str, float] | None = None) -> tuple[Pool, ...]:
    """The hall's services grouped by the counters that call them together."""
    code_of = {s.id: s.code for s in setup.services}
    parent = {code: code for code in code_of.values()}

    def root(code):
        while parent[code] != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    for counter in setup.counters:
        codes = [code_of[sid] for sid in counter.service_ids if sid in code_of]
        for other in codes[1:]:
            parent[root(other)] = root(codes[0])
    groups: dict[str, list[str]] = defaultdict(list)
    order = [s.code for s in setup.services]
    for code in order:
        groups[root(code)].append(code)
    load = load or {}
    pools = []
    for members in groups.values():
        busiest = max(members, key=lambda c: (load.get(c, 0.0), -order.index(c)))
        pools.append(Pool(busiest, tuple(members)))
    return tuple(sorted(pools, key=lambda p: order.index(p.services[0])))


# --- What the history says ----------------------------------------------------------------


def hall_handle_seconds(outlet_id: int, setup: HallSetup) -> dict[tuple[str, int], float]:
    """(service code, hour) -> mean handle seconds learned at the hall."""
    code_of = {s.id: s.code for s in setup.services}
    return {
        (code_of[sid], hour): mean
        for sid, hour, mean in HandleTime.objects.filter(outlet_id=outlet_id, samples__gte=5).values_list(
            "service_id", "hour", "mean_seconds"
        )
        if sid in code_of and mean > 0
    }


PATIENCE_CACHE_SECONDS = 6 * 3600


def hall_patience_seconds(outlet_id: int, *, now: datetime | None = None, weeks: int | None = None) -> float | None:
    """Mean patience of the hall's customers (erlang.patience_from_history) over
    the last `weeks`: everyone's time in line (until called, or until they
    left) over the number who left. None when nobody left. Worked out once
    in a while per hall and day (it reads weeks of tickets)."""
    today = timezone.localdate(now or timezone.now())
    weeks = weeks or settings.PLANNING_HISTORY_WEEKS
    found = cached(f"planning:patience:{outlet_id}:{today.isoformat()}:{weeks}",
                   lambda: {"seconds": _patience(outlet_id, today, weeks)}, PATIENCE_CACHE_SECONDS)
    return found["seconds"]


def _patience(outlet_id: int, today: date, weeks: int) -> float | None:
    tickets = Ticket.objects.filter(outlet_id=outlet_id, business_date__range=(today - timedelta(weeks=weeks), today))
    waited = tickets.filter(first_called_at__isnull=False).aggregate(
        total=Sum(ExpressionWrapper(F("first_called_at") - F("issued_at"), output_field=DurationField()))
    )["total"]
    left = tickets.filter(status=TicketStatus.CANCELLED, cancel_reason=CancelReason.CUSTOMER,
                          first_called_at__isnull=True, finished_at__isnull=False)
    gone = left.aggregate(
        n=Count("id"), total=Sum(ExpressionWrapper(F("finished_at") - F("issued_at"), output_field=DurationField()))
    )
    if not gone["n"]:
        return None
    seconds = sum(d.total_seconds() for d in (waited, gone["total"]) if d is not None)
    return seconds / gone["n"]


# --- Counters needed ---------------------------------------------------------------------------


def _agents(streams: list[erlang.Stream], target: float, patience: float | None, model: str) -> int:
    """The fewest counters at which the pooled line calls `target` of its
    customers within their own service's target wait. In a pooled line
    (first come, first served) everyone's wait has the same distribution, so
    the share in time is the arrivals-weighted mean of P(wait <= each
    service's target). Erlang A searches from Erlang C's answer (people who
    leave shorten the line: usually as many counters or fewer)."""
    pooled = erlang.pool(streams)
    if pooled.arrivals_per_hour <= 0:
        return 0
    return _pooled_agents(
        round(pooled.arrivals_per_hour, 3), round(pooled.aht_seconds, 1),
        tuple(sorted(_weights(streams, pooled.arrivals_per_hour).items())), target,
        None if patience is None else round(patience), model,
    )


def _weights(streams, arrivals: float) -> dict[float, float]:
    """Target wait -> the share of the pool's arrivals with that target."""
    out: dict[float, float] = defaultdict(float)
    for s in streams:
        out[float(s.target_wait_seconds)] += s.arrivals_per_hour / arrivals
    return {t: round(w, 4) for t, w in out.items()}


@lru_cache(maxsize=20_000)
def _pooled_agents(arrivals: float, aht: float, weights: tuple, target: float, patience, model: str) -> int:
    load = erlang.offered_load(arrivals, aht)

    def level_c(n: int) -> float:
        return sum(w * erlang.service_level(n, load, aht, t) for t, w in weights)

    def level_a(n: int) -> float:
        return sum(w * erlang.erlang_a(n, arrivals, aht, patience, t).service_level for t, w in weights)

    n = floor(load) + 1
    while level_c(n) < target and n < erlang.MAX_AGENTS:
        n += 1
    if model != "erlang_a":
        return n
    while n < erlang.MAX_AGENTS and level_a(n) < target:
        n += 1
    while n > 1 and level_a(n - 1) >= target:
        n -= 1
    return n


def pool_requirement(streams: dict[str, erlang.Stream], target: float, patience: float | None,
                     model: str) -> int:
    """Counters at the counter for a pool: its pooled stream's, and at least
    what its busiest service needs alone."""
    active = [s for s in streams.values() if s.arrivals_per_hour > 0]
    if not active:
        return 0
    busiest = max(active, key=lambda s: s.load_erlangs)
    return max(_agents([busiest], target, patience, model), _agents(active, target, patience, model))


def share(total: int, weights: dict[str, float]) -> dict[str, int]:
    """`total` counters shared in proportion to `weights` (largest
    remainders; ties to the earlier key)."""
    positive = {k: w for k, w in weights.items() if w > 0}
    if total <= 0 or not positive:
        return {k: 0 for k in weights}
    whole = sum(positive.values())
    exact = {k: total * w / whole for k, w in positive.items()}
    out = {k: floor(v) for k, v in exact.items()}
    left = total - sum(out.values())
    order = sorted(positive, key=lambda k: (-(exact[k] - out[k]), list(weights).index(k)))
    for k in order[:left]:
        out[k] += 1
    return {k: out.get(k, 0) for k in weights}


def _scheduled(outlet_id: int, day: date) -> list[tuple[datetime, datetime, datetime | None, datetime | None, set]]:
    """The day's shifts as (start, end, break start, break end, the service
    codes the person serves; empty: any). A person serves what they are
    skilled in (their membership's skills; none: every service), unless a
    manager set the shift's services by hand: then those."""
    out = []
    base = midnight(day)
    skills: dict[int, set[str]] = defaultdict(set)
    for user_id, code in StaffMembership.objects.filter(outlet_id=outlet_id, skills__isnull=False).values_list(
        "user_id", "skills__code"
    ):
        skills[user_id].add(code)

    def at(t: time | None, *, end: bool = False) -> datetime | None:
        if t is None:
            return None
        moment = base + timedelta(hours=t.hour, minutes=t.minute)
        return moment + timedelta(days=1) if end and t == time(0) else moment

    for shift in RosterShift.objects.filter(outlet_id=outlet_id, date=day).prefetch_related("services"):
        chosen = {s.code for s in shift.services.all()} if shift.source == RosterShiftSource.MANAGER else set()
        out.append((at(shift.starts), at(shift.ends, end=True), at(shift.break_starts), at(shift.break_ends),
                    chosen or skills.get(shift.user_id, set())))
    return out


def _on_duty(shift, start: datetime, end: datetime) -> bool:
    s, e, bs, be, _ = shift
    if not (s <= start and end <= e):
        return False
    return not (bs is not None and be is not None and bs < end and start < be)


def hall_staffing(*, outlet: Outlet, day: date, model: str | None = None, now: datetime | None = None,
                  with_actual: bool = True) -> HallStaffing:
    """The hall's day slot by slot (one row per half hour it is open):
    arrivals forecast (and taken so far), counters required and planned."""
    model = model or settings.PLANNING_STAFFING_MODEL
    target = settings.PLANNING_TARGET_SERVICE_LEVEL
    shrinkage = settings.PLANNING_SHRINKAGE
    setup = hall_setup(outlet_id=outlet.pk)
    services = {s.code: s for s in setup.services}
    targets = dict(outlet.hall_services.filter(is_active=True).values_list("service__code", "target_wait_seconds"))
    window = setup.window(day)
    forecast = forecast_for_day(outlet.pk, day)
    actual = arrivals_actual(outlet.pk, day) if with_actual else {}
    local_now = timezone.localtime(now or timezone.now())
    learned = hall_handle_seconds(outlet.pk, setup)
    patience = hall_patience_seconds(outlet.pk, now=now)
    shifts = _scheduled(outlet.pk, day)

    by_slot: dict[datetime, dict[str, float]] = defaultdict(dict)
    for code, rows in forecast.items():
        for start, arrivals in rows:
            by_slot[timezone.localtime(start)][code] = arrivals
    taken: dict[datetime, dict[str, int]] = defaultdict(dict)
    for code, rows in actual.items():
        for start, n in rows:
            taken[timezone.localtime(start)][code] = n
    by_slot = {start: {c: n for c, n in row.items() if c in services} for start, row in by_slot.items()}
    load_total: dict[str, float] = defaultdict(float)
    arrivals_total: dict[str, float] = defaultdict(float)
    for start, row in by_slot.items():
        for code, arrivals in row.items():
            load_total[code] += arrivals * learned.get((code, start.hour), services[code].handle_seconds)
            arrivals_total[code] += arrivals
    pools = hall_pools(setup, load_total)

    slots = []
    if window.is_open:
        first = midnight(day) + ((window.first_open - midnight(day)) // SLOT) * SLOT
        start = first
        while start < window.last_close:
            end = start + SLOT
            if any(o < end and start < c for o, c in window.opens):
                known = start <= local_now and with_actual
                slots.append(_slot(start, end, by_slot.get(start, {}), taken.get(start, {}) if known else None,
                                   services, targets, learned, pools, patience, target, shrinkage, model, shifts))
            start = end
    return HallStaffing(
        outlet=outlet, day=day, model=model, target_service_level=target, shrinkage=shrinkage,
        patience_seconds=patience, pools=pools,
        handle_seconds={
            code: load_total[code] / arrivals_total[code] if arrivals_total[code] else s.handle_seconds
            for code, s in services.items()
        },
        slots=slots, has_forecast=bool(forecast), counters=len(setup.counters),
    )


def _slot(start, end, forecast, taken, services, targets, learned, pools, patience, target, shrinkage, model,
          shifts) -> SlotStaffing:
    """One half hour; `taken`: tickets taken in it per service, None for a slot still to come."""
    rows = {code: ServiceSlot(forecast=round(forecast.get(code, 0.0), 2)) for code in services}
    if taken is not None:
        for code in rows:
            rows[code].actual = taken.get(code, 0)
    needed = {}
    pool_rows: dict[str, int] = {}
    for m in MODELS:
        total = 0
        for p in pools:
            streams = {
                code: erlang.Stream(
                    forecast.get(code, 0.0) * 3600 / SLOT.total_seconds(),
                    learned.get((code, start.hour), services[code].handle_seconds),
                    targets.get(code) or services[code].target_wait_seconds,
                )
                for code in p.services
            }
            at_counter = pool_requirement(streams, target, patience, m)
            rostered = erlang.agents_with_shrinkage(at_counter, shrinkage) if at_counter else 0
            total += rostered
            if m == model:
                pool_rows[p.name] = rostered
                for code, n in share(rostered, {c: s.load_erlangs for c, s in streams.items()}).items():
                    rows[code].required = n
        needed[m] = total
    if not forecast:
        # Nothing forecast for the slot (none for the day, or the hall was not expected open): nothing required.
        return SlotStaffing(start=start, forecast=0.0, actual=None if taken is None else sum(taken.values()),
                            required=0, required_erlang_c=0, required_erlang_a=0, scheduled=0, services=rows)
    if needed[model] == 0 and pools:
        # Open, nobody expected: one counter still opens, for the first pool's busiest service.
        needed[model] = max(needed[model], 1)
        rows[pools[0].name].required = 1
        pool_rows[pools[0].name] = 1
    needed = {m: max(1, n) for m, n in needed.items()}
    on_duty = [s for s in shifts if _on_duty(s, start, end)]
    for code in rows:
        rows[code].scheduled = sum(1 for s in on_duty if not s[4] or code in s[4])
    serving = {
        p.name: (pool_rows.get(p.name, 0), sum(1 for s in on_duty if not s[4] or s[4] & set(p.services)))
        for p in pools
    }
    return SlotStaffing(
        start=start,
        forecast=round(sum(forecast.values()), 2),
        actual=None if taken is None else sum(taken.values()),
        required=needed[model],
        required_erlang_c=needed["erlang_c"],
        required_erlang_a=needed["erlang_a"],
        scheduled=len(on_duty),
        services=rows,
        pools=serving,
    )


# --- What the next hours need: the predictive warnings' outlook ------------------------------------

OUTLOOK_CACHE_SECONDS = 40 * 60


@dataclass(frozen=True)
class OutlookSlot:
    """A half hour still to come today, for one pool of services: counters
    the plan requires then, and the roster's people on duty serving it
    (None: the hall has no roster that day)."""

    start: datetime
    pool: str
    services: tuple[str, ...]
    required: int
    planned: int | None


def hall_outlook(*, outlet: Outlet, now: datetime | None = None) -> list[OutlookSlot]:
    """The rest of the hall's live day, per half hour and pool, by its
    current forecast (re-forecast through the day) and roster."""
    now = now or timezone.now()
    day = business_day_live(outlet, now)
    staffing = hall_staffing(outlet=outlet, day=day, now=now, with_actual=False)
    rostered = any(s.scheduled for s in staffing.slots)
    return [
        OutlookSlot(s.start, p.name, p.services, s.pools.get(p.name, (0, 0))[0],
                    s.pools.get(p.name, (0, 0))[1] if rostered else None)
        for s in staffing.slots
        if s.start + SLOT > now
        for p in staffing.pools
    ]


def _outlook_key(outlet_id: int) -> str:
    return f"planning:outlook:{outlet_id}"


def outlook_keep(outlet_id: int, outlook: list[OutlookSlot]) -> None:
    """Keep the hall's outlook for the warnings (refreshed with each re-forecast)."""
    try:
        cache.set(_outlook_key(outlet_id), outlook, OUTLOOK_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - the cache is an optimisation; the next re-forecast tries again
        pass


def outlooks_kept(outlet_ids) -> dict[int, list[OutlookSlot]]:
    """The outlooks kept for these halls (a hall without one is left out)."""
    ids = list(outlet_ids)
    try:
        found = cache.get_many([_outlook_key(pk) for pk in ids])
    except Exception:  # noqa: BLE001
        return {}
    return {pk: found[_outlook_key(pk)] for pk in ids if _outlook_key(pk) in found}


def pool_of(staffing: HallStaffing, code: str) -> Pool | None:
    return next((p for p in staffing.pools if code in p.services), None)


def services_short(staffing: HallStaffing, since: datetime, until: datetime) -> list[tuple[SlotStaffing, str]]:
    """(slot, service code) where the requirement passes the plan between
    `since` and `until`."""
    return [
        (s, code)
        for s in staffing.slots
        if since <= s.start < until
        for code, row in s.services.items()
        if row.required > row.scheduled
    ]



# --- The day as the what-if simulation takes it ------------------------------------------------


@dataclass(frozen=True)
class SimulatedDay:
    """A hall's day for planning.simulation, and where its counters come
    from: "roster" (each shift a counter, closed for its break, calling the
    shift's services) or "requirement" (no roster that day: as many counters
    as the plan requires, slot by slot, each calling its pool's services)."""

    day: simulation.HallDay
    plan: str
    people: int


def simulated_day(staffing: HallStaffing) -> SimulatedDay | None:
    """The day of `staffing` ready to simulate; None when the hall is closed
    that day or nothing is forecast."""
    if not staffing.slots or not staffing.has_forecast:
        return None
    base = midnight(staffing.day)

    def minute(moment: datetime) -> int:
        return int((timezone.localtime(moment).replace(tzinfo=None) - base.replace(tzinfo=None)).total_seconds()
                   // 60)

    setup_services = {s.code: s for s in hall_setup(outlet_id=staffing.outlet.pk).services}
    sds = {
        code: sd / mean
        for code, mean, sd in _handle_spread(staffing.outlet.pk, setup_services)
    }
    targets = dict(staffing.outlet.hall_services.filter(is_active=True).values_list("service__code",
                                                                                     "target_wait_seconds"))
    profiles = {
        code: simulation.ServiceProfile(
            aht_seconds=staffing.handle_seconds[code],
            cv=min(1.5, max(0.2, sds.get(code, 0.6))),
            patience_seconds=staffing.patience_seconds,
            target_wait_seconds=targets.get(code) or setup_services[code].target_wait_seconds,
        )
        for code in staffing.handle_seconds
    }
    arrivals = {
        (minute(s.start), code): row.forecast
        for s in staffing.slots
        for code, row in s.services.items()
        if row.forecast > 0
    }
    every = tuple(profiles)
    shifts = _scheduled(staffing.outlet.pk, staffing.day)
    if shifts:
        counters = []
        for start, end, break_start, break_end, codes in shifts:
            services = tuple(c for c in every if not codes or c in codes)
            spans = [(start, end)] if break_start is None else [(start, break_start), (break_end, end)]
            openings = tuple(simulation.Opening(minute(a), minute(b), services) for a, b in spans if b > a)
            counters.append(simulation.CounterPlan(openings))
        plan, people = "roster", len(shifts)
    else:
        counters = []
        pool_of_code = {code: p for p in staffing.pools for code in p.services}
        for s in staffing.slots:
            for code, row in s.services.items():
                for _ in range(row.required):
                    counters.append(simulation.CounterPlan((
                        simulation.Opening(minute(s.start), minute(s.start) + 30, pool_of_code[code].services),
                    )))
        plan, people = "requirement", max((s.required for s in staffing.slots), default=0)
    first = minute(staffing.slots[0].start)
    last = minute(staffing.slots[-1].start) + 30
    return SimulatedDay(
        simulation.HallDay(opens=first, closes=last, arrivals=arrivals, services=profiles, counters=tuple(counters)),
        plan,
        people,
    )


def _handle_spread(outlet_id: int, services: dict) -> list[tuple[str, float, float]]:
    """(service code, mean, sd) of the hall's learned handle times, pooled over the hours."""
    code_of = {s.id: s.code for s in services.values()}
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for sid, mean, sd, n in HandleTime.objects.filter(outlet_id=outlet_id).values_list(
        "service_id", "mean_seconds", "sd_seconds", "samples"
    ):
        if sid in code_of and n:
            row = sums[code_of[sid]]
            row[0] += n
            row[1] += n * mean
            row[2] += n * (sd * sd + mean * mean)
    out = []
    for code, (n, total, squares) in sums.items():
        mean = total / n
        out.append((code, mean, max(0.0, squares / n - mean * mean) ** 0.5))
    return [row for row in out if row[1] > 0]
