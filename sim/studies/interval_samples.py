"""Per-interval counts of each replication, and what they allow us to say with confidence.

A staffing decision compares an interval's service level with its target.
With ``R`` replications of the horizon, the interval's service level is the
pooled ratio (answered within the threshold over offered, summed over the
replications); its uncertainty comes from how much the replications differ, less the part explained by control variates (the
work that arrived in and just before the interval, whose expectation the
scenario states: see :func:`sim.studies.pooled_counts.interval_controls`).
:class:`IntervalSamples` keeps the counts of every replication so that a
one-sided confidence bound can be put on each ratio (the ratio estimator's
linearised standard error, a Student t quantile with ``R - 1`` degrees of
freedom, clipped to what is possible, [0, 1]) and a staffing be judged as
meeting its target, missing it, or not yet decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from sim.studies.pooled_counts import IntervalCounts
from sim.studies.staffing_targets import ServiceTarget

MEETS = 1
"""Verdict: the target is met with the stated confidence."""
MISSES = -1
"""Verdict: the target is missed with the stated confidence."""
UNDECIDED = 0
"""Verdict: the replications so far cannot tell."""


def _ratio_bounds(num: np.ndarray, den: np.ndarray, confidence: float,
                  controls: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled ratio sum(num) / sum(den) per interval and its two one-sided bounds at ``confidence``.

    ``num`` and ``den`` are (replications, intervals); ``controls`` (replications,
    m, intervals) are control variates with expectation zero. With them (and
    enough replications: more than m + 5) the ratio is adjusted by regressing
    each replication's linearised contribution on its controls, and the
    bounds use the regression's residual spread (``R - 1 - m`` degrees of
    freedom). Intervals with nothing in the denominator get ratio NaN and
    bounds (0, 1).
    """
    r = num.shape[0]
    total = den.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total > 0, num.sum(axis=0) / total, np.nan)
        mean_den = total / r
        if r < 2:
            half = np.full(ratio.shape, np.inf)
        else:
            residual = num - np.nan_to_num(ratio) * den  # each replication's linearised contribution
            m = 0 if controls is None else controls.shape[1]
            if controls is not None and m and r > m + 5:
                for k in np.flatnonzero(total > 0):
                    x = controls[:, :, k]
                    y = residual[:, k]
                    design = np.column_stack([np.ones(r), x])
                    beta = np.linalg.lstsq(design, y, rcond=None)[0]
                    ratio[k] -= float(beta[1:] @ x.mean(axis=0)) / mean_den[k]
                    residual[:, k] = y - design @ beta
                dof = r - 1 - m
            else:
                residual = residual - residual.mean(axis=0)
                dof = r - 1
            se = np.sqrt((residual ** 2).sum(axis=0) / (dof * r)) / mean_den
            half = float(stats.t.ppf(confidence, dof)) * se
    low = np.where(total > 0, np.clip(ratio - half, 0.0, 1.0), 0.0)
    high = np.where(total > 0, np.clip(ratio + half, 0.0, 1.0), 1.0)
    return np.where(total > 0, np.clip(ratio, 0.0, 1.0), np.nan), low, high


@dataclass
class IntervalSamples:
    """One channel's counts per replication and interval: rows offered, within, answered, abandoned, wait of answered."""

    rows: np.ndarray  # (replications, 5, intervals)
    controls: np.ndarray | None = None  # (replications, m, intervals), expectation zero; see interval_controls
    _bounds: dict[tuple[int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False)  # the regression is asked for again and again in a search

    @property
    def replications(self) -> int:
        """How many replications the counts come from."""
        return int(self.rows.shape[0])

    def extended(self, more: IntervalSamples) -> IntervalSamples:
        """These replications followed by ``more``."""
        controls = None if self.controls is None or more.controls is None else \
            np.concatenate([self.controls, more.controls], axis=0)
        return IntervalSamples(np.concatenate([self.rows, more.rows], axis=0), controls)

    def first(self, replications: int) -> IntervalSamples:
        """The first ``replications`` replications."""
        return IntervalSamples(self.rows[:replications], None if self.controls is None else self.controls[:replications])

    def pooled(self) -> IntervalCounts:
        """Counts summed over the replications (the point estimates)."""
        return IntervalCounts.from_rows(self.rows.sum(axis=0), self.replications)

    def service_level(self, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pooled service level per interval with its lower and upper one-sided bounds."""
        return self._ratio(1, confidence)

    def abandon_rate(self, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pooled abandon rate per interval with its lower and upper one-sided bounds."""
        return self._ratio(3, confidence)

    def _ratio(self, row: int, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row ``row`` over offered, with its bounds (computed once per row and confidence)."""
        key = (row, confidence)
        if key not in self._bounds:
            self._bounds[key] = _ratio_bounds(self.rows[:, row, :], self.rows[:, 0, :], confidence, self.controls)
        return self._bounds[key]

    def verdict(self, target: ServiceTarget, confidence: float) -> np.ndarray:
        """Per interval: :data:`MEETS`, :data:`MISSES` or :data:`UNDECIDED` at one-sided ``confidence``.

        Meets: the service level's lower bound is at least the target (and
        the abandon rate's upper bound at most the ceiling, if any). Misses:
        the upper bound is below the target (or the abandon rate's lower
        bound above the ceiling). Intervals where nothing was offered in any
        replication meet their target.
        """
        _, sl_low, sl_high = self.service_level(confidence)
        meets = sl_low >= target.sl_target - 1e-12
        misses = sl_high < target.sl_target - 1e-12
        if target.max_abandon is not None:
            _, ab_low, ab_high = self.abandon_rate(confidence)
            meets &= ab_high <= target.max_abandon + 1e-12
            misses |= ab_low > target.max_abandon + 1e-12
        empty = self.rows[:, 0, :].sum(axis=0) == 0
        out = np.where(misses, MISSES, np.where(meets, MEETS, UNDECIDED))
        return np.where(empty, MEETS, out)
