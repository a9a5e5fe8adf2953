"""Erlang A (M/M/c+M, Palm): the Erlang C queue with exponential patience.

Uses the integral representation of Mandelbaum & Zeltyn, "The Palm/Erlang-A
queue, with applications to call centers" (2007): with
``g(t) = exp(-(c mu + theta) t + (lambda / theta)(1 - exp(-theta t)))`` the
stationary probability of the queue states, the density of the waits of
answered contacts and the mean queue length are all ``pi_c`` times an
integral of ``g`` (see :func:`erlang_a_metrics`). ``log g`` is concave, so
the integrals are taken numerically around its single peak and scaled by the
peak value in log space. Without patience (``patience_s`` None or inf) the
values are those of :mod:`sim.analysis.erlang_c`.

Units are in the names: ``_s`` seconds, ``_per_hour`` arrivals per hour,
``_erl`` Erlangs (offered load = arrival rate x mean handling time).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sim.analysis.erlang_c import (
    MAX_SEARCH_AGENTS,
    SECONDS_PER_HOUR,
    check_agents,
    check_fraction,
    check_nonneg,
    check_positive,
    erlang_c_agents_for_sl,
    erlang_c_result,
    log_erlang_b,
)

# Integrand cut-off: parts of exp(log g) below exp(-_LOG_CUTOFF) times its peak are ignored.
_LOG_CUTOFF = 80.0


# ---------------------------------------------------------------------------
# Erlang A


def _check_patience(patience_s: float | None) -> float | None:
    """Mean patience in seconds, or None for infinite patience."""
    if patience_s is None:
        return None
    patience_s = float(patience_s)
    if math.isnan(patience_s) or patience_s < 0.0:
        raise ValueError(f"patience_s must be non-negative, inf or None (got {patience_s!r})")
    return None if math.isinf(patience_s) else patience_s


@dataclass(frozen=True)
class ErlangAResult:
    """Stationary M/M/c+M (Erlang A) values for one interval.

    All fractions are of all offered contacts. ``p_wait`` probability that a
    contact finds all agents busy, ``p_abandon`` probability of abandoning,
    ``asa_s`` mean wait of answered contacts in seconds, ``service_level``
    probability of being answered within the threshold (abandoned contacts
    never count as in time), ``occupancy`` fraction of agent time busy
    ``(1 - p_abandon) load / agents``, ``mean_wait_s`` mean wait of all
    contacts (abandoned ones until they abandon), ``offered_load_erl`` and
    ``agents`` the inputs. ``asa_s`` is NaN when no contact is answered
    (0 agents).
    """

    p_wait: float
    p_abandon: float
    asa_s: float
    service_level: float
    occupancy: float
    mean_wait_s: float
    offered_load_erl: float
    agents: int


def _expm1_plus_x_over_theta(s: float, theta: float) -> float:
    """(exp(-theta s) - 1 + theta s) / theta >= 0, accurate also for small theta s."""
    x = theta * s
    if abs(x) < 1e-3:
        # x^2/2 - x^3/6 + x^4/24 - x^5/120 + x^6/720, divided by theta
        return s * x * (0.5 - x * (1.0 / 6.0 - x * (1.0 / 24.0 - x * (1.0 / 120.0 - x / 720.0))))
    return (math.expm1(-x) + x) / theta


def _u_minus_log1p_u(u: float) -> float:
    """u - log(1 + u) >= 0, accurate also for small u."""
    if abs(u) < 1e-3:
        return u * u * (0.5 - u * (1.0 / 3.0 - u * (0.25 - u * (0.2 - u / 6.0))))
    return u - math.log1p(u)


class _GIntegrals:
    """Integrals of w(t) g(t) with g(t) = exp(-(alpha + theta) t + (lam / theta)(1 - exp(-theta t))).

    ``log g`` is concave with its maximum ``log_g_peak`` at ``t_peak``
    (``lam e^{-theta t_peak} = alpha + theta`` when ``lam > alpha + theta``,
    else ``t_peak = 0``). With ``s = t - t_peak`` and ``lam_peak = lam
    e^{-theta t_peak}``, ``log g(t) - log_g_peak = -(alpha + theta - lam_peak) s
    - lam_peak (e^{-theta s} - 1 + theta s) / theta``, a form free of
    cancellation even when ``t_peak`` is huge. Integrals are returned scaled
    by ``exp(-log_g_peak)``, taken over the window where the scaled
    integrand exceeds ``exp(-_LOG_CUTOFF)`` and split at the peak.
    """

    def __init__(self, lam: float, alpha: float, theta: float) -> None:
        self.lam, self.alpha, self.theta = lam, alpha, theta
        rate = alpha + theta
        if lam > rate:
            self.t_peak = math.log(lam / rate) / theta
            self.lam_peak = rate
            self.log_g_peak = rate / theta * _u_minus_log1p_u((lam - rate) / rate)
        else:
            self.t_peak, self.lam_peak, self.log_g_peak = 0.0, lam, 0.0
        # Initial step: well below both the slope scale and the curvature scale at the peak.
        step0 = min(1.0 / rate, 1.0 / math.sqrt(lam * theta)) * 1e-3
        self.s_hi = self._edge(step0, +1.0)
        self.s_lo = self._edge(step0, -1.0) if self.t_peak > 0.0 else 0.0

    def log_g_rel(self, s: float) -> float:
        """log g(t_peak + s) - log_g_peak."""
        return -(self.alpha + self.theta - self.lam_peak) * s - self.lam_peak * _expm1_plus_x_over_theta(s, self.theta)

    def _edge(self, step: float, direction: float) -> float:
        """Offset s beyond which (in ``direction``) log g is below the cut-off, found by doubling."""
        for _ in range(2000):
            s = direction * step
            if direction < 0 and s <= -self.t_peak:
                return -self.t_peak
            if self.log_g_rel(s) < -_LOG_CUTOFF:
                return s
            step *= 2.0
        raise ArithmeticError("Erlang A integrand does not decay")  # pragma: no cover - g decays exponentially

    def scaled(self, weight: Callable[[float], float], upper_s: float = math.inf) -> float:
        """exp(-log_g_peak) int_0^upper weight(t) g(t) dt; ``weight`` takes t."""
        t_peak, rel = self.t_peak, self.log_g_rel

        def f(s: float) -> float:
            return weight(t_peak + s) * math.exp(rel(s))

        total = 0.0
        s_upper = upper_s - t_peak
        for a, b in ((self.s_lo, 0.0), (0.0, self.s_hi)):
            b = min(b, s_upper)
            if b > a:
                from scipy import integrate  # here, not at import: it is a quarter of a second of start-up

                value, _ = integrate.quad(f, a, b, epsabs=0.0, epsrel=1e-12, limit=200)
                total += value
        return total


def _log(x: float) -> float:
    return math.log(x) if x > 0.0 else -math.inf


def _erlang_a_result(rate_per_hour: float, aht_s: float, agents: int, patience_s: float | None,
                     sl_threshold_s: float) -> ErlangAResult:
    """Erlang A metrics from checked inputs."""
    lam = rate_per_hour / SECONDS_PER_HOUR
    load = rate_per_hour * aht_s / SECONDS_PER_HOUR
    if load == 0.0:
        return ErlangAResult(0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, agents)
    if patience_s is None:
        c = erlang_c_result(rate_per_hour, aht_s, agents, sl_threshold_s)
        return ErlangAResult(c.p_wait, 0.0, c.asa_s, c.service_level, c.occupancy, c.asa_s, load, agents)
    log_b = log_erlang_b(agents, load)
    b = math.exp(log_b)
    if patience_s == 0.0:
        # Contacts that find all agents busy leave at once: the Erlang B loss system.
        occupancy = (1.0 - b) * load / agents if agents else 0.0
        asa = 0.0 if agents else math.nan
        return ErlangAResult(b, b, asa, 1.0 - b, occupancy, 0.0, load, agents)

    law = _ErlangALaw(lam, agents, aht_s, patience_s, log_b)
    p_wait, p_abandon, mean_wait_s = law.p_wait(), law.p_abandon(), law.mean_wait_s()
    if agents == 0:
        return ErlangAResult(p_wait, p_abandon, math.nan, 0.0, 0.0, mean_wait_s, load, agents)
    answered = 1.0 - p_abandon
    asa_s = law.answered_wait_sum_s() / answered if answered > 0.0 else math.nan
    occupancy = answered * load / agents
    return ErlangAResult(p_wait, p_abandon, asa_s, law.service_level(sl_threshold_s), min(1.0, occupancy),
                         mean_wait_s, load, agents)


class _ErlangALaw:
    """The stationary law of Erlang A with ``agents >= 0`` and a finite, positive mean patience.

    Each metric is one integral of :class:`_GIntegrals` over the law's
    normaliser, so a caller pays only for the metrics it asks for (the
    staffing search needs the service level, and the abandonment only when
    it is bounded).
    """

    def __init__(self, lam: float, agents: int, aht_s: float, patience_s: float, log_b: float) -> None:
        self.lam, self.b = lam, math.exp(log_b)
        self.alpha = agents / aht_s  # c mu: completion rate with all agents busy
        self.theta = 1.0 / patience_s
        self.g = g = _GIntegrals(lam, self.alpha, self.theta)
        self.k = k = g.log_g_peak
        self.log_b = log_b
        # Stationary law relative to pi_c: the states below c sum to 1/B - 1 (Erlang B), the states
        # c, c+1, ... to 1 + lam J with J = int_0^inf g. With J = e^k I (I the scaled integral),
        # pi_c e^k = 1 / D where D = e^{-k} / B + lam I; everything below is a ratio over D.
        self.lam_i = lam * g.scaled(lambda t: 1.0)
        self.log_d = _logaddexp(-k - log_b, math.log(self.lam_i))

    def p_wait(self) -> float:
        """Probability that a contact waits (finds every agent busy)."""
        return min(1.0, math.exp(_logaddexp(-self.k, math.log(self.lam_i)) - self.log_d))

    def p_abandon(self) -> float:
        """Share of contacts who abandon: theta L_q / lam, L_q = pi_c lam int (1 + lam (1 - e^{-theta t}) / theta) g."""
        lam, theta = self.lam, self.theta
        return min(1.0, math.exp(_log(self.g.scaled(lambda t: theta - lam * math.expm1(-theta * t))) - self.log_d))

    def mean_wait_s(self) -> float:
        """Mean wait of all contacts, L_q / lam (Little)."""
        lam, theta = self.lam, self.theta
        return math.exp(_log(self.g.scaled(lambda t: 1.0 - lam * math.expm1(-theta * t) / theta)) - self.log_d)

    def service_level(self, threshold_s: float) -> float:
        """Share of all contacts answered within ``threshold_s``: answered waits have density pi_c alpha g(t), t > 0."""
        if self.alpha == 0.0:
            return 0.0
        p_no_wait = math.exp(-self.k - self.log_b - self.log_d) * (1.0 - self.b)
        waited = math.exp(math.log(self.alpha) + _log(self.g.scaled(lambda t: 1.0, threshold_s)) - self.log_d)
        return min(1.0, max(0.0, p_no_wait + waited))

    def answered_wait_sum_s(self) -> float:
        """Integral of the wait over the answered contacts' wait law (mean wait x share answered)."""
        return math.exp(math.log(self.alpha) + _log(self.g.scaled(lambda t: t)) - self.log_d)


def _erlang_a_meets(rate_per_hour: float, aht_s: float, agents: int, patience_s: float | None, sl_threshold_s: float,
                    sl_target: float, max_abandon: float | None) -> bool:
    """Whether ``agents`` meet the service-level target (and the abandonment cap), computing only those two."""
    load = rate_per_hour * aht_s / SECONDS_PER_HOUR
    if patience_s is None or patience_s == 0.0 or agents == 0 or load == 0.0:
        r = _erlang_a_result(rate_per_hour, aht_s, agents, patience_s, sl_threshold_s)
        return r.service_level >= sl_target and (max_abandon is None or r.p_abandon <= max_abandon)
    law = _ErlangALaw(rate_per_hour / SECONDS_PER_HOUR, agents, aht_s, patience_s, log_erlang_b(agents, load))
    return law.service_level(sl_threshold_s) >= sl_target and (max_abandon is None or law.p_abandon() <= max_abandon)


def _logaddexp(x: float, y: float) -> float:
    """log(exp(x) + exp(y)) without overflow."""
    if x == -math.inf:
        return y
    if y == -math.inf:
        return x
    hi, lo = (x, y) if x >= y else (y, x)
    return hi + math.log1p(math.exp(lo - hi))


def erlang_a_metrics(rate_per_hour: float, aht_s: float, agents: int, patience_s: float | None,
                     sl_threshold_s: float = 20.0) -> ErlangAResult:
    """Erlang A (Palm, M/M/c+M) values: Erlang C with exponential patience.

    Poisson arrivals at ``rate_per_hour``, exponential handling with mean
    ``aht_s``, ``agents`` agents, FCFS queue whose contacts abandon after an
    exponential patience with mean ``patience_s`` seconds. Stable for any load,
    including loads above the agents. ``patience_s`` None or inf gives the
    Erlang C values with ``p_abandon = 0`` and ``mean_wait_s = asa_s``;
    ``patience_s = 0`` gives the Erlang B loss system.

    Method (lambda arrival rate, alpha = c mu, theta = 1 / patience): the
    birth-death stationary law has ``pi_{c+k} = pi_c prod_{j<=k} lambda /
    (alpha + j theta)``; summing the per-state waiting-time laws (a contact
    finding k waiting is answered with probability alpha / (alpha + (k+1)
    theta) after a hypoexponential wait) gives the answered-wait density
    ``pi_c alpha g(t)``, ``g(t) = exp(-(alpha + theta) t + (lambda/theta)
    (1 - e^{-theta t}))``, and ``sum_k pi_{c+k} = pi_c (1 + lambda int g)``.
    The mean queue length follows the same way; ``p_abandon = theta L_q /
    lambda`` and ``mean_wait_s = L_q / lambda`` (Little). See Mandelbaum &
    Zeltyn (2007).
    """
    rate = check_nonneg("rate_per_hour", rate_per_hour)
    aht = check_positive("aht_s", aht_s)
    agents = check_agents(agents)
    patience = _check_patience(patience_s)
    threshold = check_nonneg("sl_threshold_s", sl_threshold_s)
    return _erlang_a_result(rate, aht, agents, patience, threshold)


def erlang_a_agents_for_sl(rate_per_hour: float, aht_s: float, patience_s: float | None, sl_target: float,
                           sl_threshold_s: float, max_abandon: float | None = None) -> int:
    """Smallest number of agents whose Erlang A service level meets the target.

    The smallest ``n`` with ``erlang_a_metrics(...).service_level >=
    sl_target`` (answered within ``sl_threshold_s`` among all offered) and, if
    given, ``p_abandon <= max_abandon``. Both quantities improve with more
    agents, so the answer is found by exponential search and bisection,
    starting from the bound ``n >= sl_target x load`` (agents cannot answer
    more than ``n / load`` of the offered contacts). ``patience_s`` None or
    inf gives :func:`erlang_c_agents_for_sl`. Returns 0 without arrivals.
    """
    rate = check_nonneg("rate_per_hour", rate_per_hour)
    aht = check_positive("aht_s", aht_s)
    patience = _check_patience(patience_s)
    target = check_fraction("sl_target", sl_target, allow_one=False)
    threshold = check_nonneg("sl_threshold_s", sl_threshold_s)
    if max_abandon is not None:
        max_abandon = float(max_abandon)
        if not 0.0 < max_abandon <= 1.0:
            raise ValueError(f"max_abandon must be in (0, 1] (got {max_abandon!r})")
    if patience is None:
        return erlang_c_agents_for_sl(rate, aht, target, threshold)
    load = rate * aht / SECONDS_PER_HOUR
    if load == 0.0:
        return 0

    def meets(n: int) -> bool:
        return _erlang_a_meets(rate, aht, n, patience, threshold, target, max_abandon)

    lo = max(0, math.ceil(target * load) - 1)  # fewer than target * load agents cannot meet the target
    if meets(lo):
        if lo == 0:
            return 0
        hi, lo = lo, -1  # unexpected, but keep the search correct: bisect over [0, lo]
    else:
        step = max(1, math.ceil(math.sqrt(load)))
        hi = lo + step
        while not meets(hi):
            if hi >= MAX_SEARCH_AGENTS:
                raise ValueError("no agent count up to the search limit meets the target")
            lo, step = hi, step * 2
            hi = min(hi + step, MAX_SEARCH_AGENTS)
    while hi - lo > 1:  # invariant: lo fails (or is -1), hi meets
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi
