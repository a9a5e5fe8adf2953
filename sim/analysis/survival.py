"""Estimators of times observed under right censoring: the patience of callers.

A caller who abandoned shows their patience (the wait until they hung up); a
served caller's wait is only a lower bound on it. Averaging the waits of
abandoners alone underestimates patience badly when most callers are served,
so these estimators use both:

- :func:`kaplan_meier`: the survival curve of patience, with Greenwood bands
  (:func:`scipy.stats.ecdf` of :class:`scipy.stats.CensoredData`);
- :func:`exponential_censored` (closed form), :func:`weibull_censored` and
  :func:`censored_mean_cv_fit` (lognormal, gamma: scipy's censored ``fit``):
  parametric fits by maximum likelihood with Wald intervals from the
  likelihood's Hessian (which scipy's fit does not give), and
  :func:`likelihood_ratio_test` between nested ones;
- :func:`hazard_estimate`: a piecewise constant hazard (events / time at risk
  per bin).

Pure functions on numpy arrays, like :mod:`sim.analysis.estimators`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import differentiate, special, stats

from sim.analysis.estimators import z_quantile

if TYPE_CHECKING:
    from scipy.stats import rv_continuous
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
    """Kaplan-Meier estimate from times and event flags (True = abandoned): :func:`scipy.stats.ecdf`.

    The curve and its log-log (Greenwood) band are scipy's, read at the
    distinct event times; censored times equal to an event time count as
    still at risk at it (the usual convention).
    """
    t, e = _censored(time_s, event)
    times = np.unique(t[e])
    fit = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
    with warnings.catch_warnings():  # the band is undefined where the curve reaches 0 or 1
        warnings.simplefilter("ignore", RuntimeWarning)
        band = fit.sf.confidence_interval(level, method="log-log")
        curves: tuple[Any, Any] = (band.low, band.high)  # scipy-stubs type the bounds as numbers; they are ECDF curves
        low, high = (np.asarray(c.evaluate(times), dtype=float) for c in curves)
    at_risk = len(t) - np.searchsorted(np.sort(t), times, side="left")
    events = np.bincount(np.searchsorted(times, t[e]), minlength=len(times)).astype(float)
    return KaplanMeier(times, fit.sf.evaluate(times), np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=1.0),
                       at_risk.astype(float), events)


@dataclass
class CensoredFit:
    """A parametric patience fit under right censoring.

    ``params`` (exponential: ``rate_per_s``; Weibull: ``shape``, ``scale_s``)
    with ``ci`` bounds; ``mean_s`` and ``mean_ci`` the implied mean patience;
    ``events`` the number of abandonments and ``exposure_s`` the total time
    observed waiting; ``frozen`` the fitted scipy distribution (none for the
    exponential, whose survival and hazard are written out).
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
        return np.exp(-self.params["rate_per_s"] * t)

    def hazard(self, t_s: np.ndarray) -> np.ndarray:
        """Fitted hazard rate (per second) at ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        if self.frozen is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                return self.frozen.pdf(t) / self.frozen.sf(t)
        return np.full_like(t, self.params["rate_per_s"])

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


_SCIPY_FAMILIES: dict[str, rv_continuous] = {"weibull": stats.weibull_min, "lognormal": stats.lognorm, "gamma": stats.gamma}


def _censored_mle(family: str, t: np.ndarray, e: np.ndarray, floor_s: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """scipy's censored maximum-likelihood fit (location 0): shape, scale, event times and informative censored times.

    Event times of zero (whole-second logs) are raised to ``floor_s``;
    censored zeros carry no information and are left out.
    """
    if int(e.sum()) < 2:
        raise ValueError(f"need at least two abandonments to fit a {family} patience")
    te, tc = np.maximum(t[e], floor_s), t[~e & (t > 0)]
    shape, _, scale = _SCIPY_FAMILIES[family].fit(stats.CensoredData(uncensored=te, right=tc), floc=0)
    return float(shape), float(scale), te, tc


def _inverse_hessian(family: str, to_params: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
                     theta: np.ndarray, te: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """Covariance of ``theta`` (2 values: what the confidence intervals are stated on) from the censored likelihood.

    scipy's fit gives no intervals: they come from the inverse of the
    negative log-likelihood's Hessian (:func:`scipy.differentiate.hessian`);
    ``to_params`` maps ``theta`` to the scipy family's shape and scale.
    """
    dist = _SCIPY_FAMILIES[family]

    def negloglik(x: np.ndarray) -> np.ndarray:
        shape, scale = to_params(x[0], x[1])
        ev, ce = (v.reshape(v.shape + (1,) * shape.ndim) for v in (te, tc))
        return -(np.asarray(dist.logpdf(ev, shape, scale=scale)).sum(axis=0)
                 + np.asarray(dist.logsf(ce, shape, scale=scale)).sum(axis=0))

    result = differentiate.hessian(negloglik, theta, initial_step=0.05, order=4, maxiter=2)
    return np.linalg.inv(np.asarray(result.ddf, dtype=float))


def weibull_censored(time_s: np.ndarray, event: np.ndarray, level: float = 0.95, floor_s: float = 0.5) -> CensoredFit:
    """Weibull patience MLE under right censoring (scipy's ``weibull_min.fit``), Wald CIs on the log scale.

    Event times of zero (whole-second logs) are raised to ``floor_s``;
    censored zeros carry no information and drop out of the likelihood.
    """
    t, e = _censored(time_s, event)
    k, lam, te, tc = _censored_mle("weibull", t, e, floor_s)
    theta = np.log([k, lam])
    cov = _inverse_hessian("weibull", lambda a, b: (np.exp(a), np.exp(b)), theta, te, tc)
    z = z_quantile(level)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    mean = lam * math.gamma(1 + 1 / k)
    # delta method on log(mean) = log(lam) + lgamma(1 + 1/k) with theta = (log k, log lam)
    grad = np.array([-special.digamma(1 + 1 / k) / k, 1.0])
    se_log_mean = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    frozen = stats.weibull_min(k, scale=lam)
    loglik = float(frozen.logpdf(te).sum() + frozen.logsf(tc).sum())
    return CensoredFit("weibull", len(t), len(te), float(np.where(e, np.maximum(t, floor_s), t).sum()),
                       {"shape": k, "scale_s": lam},
                       {"shape": (k * math.exp(-z * se[0]), k * math.exp(z * se[0])),
                        "scale_s": (lam * math.exp(-z * se[1]), lam * math.exp(z * se[1]))},
                       mean, (mean * math.exp(-z * se_log_mean), mean * math.exp(z * se_log_mean)), loglik, 4 - 2 * loglik,
                       frozen)


def _mean_cv_params(family: str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(log mean, log cv) -> the scipy family's shape and scale."""
    def params(log_mean: np.ndarray, log_cv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, cv = np.exp(log_mean), np.exp(log_cv)
        if family == "lognormal":
            s2 = np.log1p(cv * cv)
            return np.sqrt(s2), mean * np.exp(-s2 / 2)
        return 1 / (cv * cv), mean * cv * cv

    return params


def censored_mean_cv_fit(time_s: np.ndarray, event: np.ndarray, family: str, level: float = 0.95,
                         floor_s: float = 0.5) -> CensoredFit:
    """Lognormal or gamma patience MLE under right censoring (scipy's censored ``fit``), stated as mean and cv.

    These are the patience families the scenario schema can express besides
    the exponential; ``params`` hold ``mean_s`` and ``cv`` (what a scenario
    file takes), with Wald CIs on the log scale from the likelihood's Hessian.
    """
    if family not in ("lognormal", "gamma"):
        raise ValueError(f"family must be lognormal or gamma, not {family!r}")
    t, e = _censored(time_s, event)
    shape, scale, te, tc = _censored_mle(family, t, e, floor_s)
    if family == "lognormal":
        mean, cv = scale * math.exp(shape * shape / 2), math.sqrt(math.expm1(shape * shape))
    else:
        mean, cv = shape * scale, 1 / math.sqrt(shape)
    cov = _inverse_hessian(family, _mean_cv_params(family), np.log([mean, cv]), te, tc)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    z = z_quantile(level)
    frozen = _SCIPY_FAMILIES[family](shape, scale=scale)
    loglik = float(frozen.logpdf(te).sum() + frozen.logsf(tc).sum())
    return CensoredFit(family, len(t), len(te), float(np.where(e, np.maximum(t, floor_s), t).sum()),
                       {"mean_s": mean, "cv": cv},
                       {"mean_s": (mean * math.exp(-z * se[0]), mean * math.exp(z * se[0])),
                        "cv": (cv * math.exp(-z * se[1]), cv * math.exp(z * se[1]))},
                       mean, (mean * math.exp(-z * se[0]), mean * math.exp(z * se[0])), loglik, 4 - 2 * loglik, frozen)


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
