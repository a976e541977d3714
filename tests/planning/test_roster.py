"""The weekly roster solver: its rules always hold, the edges of the week,
short slots named instead of failure, fairness, and a manager's edits checked."""

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from queueing.planning.roster import (
    Contract,
    RosterProblem,
    RosterRules,
    Shift,
    ShiftTemplate,
    Staff,
    pool_skills,
    requirement_from_forecast,
    roster_check,
    roster_cover,
    slot_time,
    solve_roster,
)

MONDAY = date(2027, 3, 1)
WEEK = [MONDAY + timedelta(days=i) for i in range(7)]
OPENS, CLOSES = time(8, 30), time(21, 30)
SLOTS = [slot_time(t) for t in range(17, 43)]  # 08:30 .. 21:00, 26 slots
SERVICES = ["payment", "new_line", "plan_change", "handset", "broadband", "enterprise", "points", "enquiry"]

EARLY = ShiftTemplate("E", time(8, 30), time(17, 0), 60, time(11, 0), time(14, 0))
MIDDLE = ShiftTemplate("M", time(10, 30), time(19, 0), 60, time(12, 0), time(15, 0))
LATE = ShiftTemplate("L", time(13, 0), time(21, 30), 60, time(16, 30), time(19, 30))
MORNING = ShiftTemplate("AM", time(8, 30), time(13, 0))
EVENING = ShiftTemplate("PM", time(17, 0), time(21, 30))
TEMPLATES = (EARLY, MIDDLE, LATE, MORNING, EVENING)

FULL_TIME = Contract(hours_per_week=40, min_shift_hours=7, max_shift_hours=8, days_per_week=5)
PART_TIME = Contract(hours_per_week=24, min_shift_hours=4, max_shift_hours=5, days_per_week=5)


def opening(days=WEEK):
    return {day: (OPENS, CLOSES) for day in days}


def flat(counters, services=("payment",), days=WEEK, slots=SLOTS):
    return {(day, t, s): counters for day in days for t in slots for s in services}


def problem(staff, requirement, **kwargs) -> RosterProblem:
    kwargs.setdefault("templates", TEMPLATES)
    kwargs.setdefault("opening", opening())
    return RosterProblem(week_start=MONDAY, staff=tuple(staff), requirement=requirement, **kwargs)


def person(sid, skills=("payment",), contract=FULL_TIME, **kwargs) -> Staff:
    return Staff(id=sid, skills=frozenset(skills), contract=contract, **kwargs)


def varied_hall(seed: int, staff=12, scale=0.8) -> RosterProblem:
    """A hall's week with everything that constrains a roster: mixed skills
    and contracts, availability, leave, last week's streaks and late shifts."""
    rng = random.Random(seed)
    people = []
    for i in range(staff):
        part = i >= staff - 3
        availability = None
        if i % 5 == 1:  # mornings only on weekdays, never at weekends
            availability = {d: ((time(8, 0), time(17, 0)),) for d in range(5)}
        leave = frozenset(rng.sample(WEEK, 2)) if i % 4 == 2 else frozenset()
        people.append(person(
            f"s{i}",
            skills=rng.sample(SERVICES, rng.randint(1, 4)),
            contract=PART_TIME if part else FULL_TIME,
            availability=availability,
            leave=leave,
            days_worked_before=rng.choice([0, 2, 5, 6]),
            last_shift_end=datetime.combine(MONDAY - timedelta(days=1), rng.choice([time(17), time(21, 30)])),
        ))
    share = {"payment": .3, "new_line": .1, "plan_change": .12, "handset": .1, "broadband": .08,
             "enterprise": .05, "points": .05, "enquiry": .2}
    requirement = {}
    for d, day in enumerate(WEEK):
        for t in SLOTS:
            hour = t.hour + t.minute / 60
            shape = 2.5 + 2 * (11 <= hour < 14) + 2.5 * (17 <= hour < 20) + (d >= 5)
            for s in SERVICES:
                requirement[(day, t, s)] = int(shape * share[s] * scale + rng.random())
    return problem(people, requirement, rules=RosterRules(min_rest_hours=12))


# --- The rules always hold --------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_roster_keeps_every_rule_on_varied_halls(seed):
    hall = varied_hall(seed)

    roster = solve_roster(hall, time_limit_seconds=2)

    assert roster.status in ("optimal", "feasible")
    assert roster.shifts
    assert roster_check(hall, roster.shifts) == []


def test_people_serve_only_services_they_are_skilled_in():
    hall = problem([person("a", ["enterprise", "payment"]), person("b", ["payment"])],
                   flat(2, ("enterprise",)))

    roster = solve_roster(hall, time_limit_seconds=2)

    for shift in roster.shifts:
        served = {s for _, s in shift.assignments}
        assert served <= {"a": {"enterprise", "payment"}, "b": {"payment"}}[shift.staff_id]
    assert all(cover.scheduled <= 1 for cover in roster.cover)


def test_nobody_works_on_a_day_of_leave():
    leave = frozenset({WEEK[1], WEEK[4]})
    hall = problem([person("a", leave=leave)], flat(1))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert {s.day for s in roster.shifts}.isdisjoint(leave)
    assert len(roster.shifts) == 5


def test_shifts_lie_within_each_persons_availability():
    mornings = {d: ((time(8, 30), time(13, 0)),) for d in range(7)}
    hall = problem([person("a", contract=PART_TIME, availability=mornings)], flat(1))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert roster.shifts
    assert all(s.template == "AM" for s in roster.shifts)


def test_weekly_hours_and_days_never_exceed_the_contract():
    hall = problem([person("a"), person("b", contract=PART_TIME)], flat(3))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert roster.hours["a"] <= 40 and roster.hours["b"] <= 24
    assert len([s for s in roster.shifts if s.staff_id == "a"]) <= 5
    assert roster_check(hall, roster.shifts) == []


def test_shift_lengths_stay_within_the_contract():
    hall = problem([person("full"), person("part", contract=PART_TIME)], flat(2))

    roster = solve_roster(hall, time_limit_seconds=2)

    for shift in roster.shifts:
        hours = shift.worked_minutes / 60
        if shift.staff_id == "full":
            assert 7 <= hours <= 8
        else:
            assert 4 <= hours <= 5


def test_one_shift_a_day_at_most():
    hall = problem([person("a", contract=Contract(80, 4, 8, days_per_week=7, max_consecutive_days=7))], flat(3))

    roster = solve_roster(hall, time_limit_seconds=2)

    days = [s.day for s in roster.shifts]
    assert len(days) == len(set(days)) == 7


def test_a_late_shift_is_not_followed_by_an_early_one_within_the_minimum_rest():
    # Needed late on Monday and early on Tuesday; 21:30 to 08:30 is 11 h, less than 12.
    requirement = {**{(WEEK[0], t, "payment"): 1 for t in SLOTS if t >= time(17)},
                   **{(WEEK[1], t, "payment"): 1 for t in SLOTS if t < time(13)}}
    hall = problem([person("a")], requirement, rules=RosterRules(min_rest_hours=12))

    roster = solve_roster(hall, time_limit_seconds=2)

    monday, tuesday = (next((s for s in roster.shifts if s.day == d), None) for d in WEEK[:2])
    assert monday is not None and tuesday is not None
    gap = datetime.combine(WEEK[1], tuesday.start) - datetime.combine(WEEK[0], monday.end)
    assert gap >= timedelta(hours=12)
    assert roster.short_slots  # so one of the two is left short, and named


def test_a_break_never_falls_in_the_first_or_last_half_hour_of_a_shift():
    # The window is the whole shift and nobody is needed at its ends: the
    # ends would be the cheapest place for the break, and are not allowed.
    anywhere = ShiftTemplate("D", time(8, 30), time(16, 0), 30)
    requirement = {(day, t, "payment"): 1 for day in WEEK for t in SLOTS if time(9) <= t < time(15, 30)}
    hall = problem([person("a", contract=Contract(40, 6, 8))], requirement, templates=(anywhere,))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert roster.shifts
    for shift in roster.shifts:
        assert shift.start < shift.break_start and shift.break_end < shift.end
        assert shift.break_start >= time(9) and shift.break_end <= time(15, 30)


def test_lunch_breaks_are_staggered_so_that_cover_holds():
    # One counter from opening to 17:00: one person would leave it empty for
    # lunch, two with their lunches at different times never do.
    requirement = {(MONDAY, t, "payment"): 1 for t in SLOTS if t < time(17)}
    hall = problem([person("a"), person("b")], requirement, opening=opening(WEEK[:1]), templates=(EARLY,))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert len(roster.shifts) == 2
    first, second = sorted(roster.shifts, key=lambda s: s.break_start)
    assert first.break_end <= second.break_start
    assert not roster.short_slots


# --- The edges of the week ------------------------------------------------------------------


def test_the_first_day_respects_rest_after_last_weeks_final_shift():
    last_week = datetime.combine(MONDAY - timedelta(days=1), time(21, 30))
    requirement = {(WEEK[0], t, "payment"): 1 for t in SLOTS}
    hall = problem([person("a", last_shift_end=last_week)], requirement, rules=RosterRules(min_rest_hours=12))

    roster = solve_roster(hall, time_limit_seconds=2)

    monday = [s for s in roster.shifts if s.day == MONDAY]
    assert monday and all(datetime.combine(MONDAY, s.start) - last_week >= timedelta(hours=12) for s in monday)


def test_the_first_day_counts_days_worked_at_the_end_of_last_week():
    hall = problem([person("a", days_worked_before=6, contract=replace(FULL_TIME, days_per_week=7))], flat(1))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert MONDAY not in {s.day for s in roster.shifts}
    assert len(roster.shifts) == 5  # the contract's 40 hours, on the other days


def test_the_last_day_of_the_week_is_planned_like_any_other():
    sunday = WEEK[-1]
    requirement = {(sunday, t, "payment"): 1 for t in SLOTS if t < time(13) or t >= time(17)}
    hall = problem([person("a", contract=PART_TIME), person("b", contract=PART_TIME)], requirement)

    roster = solve_roster(hall, time_limit_seconds=2)

    assert not roster.short_slots
    assert sorted((s.day, s.template) for s in roster.shifts) == [(sunday, "AM"), (sunday, "PM")]


def test_a_shift_may_end_at_closing_time_and_covers_the_last_slot():
    requirement = {(day, time(21, 0), "payment"): 1 for day in WEEK}
    hall = problem([person("a", contract=PART_TIME), person("b", contract=PART_TIME)], requirement)

    roster = solve_roster(hall, time_limit_seconds=2)

    assert not roster.short_slots
    assert all(s.end == CLOSES for s in roster.shifts)


def test_a_hall_open_until_midnight_may_roster_a_shift_ending_at_midnight():
    to_midnight = ShiftTemplate("N", time(19, 30), time(0, 0))
    days = {day: (time(8, 30), time(0, 0)) for day in WEEK}
    requirement = {(WEEK[-1], time(23, 30), "payment"): 1}
    hall = problem([person("a", contract=PART_TIME)], requirement, opening=days, templates=(to_midnight,))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert [(s.day, s.end) for s in roster.shifts] == [(WEEK[-1], time(0, 0))]
    assert roster_check(hall, roster.shifts) == []


# --- Never fails --------------------------------------------------------------------------


def test_an_uncoverable_requirement_still_gives_a_roster_naming_the_short_slots():
    hall = problem([person("a")], flat(3, days=WEEK[:1]), opening=opening(WEEK[:1]))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert len(roster.shifts) == 1
    shift = roster.shifts[0]
    short = {(c.start, c.short) for c in roster.short_slots}
    assert len(short) == len(SLOTS)  # every slot short: 3 needed, one person at most
    on_duty = {t for t, _ in shift.assignments}
    assert all(n == (2 if t in on_duty else 3) for t, n in short)


def test_a_service_nobody_serves_is_named_short():
    hall = problem([person("a", ["payment"])], flat(1, ("enterprise",), days=WEEK[:1]), opening=opening(WEEK[:1]))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert roster.shifts == ()
    assert {(c.service, c.short) for c in roster.short_slots} == {("enterprise", 1)}
    assert len(roster.short_slots) == len(SLOTS)


def test_nobody_is_rostered_merely_to_fill_contract_hours():
    requirement = {(MONDAY, t, "payment"): 1 for t in SLOTS if t < time(13)}
    hall = problem([person("a"), person("b")], requirement)

    roster = solve_roster(hall, time_limit_seconds=2)

    assert len(roster.shifts) == 1
    assert not roster.short_slots


def test_fixed_shifts_are_kept_and_count_in_the_cover():
    manager_made = Shift("a", MONDAY, time(8, 30), time(13, 0), services=("payment",), fixed=True)
    requirement = {(MONDAY, t, "payment"): 1 for t in SLOTS if t < time(17)}
    hall = problem([person("a"), person("b")], requirement, opening=opening(WEEK[:1]), fixed=(manager_made,))

    roster = solve_roster(hall, time_limit_seconds=2)

    kept = [s for s in roster.shifts if s.fixed]
    assert [(s.staff_id, s.start, s.end) for s in kept] == [("a", time(8, 30), time(13, 0))]
    assert [s.staff_id for s in roster.shifts if not s.fixed] == ["b"]
    assert not roster.short_slots


def test_no_new_shift_starts_before_not_before():
    hall = problem([person("a"), person("b")], flat(1), not_before=datetime.combine(WEEK[2], time(12)))

    roster = solve_roster(hall, time_limit_seconds=2)

    assert all(datetime.combine(s.day, s.start) >= datetime.combine(WEEK[2], time(12)) for s in roster.shifts)


# --- Fairness --------------------------------------------------------------------------


def test_hours_are_shared_in_proportion_to_contracts():
    # Two counters all week: 364 counter-hours; four full-timers could give 160.
    staff = [person(f"s{i}") for i in range(3)] + [person("part", contract=PART_TIME)]
    hall = problem(staff, flat(1))

    roster = solve_roster(hall, time_limit_seconds=3)

    shares = [roster.hours.get(s.id, 0) / s.contract.hours_per_week for s in staff]
    assert max(shares) - min(shares) <= 0.2


def test_late_shifts_are_spread_among_the_staff():
    requirement = {(day, t, "payment"): 1 for day in WEEK for t in SLOTS if t >= time(17)}
    staff = [person(f"s{i}", contract=PART_TIME) for i in range(3)]
    hall = problem(staff, requirement)

    roster = solve_roster(hall, time_limit_seconds=3)

    late = [sum(1 for s in roster.shifts if s.staff_id == p.id and s.end > time(19)) for p in staff]
    assert sum(late) == 7
    assert max(late) - min(late) <= 1


def test_weekend_shifts_are_spread_among_the_staff():
    requirement = {(day, t, "payment"): 2 for day in WEEK[5:] for t in SLOTS if t < time(13)}
    staff = [person(f"s{i}", contract=PART_TIME) for i in range(4)]
    hall = problem(staff, requirement)

    roster = solve_roster(hall, time_limit_seconds=3)

    weekends = [sum(1 for s in roster.shifts if s.staff_id == p.id) for p in staff]
    assert sum(weekends) == 4
    assert max(weekends) - min(weekends) <= 1


# --- A manager's edits ---------------------------------------------------------------------


def codes(violations):
    return sorted(v.code for v in violations)


def test_a_valid_edit_breaks_no_rule():
    hall = problem([person("a")], flat(1))

    edited = [Shift("a", MONDAY, time(8, 30), time(17, 0), time(12), time(13), ("payment",))]

    assert roster_check(hall, edited) == []


def test_a_break_at_the_start_or_end_of_a_shift_is_reported():
    hall = problem([person("a")], flat(1))

    at_start = Shift("a", MONDAY, time(8, 30), time(17, 0), time(8, 30), time(9, 30))
    at_end = Shift("a", WEEK[1], time(8, 30), time(17, 0), time(16), time(17))

    assert codes(roster_check(hall, [at_start, at_end])) == ["break_at_edge", "break_at_edge"]


def test_a_long_shift_without_a_break_is_reported():
    hall = problem([person("a")], flat(1))

    assert codes(roster_check(hall, [Shift("a", MONDAY, time(8, 30), time(16, 0))])) == ["break_missing"]


def test_edits_that_break_contract_rest_leave_or_skills_are_reported():
    staff = person("a", leave=frozenset({WEEK[6]}), contract=Contract(24, 4, 8, days_per_week=3))
    hall = problem([staff], flat(1), rules=RosterRules(min_rest_hours=12))
    late = [Shift("a", WEEK[d], time(13), time(21, 30), time(17), time(18)) for d in range(3)]
    early_after_late = Shift("a", WEEK[3], time(8, 30), time(13), services=("enterprise",))
    on_leave = Shift("a", WEEK[6], time(8, 30), time(13))

    found = codes(roster_check(hall, [*late, early_after_late, on_leave]))

    assert found == ["days_per_week", "leave", "rest", "skill", "weekly_hours"]


def test_more_days_in_a_row_than_allowed_are_reported_counting_last_week():
    staff = person("a", days_worked_before=5, contract=Contract(80, 4, 8, days_per_week=7, max_consecutive_days=6))
    hall = problem([staff], flat(1))

    found = roster_check(hall, [Shift("a", WEEK[d], time(8, 30), time(13)) for d in range(2)])

    assert [(v.code, v.day) for v in found] == [("consecutive_days", WEEK[1])]


def test_two_shifts_on_one_day_and_times_off_the_half_hour_are_reported():
    hall = problem([person("a", contract=PART_TIME)], flat(1))

    found = codes(roster_check(hall, [
        Shift("a", MONDAY, time(8, 30), time(12, 30)),
        Shift("a", MONDAY, time(17), time(21, 30)),
        Shift("a", WEEK[1], time(8, 45), time(12, 45)),
    ]))

    assert "two_shifts_a_day" in found and "off_grid" in found


def test_cover_of_an_edited_roster_is_counted_against_the_requirement():
    hall = problem([person("a", ["payment", "enquiry"]), person("b", ["payment"])],
                   {**flat(1, ("payment", "enquiry"), days=WEEK[:1])}, opening=opening(WEEK[:1]))
    edited = [Shift("a", MONDAY, time(8, 30), time(13)), Shift("b", MONDAY, time(8, 30), time(13))]

    cover = {(c.start, c.service): (c.required, c.scheduled) for c in roster_cover(hall, edited)}

    # Before 13:00 b serves payment, so a serves enquiries; after 13:00 nobody.
    assert cover[(time(9), "payment")] == (1, 1)
    assert cover[(time(9), "enquiry")] == (1, 1)
    assert cover[(time(14), "payment")] == (1, 0)


# --- Scale and the requirement ------------------------------------------------------------


def test_a_full_halls_week_comes_out_within_its_time_limit_keeping_every_rule():
    # 12 staff, 8 services, 7 days of 26 half-hour slots (its speed: benchmarks/planning.py).
    hall = varied_hall(7, staff=12, scale=1.0)

    roster = solve_roster(hall, time_limit_seconds=4)

    assert roster.status in ("optimal", "feasible")
    assert roster_check(hall, roster.shifts) == []


def test_the_requirement_comes_from_erlang_c_slot_by_slot():
    arrivals = {(MONDAY, time(9), "payment"): 100, (MONDAY, time(9, 30), "payment"): 0}

    requirement = requirement_from_forecast(arrivals, {"payment": 180}, {"payment": 20}, 0.8)

    # 100 in half an hour is 200 an hour: 10 Erlangs, 14 counters for 80 % in 20 s.
    assert requirement == {(MONDAY, time(9), "payment"): 14, (MONDAY, time(9, 30), "payment"): 0}


def test_pooled_services_are_staffed_together_by_people_who_serve_all_of_them():
    arrivals = {(MONDAY, time(9), "enquiry"): 40, (MONDAY, time(9), "points"): 10, (MONDAY, time(9), "payment"): 30}
    aht = {"enquiry": 300, "points": 180, "payment": 120}
    pools = {"general": ["enquiry", "points"]}

    requirement = requirement_from_forecast(arrivals, aht, {}, 0.8, pools=pools)

    # The pool: 100 an hour at (80 x 300 + 20 x 180) / 100 = 276 s, 7.7 Erlangs.
    assert requirement == {(MONDAY, time(9), "general"): 9, (MONDAY, time(9), "payment"): 3}
    assert pool_skills(frozenset({"enquiry", "points", "payment"}), pools) == {"general", "payment"}
    assert pool_skills(frozenset({"enquiry", "payment"}), pools) == {"payment"}
