"""Planning a hall's week into the database, and a manager's edits."""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from halls.models import OpeningHours, StaffRole
from queueing.planning import services
from queueing.planning.models import Leave, RosterShift, RosterShiftSource, ShiftTemplate, StaffContract
from queueing.planning.roster import roster_check
from tests.halls.factories import OutletFactory, ServiceFactory, UserFactory, member, offer

MONDAY = date(2027, 3, 1)
WEEK = [MONDAY + timedelta(days=i) for i in range(7)]
SLOTS = [time(h, m) for h in range(8, 22) for m in (0, 30) if time(8, 30) <= time(h, m) < time(21, 30)]


def aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@pytest.fixture
def hall(db):
    outlet = OutletFactory(code="RS-1", always_open=False)
    OpeningHours.objects.bulk_create(
        [OpeningHours(outlet=outlet, weekday=d, opens=time(8, 30), closes=time(21, 30)) for d in range(7)]
    )
    payment = ServiceFactory(code="payment", prefix="A")
    offer(outlet, payment)
    ShiftTemplate.objects.create(outlet=outlet, code="E", starts=time(8, 30), ends=time(17), break_minutes=60,
                                 break_earliest=time(11), break_latest_end=time(14))
    ShiftTemplate.objects.create(outlet=outlet, code="L", starts=time(13), ends=time(21, 30), break_minutes=60,
                                 break_earliest=time(16, 30), break_latest_end=time(19, 30))
    people = []
    for i in range(3):
        user = UserFactory(username=f"rs-agent{i}")
        member(user, outlet)
        StaffContract.objects.create(outlet=outlet, user=user, hours_per_week=40, min_shift_hours=7,
                                     max_shift_hours=8, days_per_week=5)
        people.append(user)
    return outlet, people


def requirement(counters=1, days=WEEK):
    return {(day, t, "payment"): counters for day in days for t in SLOTS}


def before_the_week():
    return aware(MONDAY - timedelta(days=7), time(9))


def test_a_planned_week_is_stored_and_keeps_every_rule(hall):
    outlet, people = hall

    result = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                      now=before_the_week(), time_limit_seconds=2)

    rows = RosterShift.objects.filter(outlet=outlet)
    assert rows.count() == len(result.roster.shifts) > 0
    assert {(r.user_id, r.date, r.starts, r.ends, r.break_starts, r.break_ends) for r in rows} == {
        (s.staff_id, s.day, s.start, s.end, s.break_start, s.break_end) for s in result.roster.shifts
    }
    assert all(r.source == RosterShiftSource.SOLVER for r in rows)
    assert all([s.code for s in r.services.all()] == ["payment"] for r in rows)
    problem, _ = services.roster_problem(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                        now=before_the_week())
    assert roster_check(problem, result.roster.shifts) == []


def test_an_uncoverable_week_is_stored_with_its_short_slots_named(hall):
    outlet, people = hall

    result = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(counters=3),
                                      now=before_the_week(), time_limit_seconds=2)

    assert result.roster.short_slots
    assert RosterShift.objects.filter(outlet=outlet).exists()


def test_planning_again_keeps_the_managers_shifts_and_replaces_the_solvers(hall):
    outlet, people = hall
    first = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                     now=before_the_week(), time_limit_seconds=2)
    solver_made = {r.pk for r in first.shifts}
    edited = first.shifts[0]
    services.roster_shift_update(shift=edited, starts=time(8, 30), ends=time(17), break_starts=time(13),
                                 break_ends=time(14), services=["payment"])

    second = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                      now=before_the_week(), time_limit_seconds=2)

    kept = RosterShift.objects.get(pk=edited.pk)
    assert kept.source == RosterShiftSource.MANAGER
    assert (kept.starts, kept.ends, kept.break_starts) == (time(8, 30), time(17), time(13))
    assert {r.pk for r in second.shifts} & solver_made == {edited.pk}
    assert any(s.fixed and s.staff_id == kept.user_id and s.day == kept.date for s in second.roster.shifts)


def test_planning_again_keeps_shifts_that_have_already_started(hall):
    outlet, people = hall
    first = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                     now=before_the_week(), time_limit_seconds=2)
    monday = [r.pk for r in first.shifts if r.date == MONDAY]

    second = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                      now=aware(WEEK[1], time(7)), time_limit_seconds=2)

    assert monday and set(monday) <= {r.pk for r in second.shifts}


def test_a_week_whose_kept_shifts_change_during_planning_is_not_written(hall, monkeypatch):
    outlet, people = hall
    manager_made = services.roster_shift_create(outlet=outlet, user=people[0], day=MONDAY, starts=time(8, 30),
                                                ends=time(17), break_starts=time(12), break_ends=time(13))
    from queueing.planning import roster as solver

    real_solve = solver.solve_roster

    def solve_while_the_manager_edits(problem, **kwargs):
        roster = real_solve(problem, **kwargs)
        services.roster_shift_update(shift=manager_made, starts=time(8, 30), ends=time(17),
                                     break_starts=time(13), break_ends=time(14))
        return roster

    monkeypatch.setattr(solver, "solve_roster", solve_while_the_manager_edits)

    with pytest.raises(services.RosterChanged):
        services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=requirement(),
                                 now=before_the_week(), time_limit_seconds=1)

    assert list(RosterShift.objects.values_list("pk", flat=True)) == [manager_made.pk]


def test_an_edit_with_a_break_at_the_start_of_the_shift_is_refused_and_nothing_changes(hall):
    outlet, people = hall
    shift = services.roster_shift_create(outlet=outlet, user=people[0], day=MONDAY, starts=time(8, 30),
                                         ends=time(17), break_starts=time(12), break_ends=time(13))

    with pytest.raises(services.RosterRuleBroken) as refused:
        services.roster_shift_update(shift=shift, starts=time(8, 30), ends=time(17), break_starts=time(8, 30),
                                     break_ends=time(9, 30))

    assert "break_at_edge" in refused.value.fields
    shift.refresh_from_db()
    assert shift.break_starts == time(12)


def test_a_shift_on_a_day_of_leave_is_refused(hall):
    outlet, people = hall
    Leave.objects.create(outlet=outlet, user=people[0], first_day=WEEK[2], last_day=WEEK[3])

    with pytest.raises(services.RosterRuleBroken) as refused:
        services.roster_shift_create(outlet=outlet, user=people[0], day=WEEK[3], starts=time(8, 30),
                                     ends=time(17), break_starts=time(12), break_ends=time(13))

    assert list(refused.value.fields) == ["leave"]
    assert not RosterShift.objects.exists()


def test_a_shift_the_same_day_as_one_at_another_hall_is_refused(hall):
    outlet, people = hall
    other = OutletFactory(code="RS-2")
    member(people[0], other)
    RosterShift.objects.create(outlet=other, user=people[0], date=MONDAY, starts=time(8, 30), ends=time(12, 30))

    with pytest.raises(services.RosterRuleBroken) as refused:
        services.roster_shift_create(outlet=outlet, user=people[0], day=MONDAY, starts=time(13, 30),
                                     ends=time(17, 30))

    assert "two_shifts_a_day" in refused.value.fields


def test_an_edit_is_not_refused_for_rules_other_shifts_already_broke(hall):
    outlet, people = hall
    # Six long days stored directly (imported, say): more than the contract's 40 hours.
    for day in WEEK[:6]:
        RosterShift.objects.create(outlet=outlet, user=people[0], date=day, starts=time(8, 30), ends=time(17),
                                   break_starts=time(12), break_ends=time(13))
    shift = RosterShift.objects.get(user=people[0], date=MONDAY)

    services.roster_shift_update(shift=shift, starts=time(8, 30), ends=time(17), break_starts=time(13),
                                 break_ends=time(14))

    shift.refresh_from_db()
    assert shift.break_starts == time(13)


def test_a_person_outside_the_hall_cannot_be_rostered(hall):
    outlet, people = hall

    with pytest.raises(services.RosterRuleBroken) as refused:
        services.roster_shift_create(outlet=outlet, user=UserFactory(username="stranger"), day=MONDAY,
                                     starts=time(8, 30), ends=time(13))

    assert list(refused.value.fields) == ["unknown_staff"]


def test_a_hall_manager_sees_only_their_halls_shifts_in_the_admin(hall, client):
    outlet, people = hall
    other = OutletFactory(code="RS-OTHER")
    RosterShift.objects.create(outlet=outlet, user=people[0], date=MONDAY, starts=time(8, 30), ends=time(13))
    RosterShift.objects.create(outlet=other, user=people[1], date=MONDAY, starts=time(8, 30), ends=time(13))
    manager = UserFactory(username="rs-manager", is_staff=True)
    member(manager, outlet, StaffRole.MANAGER)
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="planning",
                                                           codename__in=["view_rostershift", "change_rostershift"]))
    client.force_login(manager)

    page = client.get("/admin/planning/rostershift/").content.decode()

    assert "rs-agent0" in page and "rs-agent1" not in page


def test_the_admin_refuses_a_shift_that_breaks_a_rule(hall, client):
    outlet, people = hall
    root = UserFactory(username="rs-root", is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.post("/admin/planning/rostershift/add/", {
        "outlet": outlet.pk, "user": people[0].pk, "date": MONDAY.isoformat(), "starts": "08:30", "ends": "17:00",
    })

    assert response.status_code == 200  # the form again, with the error
    assert "break_missing" in response.content.decode()
    assert not RosterShift.objects.exists()


def test_a_week_planned_by_pools_stores_the_pools_services_on_each_shift(hall):
    outlet, people = hall
    enquiry = ServiceFactory(code="enquiry", prefix="H")
    points = ServiceFactory(code="points", prefix="P")
    offer(outlet, enquiry)
    offer(outlet, points)
    pooled = {(day, t, "general"): 1 for day in WEEK[:1] for t in SLOTS if t < time(17)}

    result = services.roster_generate(outlet=outlet, week_start=MONDAY, requirement=pooled, now=before_the_week(),
                                      pools={"general": ["enquiry", "points"]}, time_limit_seconds=2)

    assert not result.roster.short_slots
    rows = RosterShift.objects.filter(outlet=outlet)
    assert rows.exists()
    assert all(sorted(s.code for s in r.services.all()) == ["enquiry", "points"] for r in rows)


def test_a_hall_manager_picks_only_their_halls_staff_in_the_admin(hall, client):
    outlet, people = hall
    member(UserFactory(username="rs-elsewhere"), OutletFactory(code="RS-ELSEWHERE"))
    manager = UserFactory(username="rs-manager2", is_staff=True)
    member(manager, outlet, StaffRole.MANAGER)
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="planning",
                                                           codename__in=["view_rostershift", "add_rostershift"]))
    client.force_login(manager)

    page = client.get("/admin/planning/rostershift/add/").content.decode()

    assert "rs-agent0" in page and "rs-elsewhere" not in page
