"""Counters required against planned, per half hour: Erlang C and Erlang A
on the stored forecast, pooled by the hall's counters, with shrinkage; the
roster's people on duty; a week planned against it."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from halls.models import CounterService, OpeningHours
from queueing.planning import services
from queueing.planning.models import RosterShift
from queueing.planning.slots import CounterSetup, HallSetup, ServiceSetup
from queueing.planning.staffing import hall_pools, hall_staffing, share
from tests.halls.factories import UserFactory, add_counter, member
from tests.planning.staffing_factories import MONDAY, forecast, one_service_hall, staffed
from tests.queueing.factories import build_floor

# --- Pools -------------------------------------------------------------------------------------


def setup_of(counters, services=("payment", "enquiry", "enterprise")):
    return HallSetup(
        outlet_id=1, code="X",
        services=tuple(ServiceSetup(i, code, "A", 300, 600) for i, code in enumerate(services, start=1)),
        counters=tuple(CounterSetup(100 + n, n, ids) for n, ids in enumerate(counters, start=1)),
        window=None,
    )


def test_services_called_at_one_counter_are_staffed_together():
    pools = hall_pools(setup_of([(1, 2), (1,), (3,)]), {"payment": 5.0, "enquiry": 1.0})

    assert [p.services for p in pools] == [("payment", "enquiry"), ("enterprise",)]


def test_a_pool_is_named_after_its_busiest_service():
    pools = hall_pools(setup_of([(1, 2)]), {"payment": 1.0, "enquiry": 4.0})

    assert pools[0].name == "enquiry"


def test_a_service_no_counter_calls_is_a_pool_of_its_own():
    pools = hall_pools(setup_of([(1,)]))

    assert [p.services for p in pools] == [("payment",), ("enquiry",), ("enterprise",)]


def test_counters_are_shared_among_services_by_largest_remainders():
    assert share(5, {"a": 2.6, "b": 1.2, "c": 0.2}) == {"a": 3, "b": 2, "c": 0}
    assert sum(share(7, {"a": 1.0, "b": 1.0, "c": 1.0}).values()) == 7


# --- Required ------------------------------------------------------------------------------------


def test_the_requirement_matches_published_erlang_c(db, clock, no_shrinkage):
    # 200 arrivals an hour, 180 s handle time, 80 % within 20 s: 14 counters.
    hall, service = one_service_hall()
    forecast(hall, service, MONDAY, 100)

    staffing = hall_staffing(outlet=hall, day=MONDAY)

    assert {s.required for s in staffing.slots} == {14}


def test_shrinkage_divides_before_rounding_up(db, clock, settings):
    settings.PLANNING_SHRINKAGE = 0.3
    settings.PLANNING_STAFFING_MODEL = "erlang_c"
    hall, service = one_service_hall()
    forecast(hall, service, MONDAY, 100)

    staffing = hall_staffing(outlet=hall, day=MONDAY)

    assert staffing.slots[0].required == 20  # 14 / 0.7


def test_there_is_one_row_per_half_hour_the_hall_is_open(db, clock, no_shrinkage):
    hall, service = one_service_hall()
    forecast(hall, service, MONDAY, 10)

    staffing = hall_staffing(outlet=hall, day=MONDAY)

    assert [timezone.localtime(s.start).strftime("%H:%M") for s in staffing.slots][::4] == [
        "09:00", "11:00", "13:00", "15:00"]
    assert len(staffing.slots) == 16


def test_an_open_hall_with_nobody_expected_still_opens_one_counter(db, clock, no_shrinkage):
    hall, service = one_service_hall()
    forecast(hall, service, MONDAY, lambda start: 0.0 if start.hour < 10 else 10.0)

    staffing = hall_staffing(outlet=hall, day=MONDAY)

    assert staffing.slots[0].forecast == 0 and staffing.slots[0].required == 1


def test_a_day_without_a_forecast_says_so(db, clock, no_shrinkage):
    hall, _ = one_service_hall()

    staffing = hall_staffing(outlet=hall, day=MONDAY)

    assert not staffing.has_forecast and staffing.requirement() == {}


def test_a_closed_day_has_no_rows(db, clock, no_shrinkage):
    hall, service = one_service_hall()
    OpeningHours.objects.filter(outlet=hall, weekday=MONDAY.weekday()).delete()

    assert hall_staffing(outlet=hall, day=MONDAY).slots == []


def test_erlang_a_needs_no_more_than_erlang_c_when_customers_leave(db, clock, no_shrinkage, settings):
    hall, service = one_service_hall(handle=300, target_wait=600)
    forecast(hall, service, MONDAY, 40)
    settings.PLANNING_STAFFING_MODEL = "erlang_a"

    slot = hall_staffing(outlet=hall, day=MONDAY).slots[0]

    assert slot.required == slot.required_erlang_a <= slot.required_erlang_c


def test_pooled_services_need_fewer_counters_than_each_alone(db, clock, no_shrinkage):
    floor = build_floor(hours=(time(9), time(17)))  # counter 1 calls both services: one pool
    for n in range(4, 13):
        add_counter(floor.hall, n, [floor.payment, floor.enquiry])
    floor.hall.hall_services.update(target_wait_seconds=60)
    forecast(floor.hall, floor.payment, MONDAY, 60)
    forecast(floor.hall, floor.enquiry, MONDAY, 24)
    one_pool = hall_staffing(outlet=floor.hall, day=MONDAY).slots[0]

    # Now no counter calls both: two pools.
    CounterService.objects.filter(counter__outlet=floor.hall, service=floor.enquiry).exclude(
        counter=floor.counter3).delete()
    two_pools = hall_staffing(outlet=floor.hall, day=MONDAY).slots[0]

    assert one_pool.required < two_pools.required


def test_a_pool_needs_at_least_what_its_busiest_service_needs_alone(db, clock, no_shrinkage):
    floor = build_floor(hours=(time(9), time(17)))
    forecast(floor.hall, floor.payment, MONDAY, 60)
    alone = hall_staffing(outlet=floor.hall, day=MONDAY).slots[0].required

    forecast(floor.hall, floor.enquiry, MONDAY, 1)
    pooled = hall_staffing(outlet=floor.hall, day=MONDAY).slots[0].required

    assert pooled >= alone


def test_the_rosters_requirement_never_passes_the_halls_counters(db, clock, no_shrinkage):
    hall, service = one_service_hall(counters=6)
    forecast(hall, service, MONDAY, 100)

    staffing = hall_staffing(outlet=hall, day=MONDAY)

    assert staffing.slots[0].required == 14
    assert set(staffing.requirement().values()) == {6}
    assert len(staffing.over_capacity) == 16


# --- Planned -------------------------------------------------------------------------------------


def test_people_on_duty_count_except_in_their_break(db, clock, no_shrinkage):
    hall, service = one_service_hall()
    forecast(hall, service, MONDAY, 10)
    for name, (starts, ends, brk) in {"a": (time(9), time(17), time(12)), "b": (time(13), time(17), None)}.items():
        user = UserFactory(username=f"p-{name}")
        member(user, hall)
        RosterShift.objects.create(outlet=hall, user=user, date=MONDAY, starts=starts, ends=ends,
                                   break_starts=brk, break_ends=time(13) if brk else None)

    scheduled = {timezone.localtime(s.start).strftime("%H:%M"): s.scheduled
                 for s in hall_staffing(outlet=hall, day=MONDAY).slots}

    assert (scheduled["09:00"], scheduled["12:00"], scheduled["12:30"], scheduled["13:00"]) == (1, 0, 0, 2)


def test_a_person_counts_for_the_services_they_are_skilled_in(db, clock, no_shrinkage):
    floor = build_floor(hours=(time(9), time(17)))
    forecast(floor.hall, floor.payment, MONDAY, 10)
    floor.hall.memberships.get(user=floor.agent).skills.set([floor.enquiry])
    RosterShift.objects.create(outlet=floor.hall, user=floor.agent, date=MONDAY, starts=time(9), ends=time(13))

    slot = hall_staffing(outlet=floor.hall, day=MONDAY).slots[0]

    assert (slot.services["payment"].scheduled, slot.services["enquiry"].scheduled) == (0, 1)


# --- A week planned against the forecast ---------------------------------------------------------


def test_a_week_is_planned_against_the_forecast(db, clock, no_shrinkage):
    hall, service = one_service_hall(handle=300, target_wait=600)
    staffed(hall)
    for i in range(7):
        forecast(hall, service, MONDAY + timedelta(days=i), 6)

    generated = services.roster_plan_week(outlet=hall, week_start=MONDAY, time_limit_seconds=2)

    days = {s.date for s in generated.shifts}
    assert len(days) == 7 and RosterShift.objects.filter(outlet=hall).count() == len(generated.shifts)


def test_a_week_without_a_forecast_is_refused_and_nothing_written(db, clock, no_shrinkage):
    hall, _ = one_service_hall()
    staffed(hall)

    with pytest.raises(services.NoForecast):
        services.roster_plan_week(outlet=hall, week_start=MONDAY, time_limit_seconds=1)

    assert not RosterShift.objects.filter(outlet=hall).exists()


def test_a_week_short_of_people_still_comes_out_and_names_the_slots_left_short(db, clock, no_shrinkage):
    hall, service = one_service_hall(handle=300, target_wait=600)
    staffed(hall, n=2)
    forecast(hall, service, MONDAY, 60)

    generated = services.roster_plan_week(outlet=hall, week_start=MONDAY, time_limit_seconds=2)

    assert generated.shifts
    assert {c.day for c in generated.roster.short_slots} == {MONDAY}
