"""Analytic Erlang B / C / A formulas against textbook values and independent solutions.

The Erlang A values (computed in ``sim.analysis.erlang`` from the Mandelbaum-Zeltyn
integral representation) are checked against a truncated CTMC solved as a
linear system, against phase-type absorption computations for the waits,
against a log-space series at 2,000 agents and against a small Monte Carlo.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln, logsumexp
from scipy.stats import poisson

from sim.analysis.erlang_a import ErlangAResult, erlang_a_agents_for_sl, erlang_a_metrics
from sim.analysis.erlang_c import ErlangCResult, erlang_b, erlang_c, erlang_c_agents_for_sl, erlang_c_metrics

# ---------------------------------------------------------------------------
# Independent reference implementations


def direct_erlang_b(c: int, a: Fraction) -> Fraction:
    """B = (a^c / c!) / sum_{n<=c} a^n / n!, exactly in rationals."""
    terms = [a**n / math.factorial(n) for n in range(c + 1)]
    return terms[-1] / sum(terms)


def direct_erlang_c(c: int, a: Fraction) -> Fraction:
    """C = (a^c / c! * c / (c - a)) / (sum_{n<c} a^n / n! + a^c / c! * c / (c - a)), exactly."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**n / math.factorial(n) for n in range(c)) + top)


def ctmc_erlang_a(lam: float, mu: float, theta: float, c: int, states: int) -> dict[str, float]:
    """M/M/c+M solved as a truncated CTMC (generator, linear solve), waits by phase-type algebra.

    p_wait, occupancy and L_q come from the stationary vector; p_abandon and
    the mean wait of all contacts from L_q (theta L_q / lam, L_q / lam).
    For the waits of one arrival (PASTA: it sees the stationary state) the
    queue positions ahead of it form an absorbing chain: position p moves to
    p - 1 at rate c mu + (p - 1) theta, position 1 is served at rate c mu and
    every position abandons at rate theta. Service level and the waits of
    answered contacts follow from expm / the inverse of its sub-generator.
    """
    n = states
    q = np.zeros((n, n))
    for i in range(n):
        if i + 1 < n:
            q[i, i + 1] = lam
        if i > 0:
            q[i, i - 1] = min(i, c) * mu + max(i - c, 0) * theta
        q[i, i] = -q[i].sum()
    m = q.T.copy()
    m[-1, :] = 1.0
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    pi = np.linalg.solve(m, rhs)
    idx = np.arange(n)
    lq = float(np.sum(np.maximum(idx - c, 0) * pi))
    busy = float(np.sum(np.minimum(idx, c) * pi))
    # Absorbing chain of positions 1..P (index p - 1).
    positions = n - c
    a = np.zeros((positions, positions))
    served_rate = np.zeros(positions)
    for p in range(1, positions + 1):
        a[p - 1, p - 1] = -(c * mu + p * theta)
        if p >= 2:
            a[p - 1, p - 2] = c * mu + (p - 1) * theta
    served_rate[0] = c * mu
    start = pi[c:]  # an arrival seeing state c + k starts at position k + 1
    p_no_wait = float(pi[:c].sum())
    inv = np.linalg.inv(-a)
    p_served_waiting = float(start @ inv @ served_rate)
    wait_sum_served = float(start @ inv @ inv @ served_rate)

    def served_within(t_s: float) -> float:
        full = np.zeros((positions + 1, positions + 1))
        full[:positions, :positions] = a
        full[:positions, positions] = served_rate
        probs = scipy.linalg.expm(full * t_s)[:positions, positions]
        return p_no_wait + float(start @ probs)

    answered = p_no_wait + p_served_waiting
    return {
        "p_wait": float(pi[c:].sum()),
        "p_abandon": theta * lq / lam,
        "p_abandon_direct": 1.0 - answered,
        "mean_wait_s": lq / lam,
        "mean_wait_direct_s": float(start @ inv @ np.ones(positions)),
        "asa_s": wait_sum_served / answered,
        "occupancy": busy / c,
        "served_within": served_within,
        "tail": float(pi[-5:].sum()),
    }


def series_erlang_a(lam: float, mu: float, theta: float, c: int) -> dict[str, float]:
    """Log-space birth-death series (lgamma below c, cumulative log rates above), for large c."""
    log_low = np.arange(c + 1) * math.log(lam / mu) - gammaln(np.arange(c + 1) + 1.0)
    k = np.arange(1, 400_000)
    log_queue = log_low[c] + np.cumsum(math.log(lam) - np.log(c * mu + k * theta))
    log_all = np.concatenate([log_low, log_queue])
    log_norm = logsumexp(log_all)
    pi = np.exp(log_all - log_norm)
    assert pi[-1] < 1e-300
    lq = float(np.sum(np.concatenate([np.zeros(c + 1), k]) * pi))
    return {"p_wait": float(pi[c:].sum()), "p_abandon": theta * lq / lam, "mean_wait_s": lq / lam}


# ---------------------------------------------------------------------------
# Erlang B and C


def test_textbook_values() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=5e-6)
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    assert erlang_c(3, 2.0) == pytest.approx(4.0 / 9.0, rel=1e-14)  # 4/9 exactly
    assert erlang_b(1, 1.0) == pytest.approx(0.5, rel=1e-15)
    for rho in (0.1, 0.5, 0.9, 0.999):  # M/M/1: C = rho
        assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-13)
    assert erlang_b(0, 3.0) == 1.0 and erlang_b(5, 0.0) == 0.0
    assert erlang_c(5, 0.0) == 0.0
    assert erlang_c(10, 10.0) == 1.0 and erlang_c(10, 12.5) == 1.0


@pytest.mark.parametrize("c", [1, 2, 3, 5, 8, 13, 21, 30])
@pytest.mark.parametrize("load", ["1/10", "1/2", "3/2", "7", "29/3", "25", "60"])
def test_recursion_matches_direct_formula(c: int, load: str) -> None:
    a = Fraction(load)
    assert erlang_b(c, float(a)) == pytest.approx(float(direct_erlang_b(c, a)), rel=1e-12)
    if a < c:
        assert erlang_c(c, float(a)) == pytest.approx(float(direct_erlang_c(c, a)), rel=1e-12)


@pytest.mark.parametrize("c,load", [(2000, 1960.0), (2000, 1999.0), (2000, 2400.0), (2000, 1000.0), (5000, 4900.0)])
def test_large_systems_are_stable_and_match_poisson_form(c: int, load: float) -> None:
    b = erlang_b(c, load)
    assert 0.0 < b < 1.0
    # B = P(X = c) / P(X <= c) for X ~ Poisson(load), an independent evaluation.
    assert b == pytest.approx(poisson.pmf(c, load) / poisson.cdf(c, load), rel=1e-9)
    cw = erlang_c(c, load)
    assert math.isfinite(cw) and 0.0 <= cw <= 1.0 and cw >= b
    if load < c:
        rho = load / c
        assert cw == pytest.approx(b / (1.0 - rho * (1.0 - b)), rel=1e-12)


def test_tiny_blocking_does_not_break() -> None:
    assert erlang_b(2000, 10.0) == 0.0  # below the smallest double, not NaN
    assert erlang_c(2000, 10.0) == 0.0
    r = erlang_a_metrics(10.0 * 20.0, 180.0, 2000, 60.0)
    assert (r.p_wait, r.p_abandon, r.service_level) == (0.0, 0.0, 1.0)


def test_erlang_c_metrics_formulas() -> None:
    r = erlang_c_metrics(200.0, 180.0, 11, 20.0)  # 10 erl on 11 agents
    assert isinstance(r, ErlangCResult)
    c = float(direct_erlang_c(11, Fraction(10)))
    drain = 11 / 180.0 - 200.0 / 3600.0
    assert r.p_wait == pytest.approx(c, rel=1e-12)
    assert r.asa_s == pytest.approx(c / drain, rel=1e-12)
    assert r.service_level == pytest.approx(1.0 - c * math.exp(-drain * 20.0), rel=1e-12)
    assert r.occupancy == pytest.approx(10.0 / 11.0)
    assert r.offered_load_erl == pytest.approx(10.0) and r.agents == 11


def test_erlang_c_unstable_and_empty() -> None:
    r = erlang_c_metrics(220.0, 180.0, 11)
    assert (r.p_wait, r.asa_s, r.service_level, r.occupancy) == (1.0, math.inf, 0.0, 1.0)
    r = erlang_c_metrics(0.0, 180.0, 3)
    assert (r.p_wait, r.asa_s, r.service_level, r.occupancy) == (0.0, 0.0, 1.0, 0.0)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_c(2.5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        erlang_c_metrics(100.0, 0.0, 3)
    with pytest.raises(ValueError):
        erlang_a_metrics(100.0, 180.0, 3, -5.0)
    with pytest.raises(ValueError):
        erlang_c_agents_for_sl(100.0, 180.0, 1.0, 20.0)


# ---------------------------------------------------------------------------
# Erlang A


def test_erlang_a_without_patience_is_erlang_c() -> None:
    c = erlang_c_metrics(200.0, 180.0, 11, 15.0)
    for patience in (None, math.inf):
        a = erlang_a_metrics(200.0, 180.0, 11, patience, 15.0)
        assert isinstance(a, ErlangAResult)
        assert (a.p_wait, a.asa_s, a.service_level, a.occupancy) == (c.p_wait, c.asa_s, c.service_level, c.occupancy)
        assert a.p_abandon == 0.0 and a.mean_wait_s == c.asa_s


@pytest.mark.parametrize("agents,rate", [(11, 200.0), (50, 950.0), (2000, 0.98 * 2000 * 20.0)])
def test_erlang_a_tends_to_erlang_c(agents: int, rate: float) -> None:
    c = erlang_c_metrics(rate, 180.0, agents, 20.0)
    previous = math.inf
    for patience in (1e5, 1e7, 1e9, 1e11, 1e13):
        a = erlang_a_metrics(rate, 180.0, agents, patience, 20.0)
        gap = abs(a.p_wait - c.p_wait) + abs(a.service_level - c.service_level) + abs(a.asa_s - c.asa_s) / c.asa_s
        assert gap <= previous / 50.0  # the differences are first order in 1 / patience
        previous = gap
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-9)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-9)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-8)
    assert a.mean_wait_s == pytest.approx(c.asa_s, rel=1e-8)
    assert a.p_abandon < 1e-10


def test_erlang_a_zero_patience_is_erlang_b() -> None:
    r = erlang_a_metrics(200.0, 180.0, 8, 0.0)
    b = erlang_b(8, 10.0)
    assert r.p_wait == pytest.approx(b) and r.p_abandon == pytest.approx(b)
    assert r.service_level == pytest.approx(1.0 - b) and r.asa_s == 0.0 and r.mean_wait_s == 0.0
    assert r.occupancy == pytest.approx((1.0 - b) * 10.0 / 8)


def test_erlang_a_without_agents_everyone_abandons() -> None:
    r = erlang_a_metrics(200.0, 180.0, 0, 90.0)
    assert r.p_wait == 1.0 and r.p_abandon == pytest.approx(1.0) and r.service_level == 0.0
    assert r.mean_wait_s == pytest.approx(90.0, rel=1e-10) and math.isnan(r.asa_s)


CTMC_CASES = [
    # lam/s, aht s, patience s, agents, threshold s, truncation
    (1.0 / 60.0, 180.0, 120.0, 1, 20.0, 200),     # overloaded single agent
    (10.0 / 180.0, 180.0, 300.0, 11, 20.0, 300),   # 10 erl on 11 agents
    (6.0 / 180.0, 180.0, 60.0, 5, 10.0, 200),      # load 1.2, impatient
    (3.0 / 100.0, 100.0, 400.0, 4, 30.0, 400),     # load 0.75, patient
    (40.0 / 200.0, 200.0, 30.0, 25, 5.0, 300),     # load 1.6, theta > mu
    ((5.0 / 180.0 + 1.0 / 60.0) * 1.0005, 180.0, 60.0, 5, 20.0, 200),  # lam just above c mu + theta
]


@pytest.mark.parametrize("lam,aht,patience,c,threshold,states", CTMC_CASES)
def test_erlang_a_matches_truncated_ctmc(lam: float, aht: float, patience: float, c: int, threshold: float,
                                          states: int) -> None:
    ref = ctmc_erlang_a(lam, 1.0 / aht, 1.0 / patience, c, states)
    assert ref["tail"] < 1e-14
    # The two reference routes agree with each other (Little vs. phase-type absorption).
    assert ref["p_abandon"] == pytest.approx(ref["p_abandon_direct"], rel=1e-8)
    assert ref["mean_wait_s"] == pytest.approx(ref["mean_wait_direct_s"], rel=1e-8)
    r = erlang_a_metrics(lam * 3600.0, aht, c, patience, threshold)
    assert r.offered_load_erl == pytest.approx(lam * aht) and r.agents == c
    assert r.p_wait == pytest.approx(ref["p_wait"], rel=1e-8)
    assert r.p_abandon == pytest.approx(ref["p_abandon"], rel=1e-8)
    assert r.mean_wait_s == pytest.approx(ref["mean_wait_s"], rel=1e-8)
    assert r.asa_s == pytest.approx(ref["asa_s"], rel=1e-8)
    assert r.occupancy == pytest.approx(ref["occupancy"], rel=1e-8)
    assert r.service_level == pytest.approx(ref["served_within"](threshold), rel=1e-8)
    for t in (0.0, 1.0, 3.0 * threshold):
        assert erlang_a_metrics(lam * 3600.0, aht, c, patience, t).service_level == pytest.approx(
            ref["served_within"](t), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("load_ratio,patience", [(0.98, 300.0), (1.2, 300.0), (0.9, 30.0), (1.05, 1800.0)])
def test_erlang_a_at_2000_agents_matches_log_series(load_ratio: float, patience: float) -> None:
    c, aht = 2000, 180.0
    lam = load_ratio * c / aht
    r = erlang_a_metrics(lam * 3600.0, aht, c, patience, 20.0)
    for v in (r.p_wait, r.p_abandon, r.service_level, r.occupancy):
        assert math.isfinite(v) and 0.0 <= v <= 1.0
    assert math.isfinite(r.asa_s) and math.isfinite(r.mean_wait_s)
    ref = series_erlang_a(lam, 1.0 / aht, 1.0 / patience, c)
    assert r.p_wait == pytest.approx(ref["p_wait"], rel=1e-8)
    assert r.p_abandon == pytest.approx(ref["p_abandon"], rel=1e-7)
    assert r.mean_wait_s == pytest.approx(ref["mean_wait_s"], rel=1e-7)
    # Throughput cannot exceed the agents' capacity.
    assert r.p_abandon >= 1.0 - c / (lam * aht) - 1e-12


def test_erlang_a_waits_match_monte_carlo() -> None:
    """Waits of single arrivals simulated from the virtual-wait view: served iff own patience > wait ahead."""
    lam, aht, patience, c, threshold = 6.0 / 180.0, 180.0, 60.0, 5, 10.0
    mu, theta = 1.0 / aht, 1.0 / patience
    r = erlang_a_metrics(lam * 3600.0, aht, c, patience, threshold)
    pi = _stationary(lam, mu, theta, c, 200)
    rng = random.Random(7)
    cum = np.cumsum(pi)
    n_samples = 20_000
    in_time = abandoned = 0
    wait_all = wait_answered = 0.0
    for _ in range(n_samples):
        state = int(np.searchsorted(cum, rng.random()))
        virtual = 0.0
        for ahead in range(state - c, -1, -1):  # ahead others waiting, then the head of line
            virtual += rng.expovariate(c * mu + ahead * theta)
        own = rng.expovariate(theta) if state >= c else math.inf
        if own < virtual:
            abandoned += 1
            wait_all += own
        else:
            wait_all += virtual
            wait_answered += virtual
            in_time += virtual <= threshold
    answered = n_samples - abandoned

    def close(estimate: float, value: float, sd: float) -> bool:
        return abs(estimate - value) <= 4.5 * sd / math.sqrt(n_samples)

    assert close(in_time / n_samples, r.service_level, math.sqrt(r.service_level * (1 - r.service_level)))
    assert close(abandoned / n_samples, r.p_abandon, math.sqrt(r.p_abandon * (1 - r.p_abandon)))
    assert close(wait_all / n_samples, r.mean_wait_s, 3.0 * r.mean_wait_s)
    assert abs(wait_answered / answered - r.asa_s) <= 4.5 * 3.0 * r.asa_s / math.sqrt(answered)


def _stationary(lam: float, mu: float, theta: float, c: int, states: int) -> np.ndarray:
    """Birth-death stationary law by detailed balance (for sampling arrival states)."""
    w = [1.0]
    for n in range(1, states):
        w.append(w[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    arr = np.array(w)
    return arr / arr.sum()


@pytest.mark.parametrize("x", [-0.5, -1.001e-3, -9.99e-4, -1e-5, -1e-9, 1e-9, 1e-5, 9.99e-4, 1.001e-3, 0.5, 30.0])
def test_series_branches_of_helpers(x: float) -> None:
    from decimal import Decimal, localcontext

    from sim.analysis.erlang_a import _expm1_plus_x_over_theta, _u_minus_log1p_u

    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x)
        q_ref = float((-d).exp() - 1 + d)
        u_ref = float(d - (1 + d).ln())
    assert _expm1_plus_x_over_theta(x, 1.0) == pytest.approx(q_ref, rel=2e-12)
    assert _expm1_plus_x_over_theta(x / 4.0, 4.0) == pytest.approx(q_ref / 4.0, rel=2e-12)
    assert _u_minus_log1p_u(x) == pytest.approx(u_ref, rel=2e-12)


# ---------------------------------------------------------------------------
# Monotonicity


@settings(max_examples=60, deadline=None)
@given(agents=st.integers(1, 60), load=st.floats(0.05, 80.0))
def test_more_agents_lower_blocking_and_wait(agents: int, load: float) -> None:
    assert erlang_b(agents + 1, load) <= erlang_b(agents, load)
    assert erlang_c(agents + 1, load) <= erlang_c(agents, load)
    c1, c2 = erlang_c_metrics(load * 20.0, 180.0, agents), erlang_c_metrics(load * 20.0, 180.0, agents + 1)
    assert c2.service_level >= c1.service_level and c2.asa_s <= c1.asa_s


@settings(max_examples=40, deadline=None)
@given(agents=st.integers(1, 40), load=st.floats(0.2, 60.0), patience=st.floats(5.0, 2000.0),
       threshold=st.floats(0.0, 120.0))
def test_erlang_a_monotone_in_agents(agents: int, load: float, patience: float, threshold: float) -> None:
    rate, aht = load * 3600.0 / 180.0, 180.0
    r1 = erlang_a_metrics(rate, aht, agents, patience, threshold)
    r2 = erlang_a_metrics(rate, aht, agents + 1, patience, threshold)
    tol = 1e-10
    assert r2.p_wait <= r1.p_wait + tol
    assert r2.p_abandon <= r1.p_abandon + tol
    assert r2.mean_wait_s <= r1.mean_wait_s * (1 + tol)
    assert r2.service_level >= r1.service_level - tol
    for r in (r1, r2):
        assert 0.0 <= r.p_abandon <= r.p_wait <= 1.0
        assert r.service_level <= 1.0 - r.p_abandon + tol
        assert 0.0 <= r.occupancy <= 1.0


# ---------------------------------------------------------------------------
# Staffing


def _c_meets(rate: float, aht: float, n: int, target: float, threshold: float, max_occ: float | None) -> bool:
    if n <= rate * aht / 3600.0:
        return False
    r = erlang_c_metrics(rate, aht, n, threshold)
    return r.service_level >= target and (max_occ is None or r.occupancy <= max_occ)


@pytest.mark.parametrize("rate,aht,target,threshold,max_occ", [
    (200.0, 180.0, 0.8, 20.0, None), (1000.0, 180.0, 0.8, 20.0, None), (1000.0, 180.0, 0.9, 10.0, 0.85),
    (5.0, 300.0, 0.95, 30.0, None), (39200.0, 180.0, 0.8, 20.0, None), (120.0, 240.0, 0.0, 20.0, None),
])
def test_erlang_c_agents_for_sl_is_minimal(rate: float, aht: float, target: float, threshold: float,
                                           max_occ: float | None) -> None:
    n = erlang_c_agents_for_sl(rate, aht, target, threshold, max_occupancy=max_occ)
    assert _c_meets(rate, aht, n, target, threshold, max_occ)
    assert not _c_meets(rate, aht, n - 1, target, threshold, max_occ)


def test_erlang_c_agents_textbook() -> None:
    # 10 erl, 80/20: 11 agents give 39 %, the SL first reaches 80 % at 14 agents.
    assert erlang_c_agents_for_sl(200.0, 180.0, 0.8, 20.0) == 14
    assert erlang_c_metrics(200.0, 180.0, 13).service_level < 0.8 <= erlang_c_metrics(200.0, 180.0, 14).service_level
    assert erlang_c_agents_for_sl(0.0, 180.0, 0.8, 20.0) == 0


def _a_meets(rate: float, aht: float, patience: float, n: int, target: float, threshold: float,
             max_abandon: float | None) -> bool:
    if n < 0:
        return False
    r = erlang_a_metrics(rate, aht, n, patience, threshold)
    return r.service_level >= target and (max_abandon is None or r.p_abandon <= max_abandon)


@pytest.mark.parametrize("rate,aht,patience,target,threshold,max_abandon", [
    (200.0, 180.0, 120.0, 0.8, 20.0, None), (1000.0, 180.0, 300.0, 0.8, 20.0, None),
    (1000.0, 180.0, 300.0, 0.5, 20.0, 0.005), (40.0, 600.0, 30.0, 0.9, 60.0, None),
    (39200.0, 180.0, 300.0, 0.8, 20.0, 0.01), (100.0, 180.0, 600.0, 0.0, 20.0, None),
])
def test_erlang_a_agents_for_sl_is_minimal(rate: float, aht: float, patience: float, target: float,
                                           threshold: float, max_abandon: float | None) -> None:
    n = erlang_a_agents_for_sl(rate, aht, patience, target, threshold, max_abandon=max_abandon)
    assert _a_meets(rate, aht, patience, n, target, threshold, max_abandon)
    assert not _a_meets(rate, aht, patience, n - 1, target, threshold, max_abandon)
    # Abandonment relieves the queue: never more agents than Erlang C without an abandon cap.
    if max_abandon is None:
        assert n <= erlang_c_agents_for_sl(rate, aht, target, threshold)


def test_erlang_a_agents_without_patience_is_erlang_c() -> None:
    assert erlang_a_agents_for_sl(1000.0, 180.0, None, 0.8, 20.0) == erlang_c_agents_for_sl(1000.0, 180.0, 0.8, 20.0)
    assert erlang_a_agents_for_sl(0.0, 180.0, 60.0, 0.8, 20.0) == 0
