"""How many counters a queue needs: Erlang C, Erlang A and pooling.

Pure functions over floats, no database. Rates are per hour, times in seconds;
the offered load in Erlangs is `arrivals_per_hour * aht_seconds / 3600`.

Erlang C (M/M/n: Poisson arrivals, exponential handle times, n identical
counters, nobody leaves the line)
------------------------------------------------------------------------------
Erlang B by the stable recursion B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1)),
then C = n·B / (n - A·(1 - B)). Every step stays within [0, 1], so nothing
overflows or underflows into nonsense for thousands of counters, where the
textbook form A^n/n! would (at A = 1,000 it overflows a float). The search
for the fewest counters runs the same recursion upwards, O(n) in all.

Overload (load >= counters): the line grows without end. Then, by
convention here, the probability of waiting is 1.0, the service level 0.0,
the average wait `None` (infinite) and occupancy 1.0. Zero load: nobody
waits (probability 0.0, service level 1.0, average wait 0.0, occupancy 0.0)
and no counter is needed.

Erlang A (M/M/n+M, Palm's model: each waiting customer leaves after an
exponential patience with mean `patience_seconds`)
------------------------------------------------------------------------------
Exact stationary results (Palm 1946; in the form of Garnett, Mandelbaum and
Reiman 2002 and Mandelbaum and Zeltyn 2007): with λ arrivals, μ = 1/aht,
θ = 1/patience, load a = λ/μ and E = Erlang B(n, a),

    S0 = Σ_{j>=0} Π_{i=1..j} λ / (nμ + iθ)        (= A(nμ/θ, λ/θ) of GMR)
    S1 = Σ_{j>=0} j · Π_{i=1..j} λ / (nμ + iθ)
    P(wait)    = S0·E / (1 + (S0 - 1)·E)
    E[queue]   = S1·E / (1 + (S0 - 1)·E)
    P(abandon) = θ·E[queue] / λ                     (rate balance)
    E[wait]    = E[queue] / λ = P(abandon) / θ      (Little; everyone's wait,
                                                     the abandoners' too)

The sums are taken in log space (their terms first grow when λ > nμ, then
fall once iθ > λ - nμ) until the terms are negligible. The service level is
the share of all arrivals answered within the target t: a customer who finds
j waiting ahead is answered at the end of j + 1 stages of rates nμ + kθ
(k = j..0) unless their own patience runs out first; the competing clocks
make that P = nμ / (nμ + (j+1)θ) · P(T <= t) with T a sum of exponentials of
rates nμ + kθ, k = 1..j+1, and exp(-θT) ~ Beta(nμ/θ + 1, j + 1) (the Laplace
transform of T is that Beta law's Mellin transform). So

    SL = (1 - P(wait)) + Σ_j p_j · nμ/(nμ + (j+1)θ) · (1 - I_{exp(-θt)}(nμ/θ + 1, j + 1))

with p_j the chance of finding all counters busy and j waiting, and I the
regularized incomplete Beta function. Patience -> infinity gives Erlang C,
patience -> 0 gives Erlang B (nobody waits: P(abandon) = B); the tests check
both, and the sums against a direct solution of the Markov chain.

Mean patience is estimated from history by `patience_from_history`: the
maximum-likelihood estimate for exponential patience with the served
customers' waits as censored observations, total waiting time of everyone
divided by the number who left.

Pooling
-------
Counters that serve several services pool their load (`pool`): the pooled
arrival rate is the sum, the pooled handle time the arrival-weighted mean
(Σ λ_i·aht_i / Σ λ_i: the mean handle time of the pool's next customer, so the
pool's Erlangs are exactly the sum of the services' Erlangs), staffed by
Erlang C against the strictest target of the pool's services. This assumes
that every counter of the pool serves every one of its services, FIFO across
them (priority classes are not modelled), and treats the mixed handle time as
exponential: with very different handle times (a coefficient of variation
above 1) it underestimates waits somewhat; the simulation
(queueing.planning.simulation) takes the real mixture and routing.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.special import betainc, logsumexp

# Past this many counters the calculator refuses (the search is O(counters));
# no hall, or city, needs more.
MAX_AGENTS = 10_000
# Erlang A's sums stop here at the latest (a line of a million people).
_ERLANG_A_MAX_TERMS = 1_000_000


def offered_load(arrivals_per_hour: float, aht_seconds: float) -> float:
    """The offered load in Erlangs: arrivals per second times handle time."""
    return arrivals_per_hour * aht_seconds / 3600.0


def erlang_b(agents: int, load: float) -> float:
    """Erlang B: the probability that all `agents` are busy in a loss system
    with `load` Erlangs, by the stable recursion (never overflows)."""
    if agents < 0:
        raise ValueError("agents must be >= 0")
    if load < 0:
        raise ValueError("load must be >= 0")
    if load == 0:
        return 1.0 if agents == 0 else 0.0
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def _c_from_b(agents: int, load: float, b: float) -> float:
    return agents * b / (agents - load * (1.0 - b))


def probability_of_waiting(agents: int, load: float) -> float:
    """Erlang C: the chance that an arrival finds every counter busy.

    1.0 in overload (load >= agents); 0.0 with no load."""
    if load == 0:
        return 0.0
    if load >= agents:
        return 1.0
    return _c_from_b(agents, load, erlang_b(agents, load))


def _service_level_from_c(agents: int, load: float, c: float, aht_seconds: float, target_wait_seconds: float) -> float:
    return 1.0 - c * math.exp(-(agents - load) * target_wait_seconds / aht_seconds)


def service_level(agents: int, load: float, aht_seconds: float, target_wait_seconds: float) -> float:
    """The share of arrivals who wait at most `target_wait_seconds`:
    1 - C·exp(-(n - A)·t / aht). 0.0 in overload, 1.0 with no load."""
    if aht_seconds <= 0:
        raise ValueError("aht_seconds must be > 0")
    if load == 0:
        return 1.0
    if load >= agents:
        return 0.0
    c = probability_of_waiting(agents, load)
    return _service_level_from_c(agents, load, c, aht_seconds, target_wait_seconds)


def average_speed_of_answer(agents: int, load: float, aht_seconds: float) -> float | None:
    """The mean wait of all arrivals in seconds, C·aht / (n - A); None
    (infinite) in overload, 0.0 with no load."""
    if load == 0:
        return 0.0
    if load >= agents:
        return None
    return probability_of_waiting(agents, load) * aht_seconds / (agents - load)


def occupancy(agents: int, load: float) -> float:
    """The share of time a counter is busy, A / n; 1.0 in overload (and for
    zero counters with any load), 0.0 with no load."""
    if load == 0:
        return 0.0
    if load >= agents:
        return 1.0
    return load / agents


@dataclass(frozen=True)
class ErlangC:
    """The fewest counters that meet a target, and what they achieve."""

    agents: int
    load_erlangs: float
    probability_of_waiting: float
    service_level: float
    average_wait_seconds: float | None
    occupancy: float


class TooManyAgents(ValueError):
    """The requirement exceeds MAX_AGENTS (or the given cap)."""


def agents_for_service_level(
    arrivals_per_hour: float,
    aht_seconds: float,
    target_wait_seconds: float,
    target_service_level: float,
    *,
    max_occupancy: float | None = None,
    max_agents: int = MAX_AGENTS,
) -> ErlangC:
    """The fewest counters whose Erlang C service level reaches
    `target_service_level` (a ratio in (0, 1)) within `target_wait_seconds`,
    and, with `max_occupancy`, whose occupancy stays at or below it.

    Zero arrivals need zero counters. Raises TooManyAgents past `max_agents`
    and ValueError on impossible input."""
    _check_inputs(arrivals_per_hour, aht_seconds, target_wait_seconds, target_service_level)
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    load = offered_load(arrivals_per_hour, aht_seconds)
    if load == 0:
        return ErlangC(0, 0.0, 0.0, 1.0, 0.0, 0.0)
    if load >= max_agents:
        raise TooManyAgents(f"The load ({load:.1f} Erlangs) needs more than {max_agents} counters.")
    # Erlang B up to the first stable count, then one step of the recursion per count.
    n = math.floor(load) + 1
    b = erlang_b(n, load)
    while True:
        c = _c_from_b(n, load, b)
        sl = _service_level_from_c(n, load, c, aht_seconds, target_wait_seconds)
        if sl >= target_service_level and (max_occupancy is None or load / n <= max_occupancy):
            return ErlangC(
                agents=n,
                load_erlangs=load,
                probability_of_waiting=c,
                service_level=sl,
                average_wait_seconds=c * aht_seconds / (n - load),
                occupancy=load / n,
            )
        if n >= max_agents:
            raise TooManyAgents(f"The target needs more than {max_agents} counters.")
        n += 1
        b = load * b / (n + load * b)


def _check_inputs(arrivals_per_hour, aht_seconds, target_wait_seconds, target_service_level) -> None:
    for name, value in (("arrivals_per_hour", arrivals_per_hour), ("aht_seconds", aht_seconds),
                        ("target_wait_seconds", target_wait_seconds), ("target_service_level", target_service_level)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number")
    if arrivals_per_hour < 0:
        raise ValueError("arrivals_per_hour must be >= 0")
    if aht_seconds <= 0:
        raise ValueError("aht_seconds must be > 0")
    if target_wait_seconds < 0:
        raise ValueError("target_wait_seconds must be >= 0")
    if not 0 < target_service_level < 1:
        raise ValueError("target_service_level must be in (0, 1)")


def agents_with_shrinkage(agents: float, shrinkage: float) -> int:
    """Counters to roster so that `agents` are at the counters while a share
    `shrinkage` (breaks, training, absence) is away: ceil(agents / (1 -
    shrinkage)), dividing first and rounding once.

    `agents` may be fractional (a requirement from an occupancy cap, load /
    max occupancy): rounding it up before dividing, as some workforce tools
    do, rosters one too many (10 Erlangs at 85 % occupancy and 30 % shrinkage:
    17, not 18). The division is exact for decimal inputs (9 / (1 - 0.55) is
    20, where floats make it 20.000000000000004 and round it up to 21)."""
    if agents < 0:
        raise ValueError("agents must be >= 0")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    exact = _decimal_fraction(agents) / (1 - _decimal_fraction(shrinkage))
    return math.ceil(exact)


def _decimal_fraction(x: float) -> Fraction:
    """The fraction a person meant by the float `x`: the simplest within a
    billionth of it (0.55 is 11/20, not the binary float nearest it; 10 / 0.85
    is 200/17)."""
    return Fraction(x).limit_denominator(10**9)


# --- Erlang A ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangA:
    """What n counters achieve when waiting customers may leave.

    `service_level`: the share of all arrivals answered within the target
    (those who leave are not answered). `average_wait_seconds`: the mean time
    in line of all arrivals, until answered or gone. `served_occupancy`: the
    share of time a counter is busy (only answered customers take time)."""

    agents: int
    load_erlangs: float
    probability_of_waiting: float
    probability_of_abandonment: float
    service_level: float
    average_wait_seconds: float
    average_queue_length: float
    occupancy: float


def erlang_a(
    agents: int,
    arrivals_per_hour: float,
    aht_seconds: float,
    patience_seconds: float | None,
    target_wait_seconds: float,
) -> ErlangA:
    """Erlang A (M/M/n+M) for `agents` counters; formulas in the module's
    docstring. `patience_seconds=None` (infinitely patient) is Erlang C, where
    overload gives the Erlang C conventions (P(abandon) 0, average wait inf).

    Unlike Erlang C, any load is stable: in overload the line stays finite
    because people leave."""
    if agents < 1:
        raise ValueError("agents must be >= 1")
    if arrivals_per_hour < 0 or aht_seconds <= 0 or target_wait_seconds < 0:
        raise ValueError("arrivals must be >= 0, aht > 0 and target wait >= 0")
    load = offered_load(arrivals_per_hour, aht_seconds)
    if load == 0:
        return ErlangA(agents, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    if patience_seconds is None or math.isinf(patience_seconds):
        c = probability_of_waiting(agents, load)
        asa = average_speed_of_answer(agents, load, aht_seconds)
        return ErlangA(
            agents=agents,
            load_erlangs=load,
            probability_of_waiting=c,
            probability_of_abandonment=0.0,
            service_level=service_level(agents, load, aht_seconds, target_wait_seconds),
            average_wait_seconds=math.inf if asa is None else asa,
            average_queue_length=math.inf if asa is None else asa * arrivals_per_hour / 3600.0,
            occupancy=occupancy(agents, load),
        )
    if patience_seconds <= 0:
        raise ValueError("patience_seconds must be > 0")

    lam = arrivals_per_hour / 3600.0
    n_mu = agents / aht_seconds
    theta = 1.0 / patience_seconds
    e_b = erlang_b(agents, load)
    if e_b == 0.0:  # so many counters for the load that Erlang B underflows: nobody waits
        return ErlangA(agents, load, 0.0, 0.0, 1.0, 0.0, 0.0, load / agents)

    # log of Π_{i=1..j} λ/(nμ + iθ) for j = 0..J: rising while iθ < λ - nμ,
    # then falling at least as fast as a geometric series; J reaches well past the peak.
    peak = max(0.0, (lam - n_mu) / theta)
    spread = math.sqrt(lam / theta) + 1.0
    j_max = min(int(peak + 40 * spread + 200), _ERLANG_A_MAX_TERMS)
    j = np.arange(1, j_max + 1, dtype=float)
    log_terms = np.concatenate(([0.0], np.cumsum(np.log(lam) - np.log(n_mu + j * theta))))
    js = np.arange(0, j_max + 1, dtype=float)
    log_s0 = float(logsumexp(log_terms))
    s1 = float(np.exp(logsumexp(log_terms[1:], b=js[1:]) - log_s0)) if j_max else 0.0  # S1 / S0

    # P(wait) = S0·E / (1 + (S0 - 1)·E), in logs: S0 may be astronomically large.
    log_e = math.log(e_b)
    log_denominator = float(logsumexp([0.0, log_s0 + log_e, log_e], b=[1.0, 1.0, -1.0]))
    p_wait = math.exp(log_s0 + log_e - log_denominator)
    queue = p_wait * s1  # E[Q] = P(wait) · E[j | wait]
    p_abandon = min(1.0, theta * queue / lam)

    # Answered within t, among those who wait: weights p_j / P(wait) = term_j / S0.
    weights = np.exp(log_terms - log_s0)
    keep = weights > 1e-18
    a = n_mu / theta
    x = math.exp(-theta * target_wait_seconds)
    within = 1.0 - betainc(a + 1.0, js[keep] + 1.0, x) if target_wait_seconds > 0 else np.zeros(keep.sum())
    answered_if_waiting = float(np.sum(weights[keep] * n_mu / (n_mu + (js[keep] + 1.0) * theta) * within))
    sl = (1.0 - p_wait) + p_wait * answered_if_waiting

    return ErlangA(
        agents=agents,
        load_erlangs=load,
        probability_of_waiting=p_wait,
        probability_of_abandonment=p_abandon,
        service_level=min(1.0, max(0.0, sl)),
        average_wait_seconds=queue / lam,
        average_queue_length=queue,
        occupancy=min(1.0, load * (1.0 - p_abandon) / agents),
    )


def agents_for_service_level_erlang_a(
    arrivals_per_hour: float,
    aht_seconds: float,
    patience_seconds: float | None,
    target_wait_seconds: float,
    target_service_level: float,
    *,
    max_abandonment: float | None = None,
    max_agents: int = MAX_AGENTS,
) -> ErlangA:
    """The fewest counters whose Erlang A service level (answered within the
    target, of all arrivals) reaches `target_service_level` and, with
    `max_abandonment`, whose abandonment stays at or below it. Never more
    than Erlang C asks for the same target when patience is finite."""
    _check_inputs(arrivals_per_hour, aht_seconds, target_wait_seconds, target_service_level)
    load = offered_load(arrivals_per_hour, aht_seconds)
    if load >= max_agents:
        raise TooManyAgents(f"The load ({load:.1f} Erlangs) needs more than {max_agents} counters.")
    n = max(1, math.floor(load * 0.5))
    while True:
        result = erlang_a(n, arrivals_per_hour, aht_seconds, patience_seconds, target_wait_seconds)
        if result.service_level >= target_service_level and (
            max_abandonment is None or result.probability_of_abandonment <= max_abandonment
        ):
            return result
        if n >= max_agents:
            raise TooManyAgents(f"The target needs more than {max_agents} counters.")
        n += 1


def patience_from_history(observations: Iterable[tuple[float, bool]]) -> float | None:
    """Mean patience in seconds from (wait_seconds, abandoned) pairs: the
    total time everyone waited divided by the number who left.

    For exponential patience this is the maximum-likelihood estimate: the
    customers who were served before their patience ran out are censored
    observations (their patience was at least their wait), so counting only
    the leavers' waits would make people look far less patient than they are.
    None when nobody left (patience unbounded, as far as the history shows)."""
    total_wait = 0.0
    left = 0
    for wait, abandoned in observations:
        if wait < 0:
            raise ValueError("waits must be >= 0")
        total_wait += wait
        left += bool(abandoned)
    if left == 0:
        return None
    return total_wait / left


# --- Pooling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One service's demand: arrivals per hour, mean handle time, and its
    target (answered within `target_wait_seconds`)."""

    arrivals_per_hour: float
    aht_seconds: float
    target_wait_seconds: float = 600.0

    @property
    def load_erlangs(self) -> float:
        return offered_load(self.arrivals_per_hour, self.aht_seconds)


def pool(streams: Sequence[Stream]) -> Stream:
    """Services served by the same counters as one stream: arrivals add up,
    the handle time is the arrival-weighted mean (so Erlangs add up), the
    target is the strictest of the services'. See the module's docstring for
    what this assumes."""
    if not streams:
        raise ValueError("pool needs at least one stream")
    arrivals = sum(s.arrivals_per_hour for s in streams)
    target = min(s.target_wait_seconds for s in streams)
    if arrivals == 0:
        aht = sum(s.aht_seconds for s in streams) / len(streams)
    else:
        aht = sum(s.arrivals_per_hour * s.aht_seconds for s in streams) / arrivals
    return Stream(arrivals_per_hour=arrivals, aht_seconds=aht, target_wait_seconds=target)


def agents_for_pool(
    streams: Sequence[Stream], target_service_level: float, *, max_agents: int = MAX_AGENTS
) -> ErlangC:
    """Erlang C staffing of the pooled stream (`pool`)."""
    pooled = pool(streams)
    return agents_for_service_level(
        pooled.arrivals_per_hour, pooled.aht_seconds, pooled.target_wait_seconds, target_service_level,
        max_agents=max_agents,
    )
