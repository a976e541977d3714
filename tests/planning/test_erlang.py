"""Erlang C, Erlang A and pooling against known answers: published values,
closed forms for one and two counters, exact sums in fractions, and a direct
solution of the Erlang A Markov chain."""

import math
import random
from fractions import Fraction

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.stats import poisson

from queueing.planning.erlang import (
    MAX_AGENTS,
    Stream,
    TooManyAgents,
    agents_for_pool,
    agents_for_service_level,
    agents_for_service_level_erlang_a,
    agents_with_shrinkage,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    occupancy,
    offered_load,
    patience_from_history,
    pool,
    probability_of_waiting,
    service_level,
)


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """Erlang C from its definition, in exact fractions (small n only)."""
    top = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    bottom = sum(load**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


# --- Erlang C: published values ---------------------------------------------------------


def test_200_arrivals_an_hour_of_180_seconds_need_14_agents_for_80_percent_in_20_seconds():
    result = agents_for_service_level(200, 180, 20, 0.8)

    assert result.agents == 14
    assert result.load_erlangs == pytest.approx(10.0)
    assert round(result.service_level, 4) == 0.8884
    assert round(result.probability_of_waiting, 4) == 0.1741
    assert round(result.average_wait_seconds, 4) == 7.8359
    assert round(result.occupancy, 4) == 0.7143


def test_13_agents_on_10_erlangs_answer_7956_in_20_seconds():
    assert round(service_level(13, 10.0, 180, 20), 4) == 0.7956


def test_11_agents_on_10_erlangs_wait_with_probability_6821():
    assert round(probability_of_waiting(11, 10.0), 4) == 0.6821


def test_erlang_c_agrees_with_exact_fractions_for_small_counts():
    for agents in range(1, 25):
        for load in (Fraction(1, 2), Fraction(3), Fraction(17, 2), Fraction(10)):
            if load >= agents:
                continue
            assert probability_of_waiting(agents, float(load)) == pytest.approx(
                float(exact_erlang_c(agents, load)), rel=1e-12
            )


# --- One to three counters ----------------------------------------------------------------


def test_one_counter_waits_with_probability_equal_to_its_utilisation():
    rho = 0.75

    assert probability_of_waiting(1, rho) == pytest.approx(rho, rel=1e-12)
    assert service_level(1, rho, 300, 60) == pytest.approx(1 - rho * math.exp(-(1 - rho) * 60 / 300), rel=1e-12)
    assert average_speed_of_answer(1, rho, 300) == pytest.approx(rho * 300 / (1 - rho), rel=1e-12)


def test_two_counters_wait_with_the_closed_form_probability():
    load = 1.2
    rho = load / 2

    assert probability_of_waiting(2, load) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)


def test_three_counters_agree_with_the_exact_sum():
    load = Fraction(5, 2)

    assert probability_of_waiting(3, float(load)) == pytest.approx(float(exact_erlang_c(3, load)), rel=1e-12)


def test_a_light_load_needs_one_counter():
    result = agents_for_service_level(2, 300, 600, 0.8)

    assert result.agents == 1
    assert result.occupancy == pytest.approx(offered_load(2, 300))


# --- Overload and the edges ------------------------------------------------------------


def test_in_overload_everyone_waits_nobody_meets_the_target_and_the_wait_is_infinite():
    for agents, load in ((10, 10.0), (3, 7.5), (0, 1.0)):
        assert probability_of_waiting(agents, load) == 1.0
        assert service_level(agents, load, 180, 20) == 0.0
        assert average_speed_of_answer(agents, load, 180) is None
        assert occupancy(agents, load) == 1.0


def test_no_arrivals_need_no_counters_and_nobody_waits():
    result = agents_for_service_level(0, 180, 20, 0.8)

    assert result.agents == 0
    assert (result.probability_of_waiting, result.service_level, result.average_wait_seconds) == (0.0, 1.0, 0.0)


def test_a_zero_target_wait_asks_that_nobody_waits_at_all():
    result = agents_for_service_level(200, 180, 0, 0.8)

    assert result.service_level == pytest.approx(1 - result.probability_of_waiting)
    assert result.probability_of_waiting <= 0.2
    assert probability_of_waiting(result.agents - 1, 10.0) > 0.2


def test_impossible_input_is_refused():
    for args in ((-1, 180, 20, 0.8), (200, 0, 20, 0.8), (200, 180, -1, 0.8), (200, 180, 20, 1.0),
                 (200, 180, 20, 0.0), (math.nan, 180, 20, 0.8), (200, math.inf, 20, 0.8)):
        with pytest.raises(ValueError):
            agents_for_service_level(*args)


def test_a_load_beyond_the_cap_is_refused_quickly():
    with pytest.raises(TooManyAgents):
        agents_for_service_level(MAX_AGENTS * 3600 / 180 + 1, 180, 20, 0.8)


# --- Hundreds and thousands of counters -------------------------------------------------------


def test_hundreds_of_agents_agree_with_erlang_b_from_the_poisson_law():
    # Erlang B = P(N = n) / P(N <= n) for N ~ Poisson(A): an independent computation.
    for agents, load in ((300, 280.0), (1011, 1000.0), (5000, 4950.0)):
        expected_b = poisson.pmf(agents, load) / poisson.cdf(agents, load)
        expected_c = agents * expected_b / (agents - load * (1 - expected_b))

        assert erlang_b(agents, load) == pytest.approx(expected_b, rel=1e-9)
        assert probability_of_waiting(agents, load) == pytest.approx(expected_c, rel=1e-9)


def test_a_thousand_erlangs_staff_without_overflow():
    result = agents_for_service_level(20_000, 180, 20, 0.8)

    assert result.load_erlangs == pytest.approx(1000.0)
    assert 1000 < result.agents < 1100
    assert all(math.isfinite(x) for x in (result.probability_of_waiting, result.service_level,
                                          result.average_wait_seconds, result.occupancy))
    assert result.service_level >= 0.8
    assert service_level(result.agents - 1, result.load_erlangs, 180, 20) < 0.8


def test_max_occupancy_adds_counters_when_the_service_level_alone_would_run_them_hotter():
    plain = agents_for_service_level(20_000, 180, 20, 0.8)

    capped = agents_for_service_level(20_000, 180, 20, 0.8, max_occupancy=0.85)

    assert plain.occupancy > 0.85
    assert capped.agents == math.ceil(1000 / 0.85)


# --- Shrinkage -------------------------------------------------------------------------------


def test_shrinkage_divides_then_rounds_up():
    assert agents_with_shrinkage(14, 0.3) == 20
    assert agents_with_shrinkage(13, 0.25) == 18  # 17.33 rounded up
    assert agents_with_shrinkage(14, 0) == 14


def test_shrinkage_division_is_exact_for_decimal_inputs():
    # In floats 9 / (1 - 0.55) is 20.000000000000004, which would round up to 21.
    assert math.ceil(9 / (1 - 0.55)) == 21

    assert agents_with_shrinkage(9, 0.55) == 20
    assert agents_with_shrinkage(14, 0.05 * 6) == 20  # 0.30000000000000004 is meant as 0.3


def test_a_fractional_requirement_is_divided_before_it_is_rounded():
    # 10 Erlangs at most 85 % occupied need 11.76 counters at the counters.
    raw = 10 / 0.85
    rounded_first = math.ceil(math.ceil(raw) / (1 - 0.3))  # 12 / 0.7 = 17.1 -> 18

    assert agents_with_shrinkage(raw, 0.3) == 17
    assert rounded_first == 18


def test_shrinkage_outside_zero_to_one_is_refused():
    for shrinkage in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError):
            agents_with_shrinkage(10, shrinkage)


# --- Erlang A ----------------------------------------------------------------------------


def erlang_a_by_markov_chain(agents, arrivals_per_hour, aht, patience, target):
    """Erlang A the long way: the truncated birth-death chain's stationary law,
    and the tagged customer's absorbing chain by matrix exponential."""
    lam, mu, theta = arrivals_per_hour / 3600, 1 / aht, 1 / patience
    size = agents + 400
    weights = [1.0]
    for k in range(1, size):
        weights.append(weights[-1] * lam / (min(k, agents) * mu + max(0, k - agents) * theta))
    p = np.array(weights) / sum(weights)
    p_wait = p[agents:].sum()
    queue = sum((k - agents) * p[k] for k in range(agents, size))
    # Tagged customer with j ahead: states j = 0..J transient, then served, then gone.
    ahead = size - agents
    generator = np.zeros((ahead + 2, ahead + 2))
    served, gone = ahead, ahead + 1
    for j in range(ahead):
        move = agents * mu + j * theta
        generator[j, j - 1 if j else served] += move
        generator[j, gone] += theta
        generator[j, j] = -(move + theta)
    at_t = expm(generator * target)
    answered_in_time = sum(p[agents + j] * at_t[j, served] for j in range(ahead))
    return {
        "probability_of_waiting": p_wait,
        "probability_of_abandonment": theta * queue / lam,
        "average_wait_seconds": queue / lam,
        "service_level": (1 - p_wait) + answered_in_time,
    }


@pytest.mark.parametrize(
    "agents, arrivals, aht, patience, target",
    [(10, 200, 180, 120, 20), (14, 200, 180, 300, 20), (3, 50, 240, 600, 300), (8, 200, 180, 90, 60)],
)
def test_erlang_a_agrees_with_a_direct_solution_of_its_markov_chain(agents, arrivals, aht, patience, target):
    expected = erlang_a_by_markov_chain(agents, arrivals, aht, patience, target)

    result = erlang_a(agents, arrivals, aht, patience, target)

    for name, value in expected.items():
        assert getattr(result, name) == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_infinitely_patient_customers_give_erlang_c():
    patient = erlang_a(14, 200, 180, 1e9, 20)

    assert round(patient.probability_of_waiting, 4) == 0.1741
    assert round(patient.service_level, 4) == 0.8884
    assert patient.average_wait_seconds == pytest.approx(7.8359, abs=1e-3)
    assert patient.probability_of_abandonment < 1e-6


def test_customers_with_no_patience_give_erlang_b():
    impatient = erlang_a(14, 200, 180, 1e-6, 20)

    assert impatient.probability_of_abandonment == pytest.approx(erlang_b(14, 10.0), rel=1e-4)
    assert impatient.service_level == pytest.approx(1 - erlang_b(14, 10.0), rel=1e-4)


def test_abandonment_keeps_an_overloaded_line_finite():
    result = erlang_a(8, 200, 180, 300, 20)

    assert math.isfinite(result.average_wait_seconds)
    # At most 8 of every 10 Erlangs can be served: at least a fifth leave.
    assert result.probability_of_abandonment >= 1 - 8 / 10
    assert result.average_wait_seconds == pytest.approx(result.probability_of_abandonment * 300)


def test_impatience_shortens_waits_and_lowers_the_staff_needed():
    patient = agents_for_service_level(200, 180, 20, 0.8)

    impatient = agents_for_service_level_erlang_a(200, 180, 120, 20, 0.8)

    assert impatient.agents <= patient.agents
    assert impatient.service_level >= 0.8
    assert erlang_a(impatient.agents - 1, 200, 180, 120, 20).service_level < 0.8


def test_patience_is_total_waiting_time_over_the_number_who_left():
    observations = [(60, False), (120, True), (30, False), (90, True)]

    assert patience_from_history(observations) == pytest.approx(300 / 2)


def test_patience_from_censored_history_recovers_the_true_mean():
    rng = random.Random(7)
    observations = []
    for _ in range(20_000):
        patience, offered_wait = rng.expovariate(1 / 300), rng.expovariate(1 / 200)
        observations.append((min(patience, offered_wait), patience < offered_wait))
    naive = np.mean([wait for wait, left in observations if left])

    estimate = patience_from_history(observations)

    assert estimate == pytest.approx(300, rel=0.05)
    assert naive < 150  # the leavers' waits alone make people look twice as impatient


def test_no_abandonment_in_history_means_unbounded_patience():
    assert patience_from_history([(60, False), (10, False)]) is None
    assert patience_from_history([]) is None


# --- Pooling ---------------------------------------------------------------------------


def test_a_pool_adds_arrivals_and_keeps_the_erlangs():
    payment = Stream(arrivals_per_hour=60, aht_seconds=120, target_wait_seconds=600)
    enterprise = Stream(arrivals_per_hour=12, aht_seconds=900, target_wait_seconds=900)

    pooled = pool([payment, enterprise])

    assert pooled.arrivals_per_hour == 72
    assert pooled.aht_seconds == pytest.approx((60 * 120 + 12 * 900) / 72)
    assert pooled.load_erlangs == pytest.approx(payment.load_erlangs + enterprise.load_erlangs)
    assert pooled.target_wait_seconds == 600


def test_pooled_counters_need_no_more_than_separate_ones():
    streams = [Stream(40, 120, 300), Stream(30, 300, 300), Stream(10, 600, 300)]
    separate = sum(
        agents_for_service_level(s.arrivals_per_hour, s.aht_seconds, s.target_wait_seconds, 0.8).agents
        for s in streams
    )

    pooled = agents_for_pool(streams, 0.8)

    assert pooled.agents < separate
    assert pooled.service_level >= 0.8
