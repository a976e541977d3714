"""The what-if simulation: against Erlang C and Erlang A where they hold,
the manager's what-ifs move predictions the right way, and a seed repeats."""

from datetime import date, time

import numpy as np
import pytest

from queueing.planning.erlang import average_speed_of_answer, erlang_a, service_level
from queueing.planning.roster import Shift
from queueing.planning.simulation import (
    AddCounters,
    CounterPlan,
    HallDay,
    MoveCounters,
    Opening,
    RemoveCounters,
    ServiceProfile,
    apply_what_ifs,
    draw_customers,
    plan_from_roster,
    simulate,
    simulate_day,
)

DAY = 24 * 60


def steady_day(counters: int, per_half_hour: float, aht: float, target: float, patience=None) -> HallDay:
    """A hall open all day with constant arrivals and identical counters,
    exponential handle times: the M/M/n(+M) queue."""
    services = {"payment": ServiceProfile(aht_seconds=aht, distribution="exponential", target_wait_seconds=target,
                                          patience_seconds=patience)}
    return HallDay(
        opens=0, closes=DAY,
        arrivals={(m, "payment"): per_half_hour for m in range(0, DAY, 30)},
        services=services,
        counters=tuple(CounterPlan((Opening(0, DAY, ("payment",)),)) for _ in range(counters)),
        day_cv=0, after_close_minutes=0,
    )


def busy_hall(**changes) -> HallDay:
    """A hall 08:30-21:30 with a lunch and an after-work peak, payments,
    enquiries and enterprise clients, lognormal handle times, people who
    leave after a while, and a few counters short after 17:00."""
    services = {
        "payment": ServiceProfile(aht_seconds=150, cv=0.6, patience_seconds=1200, target_wait_seconds=600,
                                  priority_share=0.05),
        "enquiry": ServiceProfile(aht_seconds=300, cv=0.8, patience_seconds=1500, target_wait_seconds=600),
        "enterprise": ServiceProfile(aht_seconds=600, cv=0.5, patience_seconds=2400, target_wait_seconds=900),
    }
    arrivals = {}
    for m in range(8 * 60 + 30, 21 * 60 + 30, 30):
        peak = 1.0 + 0.8 * (11 * 60 <= m < 14 * 60) + 1.0 * (17 * 60 <= m < 20 * 60)
        arrivals[(m, "payment")] = 40 * peak
        arrivals[(m, "enquiry")] = 12 * peak
        arrivals[(m, "enterprise")] = 2.5
    counters = (
        *[CounterPlan((Opening(510, 1290, ("payment",)),)) for _ in range(5)],
        *[CounterPlan((Opening(510, 1290, ("enquiry", "payment")),)) for _ in range(3)],
        *[CounterPlan((Opening(510, 1290, ("enterprise",)),)) for _ in range(2)],
    )
    day = HallDay(opens=510, closes=1290, arrivals=arrivals, services=services, counters=counters, day_cv=0.1)
    return apply_what_ifs(day, changes.get("changes", ()))


# --- Against the formulas -------------------------------------------------------------


def test_in_steady_state_the_service_level_agrees_with_erlang_c_within_three_points():
    # 200 an hour, 180 s, 14 counters, 20 s: Erlang C says 0.8884 and 7.8 s.
    day = steady_day(14, 100, 180, 20)

    result = simulate(day, days=9, seed=1, warmup_minutes=60)  # 207 simulated hours

    assert result.day.service_level.mean == pytest.approx(service_level(14, 10.0, 180, 20), abs=0.03)
    assert result.day.average_wait_seconds.mean == pytest.approx(average_speed_of_answer(14, 10.0, 180), abs=2.0)


def test_with_too_few_counters_the_simulated_line_grows_as_erlang_c_warns():
    day = steady_day(9, 100, 180, 20)  # 10 Erlangs on 9 counters: overload

    result = simulate(day, days=2, seed=1)

    assert result.day.service_level.mean < 0.2
    assert result.slot(time(12)).average_wait_seconds.mean > result.slot(time(1)).average_wait_seconds.mean * 4


def test_with_exponential_patience_the_simulation_agrees_with_erlang_a():
    # 10 Erlangs on 9 counters: overloaded, but people leave after 5 minutes on average.
    day = steady_day(9, 100, 180, 60, patience=300)
    expected = erlang_a(9, 200, 180, 300, 60)

    result = simulate(day, days=6, seed=3, warmup_minutes=60)

    assert result.day.answered_in_time.mean == pytest.approx(expected.service_level, abs=0.03)
    assert result.day.abandonment.mean == pytest.approx(expected.probability_of_abandonment, abs=0.03)
    assert result.day.average_wait_seconds.mean == pytest.approx(expected.average_wait_seconds, rel=0.1)


# --- Repeatability (the speed is in benchmarks/planning.py) ---------------------------------------------------------------


def test_the_same_seed_gives_the_same_predictions():
    first = simulate(busy_hall(), days=3, seed=11)
    second = simulate(busy_hall(), days=3, seed=11)
    other = simulate(busy_hall(), days=3, seed=12)

    assert first.slots == second.slots and first.day == second.day
    assert other.day != first.day


def test_more_days_narrow_the_confidence_interval():
    few = simulate(busy_hall(), days=4, seed=2).day.average_wait_seconds
    many = simulate(busy_hall(), days=36, seed=2).day.average_wait_seconds

    assert few.low <= few.mean <= few.high
    assert (many.high - many.low) < (few.high - few.low)


def test_the_day_multiplier_makes_days_differ_more_than_chance_alone():
    calm = busy_hall()
    uneven = HallDay(**{**calm.__dict__, "day_cv": 0.3})

    calm_counts = [len(draw_customers(calm, np.random.default_rng([1, k]))) for k in range(200)]
    uneven_counts = [len(draw_customers(uneven, np.random.default_rng([1, k]))) for k in range(200)]

    assert np.mean(uneven_counts) == pytest.approx(np.mean(calm_counts), rel=0.05)
    assert np.std(uneven_counts) > 2 * np.std(calm_counts)


# --- The manager's what-ifs ---------------------------------------------------------------


def test_two_more_people_after_17_lift_the_evening_and_leave_the_day_before_alone():
    evening = (time(17), time(21, 30))
    before = simulate(busy_hall(), days=20, seed=4, windows=[evening, (time(8, 30), time(16, 0))])

    after = simulate(busy_hall(), days=20, seed=4, changes=[AddCounters(2, ("payment",), time(17))],
                     windows=[evening, (time(8, 30), time(16, 0))])

    assert after.between(*evening).answered_in_time.mean > before.between(*evening).answered_in_time.mean + 0.05
    assert after.between(*evening).service_level.mean > before.between(*evening).service_level.mean
    assert after.between(*evening).average_wait_seconds.mean < before.between(*evening).average_wait_seconds.mean
    # The same customers meet the same counters before 16:00.
    assert after.between(time(8, 30), time(16)) == before.between(time(8, 30), time(16))


def test_moving_one_from_enterprise_to_payments_helps_payments_and_costs_enterprise():
    before = simulate(busy_hall(), days=20, seed=6)

    after = simulate(busy_hall(), days=20, seed=6, changes=[MoveCounters("enterprise", "payment")])

    assert after.service("payment").average_wait_seconds.mean < before.service("payment").average_wait_seconds.mean
    assert after.service("enterprise").average_wait_seconds.mean > before.service("enterprise").average_wait_seconds.mean


def test_closing_a_counter_for_lunch_raises_the_lunchtime_wait():
    lunch = (time(12), time(13))
    before = simulate(busy_hall(), days=20, seed=8, windows=[lunch])

    after = simulate(busy_hall(), days=20, seed=8, changes=[RemoveCounters(1, "payment", *lunch)], windows=[lunch])

    assert after.between(*lunch).average_wait_seconds.mean > before.between(*lunch).average_wait_seconds.mean


def test_a_move_for_part_of_the_day_splits_the_counter_at_its_edges():
    day = apply_what_ifs(busy_hall(), [MoveCounters("enterprise", "payment", 1, time(17), time(19))])

    moved = [c for c in day.counters if any("enterprise" in o.services for o in c.openings)
             and any(o.services[0] == "payment" and o.start == 17 * 60 for o in c.openings)]

    assert len(moved) == 1
    assert [(o.start, o.end, o.services) for o in moved[0].openings] == [
        (510, 1020, ("enterprise",)), (1020, 1140, ("payment",)), (1140, 1290, ("enterprise",))
    ]


# --- Routing and the day's edges --------------------------------------------------------------


def test_an_idle_counter_calls_by_priority_class_then_by_arrival_across_its_services():
    services = {"a": ServiceProfile(aht_seconds=60, priority_share=0.3, target_wait_seconds=600),
                "b": ServiceProfile(aht_seconds=60, priority_share=0.3, target_wait_seconds=600)}
    # Everyone arrives 08:00-08:30; the one counter opens at 09:00.
    day = HallDay(opens=480, closes=1200, arrivals={(480, "a"): 15, (480, "b"): 15}, services=services,
                  counters=(CounterPlan((Opening(540, 1200, ("a", "b")),)),), day_cv=0)

    customers = simulate_day(day, np.random.default_rng(9))

    called = sorted((c for c in customers if c.outcome == "served"), key=lambda c: c.arrival + c.wait)
    assert len(called) == len(customers) > 10
    assert [(c.rank, c.arrival) for c in called] == sorted((c.rank, c.arrival) for c in called)
    assert {c.service for c in called} == {"a", "b"}


def test_counters_open_at_closing_time_keep_calling_until_the_grace_ends():
    services = {"a": ServiceProfile(aht_seconds=600, distribution="exponential", target_wait_seconds=600)}
    # Twenty people in the last half hour, one counter: it cannot call them all by 18:30.
    day = HallDay(opens=540, closes=1080, arrivals={(1050, "a"): 20}, services=services,
                  counters=(CounterPlan((Opening(540, 1080, ("a",)),)),), day_cv=0, after_close_minutes=30)

    customers = simulate_day(day, np.random.default_rng(2))

    served = [c for c in customers if c.outcome == "served"]
    assert any(c.arrival + c.wait > 1080 * 60 for c in served)  # called after closing
    assert all(c.arrival + c.wait <= 1110 * 60 for c in served)
    assert any(c.outcome == "unserved" for c in customers)


def test_a_roster_day_becomes_counters_closed_for_their_breaks():
    monday = date(2027, 3, 1)
    shifts = [
        Shift("a", monday, time(8, 30), time(17), time(12), time(13), ("payment",)),
        Shift("b", monday, time(13), time(15), assignments=((time(13), "payment"), (time(13, 30), "payment"),
                                                            (time(14), "enquiry"), (time(14, 30), "enquiry"))),
        Shift("c", date(2027, 3, 2), time(8, 30), time(13)),
    ]

    plan = plan_from_roster(shifts, monday)

    assert [[(o.start, o.end, o.services) for o in c.openings] for c in plan] == [
        [(510, 720, ("payment",)), (780, 1020, ("payment",))],
        [(780, 840, ("payment",)), (840, 900, ("enquiry",))],
    ]
