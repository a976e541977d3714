"""A hall's weekly roster (排班): who works when, on which services, with
breaks, by OR-Tools CP-SAT. Pure: dataclasses in, dataclasses out, no database.

The requirement is counters per 30-minute slot and service (what Erlang C asks
of each service's forecast, `requirement_from_forecast`). In every slot a
person on duty, not on a break, serves exactly one of their services; the
cover of a service is the number of people serving it, and a person with
several skills is counted where the requirement needs them most, slot by
slot. Services that the same counters serve together are planned as one
pool: the requirement names the pool (Erlang C on the pooled stream) and the
people skilled in all its services staff it (`pool_skills`). A requirement per
service is thus the requirement per pool of one service.

Rules that always hold (a roster that breaks one is never produced; a
manager's edit that breaks one is reported by `roster_check`):

- skills: a person serves only services they are skilled in;
- one shift a day, within the hall's opening hours, inside the person's
  availability (a weekly pattern) and never on a day of leave;
- shift length: the worked hours of a shift (start to end, less the break)
  lie within the contract's shortest and longest shift;
- the week's worked hours stay at or below the contract's hours a week, and
  the days worked at or below its days a week;
- at most `max_consecutive_days` in a row, counting the days worked at the
  end of the previous week (`Staff.days_worked_before`);
- at least `min_rest_hours` between the end of one shift and the start of the
  next, the previous week's last shift included (`Staff.last_shift_end`);
- breaks: a shift longer than `break_after_hours` has a break of at least
  `min_break_minutes`, within its template's window, never in the shift's
  first or last slot (nobody starts or ends the day with a lunch break).
  Breaks are placed so that cover holds: the objective staggers them.

The week is a horizon with open ends: what happened before it comes in as
history (streak, last shift end), nothing beyond it is assumed, so the last
day is planned like any other (a sequence rule is never counted as broken
merely because the week ends).

Objective, in order of weight: counters short of the requirement (heavily),
counters beyond it (lightly), then fairness: the spread of hours worked as a
share of each contract (leave days reduce what is expected), and the spreads
of late shifts and of weekend shifts among the staff. Contract hours are an
upper bound, not a promise: nobody is rostered merely to fill hours.

The solver never fails: when the requirement cannot be covered, the roster
that covers most comes out with `short_slots` naming what is left short.

How it searches: the model chooses each person's shift (a template, or the
fixed shift) and break per day; cover needs no variable per person, slot and
service, because by Hall's theorem the most of a slot's requirement that the
people on duty can meet is short by max over sets T of services of (required
by T - people who serve something in T), one linear bound per set; who serves
what is then a matching slot by slot. A greedy roster that keeps every rule
is the search's hint; CP-SAT works on the whole week for a quarter of the
time limit (from the greedy roster if it finds nothing better), then one day
at a time is re-planned with the rest held, then two, until nothing improves
or the time is up. Status `optimal` when proven, `feasible` otherwise;
`unsolved` (the fixed shifts alone) only if no roster at all could be built.
"""

import math
import time as clock
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from .erlang import Stream, agents_for_service_level, pool

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES

# Objective weights: one counter-slot short outweighs fifty over.
WEIGHT_UNDER = 1000
WEIGHT_OVER = 20
WEIGHT_HOURS_SPREAD = 1  # per thousandth of a contract between the most and least rostered
WEIGHT_LATE_SPREAD = 30
WEIGHT_WEEKEND_SPREAD = 30
# The search: a share of the time on the whole week, then two days at a time.
FIRST_SEARCH_SHARE = 0.25
IMPROVE_STEP_SECONDS = 0.5


# --- The problem ------------------------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    """`hours_per_week`: the most worked hours in the week, and what fairness
    measures each person's share against. Shift bounds count worked hours
    (the break excluded)."""

    hours_per_week: float
    min_shift_hours: float = 4.0
    max_shift_hours: float = 9.0
    days_per_week: int = 5
    max_consecutive_days: int = 6


@dataclass(frozen=True)
class Staff:
    """One person. `availability`: weekday (0 Monday) -> the windows in which
    whole shifts may lie; None: whenever the hall is open; a weekday left out:
    not that day. `leave`: whole days off. `days_worked_before`: the days in a
    row worked up to the eve of the week; `last_shift_end`: when their last
    shift before the week ended (naive, the hall's local time)."""

    id: Hashable
    skills: frozenset[str]
    contract: Contract
    availability: Mapping[int, tuple[tuple[time, time], ...]] | None = None
    leave: frozenset[date] = frozenset()
    days_worked_before: int = 0
    last_shift_end: datetime | None = None
    name: str = ""


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift the hall uses: `end` time(0) is midnight at the end of the
    day. The break of `break_minutes` lies within [break_earliest,
    break_latest_end] (default: anywhere inside the shift)."""

    code: str
    start: time
    end: time
    break_minutes: int = 0
    break_earliest: time | None = None
    break_latest_end: time | None = None


@dataclass(frozen=True)
class Shift:
    """A shift on the roster. `services`: what the person serves on it
    (empty: any of their skills). `assignments`: the service of each slot
    worked, (slot start, service), as the solver planned it."""

    staff_id: Hashable
    day: date
    start: time
    end: time
    break_start: time | None = None
    break_end: time | None = None
    services: tuple[str, ...] = ()
    assignments: tuple[tuple[time, str], ...] = ()
    template: str = ""
    fixed: bool = False

    @property
    def worked_minutes(self) -> int:
        minutes = _end_minute(self.end) - _minute(self.start)
        if self.break_start is not None and self.break_end is not None:
            minutes -= _end_minute(self.break_end) - _minute(self.break_start)
        return minutes


@dataclass(frozen=True)
class RosterRules:
    min_rest_hours: float = 11.0
    break_after_hours: float = 6.0
    min_break_minutes: int = 30
    late_shift_ends_after: time = time(19, 0)


@dataclass(frozen=True)
class RosterProblem:
    """A hall's week. `opening`: date -> (opens, closes) with closes time(0)
    for midnight; a date left out is closed. `requirement`: (date, slot
    start, service) -> counters. `fixed`: shifts kept as they are (made by
    the manager, or already started); they count in cover and hours.
    `not_before`: no new shift starts before it (naive local time)."""

    week_start: date
    opening: Mapping[date, tuple[time, time]]
    staff: tuple[Staff, ...]
    templates: tuple[ShiftTemplate, ...]
    requirement: Mapping[tuple[date, time, str], int]
    fixed: tuple[Shift, ...] = ()
    rules: RosterRules = RosterRules()
    days: int = 7
    not_before: datetime | None = None

    @property
    def dates(self) -> list[date]:
        return [self.week_start + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class SlotCover:
    day: date
    start: time
    service: str
    required: int
    scheduled: int

    @property
    def short(self) -> int:
        return max(0, self.required - self.scheduled)


@dataclass(frozen=True)
class Violation:
    """A rule a roster breaks: `code` is stable snake_case (`skill`,
    `leave`, `unavailable`, `closed`, `shift_too_short`, `shift_too_long`,
    `two_shifts_a_day`, `weekly_hours`, `days_per_week`, `consecutive_days`,
    `rest`, `break_missing`, `break_at_edge`, `break_outside_window`,
    `off_grid`, `unknown_staff`)."""

    code: str
    staff_id: Hashable
    day: date | None
    message: str


@dataclass(frozen=True)
class Roster:
    """`status`: `optimal`, `feasible` (the best found within the time
    limit) or `unsolved` (no roster within the limit: the fixed shifts alone)."""

    shifts: tuple[Shift, ...]
    cover: tuple[SlotCover, ...]
    status: str
    objective: int | None
    wall_seconds: float
    bound: int | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def short_slots(self) -> tuple[SlotCover, ...]:
        return tuple(c for c in self.cover if c.short > 0)

    @property
    def hours(self) -> dict:
        out = defaultdict(float)
        for s in self.shifts:
            out[s.staff_id] += s.worked_minutes / 60
        return dict(out)


# --- Time on the slot grid -----------------------------------------------------------------


def _minute(t: time) -> int:
    return t.hour * 60 + t.minute


def _end_minute(t: time) -> int:
    """An end time: midnight is the end of the day."""
    m = _minute(t)
    return 24 * 60 if m == 0 else m


def _slot(t: time) -> int:
    return _minute(t) // SLOT_MINUTES


def _end_slot(t: time) -> int:
    return _end_minute(t) // SLOT_MINUTES


def _on_grid(t: time) -> bool:
    return t.second == 0 and t.microsecond == 0 and _minute(t) % SLOT_MINUTES == 0


def slot_time(slot: int) -> time:
    """The start of slot `slot` of a day (slot 48 is midnight, the day's end)."""
    minutes = (slot * SLOT_MINUTES) % (24 * 60)
    return time(minutes // 60, minutes % 60)


def _opening_slots(problem: RosterProblem, day: date) -> tuple[int, int] | None:
    hours = problem.opening.get(day)
    if hours is None:
        return None
    opens, closes = _slot(hours[0]), _end_slot(hours[1])
    return (opens, closes) if closes > opens else None


def _available(staff: Staff, day: date, start: int, end: int) -> bool:
    if staff.availability is None:
        return True
    for window_start, window_end in staff.availability.get(day.weekday(), ()):
        if _minute(window_start) <= start * SLOT_MINUTES and end * SLOT_MINUTES <= _end_minute(window_end):
            return True
    return False


def _is_late(problem: RosterProblem, end_slot: int) -> bool:
    return end_slot * SLOT_MINUTES > _minute(problem.rules.late_shift_ends_after)


def _needs_break(problem: RosterProblem, start: int, end: int) -> bool:
    return (end - start) * SLOT_MINUTES > problem.rules.break_after_hours * 60


def _services(problem: RosterProblem) -> list[str]:
    return sorted({service for (_, _, service) in problem.requirement})


def _expected_slots(staff: Staff, problem: RosterProblem) -> float:
    """The hours a week this person's share is measured against, in slots:
    the contract, less a share for each day of leave this week."""
    days = staff.contract.days_per_week or 1
    leave_days = sum(1 for d in problem.dates if d in staff.leave)
    share = max(0.0, (days - leave_days) / days)
    return staff.contract.hours_per_week * 60 / SLOT_MINUTES * share


# --- Options: the shifts a person may take on a day ------------------------------------------


@dataclass(frozen=True)
class _Option:
    start: int
    end: int
    break_length: int  # slots
    break_starts: tuple[int, ...]  # candidate first slots of the break
    services: tuple[str, ...]
    template: str
    fixed: Shift | None = None

    @property
    def worked(self) -> int:
        return self.end - self.start - self.break_length


def _template_options(problem: RosterProblem, staff: Staff, day: date, services: tuple[str, ...]) -> list[_Option]:
    opening = _opening_slots(problem, day)
    if opening is None or day in staff.leave or not services:
        return []
    rules = problem.rules
    options = []
    for template in problem.templates:
        start, end = _slot(template.start), _end_slot(template.end)
        if not (opening[0] <= start < end <= opening[1]):
            continue
        if not _available(staff, day, start, end):
            continue
        if problem.not_before is not None and datetime.combine(day, slot_time(start)) < problem.not_before:
            continue
        if day == problem.week_start and staff.last_shift_end is not None:
            rest = datetime.combine(day, slot_time(start)) - staff.last_shift_end
            if rest < timedelta(hours=rules.min_rest_hours):
                continue
        length = math.ceil(template.break_minutes / SLOT_MINUTES)
        if _needs_break(problem, start, end):
            length = max(length, math.ceil(rules.min_break_minutes / SLOT_MINUTES))
        worked_hours = (end - start - length) * SLOT_MINUTES / 60
        if not staff.contract.min_shift_hours <= worked_hours <= staff.contract.max_shift_hours:
            continue
        break_starts: tuple[int, ...] = ()
        if length:
            earliest = _slot(template.break_earliest) if template.break_earliest else start
            latest_end = _end_slot(template.break_latest_end) if template.break_latest_end else end
            # Never in the first or last slot of the shift.
            first, last = max(start + 1, earliest), min(end - 1, latest_end) - length
            break_starts = tuple(range(first, last + 1))
            if not break_starts:
                continue
        options.append(_Option(start, end, length, break_starts, services, template.code))
    return options


def _fixed_option(shift: Shift, services: tuple[str, ...]) -> _Option:
    start, end = _slot(shift.start), _end_slot(shift.end)
    if shift.break_start is not None and shift.break_end is not None:
        b, length = _slot(shift.break_start), _end_slot(shift.break_end) - _slot(shift.break_start)
        return _Option(start, end, length, (b,), services, shift.template, fixed=shift)
    return _Option(start, end, 0, (), services, shift.template, fixed=shift)


# --- The solver ---------------------------------------------------------------------------


def solve_roster(problem: RosterProblem, *, time_limit_seconds: float = 4.0, workers: int = 2) -> Roster:
    """The week's roster: fixed shifts kept, the rest chosen by CP-SAT within
    `time_limit_seconds` on `workers` threads. Never raises for a requirement
    it cannot meet; see the module's docstring."""
    from ortools.sat.python import cp_model

    started = clock.monotonic()
    model = cp_model.CpModel()
    services = _services(problem)
    service_set = set(services)
    dates = problem.dates
    staff_by_id = {s.id: s for s in problem.staff}
    notes = []

    # Fixed shifts of people the problem does not know still count in cover.
    fixed_by_key = {}
    for shift in problem.fixed:
        if (shift.staff_id, shift.day) in fixed_by_key:
            notes.append(f"Two fixed shifts for {shift.staff_id} on {shift.day}: the first is kept.")
            continue
        fixed_by_key[(shift.staff_id, shift.day)] = shift
    people = list(problem.staff) + [
        Staff(id=sid, skills=frozenset(fixed.services), contract=Contract(hours_per_week=168, days_per_week=7))
        for (sid, _), fixed in fixed_by_key.items() if sid not in staff_by_id
    ]
    people = list({p.id: p for p in people}.values())

    # x[(p, d, o)]: person p works option o on day d.
    options: dict[tuple[int, int], list[_Option]] = {}
    x: dict[tuple[int, int, int], object] = {}
    breaks: dict[tuple[int, int, int], list[tuple[int, object]]] = {}
    for p, person in enumerate(people):
        skills = tuple(sorted(set(person.skills) & service_set))
        for d, day in enumerate(dates):
            fixed = fixed_by_key.get((person.id, day))
            if fixed is not None:
                allowed = tuple(sorted(set(fixed.services or person.skills) & service_set))
                opts = [_fixed_option(fixed, allowed)]
            else:
                opts = _template_options(problem, person, day, skills)
            options[(p, d)] = opts
            for o, opt in enumerate(opts):
                var = 1 if opt.fixed else model.NewBoolVar(f"x_{p}_{d}_{o}")
                x[(p, d, o)] = var
                if opt.break_length:
                    if len(opt.break_starts) == 1:
                        breaks[(p, d, o)] = [(opt.break_starts[0], var)]
                    else:
                        ys = [(b, model.NewBoolVar(f"y_{p}_{d}_{o}_{b}")) for b in opt.break_starts]
                        model.Add(sum(y for _, y in ys) == var)
                        breaks[(p, d, o)] = ys
            free = [x[(p, d, o)] for o, opt in enumerate(opts) if not opt.fixed]
            if len(free) > 1:
                model.AddAtMostOne(free)

    # Who is on duty in each slot (a linear expression per person), and the
    # services they may serve there.
    on_duty: dict[tuple[int, int], list[tuple[int, object, tuple[str, ...]]]] = defaultdict(list)
    for (p, d), opts in options.items():
        if not opts:
            continue
        slots: dict[int, list] = defaultdict(list)
        for o, opt in enumerate(opts):
            for t in range(opt.start, opt.end):
                slots[t].append(x[(p, d, o)])
            for b, y in breaks.get((p, d, o), ()):
                for t in range(b, b + opt.break_length):
                    slots[t].append(-y)
        allowed = opts[0].services
        for t, terms in sorted(slots.items()):
            on = sum(terms)
            if allowed and not (isinstance(on, int) and on == 0):
                on_duty[(d, t)].append((p, on, allowed))

    # Cover without deciding who serves what: by Hall's theorem (in its
    # deficiency form) the most of a slot's requirement that the people on
    # duty can meet falls short by max over sets T of services of
    # (required by T - people who serve something in T). So `short` >= that
    # for every T, and each counter on duty beyond what is met is over:
    # over = on duty - (required - short). Who serves what is then found slot
    # by slot by a matching that reaches exactly this.
    objective = []
    constant_short = 0
    for d, day in enumerate(dates):
        opening = _opening_slots(problem, day)
        for t in range(*opening) if opening else ():
            need = {s: int(problem.requirement.get((day, slot_time(t), s), 0)) for s in services}
            need = {s: n for s, n in need.items() if n > 0}
            present = on_duty.get((d, t), [])
            if present:
                objective.append(WEIGHT_OVER * sum(on for _, on, _ in present))
            if not need:
                continue
            if not present:
                constant_short += sum(need.values())
                continue
            short = model.NewIntVar(0, sum(need.values()), f"short_{d}_{t}")
            for members, required in _deficiency_sets(need, [allowed for _, _, allowed in present]):
                model.Add(short >= required - sum(present[i][1] for i in members))
            objective.append((WEIGHT_UNDER + WEIGHT_OVER) * short)

    # Contracts: hours and days a week, consecutive days, rest between days.
    ratio_terms = []
    late_counts, weekend_counts = [], []
    for p, person in enumerate(people):
        contract = person.contract
        hours_terms, fixed_slots = [], 0
        day_work = {}
        for d in range(len(dates)):
            opts = options.get((p, d), [])
            hours_terms += [x[(p, d, o)] * opt.worked for o, opt in enumerate(opts)]
            fixed_slots += sum(opt.worked for opt in opts if opt.fixed)
            day_work[d] = sum(x[(p, d, o)] for o in range(len(opts))) if opts else 0
        if not hours_terms:
            continue
        max_slots = max(int(contract.hours_per_week * 60 // SLOT_MINUTES), fixed_slots)
        model.Add(sum(hours_terms) <= max_slots)
        fixed_days = sum(1 for d in range(len(dates)) for opt in options.get((p, d), []) if opt.fixed)
        model.Add(sum(day_work.values()) <= max(contract.days_per_week, fixed_days))
        _add_consecutive_days(model, person, options, p, day_work, len(dates))
        _add_rest(model, problem, options, x, p, len(dates))

        expected = _expected_slots(person, problem)
        if expected >= 1 and person.id in staff_by_id:
            most = sum(max((opt.worked for opt in options.get((p, d), [])), default=0) for d in range(len(dates)))
            ratio_terms.append((sum(hours_terms), expected, most))
        late = [x[(p, d, o)] for d in range(len(dates)) for o, opt in enumerate(options.get((p, d), []))
                if _is_late(problem, opt.end)]
        if late and person.id in staff_by_id:
            late_counts.append(sum(late))
        weekend = [day_work[d] for d, day in enumerate(dates) if day.weekday() >= 5 and options.get((p, d))]
        if weekend and person.id in staff_by_id:
            weekend_counts.append(sum(weekend))

    if len(ratio_terms) > 1:
        top = max(math.ceil(most * 10_000 / round(expected * 10)) + 1 for _, expected, most in ratio_terms)
        hi = model.NewIntVar(0, top, "share_hi")
        lo = model.NewIntVar(0, top, "share_lo")
        for hours, expected, _ in ratio_terms:
            # share in thousandths: hours / expected * 1000, scaled to integers.
            scale = int(round(expected * 10))
            model.Add(hi * scale >= hours * 10_000)
            model.Add(lo * scale <= hours * 10_000)
        objective.append(WEIGHT_HOURS_SPREAD * (hi - lo))
    for counts, weight, name in ((late_counts, WEIGHT_LATE_SPREAD, "late"),
                                 (weekend_counts, WEIGHT_WEEKEND_SPREAD, "weekend")):
        if len(counts) > 1:
            hi = model.NewIntVar(0, len(dates), f"{name}_hi")
            lo = model.NewIntVar(0, len(dates), f"{name}_lo")
            for count in counts:
                model.Add(hi >= count)
                model.Add(lo <= count)
            objective.append(weight * (hi - lo))

    model.Minimize(sum(objective))
    # The decisions of each day: whose shift and where the break goes.
    day_vars: dict[int, list] = defaultdict(list)
    for (p, d, o), var in x.items():
        if not isinstance(var, int):
            day_vars[d].append(var)
    for (p, d, o), ys in breaks.items():
        day_vars[d].extend(y for _, y in ys if not isinstance(y, int) and y is not x[(p, d, o)])

    # A greedy roster that keeps every rule: the search's hint, and its
    # fallback when the search finds nothing in its share of the time.
    greedy: dict[int, int] = {}
    for (p, d, o), b in _greedy(problem, people, options).items():
        greedy[id(x[(p, d, o)])] = 1
        for b2, y in breaks.get((p, d, o), ()):
            greedy[id(y)] = int(b2 == b)
    greedy_values = {v.Index(): greedy.get(id(v), 0) for vs in day_vars.values() for v in vs}
    for vs in day_vars.values():
        for v in vs:
            model.AddHint(v, bool(greedy_values[v.Index()]))

    deadline = started + max(0.05, time_limit_seconds)
    solver = _solver(min(time_limit_seconds * FIRST_SEARCH_SHARE, deadline - clock.monotonic()), workers)
    status = solver.Solve(model)
    values, best, bound = None, None, None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = {v.Index(): solver.Value(v) for vs in day_vars.values() for v in vs}
        best, bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
    elif status != cp_model.INFEASIBLE:
        bound = solver.BestObjectiveBound() if math.isfinite(solver.BestObjectiveBound()) else None
        best = _evaluate(model, day_vars, greedy_values, workers)
        if best is not None:
            values = greedy_values
            notes.append("The search started from the greedy roster.")
    if values is not None and status != cp_model.OPTIMAL and len(day_vars) > 1:
        values, best = _improve_by_days(model, day_vars, values, best, deadline, workers, len(dates))

    if values is not None:
        shifts = _extract(problem, people, options, x, breaks, lambda v: v if isinstance(v, int) else values[v.Index()])
        label = "optimal" if status == cp_model.OPTIMAL or (bound is not None and best <= bound) else "feasible"
        objective_value = int(round(best)) + WEIGHT_UNDER * constant_short
    else:
        shifts = tuple(problem.fixed)
        label, objective_value = "unsolved", None
        notes.append("No roster was found within the time limit: only the fixed shifts are listed.")
    cover = tuple(roster_cover(problem, shifts))
    return Roster(
        shifts=shifts, cover=cover, status=label, objective=objective_value,
        bound=None if bound is None else int(math.floor(bound)) + WEIGHT_UNDER * constant_short,
        wall_seconds=clock.monotonic() - started, notes=tuple(notes),
    )


def _solver(seconds: float, workers: int):
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0
    return solver


def _evaluate(model, day_vars, values, workers) -> float | None:
    """The objective of the roster `values` fixes (None if it breaks a rule)."""
    from ortools.sat.python import cp_model

    fixed = model.Clone()
    proto = fixed.Proto()
    for variables in day_vars.values():
        for v in variables:
            domain = proto.variables[v.Index()].domain
            domain[0] = domain[1] = values[v.Index()]
    fixed.ClearHints()
    solver = _solver(1.0, workers)
    status = solver.Solve(fixed)
    return solver.ObjectiveValue() if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def _improve_by_days(model, day_vars, values, best, deadline, workers, days):
    """Large-neighbourhood search by days: all days of the best roster but
    one (then two) held fixed, the free ones re-planned to optimality (or the
    step's time), kept when better, until nothing improves or the deadline.
    The week's rules tie the days together (hours, rest, days in a row), so
    each step still sees the whole week. Single days are quick; pairs, tried
    once single days stop improving, move what single days cannot (a shift
    from one day to another)."""
    from ortools.sat.python import cp_model

    planned = sorted(day_vars)
    singles = [(d,) for d in planned]
    pairs = sorted(((a, b) for a in planned for b in planned if a < b), key=lambda pair: (pair[1] - pair[0], pair))
    neighbourhoods, position, stale = singles, 0, 0
    while True:
        remaining = deadline - clock.monotonic()
        if remaining < 0.05:
            break
        if stale >= len(neighbourhoods):
            if neighbourhoods is pairs:
                break
            neighbourhoods, position, stale = pairs, 0, 0
            continue
        free = set(neighbourhoods[position % len(neighbourhoods)])
        position += 1
        sub = model.Clone()
        proto = sub.Proto()
        for d, variables in day_vars.items():
            if d in free:
                continue
            for v in variables:
                domain = proto.variables[v.Index()].domain  # a Boolean's is [0, 1]
                domain[0] = domain[1] = values[v.Index()]
        sub.ClearHints()
        for d in free:
            for v in day_vars[d]:
                sub.AddHint(sub.GetBoolVarFromProtoIndex(v.Index()), bool(values[v.Index()]))
        solver = _solver(min(remaining, IMPROVE_STEP_SECONDS), workers)
        status = solver.Solve(sub)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.ObjectiveValue() < best - 0.5:
            best = solver.ObjectiveValue()
            for d in free:
                for v in day_vars[d]:
                    values[v.Index()] = solver.Value(sub.GetBoolVarFromProtoIndex(v.Index()))
            stale = 0
            if neighbourhoods is pairs:
                neighbourhoods, position = singles, 0
        else:
            stale += 1
    return values, best


def _greedy(problem: RosterProblem, people: list[Staff], options) -> dict[tuple[int, int, int], int | None]:
    """A quick roster that keeps every rule: fixed shifts first, then, again
    and again, the shift (with its break where it costs least) that covers
    the most still-uncovered requirement, while one covers more than it
    over-covers. Returns (person, day, option) -> break start."""
    dates = problem.dates
    days = len(dates)
    rest_slots = problem.rules.min_rest_hours * 60 / SLOT_MINUTES
    need: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for (day, start, service), n in problem.requirement.items():
        if n > 0 and problem.week_start <= day < problem.week_start + timedelta(days=days):
            need[((day - problem.week_start).days, _slot(start))][service] = int(n)
    chosen: dict[tuple[int, int, int], int | None] = {}
    by_person_day: dict[tuple[int, int], _Option] = {}
    hours = defaultdict(int)
    worked_days: dict[int, set[int]] = defaultdict(set)

    def take(p, d, o, b):
        opt = options[(p, d)][o]
        chosen[(p, d, o)] = b
        by_person_day[(p, d)] = opt
        hours[p] += opt.worked
        worked_days[p].add(d)
        off = set(range(b, b + opt.break_length)) if b is not None else set()
        for t in range(opt.start, opt.end):
            if t in off:
                continue
            slot_need = need.get((d, t), {})
            best = max(opt.services, key=lambda s: slot_need.get(s, 0))
            if slot_need.get(best, 0) > 0:
                slot_need[best] -= 1

    def allowed(p, d, opt) -> bool:
        person = people[p]
        contract = person.contract
        if hours[p] + opt.worked > contract.hours_per_week * 60 / SLOT_MINUTES:
            return False
        if len(worked_days[p]) + 1 > contract.days_per_week:
            return False
        run, k = 1, contract.max_consecutive_days
        e = d - 1
        while e >= 0 and e in worked_days[p]:
            run, e = run + 1, e - 1
        if e < 0:
            run += person.days_worked_before
        e = d + 1
        while e < days and e in worked_days[p]:
            run, e = run + 1, e + 1
        if run > k:
            return False
        before, after = by_person_day.get((p, d - 1)), by_person_day.get((p, d + 1))
        if before is not None and SLOTS_PER_DAY - before.end + opt.start < rest_slots:
            return False
        return not (after is not None and SLOTS_PER_DAY - opt.end + after.start < rest_slots)

    def best_for(p, d):
        best = None
        for o, opt in enumerate(options.get((p, d), [])):
            if opt.fixed or not allowed(p, d, opt):
                continue
            value = {}
            for t in range(opt.start, opt.end):
                slot_need = need.get((d, t), {})
                useful = any(slot_need.get(s, 0) > 0 for s in opt.services)
                value[t] = WEIGHT_UNDER if useful else -WEIGHT_OVER
            b = None
            if opt.break_length:
                b = min(opt.break_starts, key=lambda b: sum(value[t] for t in range(b, b + opt.break_length)))
                for t in range(b, b + opt.break_length):
                    value[t] = 0
            gain = sum(value.values())
            if best is None or gain > best[0]:
                best = (gain, o, b)
        return best

    for (p, d), opts in options.items():
        for o, opt in enumerate(opts):
            if opt.fixed:
                take(p, d, o, opt.break_starts[0] if opt.break_starts else None)
    candidates = {(p, d): best_for(p, d) for (p, d) in options if (p, d) not in by_person_day}
    while candidates:
        key, found = max(((k, v) for k, v in candidates.items() if v is not None),
                         key=lambda item: item[1][0], default=(None, None))
        if found is None or found[0] <= 0:
            break
        p, d = key
        take(p, d, found[1], found[2])
        del candidates[key]
        for k in list(candidates):
            if k[0] == p or k[1] == d:
                candidates[k] = best_for(*k)
    return chosen


def _add_consecutive_days(model, person: Staff, options, p: int, day_work: dict, days: int) -> None:
    """At most K days in a row, the days worked before the week included: a
    window of K + 1 days reaching back before the week holds that many
    worked days already. Windows end within the week; none is assumed after it."""
    k = person.contract.max_consecutive_days
    before = person.days_worked_before
    for w in range(max(-before, -k), days - k):
        real = [d for d in range(max(w, 0), w + k + 1) if d < days]
        if not real:
            continue
        already = -w if w < 0 else 0
        fixed = sum(1 for d in real for opt in options.get((p, d), []) if opt.fixed)
        terms = [day_work[d] for d in real if not isinstance(day_work[d], int) or day_work[d]]
        if terms:
            model.Add(sum(terms) <= max(k - already, fixed))


def _add_rest(model, problem: RosterProblem, options, x, p: int, days: int) -> None:
    """No two shifts on consecutive days closer than the minimum rest; two
    fixed shifts are left as they are (roster_check reports them)."""
    rest_slots = problem.rules.min_rest_hours * 60 / SLOT_MINUTES
    for d in range(days - 1):
        today, tomorrow = options.get((p, d), []), options.get((p, d + 1), [])
        for o, opt in enumerate(today):
            clash = [x[(p, d + 1, o2)] for o2, nxt in enumerate(tomorrow)
                     if SLOTS_PER_DAY - opt.end + nxt.start < rest_slots and not (opt.fixed and nxt.fixed)]
            if clash:
                model.Add(x[(p, d, o)] + sum(clash) <= 1)


def _extract(problem, people, options, x, breaks, value) -> tuple[Shift, ...]:
    """The chosen shifts, with who serves what slot by slot (`_assign_slots`)."""
    dates = problem.dates
    chosen = []
    for (p, d), opts in sorted(options.items()):
        for o, opt in enumerate(opts):
            if not value(x[(p, d, o)]):
                continue
            if opt.fixed is not None:
                chosen.append(opt.fixed)
                continue
            break_start = next((b for b, y in breaks.get((p, d, o), ()) if value(y)), None)
            chosen.append(Shift(
                staff_id=people[p].id,
                day=dates[d],
                start=slot_time(opt.start),
                end=slot_time(opt.end),
                break_start=slot_time(break_start) if break_start is not None else None,
                break_end=slot_time(break_start + opt.break_length) if break_start is not None else None,
                services=opt.services,
                template=opt.template,
            ))
    return tuple(_assign_slots(problem, chosen))


# --- Cover and checks for any roster (the solver's or a manager's edit) -------------------------


def _on_duty_slots(shift: Shift) -> list[int]:
    start, end = _slot(shift.start), _end_slot(shift.end)
    off = set()
    if shift.break_start is not None and shift.break_end is not None:
        off = set(range(_slot(shift.break_start), _end_slot(shift.break_end)))
    return [t for t in range(start, end) if t not in off]


def _deficiency_sets(need: dict[str, int], allowed: list[tuple[str, ...]]) -> list[tuple[list[int], int]]:
    """For the sets T of needed services: (the people, by index, who serve
    something in T; what T requires), keeping only those no other set
    dominates (fewer people, as much required). Past 10 needed services,
    single services, pairs and all together (a relaxation; the matching
    that follows still finds the true cover)."""
    names = sorted(need)
    serves = [sum(1 << i for i, person in enumerate(allowed) if name in person) for name in names]
    if len(names) <= 10:
        subsets = range(1, 1 << len(names))
    else:
        singles = [1 << k for k in range(len(names))]
        pairs = [(1 << a) | (1 << b) for a in range(len(names)) for b in range(a + 1, len(names))]
        subsets = singles + pairs + [(1 << len(names)) - 1]
    best: dict[int, int] = {}
    for subset in subsets:
        members, required = 0, 0
        for k in range(len(names)):
            if subset >> k & 1:
                members |= serves[k]
                required += need[names[k]]
        if required > best.get(members, 0):
            best[members] = required
    kept: list[tuple[int, int]] = []
    for members, required in sorted(best.items(), key=lambda item: (bin(item[0]).count("1"), -item[1])):
        if any(other & ~members == 0 and other_required >= required for other, other_required in kept):
            continue
        kept.append((members, required))
    return [([i for i in range(len(allowed)) if members >> i & 1], required) for members, required in kept]


def _assign_slots(problem: RosterProblem, shifts: Sequence[Shift]) -> list[Shift]:
    """`shifts` with `assignments` filled in where they have none: slot by
    slot, a maximum matching of the people on duty to what the requirement
    still needs after the planned assignments (each trying the service they
    served in the previous slot first); anyone left over serves, of their
    services, the one most required then."""
    services = set(_services(problem))
    staff_by_id = {s.id: s for s in problem.staff}
    planned: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    flexible: dict[tuple[date, int], list[int]] = defaultdict(list)
    serves: dict[int, tuple[str, ...]] = {}
    for i, shift in enumerate(shifts):
        person = staff_by_id.get(shift.staff_id)
        serves[i] = tuple(sorted(set(shift.services or (person.skills if person else ())) & services))
        if shift.assignments:
            for t, service in shift.assignments:
                planned[(shift.day, _slot(t))][service] += 1
        elif serves[i]:
            for t in _on_duty_slots(shift):
                flexible[(shift.day, t)].append(i)
    served: dict[int, list[tuple[time, str]]] = defaultdict(list)
    previous: dict[int, str] = {}
    for (day, t), members in sorted(flexible.items()):
        required = {s: int(problem.requirement.get((day, slot_time(t), s), 0)) for s in services}
        need = {s: max(0, n - planned.get((day, t), {}).get(s, 0)) for s, n in required.items()}
        ordered = [tuple(sorted(serves[i], key=lambda s, i=i: s != previous.get(i))) for i in members]
        for i, choice, options in zip(members, _match(ordered, need), ordered):
            service = choice or max(options, key=lambda s: (required.get(s, 0), s == previous.get(i)))
            served[i].append((slot_time(t), service))
            previous[i] = service
    out = []
    for i, shift in enumerate(shifts):
        if shift.assignments or i not in served:
            out.append(shift)
            continue
        used = tuple(sorted({s for _, s in served[i]}))
        out.append(replace(shift, assignments=tuple(served[i]), services=shift.services if shift.fixed else used))
    return out


def _match(people: list[tuple[str, ...]], need: dict[str, int]) -> list[str | None]:
    """A maximum assignment of people (each with the services they serve, in
    order of preference) to the services' needs, by augmenting paths; None
    for those not needed."""
    assigned: list[str | None] = [None] * len(people)
    holders: dict[str, list[int]] = defaultdict(list)

    def place(i: int, seen: set[str]) -> bool:
        for s in people[i]:
            if need.get(s, 0) == 0 or s in seen:
                continue
            seen.add(s)
            if len(holders[s]) < need[s]:
                holders[s].append(i)
                assigned[i] = s
                return True
            for j in list(holders[s]):
                if place(j, seen):
                    holders[s].remove(j)
                    holders[s].append(i)
                    assigned[i] = s
                    return True
        return False

    for i in range(len(people)):
        place(i, set())
    return assigned


def roster_cover(problem: RosterProblem, shifts: Sequence[Shift]) -> list[SlotCover]:
    """Counters on each service in each open slot against the requirement.
    Planned assignments (the solver's) are taken as they are; people without
    one are placed as `_assign_slots` does."""
    counts: dict[tuple[date, int, str], int] = defaultdict(int)
    for shift in _assign_slots(problem, shifts):
        for t, service in shift.assignments:
            counts[(shift.day, _slot(t), service)] += 1
    cover = []
    for day in problem.dates:
        opening = _opening_slots(problem, day)
        for t in range(*opening) if opening else ():
            for s in _services(problem):
                required = int(problem.requirement.get((day, slot_time(t), s), 0))
                cover.append(SlotCover(day, slot_time(t), s, required, counts.get((day, t, s), 0)))
    return cover


def roster_check(problem: RosterProblem, shifts: Sequence[Shift]) -> list[Violation]:
    """Every rule the roster `shifts` breaks (the module's docstring lists
    them); an empty list when it keeps them all. Cover is not a rule: see
    `roster_cover`."""
    rules = problem.rules
    staff_by_id = {s.id: s for s in problem.staff}
    services = set(_services(problem))
    templates = {t.code: t for t in problem.templates}
    violations = []
    by_staff: dict[Hashable, list[Shift]] = defaultdict(list)

    def report(code, shift_or_staff, day, message):
        violations.append(Violation(code, shift_or_staff, day, message))

    for shift in shifts:
        person = staff_by_id.get(shift.staff_id)
        sid, day = shift.staff_id, shift.day
        if person is None:
            report("unknown_staff", sid, day, f"{sid} is not on this hall's staff.")
            continue
        by_staff[sid].append(shift)
        times = [shift.start, shift.end] + [t for t in (shift.break_start, shift.break_end) if t is not None]
        if not all(_on_grid(t) for t in times):
            report("off_grid", sid, day, "Shift and break times fall on the hour or the half hour.")
            continue
        start, end = _slot(shift.start), _end_slot(shift.end)
        if end <= start:
            report("shift_too_short", sid, day, "The shift ends before it starts.")
            continue
        opening = _opening_slots(problem, day)
        if opening is None:
            report("closed", sid, day, f"The hall is closed on {day}.")
        elif not (opening[0] <= start and end <= opening[1]):
            report("closed", sid, day, "The shift runs outside the hall's opening hours.")
        if day in person.leave:
            report("leave", sid, day, f"{sid} is on leave on {day}.")
        if not _available(person, day, start, end):
            report("unavailable", sid, day, f"{sid} is not available for all of {shift.start:%H:%M}-{shift.end:%H:%M}.")
        served = set(shift.services) | {s for _, s in shift.assignments}
        unskilled = served - set(person.skills)
        if unskilled:
            report("skill", sid, day, f"{sid} does not serve {', '.join(sorted(unskilled))}.")
        if shift.assignments and not {s for _, s in shift.assignments} <= (set(shift.services) or services):
            report("skill", sid, day, "A slot is assigned to a service outside the shift's services.")
        hours = shift.worked_minutes / 60
        if hours < person.contract.min_shift_hours:
            report("shift_too_short", sid, day, f"{hours:g} h is shorter than the contract's {person.contract.min_shift_hours:g} h.")
        if hours > person.contract.max_shift_hours:
            report("shift_too_long", sid, day, f"{hours:g} h is longer than the contract's {person.contract.max_shift_hours:g} h.")
        has_break = shift.break_start is not None and shift.break_end is not None
        if (shift.break_start is None) != (shift.break_end is None):
            report("break_missing", sid, day, "A break needs both its start and its end.")
        if has_break:
            b_start, b_end = _slot(shift.break_start), _end_slot(shift.break_end)
            if not (start + 1 <= b_start < b_end <= end - 1):
                report("break_at_edge", sid, day, "A break lies inside the shift, never in its first or last half hour.")
            template = templates.get(shift.template)
            if template is not None and (
                (template.break_earliest and b_start < _slot(template.break_earliest))
                or (template.break_latest_end and b_end > _end_slot(template.break_latest_end))
            ):
                report("break_outside_window", sid, day, f"The break lies outside shift {template.code}'s break window.")
        if _needs_break(problem, start, end):
            length = (_end_minute(shift.break_end) - _minute(shift.break_start)) if has_break else 0
            if length < rules.min_break_minutes:
                report("break_missing", sid, day,
                       f"A shift over {rules.break_after_hours:g} h has a break of at least {rules.min_break_minutes} minutes.")

    for sid, own in by_staff.items():
        person = staff_by_id[sid]
        contract = person.contract
        own.sort(key=lambda s: (s.day, s.start))
        days = defaultdict(list)
        for s in own:
            days[s.day].append(s)
        for day, same in days.items():
            if len(same) > 1:
                report("two_shifts_a_day", sid, day, f"{sid} has {len(same)} shifts on {day}.")
        week = [s for s in own if problem.week_start <= s.day < problem.week_start + timedelta(days=problem.days)]
        hours = sum(s.worked_minutes for s in week) / 60
        if hours > contract.hours_per_week + 1e-9:
            report("weekly_hours", sid, None, f"{hours:g} h in the week is more than the contract's {contract.hours_per_week:g} h.")
        worked_days = sorted({s.day for s in week})
        if len(worked_days) > contract.days_per_week:
            report("days_per_week", sid, None, f"{len(worked_days)} days is more than the contract's {contract.days_per_week}.")
        streak, previous = person.days_worked_before, problem.week_start - timedelta(days=1)
        for day in worked_days:
            streak = streak + 1 if day == previous + timedelta(days=1) else 1
            previous = day
            if streak > contract.max_consecutive_days:
                report("consecutive_days", sid, day, f"{streak} days in a row; at most {contract.max_consecutive_days}.")
        # Rest: from the end of each shift (the last one before the week first)
        # to the start of the next one on a later day.
        previous_end, previous_day = person.last_shift_end, None
        for s in own:
            begins = datetime.combine(s.day, s.start)
            if previous_end is not None and s.day != previous_day:
                if begins - previous_end < timedelta(hours=rules.min_rest_hours):
                    report("rest", sid, s.day, f"Less than {rules.min_rest_hours:g} h of rest before this shift.")
            ends_on = s.day + timedelta(days=1) if _end_minute(s.end) == 24 * 60 else s.day
            previous_end, previous_day = datetime.combine(ends_on, s.end), s.day
    return violations


# --- The requirement ---------------------------------------------------------------------


def requirement_from_forecast(
    arrivals: Mapping[tuple[date, time, str], float],
    aht_seconds: Mapping[str, float],
    target_wait_seconds: Mapping[str, float],
    target_service_level: float = 0.8,
    *,
    pools: Mapping[str, Sequence[str]] | None = None,
) -> dict[tuple[date, time, str], int]:
    """Counters per slot from a forecast of arrivals per 30-minute slot and
    service: Erlang C on each slot's rate, as if it held steady.

    Services that the same counters serve together are staffed as one pool
    (`pools`: pool name -> its services; erlang.pool: arrivals add up, the
    handle time is their arrival-weighted mean, the strictest target applies)
    and the requirement names the pool instead of its services; the people
    who staff it are those skilled in all its services (`pool_skills`).
    Services in no pool are staffed on their own."""
    pool_of = {service: name for name, members in (pools or {}).items() for service in members}
    streams: dict[tuple[date, time, str], list[Stream]] = defaultdict(list)
    for (day, start, service), count in arrivals.items():
        per_hour = count * 60 / SLOT_MINUTES
        stream = Stream(per_hour, aht_seconds[service], target_wait_seconds.get(service, 600))
        streams[(day, start, pool_of.get(service, service))].append(stream)
    out = {}
    for key, members in streams.items():
        pooled = pool(members)
        out[key] = agents_for_service_level(
            pooled.arrivals_per_hour, pooled.aht_seconds, pooled.target_wait_seconds, target_service_level
        ).agents
    return out


def pool_skills(skills: frozenset[str], pools: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """What a person staffs when services are pooled: each pool whose
    services they all serve, and their services that are in no pool."""
    pooled = {service for members in pools.values() for service in members}
    return frozenset(s for s in skills if s not in pooled) | frozenset(
        name for name, members in pools.items() if set(members) <= set(skills)
    )
