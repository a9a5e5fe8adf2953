"""Searching the fewest agents per interval that meet the targets, by simulation on common random numbers.

:func:`search_staffing` is the raise-then-lower search over the whole
horizon (see :mod:`sim.studies.staffing`); :func:`stationary_search` solves
each interval on its own with its rate held constant.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.spec.scenario import Scenario
from sim.studies.planning_grid import channel_rates, stationary_scenario, with_thresholds
from sim.studies.pooled_counts import IntervalCounts, run_interval_counts
from sim.studies.staffing_targets import ServiceTarget


@dataclass
class SearchLog:
    """What the search did: evaluations (each = R replications of the horizon) and whether it converged."""

    evaluations: int = 0
    runs: int = 0
    raises: int = 0
    lowerings: int = 0
    converged: bool = False
    unmet: list[tuple[str, int]] = field(default_factory=list)


def _not_a_valley(agents: np.ndarray) -> np.ndarray:
    """Intervals with at least as many agents as both neighbours.

    Used for channels whose threshold spans several intervals: any one of
    them could then be cut (the others absorb the backlog), so lowering only
    the highest keeps the staffing level instead of a saw-tooth.
    """
    left = np.concatenate(([agents[0]], agents[:-1]))
    right = np.concatenate((agents[1:], [agents[-1]]))
    return (agents >= left) & (agents >= right)


def search_staffing(
    evaluate: Callable[[Mapping[str, np.ndarray]], dict[str, IntervalCounts]],
    targets: Mapping[str, ServiceTarget],
    start: Mapping[str, np.ndarray],
    floor: Mapping[str, np.ndarray],
    cap: Mapping[str, np.ndarray],
    measured: np.ndarray,
    interval_s: float,
    max_evaluations: int = 60,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, IntervalCounts], SearchLog]:
    """Raise-then-lower search for the fewest agents per interval meeting ``targets``.

    ``start``, ``floor`` (never go below) and ``cap`` (never go above) are
    per-channel integer arrays over the intervals; only ``measured`` intervals
    are changed. Returns the staffing, its pooled counts and a log.
    """
    agents = {c: np.array(v, dtype=np.int64) for c, v in start.items()}
    low = {c: np.minimum(np.array(floor[c], dtype=np.int64), agents[c]) for c in agents}
    high = {c: np.maximum(np.array(cap[c], dtype=np.int64), agents[c]) for c in agents}
    log = SearchLog()
    index = np.arange(len(measured))
    reach = {c: max(1, math.ceil(targets[c].sl_threshold_s / interval_s)) for c in agents}

    def tick(counts: dict[str, IntervalCounts]) -> dict[str, IntervalCounts]:
        log.evaluations += 1
        if progress:
            progress(log.evaluations, max_evaluations)
        return counts

    def misses(counts: dict[str, IntervalCounts]) -> dict[str, np.ndarray]:
        return {c: measured & ~counts[c].meets(targets[c]) for c in agents}

    state = tick(evaluate(agents))
    parity = 0
    tried_both = False
    while log.evaluations < max_evaluations:
        miss = misses(state)
        raise_mask = {c: miss[c] & (agents[c] < high[c]) for c in agents}
        if any(m.any() for m in raise_mask.values()):
            for c, m in raise_mask.items():
                agents[c][m] += 1
                low[c][m] = np.maximum(low[c][m], agents[c][m])
                log.raises += int(m.sum())
            state = tick(evaluate(agents))
            tried_both = False
            continue
        candidates = {c: measured & ~miss[c] & (agents[c] - 1 >= low[c]) & (index % 2 == parity)
                      & (_not_a_valley(agents[c]) if reach[c] > 1 else True) for c in agents}
        if not any(m.any() for m in candidates.values()):
            if tried_both:
                log.converged = not any(m.any() for m in miss.values())
                break
            tried_both = True
            parity ^= 1
            continue
        tried_both = False
        trial = {c: agents[c] - candidates[c] for c in agents}
        trial_state = tick(evaluate(trial))
        trial_miss = misses(trial_state)
        restore = {}
        for c in agents:
            lowered = candidates[c]
            failed = lowered & trial_miss[c]
            # an interval that met its target and now misses although it kept its
            # agents suffers from a lowered neighbour: undo the nearest lowered ones
            hurt = np.flatnonzero(trial_miss[c] & ~lowered & ~miss[c])
            for k in hurt:
                for direction in (-1, 1):
                    for d in range(1, reach[c] + 1):
                        j = k + direction * d
                        if 0 <= j < len(lowered) and lowered[j]:
                            failed[j] = True
                            break
            low[c][failed] = agents[c][failed]
            restore[c] = failed
            accepted = lowered & ~failed
            agents[c] = agents[c] - accepted
            log.lowerings += int(accepted.sum())
        parity ^= 1
        state = trial_state if not any(r.any() for r in restore.values()) else tick(evaluate(agents))
    final_miss = misses(state)
    log.unmet = [(c, int(k)) for c in agents for k in np.flatnonzero(final_miss[c])]
    if log.converged and log.unmet:
        log.converged = False
    return agents, state, log


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
