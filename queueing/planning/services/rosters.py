"""Rosters: planning a hall's week with the solver, and a manager's edits.

The caller holds the policy: only a manager of the hall (halls.roles.
user_manages) plans its week or edits its shifts. Every write here runs in one
transaction with the hall's row locked, so a planned week and a manager's edit
never interleave and a week is never left half-written.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api import DomainError
from config.tasks import enqueue
from halls.models import HallService, Outlet, Service, StaffMembership
from halls.selectors import outlet_opening_intervals

from .. import roster as solver
from ..models import Leave, RosterShift, RosterShiftSource, ShiftTemplate, StaffAvailability, StaffContract
from ..staffing import hall_staffing

# A person with no contract at the hall who is rostered by hand: the usual contract.
DEFAULT_CONTRACT = solver.Contract(hours_per_week=40, min_shift_hours=4, max_shift_hours=8)
HISTORY_DAYS = 14


class RosterChanged(DomainError):
    code = "roster_changed"
    message = "排班已被修改，请重新生成 / The roster changed while the week was being planned; plan it again."
    status = 409


class NoForecast(DomainError):
    code = "no_forecast"
    message = "这一周还没有客流预测，无法排班 / There is no arrival forecast for that week yet: nothing to plan against."
    status = 409


class RosterRuleBroken(DomainError):
    """A manager's edit breaks a rule of the roster; `fields` maps each
    broken rule's code to its messages."""

    code = "roster_rule_broken"
    message = "排班不符合规则 / The shift breaks a rule of the roster."
    status = 409


@dataclass(frozen=True)
class GeneratedRoster:
    """The solver's answer (cover, short slots, status) and the week's
    shifts as stored (the kept ones and the new ones)."""

    roster: solver.Roster
    shifts: list[RosterShift]


def _outlook_changed(outlet_id: int) -> None:
    """The predictive warnings compare the day's requirement with the roster: tell them it changed."""
    transaction.on_commit(lambda: enqueue("queueing.planning.tasks.outlook_refresh", outlet_id))


# --- Reading a hall's week --------------------------------------------------------------------


def _week(week_start: date) -> list[date]:
    return [week_start + timedelta(days=i) for i in range(7)]


def _opening(outlet: Outlet, days: list[date]) -> dict[date, tuple[time, time]]:
    """Each open day's hours as the solver takes them: from the first
    opening to the last closing that day; hours past midnight end at midnight
    (a shift never crosses into the next day)."""
    outlet = Outlet.objects.prefetch_related("opening_hours", "opening_exceptions").get(pk=outlet.pk)
    out = {}
    for day in days:
        intervals = outlet_opening_intervals(outlet, day)
        if not intervals:
            continue
        opens = min(start for start, _ in intervals)
        closes = max(end for _, end in intervals)
        out[day] = (opens.time(), time(0) if closes.date() > day else closes.time())
    return out


def _skills(outlet: Outlet, user_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The services each person serves at the hall: their membership's
    skills where memberships carry them and a person has some; otherwise
    every service the hall offers."""
    user_ids = list(user_ids)
    offered = frozenset(
        HallService.objects.filter(outlet=outlet, is_active=True).values_list("service__code", flat=True)
    )
    skills: dict[int, set[str]] = defaultdict(set)
    try:
        StaffMembership._meta.get_field("skills")
    except FieldDoesNotExist:
        pass
    else:
        rows = StaffMembership.objects.filter(outlet=outlet, user_id__in=user_ids, skills__isnull=False)
        for user_id, code in rows.values_list("user_id", "skills__code"):
            skills[user_id].add(code)
    return {uid: frozenset(skills[uid]) if skills.get(uid) else offered for uid in user_ids}


def _contract(row: StaffContract | None) -> solver.Contract:
    if row is None:
        return DEFAULT_CONTRACT
    return solver.Contract(
        hours_per_week=float(row.hours_per_week),
        min_shift_hours=float(row.min_shift_hours),
        max_shift_hours=float(row.max_shift_hours),
        days_per_week=row.days_per_week,
        max_consecutive_days=row.max_consecutive_days,
    )


def _as_shift(row: RosterShift, *, fixed: bool) -> solver.Shift:
    return solver.Shift(
        staff_id=row.user_id,
        day=row.date,
        start=row.starts,
        end=row.ends,
        break_start=row.break_starts,
        break_end=row.break_ends,
        services=tuple(sorted(s.code for s in row.services.all())),
        template=row.template_code,
        fixed=fixed,
    )


def _shift_end(row: RosterShift) -> datetime:
    ends_on = row.date + timedelta(days=1) if row.ends == time(0) else row.date
    return datetime.combine(ends_on, row.ends)


def _staff(outlet: Outlet, week_start: date, user_ids: set[int], contracts: dict[int, StaffContract]):
    """The solver's view of each person: skills, contract, availability,
    leave (and days they work at another hall), last week's streak and end."""
    days = _week(week_start)
    skills = _skills(outlet, user_ids)
    availability: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for row in StaffAvailability.objects.filter(outlet=outlet, user_id__in=user_ids):
        availability[row.user_id][row.weekday].append((row.starts, row.ends))
    leave: dict[int, set[date]] = defaultdict(set)
    for row in Leave.objects.filter(user_id__in=user_ids, first_day__lte=days[-1], last_day__gte=days[0]):
        day = max(row.first_day, days[0])
        while day <= min(row.last_day, days[-1]):
            leave[row.user_id].add(day)
            day += timedelta(days=1)
    elsewhere = RosterShift.objects.filter(user_id__in=user_ids, date__gte=days[0], date__lte=days[-1])
    for user_id, day in elsewhere.exclude(outlet=outlet).values_list("user_id", "date"):
        leave[user_id].add(day)
    history = defaultdict(list)
    before = RosterShift.objects.filter(
        user_id__in=user_ids, date__lt=week_start, date__gte=week_start - timedelta(days=HISTORY_DAYS)
    ).order_by("date")
    for row in before:
        history[row.user_id].append(row)
    people = []
    for uid in sorted(user_ids):
        worked = {row.date for row in history[uid]}
        streak, day = 0, week_start - timedelta(days=1)
        while day in worked:
            streak, day = streak + 1, day - timedelta(days=1)
        last_end = max((_shift_end(row) for row in history[uid]), default=None)
        pattern = availability.get(uid)
        people.append(solver.Staff(
            id=uid,
            skills=skills[uid],
            contract=_contract(contracts.get(uid)),
            availability={wd: tuple(w) for wd, w in pattern.items()} if pattern else None,
            leave=frozenset(leave[uid]),
            days_worked_before=streak,
            last_shift_end=last_end,
        ))
    return people


def _templates(outlet: Outlet) -> tuple[solver.ShiftTemplate, ...]:
    return tuple(
        solver.ShiftTemplate(t.code, t.starts, t.ends, t.break_minutes, t.break_earliest, t.break_latest_end)
        for t in ShiftTemplate.objects.filter(outlet=outlet, is_active=True).order_by("starts", "code")
    )


def _kept_rows(outlet: Outlet, week_start: date, not_before: datetime) -> list[RosterShift]:
    """The week's shifts a new plan keeps: the manager's, and any that has
    already started."""
    days = _week(week_start)
    rows = RosterShift.objects.filter(outlet=outlet, date__gte=days[0], date__lte=days[-1]).prefetch_related(
        "services"
    )
    return [r for r in rows if r.source == RosterShiftSource.MANAGER or datetime.combine(r.date, r.starts) < not_before]


def _fingerprint(rows: list[RosterShift]) -> set[tuple[int, datetime]]:
    return {(r.pk, r.updated_at) for r in rows}


def roster_problem(
    *,
    outlet: Outlet,
    week_start: date,
    requirement: Mapping[tuple[date, time, str], int],
    now: datetime | None = None,
    pools: Mapping[str, Sequence[str]] | None = None,
) -> tuple[solver.RosterProblem, list[RosterShift]]:
    """The hall's week as the solver sees it (people with a contract at the
    hall who still belong to it), and the stored shifts it keeps. With
    `pools` (a requirement by pools of services, roster.requirement_from_forecast)
    each person staffs the pools whose services they all serve."""
    not_before = timezone.localtime(now or timezone.now()).replace(tzinfo=None)
    contracts = {
        c.user_id: c
        for c in StaffContract.objects.filter(outlet=outlet, user__memberships__outlet=outlet, user__is_active=True)
    }
    kept = _kept_rows(outlet, week_start, not_before)
    user_ids = set(contracts)
    staff = _staff(outlet, week_start, user_ids, contracts)
    if pools:
        staff = [replace(p, skills=solver.pool_skills(p.skills, pools)) for p in staff]
    problem = solver.RosterProblem(
        week_start=week_start,
        opening=_opening(outlet, _week(week_start)),
        staff=tuple(staff),
        templates=_templates(outlet),
        requirement=dict(requirement),
        fixed=tuple(_as_shift(r, fixed=True) for r in kept),
        not_before=not_before,
    )
    return problem, kept


# --- Planning a week --------------------------------------------------------------------------


def roster_generate(
    *,
    outlet: Outlet,
    week_start: date,
    requirement: Mapping[tuple[date, time, str], int],
    now: datetime | None = None,
    pools: Mapping[str, Sequence[str]] | None = None,
    time_limit_seconds: float = 4.0,
    created_by=None,
) -> GeneratedRoster:
    """Plan the hall's week from `week_start` (7 days) against `requirement`
    ((date, slot start, service code) -> counters) and store it.

    Kept: shifts a manager made, and shifts that have already started by
    `now`; they count in the cover and in each person's hours. Replaced: the
    week's other solver-made shifts at this hall. The solver runs outside any
    transaction (it takes seconds); the write is one transaction under the
    hall's row lock. Raises RosterChanged (409) when the kept shifts changed
    meanwhile (nothing is written then). An uncoverable requirement is not an
    error: `roster.short_slots` names what is left short. With `pools` the
    requirement is by pools of services (see roster_problem); a shift that
    staffs a pool stores the pool's services."""
    problem, kept = roster_problem(outlet=outlet, week_start=week_start, requirement=requirement, now=now,
                                   pools=pools)
    seen = _fingerprint(kept)
    roster = solver.solve_roster(problem, time_limit_seconds=time_limit_seconds)
    new_shifts = [
        replace(s, services=tuple(sorted({m for label in s.services for m in (pools or {}).get(label, [label])})))
        for s in roster.shifts if not s.fixed
    ]
    codes = {s for shift in new_shifts for s in shift.services}
    service_ids = dict(Service.objects.filter(code__in=codes).values_list("code", "id"))
    days = _week(week_start)
    try:
        with transaction.atomic():
            # The hall's row orders every writer of its roster (this, and a manager's edits).
            Outlet.objects.select_for_update(no_key=True).get(pk=outlet.pk)
            if _fingerprint(_kept_rows(outlet, week_start, problem.not_before)) != seen:
                raise RosterChanged()
            kept_ids = [r.pk for r in kept]
            RosterShift.objects.filter(
                outlet=outlet, date__gte=days[0], date__lte=days[-1], source=RosterShiftSource.SOLVER
            ).exclude(pk__in=kept_ids).delete()
            rows = RosterShift.objects.bulk_create([
                RosterShift(
                    outlet=outlet, user_id=s.staff_id, date=s.day, starts=s.start, ends=s.end,
                    break_starts=s.break_start, break_ends=s.break_end, template_code=s.template,
                    source=RosterShiftSource.SOLVER, created_by=created_by,
                )
                for s in new_shifts
            ])
            _outlook_changed(outlet.pk)
            RosterShift.services.through.objects.bulk_create([
                RosterShift.services.through(rostershift_id=row.pk, service_id=service_ids[code])
                for row, shift in zip(rows, new_shifts)
                for code in shift.services
                if code in service_ids
            ])
    except IntegrityError:
        # A shift for one of these people was stored elsewhere meanwhile (one a day).
        raise RosterChanged() from None
    stored = list(
        RosterShift.objects.filter(outlet=outlet, date__gte=days[0], date__lte=days[-1])
        .select_related("user").prefetch_related("services")
    )
    return GeneratedRoster(roster=roster, shifts=stored)


def roster_plan_week(
    *,
    outlet: Outlet,
    week_start: date,
    now: datetime | None = None,
    created_by=None,
    time_limit_seconds: float = 3.5,
) -> GeneratedRoster:
    """Plan the hall's week (from its Monday) against what its forecast
    requires, day by day (planning.staffing: counters per half hour and
    service). Raises NoForecast when no day of the week has a forecast.
    Days without one are planned with no requirement (only kept shifts)."""
    week_start = _monday(week_start)
    requirement: dict[tuple[date, time, str], int] = {}
    for day in _week(week_start):
        requirement.update(hall_staffing(outlet=outlet, day=day, now=now, with_actual=False).requirement())
    if not requirement:
        raise NoForecast()
    return roster_generate(outlet=outlet, week_start=week_start, requirement=requirement, now=now,
                           created_by=created_by, time_limit_seconds=time_limit_seconds)


# --- A manager's edits ---------------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def roster_shift_violations(
    *,
    outlet: Outlet,
    user,
    day: date,
    starts: time,
    ends: time,
    break_starts: time | None = None,
    break_ends: time | None = None,
    services: Iterable[str] = (),
    instance: RosterShift | None = None,
) -> list[solver.Violation]:
    """The rules that adding the shift (or changing `instance` into it) would
    break for its person: those broken after the change and not before it, in
    its week (Monday to Sunday) and in the rest before the next week's first
    shift. A shift at another hall the same day, or too close before or
    after, counts as well. Reads only."""
    if not StaffMembership.objects.filter(outlet=outlet, user=user).exists():
        return [solver.Violation("unknown_staff", user.pk, day, f"{user} is not on this hall's staff.")]
    week_start = _monday(day)
    days = _week(week_start)
    contract = StaffContract.objects.filter(outlet=outlet, user=user).first()
    person = _staff(outlet, week_start, {user.pk}, {user.pk: contract} if contract else {})[0]
    around = RosterShift.objects.filter(user=user, date__gte=days[0] - timedelta(days=1),
                                        date__lte=days[-1] + timedelta(days=1)).prefetch_related("services")
    around = [r for r in around if instance is None or r.pk != instance.pk]
    # Last week's shifts count through the person's history (last_shift_end).
    elsewhere = [r for r in around if r.outlet_id != outlet.pk and r.date >= days[0]]
    here = [_as_shift(r, fixed=True) for r in around if r.outlet_id == outlet.pk and r.date >= days[0]]
    # Days at another hall are not leave here: they are checked as shifts below.
    person = solver.Staff(
        id=person.id, skills=person.skills, contract=person.contract, availability=person.availability,
        leave=frozenset(d for d in person.leave if not any(r.date == d for r in elsewhere)),
        days_worked_before=person.days_worked_before, last_shift_end=person.last_shift_end,
    )
    template = ShiftTemplate.objects.filter(outlet=outlet, starts=starts, ends=ends, is_active=True).first()
    edited = solver.Shift(
        staff_id=user.pk, day=day, start=starts, end=ends, break_start=break_starts, break_end=break_ends,
        services=tuple(sorted(services)), template=template.code if template else "",
    )
    problem = solver.RosterProblem(
        week_start=week_start, opening=_opening(outlet, days), staff=(person,), templates=_templates(outlet),
        requirement={},
    )
    before = solver.roster_check(problem, here + ([_as_shift(instance, fixed=True)] if instance else []))
    after = solver.roster_check(problem, here + [edited])
    for other in elsewhere:
        other_start = datetime.combine(other.date, other.starts)
        if other.date == day:
            after.append(solver.Violation("two_shifts_a_day", user.pk, day, f"{user} works at another hall that day."))
        elif abs((other.date - day).days) == 1:
            first_end, second_start = (
                (_shift_end(other), datetime.combine(day, starts)) if other.date < day
                else (datetime.combine(day + timedelta(days=1), ends) if ends == time(0)
                      else datetime.combine(day, ends), other_start)
            )
            if second_start - first_end < timedelta(hours=problem.rules.min_rest_hours):
                after.append(solver.Violation("rest", user.pk, day, "Too little rest next to a shift at another hall."))
    already = Counter((v.code, v.day) for v in before)
    introduced = []
    for v in after:
        if already[(v.code, v.day)] > 0:
            already[(v.code, v.day)] -= 1
        else:
            introduced.append(v)
    return introduced


def _raise_if_broken(violations: list[solver.Violation]) -> None:
    if violations:
        fields: dict[str, list[str]] = defaultdict(list)
        for v in violations:
            fields[v.code].append(v.message)
        raise RosterRuleBroken(fields=dict(fields))


def _set_services(shift: RosterShift, codes: Iterable[str]) -> None:
    shift.services.set(Service.objects.filter(code__in=list(codes)))


def roster_shift_create(
    *,
    outlet: Outlet,
    user,
    day: date,
    starts: time,
    ends: time,
    break_starts: time | None = None,
    break_ends: time | None = None,
    services: Iterable[str] = (),
    created_by=None,
) -> RosterShift:
    """A manager adds a shift (kept when the week is planned again). Raises
    RosterRuleBroken (nothing written) when it breaks a rule of the roster."""
    services = list(services)
    with transaction.atomic():
        Outlet.objects.select_for_update(no_key=True).get(pk=outlet.pk)
        _raise_if_broken(roster_shift_violations(
            outlet=outlet, user=user, day=day, starts=starts, ends=ends,
            break_starts=break_starts, break_ends=break_ends, services=services,
        ))
        shift = RosterShift.objects.create(
            outlet=outlet, user=user, date=day, starts=starts, ends=ends, break_starts=break_starts,
            break_ends=break_ends, source=RosterShiftSource.MANAGER, created_by=created_by,
        )
        _set_services(shift, services)
        _outlook_changed(outlet.pk)
    return shift


def roster_shift_update(
    *,
    shift: RosterShift,
    starts: time,
    ends: time,
    break_starts: time | None = None,
    break_ends: time | None = None,
    services: Iterable[str] | None = None,
    day: date | None = None,
    edited_by=None,
) -> RosterShift:
    """A manager changes a shift's times, break, services or day; it becomes
    the manager's (kept when the week is planned again). Raises
    RosterRuleBroken (nothing written) when the change breaks a rule."""
    with transaction.atomic():
        outlet = Outlet.objects.select_for_update(no_key=True).get(pk=shift.outlet_id)
        current = RosterShift.objects.select_for_update(no_key=True).get(pk=shift.pk)
        codes = sorted(services) if services is not None else sorted(current.services.values_list("code", flat=True))
        day = day or current.date
        _raise_if_broken(roster_shift_violations(
            outlet=outlet, user=current.user, day=day, starts=starts, ends=ends,
            break_starts=break_starts, break_ends=break_ends, services=codes, instance=current,
        ))
        current.date, current.starts, current.ends = day, starts, ends
        current.break_starts, current.break_ends = break_starts, break_ends
        current.source = RosterShiftSource.MANAGER
        if edited_by is not None:
            current.created_by = edited_by
        current.template_code = ""
        current.save()
        _set_services(current, codes)
        _outlook_changed(outlet.pk)
    return current


def roster_shift_delete(*, shift: RosterShift) -> None:
    """A manager takes a shift off the roster."""
    with transaction.atomic():
        Outlet.objects.select_for_update(no_key=True).get(pk=shift.outlet_id)
        RosterShift.objects.filter(pk=shift.pk).delete()
        _outlook_changed(shift.outlet_id)
