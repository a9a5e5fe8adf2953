"""Estimators of times observed under right censoring: the patience of callers.

A caller who abandoned shows their patience (the wait until they hung up); a
served caller's wait is only a lower bound on it. Averaging the waits of
abandoners alone underestimates patience badly when most callers are served,
so these estimators use both:

- :func:`kaplan_meier`: the survival curve of patience, with Greenwood bands;
- :func:`exponential_censored`, :func:`weibull_censored` and
  :func:`censored_mean_cv_fit` (lognormal, gamma): parametric fits by maximum
  likelihood, with :func:`likelihood_ratio_test` between nested ones;
- :func:`hazard_estimate`: a piecewise constant hazard (events / time at risk
  per bin).

Pure functions on numpy arrays, like :mod:`sim.analysis.estimators`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, special, stats

from sim.analysis.estimators import z_quantile

if TYPE_CHECKING:
    from scipy.stats._distn_infrastructure import rv_continuous_frozen


def _censored(time_s: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time_s, dtype=float)
    e = np.asarray(event, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("time_s and event must have the same length")
    keep = np.isfinite(t)
    t, e = t[keep], e[keep]
    if (t < 0).any():
        raise ValueError("times must not be negative")
    return t, e


@dataclass
class KaplanMeier:
    """Kaplan-Meier survival curve ``S(t) = P(patience > t)``.

    ``time_s`` are the distinct event times, ``survival`` the curve just
    after each, ``ci_low``/``ci_high`` the log-log Greenwood band, ``at_risk``
    and ``events`` the counts behind each step.
    """

    time_s: np.ndarray
    survival: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray

    def at(self, t_s: np.ndarray | float) -> np.ndarray:
        """Survival evaluated at times ``t_s`` (right-continuous step function)."""
        idx = np.searchsorted(self.time_s, np.asarray(t_s, dtype=float), side="right") - 1
        return np.where(idx >= 0, self.survival[np.clip(idx, 0, None)], 1.0)

    def median_s(self) -> float:
        """Median patience (first time the curve drops to 0.5 or below); NaN if never."""
        below = np.flatnonzero(self.survival <= 0.5)
        return float(self.time_s[below[0]]) if len(below) else math.nan


def kaplan_meier(time_s: np.ndarray, event: np.ndarray, level: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier estimate from times and event flags (True = abandoned).

    Censored times equal to an event time count as still at risk at it (the
    usual convention).
    """
    t, e = _censored(time_s, event)
    times = np.unique(t[e])
    order = np.sort(t)
    at_risk = len(t) - np.searchsorted(order, times, side="left")
    events = np.bincount(np.searchsorted(times, t[e]), minlength=len(times)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1.0 - events / at_risk
        survival = np.cumprod(factor)
        green = np.cumsum(events / (at_risk * (at_risk - events)))
        z = z_quantile(level)
        log_s = np.log(survival)
        se = np.sqrt(green) / np.abs(log_s)
        low = np.exp(-np.exp(np.log(-log_s) + z * se))
        high = np.exp(-np.exp(np.log(-log_s) - z * se))
    low = np.where(np.isfinite(low), low, 0.0)
    high = np.where(np.isfinite(high), high, 1.0)
    return KaplanMeier(times, survival, low, high, at_risk.astype(float), events)


@dataclass
class CensoredFit:
    """A parametric patience fit under right censoring.

    ``params`` (exponential: ``rate_per_s``; Weibull: ``shape``, ``scale_s``)
    with ``ci`` bounds; ``mean_s`` and ``mean_ci`` the implied mean patience;
    ``events`` the number of abandonments and ``exposure_s`` the total time
    observed waiting.
    """

    family: str
    n: int
    events: int
    exposure_s: float
    params: dict[str, float]
    ci: dict[str, tuple[float, float]]
    mean_s: float
    mean_ci: tuple[float, float]
    loglik: float
    aic: float
    frozen: rv_continuous_frozen | None = field(repr=False, default=None)

    def survival(self, t_s: np.ndarray) -> np.ndarray:
        """Fitted ``P(patience > t)``."""
        t = np.asarray(t_s, dtype=float)
        if self.frozen is not None:
            return self.frozen.sf(t)
        if self.family == "exponential":
            return np.exp(-self.params["rate_per_s"] * t)
        return np.exp(-((t / self.params["scale_s"]) ** self.params["shape"]))

    def hazard(self, t_s: np.ndarray) -> np.ndarray:
        """Fitted hazard rate (per second) at ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        if self.frozen is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                return self.frozen.pdf(t) / self.frozen.sf(t)
        if self.family == "exponential":
            return np.full_like(t, self.params["rate_per_s"])
        k, lam = self.params["shape"], self.params["scale_s"]
        with np.errstate(divide="ignore"):
            return k / lam * (np.maximum(t, 1e-9) / lam) ** (k - 1)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"family": self.family, "n": self.n, "events": self.events, "exposure_s": self.exposure_s,
                "params": self.params, "ci95": {k: list(v) for k, v in self.ci.items()},
                "mean_s": self.mean_s, "mean_s_ci95": list(self.mean_ci), "loglik": self.loglik, "aic": self.aic}


def exponential_censored(time_s: np.ndarray, event: np.ndarray, level: float = 0.95) -> CensoredFit:
    """Exponential patience MLE: rate = abandonments / total waiting time.

    The confidence interval uses ``2 * rate * exposure ~ chi2(2 d)`` with
    ``2 d + 2`` degrees of freedom for the upper bound (exact for Poisson
    counts of events over a fixed exposure).
    """
    t, e = _censored(time_s, event)
    d = int(e.sum())
    exposure = float(t.sum())
    if exposure <= 0:
        raise ValueError("total waiting time is zero; patience cannot be estimated")
    rate = d / exposure
    alpha = 1 - level
    low = stats.chi2.ppf(alpha / 2, 2 * d) / (2 * exposure) if d > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * d + 2) / (2 * exposure)
    loglik = d * math.log(rate) - rate * exposure if d > 0 else 0.0
    mean = 1 / rate if rate > 0 else math.inf
    return CensoredFit("exponential", len(t), d, exposure, {"rate_per_s": rate}, {"rate_per_s": (float(low), float(high))},
                       mean, (1 / high, 1 / low if low > 0 else math.inf), loglik, 2 - 2 * loglik)


def weibull_censored(time_s: np.ndarray, event: np.ndarray, level: float = 0.95, floor_s: float = 0.5) -> CensoredFit:
    """Weibull patience MLE under right censoring, Wald CIs on the log scale.

    Event times of zero (whole-second logs) are raised to ``floor_s``;
    censored zeros carry no information and drop out of the likelihood.
    """
    t, e = _censored(time_s, event)
    d = int(e.sum())
    if d < 2:
        raise ValueError("need at least two abandonments to fit a Weibull patience")
    t = np.where(e, np.maximum(t, floor_s), t)
    log_t_events = np.log(t[e])
    sum_log = float(log_t_events.sum())

    def negloglik(theta: np.ndarray) -> float:
        k, lam = math.exp(theta[0]), math.exp(theta[1])
        return -(d * math.log(k) - d * k * math.log(lam) + (k - 1) * sum_log - float(np.sum((t / lam) ** k)))

    exp_fit = exponential_censored(t, e)
    start = np.array([0.0, math.log(exp_fit.mean_s)])
    res = optimize.minimize(negloglik, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    res = optimize.minimize(negloglik, res.x, method="BFGS")
    theta = res.x
    cov = _numeric_inverse_hessian(negloglik, theta)
    z = z_quantile(level)
    k, lam = math.exp(theta[0]), math.exp(theta[1])
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    mean = lam * math.gamma(1 + 1 / k)
    # delta method on log(mean) = log(lam) + lgamma(1 + 1/k) with theta = (log k, log lam)
    grad = np.array([-special.digamma(1 + 1 / k) / k, 1.0])
    se_log_mean = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    loglik = -float(negloglik(theta))
    return CensoredFit("weibull", len(t), d, float(t.sum()), {"shape": k, "scale_s": lam},
                       {"shape": (k * math.exp(-z * se[0]), k * math.exp(z * se[0])),
                        "scale_s": (lam * math.exp(-z * se[1]), lam * math.exp(z * se[1]))},
                       mean, (mean * math.exp(-z * se_log_mean), mean * math.exp(z * se_log_mean)), loglik, 4 - 2 * loglik)


def censored_mean_cv_fit(time_s: np.ndarray, event: np.ndarray, family: str, level: float = 0.95,
                         floor_s: float = 0.5) -> CensoredFit:
    """Lognormal or gamma patience MLE under right censoring, stated as mean and cv.

    These are the patience families the scenario schema can express besides
    the exponential; ``params`` hold ``mean_s`` and ``cv`` (what a scenario
    file takes), with Wald CIs on the log scale from the numerical Hessian.
    """
    if family not in ("lognormal", "gamma"):
        raise ValueError(f"family must be lognormal or gamma, not {family!r}")
    t, e = _censored(time_s, event)
    d = int(e.sum())
    if d < 2:
        raise ValueError("need at least two abandonments to fit a patience distribution")
    t = np.where(e, np.maximum(t, floor_s), t)
    te, tc = t[e], t[~e & (t > 0)]

    def frozen(theta: np.ndarray) -> rv_continuous_frozen:
        mean, cv = math.exp(theta[0]), math.exp(theta[1])
        if family == "lognormal":
            s2 = math.log1p(cv * cv)
            return stats.lognorm(math.sqrt(s2), scale=mean * math.exp(-s2 / 2))
        shape = 1 / (cv * cv)
        return stats.gamma(shape, scale=mean / shape)

    def negloglik(theta: np.ndarray) -> float:
        if np.any(np.abs(theta) > 50):
            return math.inf
        dist = frozen(theta)
        return -float(np.sum(dist.logpdf(te)) + np.sum(dist.logsf(tc)))

    exp_fit = exponential_censored(t, e)
    res = optimize.minimize(negloglik, np.array([math.log(exp_fit.mean_s), 0.0]), method="Nelder-Mead",
                            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
    theta = res.x
    cov = _numeric_inverse_hessian(negloglik, theta)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    z = z_quantile(level)
    mean, cv = math.exp(theta[0]), math.exp(theta[1])
    loglik = -float(negloglik(theta))
    return CensoredFit(family, len(t), d, float(t.sum()), {"mean_s": mean, "cv": cv},
                       {"mean_s": (mean * math.exp(-z * se[0]), mean * math.exp(z * se[0])),
                        "cv": (cv * math.exp(-z * se[1]), cv * math.exp(z * se[1]))},
                       mean, (mean * math.exp(-z * se[0]), mean * math.exp(z * se[0])), loglik, 4 - 2 * loglik,
                       frozen(theta))


def _numeric_inverse_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Inverse of the central-difference Hessian of ``f`` at ``x``."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei = np.eye(n)[i] * step
            ej = np.eye(n)[j] * step
            h[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * step * step)
    return np.linalg.inv(h)


def likelihood_ratio_test(restricted: CensoredFit, full: CensoredFit, dof: int = 1) -> float:
    """p-value of the likelihood-ratio test of a nested model (e.g. exponential in Weibull)."""
    stat = max(2 * (full.loglik - restricted.loglik), 0.0)
    return float(stats.chi2.sf(stat, dof))


@dataclass
class Hazard:
    """Piecewise-constant hazard: abandonments / time at risk in each bin.

    ``rate_per_s`` with exact Poisson bounds ``ci_low``/``ci_high`` per bin
    ``[edges_s[i], edges_s[i+1])``; bins with no time at risk are NaN.
    """

    edges_s: np.ndarray
    rate_per_s: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    events: np.ndarray
    exposure_s: np.ndarray


def hazard_estimate(time_s: np.ndarray, event: np.ndarray, edges_s: np.ndarray, level: float = 0.95) -> Hazard:
    """Hazard of patience per bin of waiting time, from censored data."""
    t, e = _censored(time_s, event)
    edges = np.asarray(edges_s, dtype=float)
    lo, hi = edges[:-1], edges[1:]
    exposure = np.clip(t[:, None], lo, hi) - lo
    exposure = exposure.sum(axis=0) if len(t) else np.zeros(len(lo))
    bins = np.searchsorted(edges, t[e], side="right") - 1
    bins = bins[(bins >= 0) & (bins < len(lo))]
    events = np.bincount(bins, minlength=len(lo)).astype(float)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(exposure > 0, events / exposure, np.nan)
        low = np.where(exposure > 0, np.where(events > 0, stats.chi2.ppf(alpha / 2, 2 * events), 0) / 2 / exposure, np.nan)
        high = np.where(exposure > 0, stats.chi2.ppf(1 - alpha / 2, 2 * events + 2) / 2 / exposure, np.nan)
    return Hazard(edges, rate, low, high, events, exposure)
