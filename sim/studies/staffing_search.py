"""Staffing each interval on its own, its rate held constant: the simulated counterpart of Erlang C and A.

The search over the whole horizon, where queues carry over, is in
:mod:`sim.studies.requirement_search`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.spec.scenario import Scenario
from sim.studies.planning_grid import channel_rates, stationary_scenario, with_thresholds
from sim.studies.pooled_counts import IntervalCounts, run_interval_counts
from sim.studies.requirement_search import SearchLog
from sim.studies.staffing_targets import ServiceTarget


def stationary_agents(
    scenario: Scenario,
    target: ServiceTarget,
    interval: int,
    start: int,
    *,
    lowest: int = 1,
    replications: int = 10,
    seed: int = 1,
    hours: float = 8.0,
    warmup_hours: float = 1.0,
) -> tuple[int, IntervalCounts]:
    """Fewest agents meeting ``target`` with the interval's rate held constant for ``hours``.

    Steps from ``start`` (the analytic answer) up or down one agent at a
    time on common random numbers; returns the count and its pooled counts
    (one "interval" covering the measured window).
    """
    channel = target.channel
    base = with_thresholds(scenario, {channel: target})

    def evaluate(n: int) -> IntervalCounts:
        variant = stationary_scenario(base, channel, interval, n, hours, warmup_hours)
        total = sum(run_interval_counts(variant, seed, r)[channel].sum(axis=1) for r in range(replications))
        return IntervalCounts.from_rows(np.asarray(total).reshape(-1, 1), replications)  # one interval: the window

    n = max(int(start), lowest)
    counts = evaluate(n)
    if counts.meets(target)[0]:
        while n > lowest:
            lower = evaluate(n - 1)
            if not lower.meets(target)[0]:
                break
            n, counts = n - 1, lower
    else:
        while not counts.meets(target)[0] and n < 3 * max(start, 1) + 10:
            n += 1
            counts = evaluate(n)
    return n, counts


def stationary_search(scenario: Scenario, targets: Mapping[str, ServiceTarget], start: Mapping[str, np.ndarray],
                       floor: Mapping[str, np.ndarray], measured: np.ndarray, replications: int, seed: int,
                       hours: float) -> tuple[dict[str, np.ndarray], dict[str, IntervalCounts], SearchLog]:
    """Each interval on its own, its rate held constant (no carry-over between intervals)."""
    log = SearchLog(converged=True)
    agents: dict[str, np.ndarray] = {}
    counts: dict[str, IntervalCounts] = {}
    for name, target in targets.items():
        rates = channel_rates(scenario, name)
        n_int = len(rates)
        agents[name] = np.array(start[name], dtype=np.int64)
        fields = np.zeros((5, n_int))
        cache: dict[float, tuple[int, IntervalCounts]] = {}
        for k in range(n_int):
            if not measured[k] or rates[k] <= 0:
                continue
            if rates[k] not in cache:
                cache[rates[k]] = stationary_agents(scenario, target, k, int(start[name][k]), lowest=int(floor[name][k]),
                                                    replications=replications, seed=seed, hours=hours)
                log.evaluations += 1
            agents[name][k], got = cache[rates[k]]
            fields[:, k] = [got.offered[0], got.within[0], got.answered[0], got.abandoned[0], got.wait_answered_s[0]]
        counts[name] = IntervalCounts.from_rows(fields, replications)
        log.unmet += [(name, int(k)) for k in np.flatnonzero(measured & ~counts[name].meets(target))]
    log.converged = not log.unmet
    return agents, counts, log
