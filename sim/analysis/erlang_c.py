"""Analytic queueing formulas without abandonment: Erlang B (M/M/c/c) and Erlang C (M/M/c).

These closed forms are the yardstick for the simulator: they give staffing
answers in microseconds and the stationary values the engine must reproduce
for Poisson arrivals and exponential handling. Erlang A, which adds
exponential patience, is in :mod:`sim.analysis.erlang_a` and builds on the
input checks and the Erlang B recursion here.

Every formula is evaluated without factorials or powers of large numbers so
that it stays finite and accurate for thousands of agents and for loads at or
above the number of agents: Erlang B uses the recursion
``B(n) = a B(n-1) / (n + a B(n-1))`` in log space (``B`` may be far below
the smallest double for ``n >> a``).

Units are in the names: ``_s`` seconds, ``_per_hour`` arrivals per hour,
``_erl`` Erlangs (offered load = arrival rate x mean handling time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0
"""Seconds in an hour: rates are given per hour, times in seconds."""
MAX_SEARCH_AGENTS = 10_000_000
"""Upper bound on the agents the staffing searches will consider, as a safety net."""


# ---------------------------------------------------------------------------
# Input checks


def check_agents(agents: int) -> int:
    """``agents`` as an int; ValueError unless it is a non-negative whole number."""
    if isinstance(agents, bool) or int(agents) != agents or agents < 0:
        raise ValueError(f"agents must be a non-negative integer (got {agents!r})")
    return int(agents)


def check_nonneg(name: str, value: float) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it is finite and >= 0."""
    value = float(value)
    if not (value >= 0.0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite non-negative number (got {value!r})")
    return value


def check_positive(name: str, value: float) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it is finite and > 0."""
    value = float(value)
    if not (value > 0.0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite positive number (got {value!r})")
    return value


def check_fraction(name: str, value: float, *, allow_one: bool) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it lies in [0, 1] (or [0, 1) without ``allow_one``)."""
    value = float(value)
    ok = 0.0 <= value <= 1.0 if allow_one else 0.0 <= value < 1.0
    if not ok:
        raise ValueError(f"{name} must be in [0, 1{']' if allow_one else ')'} (got {value!r})")
    return value


# ---------------------------------------------------------------------------
# Erlang B and C


def log_erlang_b(agents: int, load_erl: float) -> float:
    """log B(agents, load) by the recursion B(n) = a B(n-1) / (n + a B(n-1)), B(0) = 1."""
    if agents == 0:
        return 0.0
    if load_erl == 0.0:
        return -math.inf
    log_a = math.log(load_erl)
    log_b = 0.0
    for n in range(1, agents + 1):
        # a * B(n-1) may underflow to 0 once B is astronomically small; log_b stays exact.
        log_b = log_a + log_b - math.log(n + load_erl * math.exp(log_b))
    return log_b


def _log_erlang_b_step(log_b_prev: float, agents: int, load_erl: float) -> float:
    """log B(agents) from log B(agents - 1), one step of the recursion."""
    if load_erl == 0.0:
        return -math.inf
    return math.log(load_erl) + log_b_prev - math.log(agents + load_erl * math.exp(log_b_prev))


def _erlang_c_from_b(b: float, agents: int, load_erl: float) -> float:
    """Erlang C from Erlang B: C = B / (1 - rho (1 - B)), rho = load / agents < 1."""
    rho = load_erl / agents
    return min(1.0, b / (1.0 - rho * (1.0 - b)))


def erlang_b(agents: int, offered_load_erl: float) -> float:
    """Blocking probability of the M/M/c/c loss system (Erlang B formula).

    The probability that an arriving contact finds all ``agents`` busy when
    ``offered_load_erl`` Erlangs are offered and blocked contacts are lost.
    Computed by the numerically stable recursion
    ``1 / B(n) = 1 + n / (a B(n-1))``, so it is exact to rounding for any
    number of agents (results below ~1e-308 underflow to 0).
    """
    agents = check_agents(agents)
    load = check_nonneg("offered_load_erl", offered_load_erl)
    return math.exp(log_erlang_b(agents, load))


def erlang_c(agents: int, offered_load_erl: float) -> float:
    """Probability that a contact has to wait in M/M/c (Erlang C formula).

    ``C = B / (1 - rho (1 - B))`` with ``B`` the Erlang B value and
    ``rho = offered_load_erl / agents``. The queue is unstable when the load
    reaches the number of agents; then every contact waits and 1.0 is
    returned.
    """
    agents = check_agents(agents)
    load = check_nonneg("offered_load_erl", offered_load_erl)
    if load >= agents:
        return 1.0
    return _erlang_c_from_b(math.exp(log_erlang_b(agents, load)), agents, load)


@dataclass(frozen=True)
class ErlangCResult:
    """Stationary M/M/c (Erlang C) values for one interval.

    ``p_wait`` probability of waiting at all, ``asa_s`` mean wait of all
    contacts (all are answered) in seconds, ``service_level`` probability of
    waiting at most the threshold, ``occupancy`` fraction of agent time busy,
    ``offered_load_erl`` arrival rate x handling time, ``agents`` the agents.
    """

    p_wait: float
    asa_s: float
    service_level: float
    occupancy: float
    offered_load_erl: float
    agents: int


def erlang_c_result(rate_per_hour: float, aht_s: float, agents: int, sl_threshold_s: float,
                    log_b: float | None = None) -> ErlangCResult:
    """Erlang C metrics of checked inputs; ``log_b`` (log Erlang B at ``agents``) may be passed in to save the recursion."""
    lam = rate_per_hour / SECONDS_PER_HOUR
    load = rate_per_hour * aht_s / SECONDS_PER_HOUR
    if load == 0.0:
        return ErlangCResult(0.0, 0.0, 1.0, 0.0, 0.0, agents)
    if load >= agents:
        return ErlangCResult(1.0, math.inf, 0.0, 1.0, load, agents)
    if log_b is None:
        log_b = log_erlang_b(agents, load)
    c = _erlang_c_from_b(math.exp(log_b), agents, load)
    drain_per_s = agents / aht_s - lam  # c mu - lambda > 0
    asa_s = c / drain_per_s
    service_level = 1.0 - c * math.exp(-drain_per_s * sl_threshold_s)
    return ErlangCResult(c, asa_s, min(1.0, max(0.0, service_level)), load / agents, load, agents)


def erlang_c_metrics(rate_per_hour: float, aht_s: float, agents: int, sl_threshold_s: float = 20.0) -> ErlangCResult:
    """Erlang C (M/M/c) probability of wait, ASA, service level and occupancy.

    Poisson arrivals at ``rate_per_hour``, exponential handling with mean
    ``aht_s`` seconds, ``agents`` agents, infinite patience. Service level is
    ``P(wait <= sl_threshold_s) = 1 - C exp(-(c mu - lambda) T)`` and ASA is
    ``C / (c mu - lambda)``. For a load at or above the agents (unstable)
    the result is ``p_wait=1, asa_s=inf, service_level=0, occupancy=1``.
    With no arrivals nothing waits: ``p_wait=0, asa_s=0, service_level=1,
    occupancy=0`` whatever the agents.
    """
    rate = check_nonneg("rate_per_hour", rate_per_hour)
    aht = check_positive("aht_s", aht_s)
    agents = check_agents(agents)
    threshold = check_nonneg("sl_threshold_s", sl_threshold_s)
    return erlang_c_result(rate, aht, agents, threshold)


def erlang_c_agents_for_sl(rate_per_hour: float, aht_s: float, sl_target: float, sl_threshold_s: float,
                           max_occupancy: float | None = None) -> int:
    """Smallest number of agents whose Erlang C service level meets the target.

    The smallest stable ``n`` (``n > offered load``) with
    ``erlang_c_metrics(...).service_level >= sl_target`` and, if
    ``max_occupancy`` is given, occupancy ``load / n <= max_occupancy``.
    ``sl_target`` must be in [0, 1) (1 is never reached with arrivals).
    Returns 0 when there are no arrivals. Walks up from the stability limit
    with one Erlang B recursion step per agent, so it costs O(answer).
    """
    rate = check_nonneg("rate_per_hour", rate_per_hour)
    aht = check_positive("aht_s", aht_s)
    target = check_fraction("sl_target", sl_target, allow_one=False)
    threshold = check_nonneg("sl_threshold_s", sl_threshold_s)
    if max_occupancy is not None:
        max_occupancy = float(max_occupancy)
        if not 0.0 < max_occupancy <= 1.0:
            raise ValueError(f"max_occupancy must be in (0, 1] (got {max_occupancy!r})")
    load = rate * aht / SECONDS_PER_HOUR
    if load == 0.0:
        return 0
    n = math.floor(load) + 1
    if max_occupancy is not None:
        n = max(n, math.floor(load / max_occupancy) - 1, 1)
    log_b = log_erlang_b(n, load)
    while True:
        r = erlang_c_result(rate, aht, n, threshold, log_b)
        if load < n and r.service_level >= target and (max_occupancy is None or r.occupancy <= max_occupancy):
            return n
        if n >= MAX_SEARCH_AGENTS:
            raise ValueError("no agent count up to the search limit meets the target")
        n += 1
        log_b = _log_erlang_b_step(log_b, n, load)
