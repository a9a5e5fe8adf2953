"""Statistical estimators for calibrating a queue from observed calls: arrival rates and service times.

Pure functions on numpy arrays (no files, no pandas tables, no plots), so
they can be tested on synthetic data with known parameters:

- :func:`poisson_rates`: arrival rate per interval from counts over several
  days, exact Poisson confidence intervals and the dispersion index
  (variance / mean across days; 1 for a Poisson process);
- :func:`fit_lognormal`, :func:`fit_gamma`, :func:`fit_exponential`: maximum
  likelihood fits of service times with confidence intervals, log-likelihood,
  AIC and Kolmogorov-Smirnov / Anderson-Darling distances;
- :func:`shrunk_means`: group means (e.g. handling time per interval of the
  day) pulled toward a prior as far as each group's data are thin.

Patience is observed under censoring (a served caller's wait is only a lower
bound on their patience); its estimators are in :mod:`sim.analysis.survival`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import special, stats

if TYPE_CHECKING:
    from scipy.stats._distn_infrastructure import rv_continuous_frozen

Z95 = float(stats.norm.ppf(0.975))


def z_quantile(level: float) -> float:
    """The standard normal quantile of a two-sided ``level`` interval (1.96 for 0.95)."""
    return float(stats.norm.ppf(0.5 + level / 2))


# ---------------------------------------------------------------------------
# Arrivals


@dataclass
class RateEstimate:
    """Arrival rate per interval estimated from counts on several days.

    ``rate_per_hour[k]`` is the mean count in interval ``k`` scaled to an
    hour; ``ci_low``/``ci_high`` are exact (Garwood) Poisson bounds on it.
    ``dispersion[k]`` is the variance / mean of the counts across days
    (NaN with fewer than two days or a zero mean). ``dispersion_index`` pools
    them: ``sum((days - 1) * var) / sum(mean)`` over intervals with calls,
    and ``dispersion_p_value`` is the chi-square test of the Poisson
    hypothesis (index = 1) on that pooled statistic.
    """

    days: int
    interval_s: float
    counts: np.ndarray
    rate_per_hour: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    dispersion: np.ndarray
    dispersion_index: float
    dispersion_dof: int
    dispersion_p_value: float


def poisson_rates(counts: np.ndarray, interval_s: float, level: float = 0.95) -> RateEstimate:
    """Estimate per-interval Poisson rates from a (days x intervals) count matrix."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    days, _ = counts.shape
    if days < 1:
        raise ValueError("need counts of at least one day")
    total = counts.sum(axis=0)
    exposure_h = days * interval_s / 3600.0
    alpha = 1.0 - level
    low = np.where(total > 0, stats.chi2.ppf(alpha / 2, 2 * total) / 2, 0.0) / exposure_h
    high = stats.chi2.ppf(1 - alpha / 2, 2 * total + 2) / 2 / exposure_h
    mean = counts.mean(axis=0)
    if days >= 2:
        var = counts.var(axis=0, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            dispersion = np.where(mean > 0, var / mean, np.nan)
        used = mean > 0
        stat = float(((days - 1) * var[used] / mean[used]).sum())
        dof = int((days - 1) * used.sum())
        index = stat / dof if dof else math.nan
        p_value = float(stats.chi2.sf(stat, dof)) if dof else math.nan
    else:
        dispersion = np.full(counts.shape[1], np.nan)
        index, dof, p_value = math.nan, 0, math.nan
    return RateEstimate(days, float(interval_s), counts, total / exposure_h, low, high, dispersion, index, dof, p_value)


# ---------------------------------------------------------------------------
# Service-time fits


@dataclass
class Fit:
    """A fitted distribution of positive times.

    ``params`` are the family's natural parameters (lognormal: ``mu``,
    ``sigma`` of the log; gamma: ``shape``, ``scale_s``; exponential:
    ``mean_s``) and ``ci`` their confidence intervals. ``mean_s``/``cv`` are
    the fitted distribution's mean and coefficient of variation (how the
    scenario schema states it) with ``mean_ci``. ``ks`` is the
    Kolmogorov-Smirnov distance to the data, ``ad`` the Anderson-Darling
    statistic, ``aic`` = 2 k - 2 log-likelihood.
    """

    family: str
    n: int
    params: dict[str, float]
    ci: dict[str, tuple[float, float]]
    mean_s: float
    cv: float
    mean_ci: tuple[float, float]
    loglik: float
    aic: float
    ks: float
    ks_p_value: float
    ad: float
    frozen: rv_continuous_frozen = field(repr=False)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Fitted cumulative distribution function."""
        return self.frozen.cdf(x)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Fitted density."""
        return self.frozen.pdf(x)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "family": self.family, "n": self.n, "params": self.params,
            "ci95": {k: list(v) for k, v in self.ci.items()},
            "mean_s": self.mean_s, "cv": self.cv, "mean_s_ci95": list(self.mean_ci),
            "loglik": self.loglik, "aic": self.aic, "ks": self.ks, "ks_p_value": self.ks_p_value, "ad": self.ad,
        }


def _positive(x: np.ndarray, floor_s: float) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        raise ValueError("need at least two observations to fit a distribution")
    return np.maximum(x, floor_s)


def _goodness(x: np.ndarray, frozen: rv_continuous_frozen, k_params: int) -> tuple[float, float, float, float]:
    """Log-likelihood, KS distance and p-value, Anderson-Darling statistic."""
    loglik = float(np.sum(frozen.logpdf(x)))
    ks = stats.kstest(x, frozen.cdf)  # type: ignore[arg-type]  # scipy-stubs: an overloaded cdf is not taken as a callable
    u = np.clip(np.sort(frozen.cdf(x)), 1e-12, 1 - 1e-12)
    n = len(u)
    i = np.arange(1, n + 1)
    ad = float(-n - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))))
    return loglik, float(ks.statistic), float(ks.pvalue), ad


def fit_lognormal(x: np.ndarray, level: float = 0.95, floor_s: float = 0.5) -> Fit:
    """Maximum-likelihood lognormal fit (exact t / chi-square CIs on mu, sigma).

    Zero times (whole-second logs) are raised to ``floor_s`` before taking logs.
    """
    x = _positive(x, floor_s)
    logs = np.log(x)
    n = len(x)
    mu = float(logs.mean())
    sigma = float(logs.std(ddof=0))
    s = float(logs.std(ddof=1))
    alpha = 1 - level
    t = float(stats.t.ppf(1 - alpha / 2, n - 1))
    mu_ci = (mu - t * s / math.sqrt(n), mu + t * s / math.sqrt(n))
    sig_ci = (s * math.sqrt((n - 1) / stats.chi2.ppf(1 - alpha / 2, n - 1)),
              s * math.sqrt((n - 1) / stats.chi2.ppf(alpha / 2, n - 1)))
    mean = math.exp(mu + sigma**2 / 2)
    # delta method for log(mean) = mu + sigma^2/2: var = sigma^2/n + sigma^4/(2n)
    se_log_mean = math.sqrt(sigma**2 / n + sigma**4 / (2 * n))
    z = z_quantile(level)
    frozen = stats.lognorm(sigma, scale=math.exp(mu))
    loglik, ks, ks_p, ad = _goodness(x, frozen, 2)
    return Fit("lognormal", n, {"mu": mu, "sigma": sigma}, {"mu": mu_ci, "sigma": sig_ci}, mean,
               math.sqrt(math.expm1(sigma**2)), (mean * math.exp(-z * se_log_mean), mean * math.exp(z * se_log_mean)),
               loglik, 4 - 2 * loglik, ks, ks_p, ad, frozen)


def fit_gamma(x: np.ndarray, level: float = 0.95, floor_s: float = 0.5) -> Fit:
    """Maximum-likelihood gamma fit (scipy's ``gamma.fit``) with Wald CIs from the Fisher information, which it lacks."""
    x = _positive(x, floor_s)
    n = len(x)
    shape, _, scale = (float(v) for v in stats.gamma.fit(x, floc=0))  # scipy solves the shape's likelihood equation
    info = n * np.array([[special.polygamma(1, shape), 1 / scale], [1 / scale, shape / scale**2]])
    cov = np.linalg.inv(info)
    z = z_quantile(level)
    se_k, se_theta = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    mean = shape * scale
    grad = np.array([scale, shape])
    se_mean = math.sqrt(float(grad @ cov @ grad))
    frozen = stats.gamma(shape, scale=scale)
    loglik, ks, ks_p, ad = _goodness(x, frozen, 2)
    return Fit("gamma", n, {"shape": shape, "scale_s": scale},
               {"shape": (shape - z * se_k, shape + z * se_k), "scale_s": (scale - z * se_theta, scale + z * se_theta)},
               mean, 1 / math.sqrt(shape), (mean - z * se_mean, mean + z * se_mean), loglik, 4 - 2 * loglik, ks, ks_p, ad,
               frozen)


def fit_exponential(x: np.ndarray, level: float = 0.95, floor_s: float = 0.5) -> Fit:
    """Maximum-likelihood exponential fit (exact chi-square CI on the mean)."""
    x = _positive(x, floor_s)
    n = len(x)
    mean = float(x.mean())
    alpha = 1 - level
    ci = (2 * n * mean / stats.chi2.ppf(1 - alpha / 2, 2 * n), 2 * n * mean / stats.chi2.ppf(alpha / 2, 2 * n))
    frozen = stats.expon(scale=mean)
    loglik, ks, ks_p, ad = _goodness(x, frozen, 1)
    return Fit("exponential", n, {"mean_s": mean}, {"mean_s": ci}, mean, 1.0, ci, loglik, 2 - 2 * loglik, ks, ks_p, ad,
               frozen)


# ---------------------------------------------------------------------------
# Group means with little data each


@dataclass
class ShrunkMeans:
    """Means of groups of observations, each pulled toward a prior mean as far as its data are thin.

    ``means[g] = prior[g] + weight[g] * (raw[g] - prior[g])`` with
    ``weight[g] = between_var / (between_var + within_var / counts[g])``
    (0 for an empty group, whose mean is its prior): the empirical Bayes
    estimate of a one-way random-effects model. ``within_var`` is the pooled
    variance inside the groups; ``between_var`` the moment estimate of the
    variance of the true group means around their priors.
    """

    means: np.ndarray
    raw: np.ndarray
    counts: np.ndarray
    prior: np.ndarray
    weight: np.ndarray
    within_var: float
    between_var: float


def shrunk_means(values: np.ndarray, groups: np.ndarray, n_groups: int, prior: np.ndarray | None = None) -> ShrunkMeans:
    """Empirical Bayes means of ``values`` by ``groups`` (integers ``0 .. n_groups - 1``).

    ``prior`` gives each group's prior mean (default: the mean of all
    values). The between-group variance is the moment estimate
    ``max(0, (sum n_g (mean_g - prior_g)**2 - G within_var) / sum n_g)``
    over the ``G`` groups with data, so a group of a few calls stays near
    its prior and a group of many keeps its own mean.
    """
    x = np.asarray(values, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    if x.shape != g.shape:
        raise ValueError("values and groups must have the same length")
    keep = np.isfinite(x)
    x, g = x[keep], g[keep]
    if len(x) == 0:
        raise ValueError("need at least one value")
    if (g < 0).any() or (g >= n_groups).any():
        raise ValueError(f"groups must lie in 0 .. {n_groups - 1}")
    counts = np.bincount(g, minlength=n_groups).astype(float)
    sums = np.bincount(g, weights=x, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(counts > 0, sums / counts, np.nan)
    base = np.full(n_groups, float(x.mean())) if prior is None else np.asarray(prior, dtype=float)
    if base.shape != (n_groups,):
        raise ValueError(f"prior must hold one mean per group ({n_groups})")
    filled = counts > 0
    dof = len(x) - int(filled.sum())
    within = float(np.sum((x - raw[g]) ** 2) / dof) if dof > 0 else 0.0
    spread = float(np.sum(counts[filled] * (raw[filled] - base[filled]) ** 2))
    between = max(0.0, (spread - int(filled.sum()) * within) / float(counts.sum()))
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(filled, between / (between + within / np.maximum(counts, 1.0)), 0.0) if between > 0 \
            else np.zeros(n_groups)
    means = np.where(filled, base + weight * (np.nan_to_num(raw) - base), base)
    return ShrunkMeans(means, raw, counts, base, weight, within, between)


# ---------------------------------------------------------------------------
# Over-dispersed arrivals


@dataclass
class LevelEstimate:
    """A Poisson-gamma fit of interval counts over several days: the rate's random level.

    ``cv`` is the coefficient of variation of the level (0: Poisson fits);
    ``per`` is ``day`` (one level for the whole day: intervals of a day move
    together) or ``interval`` (independent levels), whichever predicts the
    variance of the daily totals better; ``day_cv2`` / ``interval_cv2`` are
    the two moment estimates of ``cv**2`` and ``total_var`` / ``day_var`` /
    ``interval_var`` the observed variance of daily totals and what each
    reading predicts.
    """

    cv: float
    per: str
    day_cv2: float
    interval_cv2: float
    total_var: float
    day_var: float
    interval_var: float

    def to_dict(self) -> dict[str, float | str]:
        """Plain values for JSON reports."""
        return dict(self.__dict__)


def gamma_level(counts_by_group: list[np.ndarray]) -> LevelEstimate:
    """Moment fit of a gamma level from (days x intervals) count matrices, one per group of like days.

    Within a group, interval ``k`` expecting ``m_k`` calls has variance
    ``m_k + m_k**2 cv**2`` across days under either reading, so
    ``cv**2 = sum(var_k - m_k) / sum(m_k**2)`` (pooled over groups with
    at least two days). The readings differ on the daily total: a day
    level gives it variance ``M + M**2 cv**2`` (``M = sum m_k``),
    independent interval levels ``M + sum(m_k**2) cv**2``; ``per`` is the
    reading whose predicted total variance is closer to the observed one
    (``day_cv2`` is the moment estimate from the totals alone, for reference).
    """
    excess, square, tot_excess, tot_square, tot_var, tot_mean = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    groups = 0
    for counts in counts_by_group:
        c = np.atleast_2d(np.asarray(counts, dtype=float))
        if c.shape[0] < 2:
            continue
        groups += 1
        m, v = c.mean(axis=0), c.var(axis=0, ddof=1)
        excess += float((v - m).sum())
        square += float((m * m).sum())
        totals = c.sum(axis=1)
        mt, vt = float(totals.mean()), float(totals.var(ddof=1))
        tot_excess += vt - mt
        tot_square += mt * mt
        tot_var += vt
        tot_mean += mt
    if not groups or square <= 0:
        return LevelEstimate(0.0, "day", 0.0, 0.0, math.nan, math.nan, math.nan)
    interval_cv2 = max(excess / square, 0.0)
    day_cv2 = max(tot_excess / tot_square, 0.0) if tot_square > 0 else 0.0
    day_var = tot_mean + tot_square * interval_cv2
    interval_var = tot_mean + square * interval_cv2
    per = "day" if abs(day_var - tot_var) <= abs(interval_var - tot_var) else "interval"
    return LevelEstimate(math.sqrt(interval_cv2), per, day_cv2, interval_cv2, tot_var, day_var, interval_var)
