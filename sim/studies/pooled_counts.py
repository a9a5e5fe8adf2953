"""Per-interval counts of simulated runs pooled over replications: the search's measure of a staffing.

Definitions follow :mod:`sim.analysis.metrics`; pooling sums counts over
replications before forming ratios, so an interval's service level is
answered within the threshold over all offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from sim.engine.model import run
from sim.engine.records import ABANDONED, ANSWERED
from sim.spec.scenario import Scenario
from sim.studies.planning_grid import Grid, with_agents
from sim.studies.staffing_targets import ServiceTarget


@dataclass
class IntervalCounts:
    """Per-interval counts of one channel summed over replications.

    Definitions follow :mod:`sim.analysis.metrics`: offered contacts arrive inside the
    measurement window; ``within`` were answered within the threshold.
    """

    offered: np.ndarray
    within: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    wait_answered_s: np.ndarray
    replications: int

    @classmethod
    def from_rows(cls, rows: np.ndarray, replications: int) -> IntervalCounts:
        """From the five rows of :func:`run_interval_counts` (offered, within, answered, abandoned, wait of answered)."""
        offered, within, answered, abandoned, wait_answered_s = rows
        return cls(offered, within, answered, abandoned, wait_answered_s, replications)

    @property
    def service_level(self) -> np.ndarray:
        """Pooled service level (NaN where nothing was offered)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.offered > 0, self.within / self.offered, np.nan)

    @property
    def abandon_rate(self) -> np.ndarray:
        """Pooled abandoned / offered."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.offered > 0, self.abandoned / self.offered, np.nan)

    @property
    def asa_s(self) -> np.ndarray:
        """Mean wait of answered contacts."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.answered > 0, self.wait_answered_s / self.answered, np.nan)

    def meets(self, target: ServiceTarget) -> np.ndarray:
        """Whether each interval meets ``target`` (intervals without contacts do)."""
        empty = self.offered == 0
        ok = empty | (self.within >= target.sl_target * self.offered - 1e-9)
        if target.max_abandon is not None:
            ok &= empty | (self.abandoned <= target.max_abandon * self.offered + 1e-9)
        return ok


def run_interval_counts(scenario: Scenario, seed: int, replication: int) -> dict[str, np.ndarray]:
    """One replication's per-interval counts: rows offered, within, answered, abandoned, wait of answered."""
    records = run(scenario, seed=seed, replication=replication)
    grid = Grid.of(scenario)
    out: dict[str, np.ndarray] = {}
    for name, rec in records.channels.items():
        window = (rec.arrival_s >= records.warmup_s) & (rec.arrival_s < records.horizon_s)
        index = np.minimum((rec.arrival_s[window] // grid.interval_s).astype(np.int64), grid.n_intervals - 1)
        outcome = rec.outcome[window]
        wait = rec.wait_s[window]
        answered = outcome == ANSWERED
        within = answered & (wait <= rec.sl_threshold_s)
        n = grid.n_intervals
        out[name] = np.vstack([
            np.bincount(index, minlength=n),
            np.bincount(index, weights=within, minlength=n),
            np.bincount(index, weights=answered, minlength=n),
            np.bincount(index, weights=outcome == ABANDONED, minlength=n),
            np.bincount(index, weights=np.where(answered, wait, 0.0), minlength=n),
        ]).astype(float)
    return out


def _counts_task(args: tuple[Scenario, int, int]) -> dict[str, np.ndarray]:
    return run_interval_counts(*args)


@dataclass
class PooledEvaluator:
    """Simulates a staffing with ``replications`` CRN replications and pools interval counts."""

    scenario: Scenario
    replications: int
    seed: int
    executor: Executor | None = None
    evaluations: int = 0
    runs: int = field(default=0)

    def __call__(self, agents: Mapping[str, np.ndarray]) -> dict[str, IntervalCounts]:
        """Pooled counts per channel for this staffing."""
        variant = with_agents(self.scenario, agents)
        tasks = [(variant, self.seed, r) for r in range(self.replications)]
        results = list(self.executor.map(_counts_task, tasks)) if self.executor else [_counts_task(t) for t in tasks]
        self.evaluations += 1
        self.runs += len(tasks)
        counts: dict[str, IntervalCounts] = {}
        for name in self.scenario.channels:
            total = sum(r[name] for r in results)
            counts[name] = IntervalCounts.from_rows(np.asarray(total), self.replications)
        return counts
