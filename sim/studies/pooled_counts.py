"""Per-interval counts of simulated runs pooled over replications: the search's measure of a staffing.

Definitions follow :mod:`sim.analysis.metrics`; pooling sums counts over
replications before forming ratios, so an interval's service level is
answered within the threshold over all offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.demand import rates_per_hour
from sim.engine.journey_setup import issue_rates_per_hour
from sim.engine.model import run
from sim.engine.records import ABANDONED, ANSWERED, REASON_DIRECT, RunRecords
from sim.spec.scenario import Scenario
from sim.studies.planning_grid import Grid, channel_aht_s
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
    return interval_counts(scenario, run(scenario, seed=seed, replication=replication))


def interval_counts(scenario: Scenario, records: RunRecords) -> dict[str, np.ndarray]:
    """Per channel, the rows offered, within, answered, abandoned, wait of answered per interval of a run."""
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


def _stretched(scenario: Scenario, name: str) -> bool:
    """Whether a channel's recorded handling times depend on the staffing (chats stretched by the others an agent holds)."""
    channel = scenario.channels[name]
    return channel.kind_for(name) == "chat" and channel.concurrency > 1 and channel.concurrency_stretch > 0


def interval_controls(scenario: Scenario, records: RunRecords) -> np.ndarray:
    """Per interval, random quantities of a run whose expectations are known, centred on them: control variates.

    Rows: for each arrival stream, the work it brought (handling time of its
    contacts, s) in the interval and in the one before (its contacts, for a
    chat channel whose handling times stretch with the chats an agent holds:
    those times depend on the staffing, and a control must not); with a journey, the
    issues that arrived in the interval and in the one before. An interval's
    service level rises and falls with the work that arrived in and just
    before it, so adjusting for these (regression on the replications, see
    :mod:`sim.studies.interval_samples`) removes much of the noise between
    replications without biasing the estimate.
    """
    grid = Grid.of(scenario)
    n = grid.n_intervals
    width_h = np.minimum(grid.interval_s, records.horizon_s - np.arange(n) * grid.interval_s) / 3600.0
    rows: list[np.ndarray] = []
    journey = records.journey

    def index_of(times: np.ndarray) -> np.ndarray:
        return np.minimum((times // grid.interval_s).astype(np.int64), n - 1)

    for name, stream in scenario.arrivals.items():
        if journey is None:
            rec = records.channels[name]
            keep = rec.arrival_s < records.horizon_s
            times, work = rec.arrival_s[keep], rec.service_s[keep]
        else:
            keep = ((journey.contact_reason == REASON_DIRECT) & (journey.contact_channel == journey.channels.index(name))
                    & (journey.contact_arrival_s < records.horizon_s))
            times, work = journey.contact_arrival_s[keep], journey.contact_service_s[keep]
        expected_count = rates_per_hour(stream, n) * width_h
        if _stretched(scenario, name):  # recorded times include the stretch, which the staffing sets: count contacts
            rows.append(np.bincount(index_of(times), minlength=n)[:n] - expected_count)
        else:
            rows.append(np.bincount(index_of(times), weights=work, minlength=n)[:n]
                        - expected_count * channel_aht_s(scenario, name, grid))
    if journey is not None and scenario.journey is not None:
        arrived = journey.issue_arrival_s[journey.issue_arrival_s < records.horizon_s]
        expected = issue_rates_per_hour(scenario.journey, grid.interval_s, n) * width_h
        rows.append(np.bincount(index_of(arrived), minlength=n)[:n] - expected)
    lagged = [np.concatenate(([0.0], row[:-1])) for row in rows]
    return np.vstack(rows + lagged) if rows else np.zeros((0, n))


def run_interval_samples(scenario: Scenario, seed: int, replication: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One replication's per-interval counts per channel (as :func:`interval_counts`) and its control variates."""
    records = run(scenario, seed=seed, replication=replication)
    return interval_counts(scenario, records), interval_controls(scenario, records)
