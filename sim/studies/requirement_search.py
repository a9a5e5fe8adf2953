"""Searching the fewest agents on duty per team and interval, then confirming them on fresh random numbers.

Two stages (see :func:`sim.studies.staffing.required_agents`):

1. :func:`search_units` - raise-then-lower on the search's own replications
   (common random numbers, point estimates): raise every unit serving a
   channel that misses its target in an interval, then try one agent fewer in
   every other interval (even and odd intervals in turn, so neighbours never
   move together), keeping a lowering only if no channel of that unit misses
   in that interval or in the intervals its queue carries over into.
2. :func:`confirm_units` - the guarantee, on replications of another seed:
   an interval's requirement ``N`` must *meet* the target with the stated
   one-sided confidence and ``N - 1`` must *miss* it with that confidence.
   Where ``N`` misses, one agent is added; where ``N - 1`` meets, one is
   taken away; where either cannot be told yet, replications are doubled, up
   to a budget. At the budget, an interval whose ``N`` is not shown to meet
   gets one more agent; intervals where ``N - 1`` might still be enough are
   named (undecided): their requirement errs on the safe side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.studies.interval_samples import MEETS, MISSES, UNDECIDED, IntervalSamples
from sim.studies.pooled_counts import IntervalCounts
from sim.studies.staffing_targets import ServiceTarget

Staffing = dict[str, np.ndarray]
"""Agents on duty per interval, by unit."""


@dataclass
class SearchLog:
    """What the search and the confirmation did, for ``search.json`` and the summary line."""

    evaluations: int = 0
    runs: int = 0
    raises: int = 0
    lowerings: int = 0
    converged: bool = False
    unmet: list[tuple[str, int]] = field(default_factory=list)
    confirm_seed: int = 0
    confirm_replications: int = 0
    confirm_rounds: int = 0
    confirm_raises: int = 0
    confirm_lowerings: int = 0
    confidence: float = 0.95
    undecided: list[tuple[str, int]] = field(default_factory=list)


def _reach(targets: Mapping[str, ServiceTarget], channels: tuple[str, ...], interval_s: float) -> int:
    """Intervals a queue can carry over into within the longest threshold of ``channels``."""
    longest = max((targets[c].sl_threshold_s for c in channels if c in targets), default=0.0)
    return max(1, math.ceil(longest / interval_s))


def _ahead(mask: np.ndarray, reach: int) -> np.ndarray:
    """True at ``k`` where ``mask`` holds at any of ``k .. k + reach``."""
    out = mask.copy()
    for d in range(1, reach + 1):
        out[:-d] |= mask[d:]
    return out


def _not_a_valley(agents: np.ndarray) -> np.ndarray:
    """Intervals with at least as many agents as both neighbours (lowered first when thresholds span intervals)."""
    left = np.concatenate(([agents[0]], agents[:-1]))
    right = np.concatenate((agents[1:], [agents[-1]]))
    return (agents >= left) & (agents >= right)


def search_units(
    evaluate: Callable[[Staffing], dict[str, IntervalCounts]],
    targets: Mapping[str, ServiceTarget],
    serves: Mapping[str, tuple[str, ...]],
    start: Mapping[str, np.ndarray],
    floor: Mapping[str, np.ndarray],
    cap: Mapping[str, np.ndarray],
    measured: np.ndarray,
    interval_s: float,
    max_evaluations: int = 60,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Staffing, dict[str, IntervalCounts], SearchLog]:
    """Stage 1: raise-then-lower on point estimates. Returns the staffing, its pooled counts and a log."""
    agents = {u: np.array(v, dtype=np.int64) for u, v in start.items()}
    low = {u: np.minimum(np.array(floor[u], dtype=np.int64), agents[u]) for u in agents}
    high = {u: np.maximum(np.array(cap[u], dtype=np.int64), agents[u]) for u in agents}
    reach = {u: _reach(targets, serves[u], interval_s) for u in agents}
    index = np.arange(len(measured))
    log = SearchLog()

    def run(staffing: Staffing) -> dict[str, IntervalCounts]:
        log.evaluations += 1
        if progress:
            progress(log.evaluations, max_evaluations)
        return evaluate(staffing)

    def misses(counts: dict[str, IntervalCounts]) -> dict[str, np.ndarray]:
        return {c: measured & ~counts[c].meets(t) for c, t in targets.items()}

    def unit_misses(miss: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        none = np.zeros(len(measured), dtype=bool)
        return {u: np.logical_or.reduce([miss[c] for c in serves[u] if c in miss] or [none]) for u in agents}

    state = run(agents)
    parity, tried_both = 0, False
    while log.evaluations < max_evaluations:
        miss = misses(state)
        umiss = unit_misses(miss)
        up = {u: umiss[u] & (agents[u] < high[u]) for u in agents}
        if any(m.any() for m in up.values()):
            for u, m in up.items():
                agents[u][m] += 1
                low[u][m] = np.maximum(low[u][m], agents[u][m])
                log.raises += int(m.sum())
            state, tried_both = run(agents), False
            continue
        down = {u: measured & ~umiss[u] & (agents[u] - 1 >= low[u]) & (index % 2 == parity)
                & (_not_a_valley(agents[u]) if reach[u] > 1 else True) for u in agents}
        if not any(m.any() for m in down.values()):
            if tried_both:
                log.converged = True
                break
            tried_both, parity = True, parity ^ 1
            continue
        tried_both = False
        trial = {u: agents[u] - down[u] for u in agents}
        trial_state = run(trial)
        fresh = {c: m & ~miss[c] for c, m in misses(trial_state).items()}  # newly missing intervals
        undo = False
        for u in agents:
            hit = np.logical_or.reduce([_ahead(fresh[c], reach[u]) for c in serves[u] if c in fresh]
                                       or [np.zeros(len(measured), dtype=bool)])
            failed = down[u] & hit
            low[u][failed] = agents[u][failed]
            undo |= bool(failed.any())
            accepted = down[u] & ~failed
            agents[u] = agents[u] - accepted
            log.lowerings += int(accepted.sum())
        parity ^= 1
        state = run(agents) if undo else trial_state
    log.unmet = [(c, int(k)) for c, m in misses(state).items() for k in np.flatnonzero(m)]
    log.converged = log.converged and not log.unmet
    return agents, state, log


MAX_STEP = 4
"""Most agents added to an interval in one round of the confirmation."""


def _raise_steps(at_n: Mapping[str, IntervalSamples], fewer: Mapping[str, IntervalSamples], channels: tuple[str, ...],
                 targets: Mapping[str, ServiceTarget], confidence: float, n: int) -> np.ndarray:
    """Agents to add where a staffing misses: the shortfall over what the last agent gained, 1 to :data:`MAX_STEP`.

    Far below its target an interval needs several agents; adding one per
    round (each round simulating every staffing again) made the
    confirmation crawl there.
    """
    steps = np.ones(n, dtype=np.int64)
    for c in channels:
        if c not in targets or c not in fewer:
            continue
        sl, _, high = at_n[c].service_level(confidence)
        sl_fewer = fewer[c].pooled().service_level
        with np.errstate(invalid="ignore"):
            gain = np.maximum(np.nan_to_num(sl - sl_fewer, nan=0.0), 0.02)
            need = np.ceil(np.nan_to_num((targets[c].sl_target - high) / gain, nan=0.0))
        steps = np.maximum(steps, np.clip(need, 1, MAX_STEP).astype(np.int64))
    return steps


def _raise_unproven(agents: Staffing, lowest: Staffing, at_n: Mapping[str, IntervalSamples],
                    serves: Mapping[str, tuple[str, ...]], targets: Mapping[str, ServiceTarget], confidence: float,
                    measured: np.ndarray, log: SearchLog) -> bool:
    """Add an agent where the staffing is not shown to meet its target; True if any was added."""
    raised = False
    for u in agents:
        unproven = measured & (_unit_verdict(at_n, serves[u], targets, confidence, len(measured)) != MEETS)
        if unproven.any():
            agents[u] = agents[u] + unproven
            lowest[u] = np.where(unproven, agents[u], lowest[u])
            log.confirm_raises += int(unproven.sum())
            raised = True
    return raised


@dataclass
class Confirmed:
    """Stage 2's answer: the staffing, its samples at ``N`` and at one agent fewer, and which intervals are decided."""

    agents: Staffing
    at_n: dict[str, IntervalSamples]
    fewer: dict[str, dict[str, IntervalSamples]]  # unit -> channel -> samples with that unit at N - 1
    decided: dict[str, np.ndarray]  # unit -> per interval
    fewer_measured: dict[str, np.ndarray]  # unit -> per interval: ``fewer`` holds N - 1 there (not where N is 0)


def _unit_verdict(samples: Mapping[str, IntervalSamples], channels: tuple[str, ...], targets: Mapping[str, ServiceTarget],
                  confidence: float, n: int) -> np.ndarray:
    """The worst verdict over a unit's channels with a target (MEETS where it serves none)."""
    verdicts = [samples[c].verdict(targets[c], confidence) for c in channels if c in targets]
    return np.minimum.reduce(verdicts) if verdicts else np.full(n, MEETS)


def _disjoint_groups(serves: Mapping[str, tuple[str, ...]]) -> list[list[str]]:
    """Units in groups that share no channel (each group's "one agent fewer" trials can run together)."""
    groups: list[tuple[list[str], set[str]]] = []
    for u, channels in serves.items():
        for members, covered in groups:
            if not covered & set(channels):
                members.append(u)
                covered |= set(channels)
                break
        else:
            groups.append(([u], set(channels)))
    return [members for members, _ in groups]


def _merge_fewer(fewer: dict[str, dict[str, IntervalSamples]], fewer_verdict: dict[str, np.ndarray], u: str,
                 cut: np.ndarray, got: Mapping[str, IntervalSamples], serves: Mapping[str, tuple[str, ...]],
                 targets: Mapping[str, ServiceTarget], confidence: float, n: int) -> None:
    """Keep, for unit ``u``'s intervals in ``cut``, the verdict and the samples of the trial ``got``."""
    if not cut.any():
        return
    verdict = _unit_verdict(got, serves[u], targets, confidence, n)
    fewer_verdict[u] = np.where(cut, verdict, fewer_verdict[u])
    for c, s in got.items():
        prev = fewer[u].get(c)
        if prev is None:
            fewer[u][c] = s
        else:  # this parity's intervals from this trial, the other's from the other
            controls = None if s.controls is None or prev.controls is None else \
                np.where(cut[None, None, :], s.controls, prev.controls)
            fewer[u][c] = IntervalSamples(np.where(cut[None, None, :], s.rows, prev.rows), controls)


def confirm_units(
    samples: Callable[[Staffing, int], dict[str, IntervalSamples]],
    targets: Mapping[str, ServiceTarget],
    serves: Mapping[str, tuple[str, ...]],
    agents: Mapping[str, np.ndarray],
    floor: Mapping[str, np.ndarray],
    measured: np.ndarray,
    log: SearchLog,
    *,
    confidence: float = 0.95,
    replications: int = 20,
    max_replications: int = 160,
    max_rounds: int = 30,
    progress: Callable[[int, int], None] | None = None,
) -> Confirmed:
    """Stage 2: adjust ``agents`` until every measured interval's N meets and N - 1 misses, on ``samples``' numbers.

    ``samples(staffing, R)`` gives the per-channel counts of ``R``
    replications of a seed the search did not use. Replications double
    (up to ``max_replications``) while a decision is open; the staffing is
    changed by one agent where a decision is made the other way.
    """
    agents = {u: np.array(v, dtype=np.int64) for u, v in agents.items()}
    lowest = {u: np.array(floor[u], dtype=np.int64) for u in agents}
    n = len(measured)
    index = np.arange(n)
    r = max(2, int(replications))
    log.confidence = confidence
    for round_ in range(1, max_rounds + 1):
        log.confirm_rounds = round_
        if progress:
            progress(round_, max_rounds)
        at_n = samples(agents, r)
        fewer: dict[str, dict[str, IntervalSamples]] = {}
        fewer_measured = {u: np.zeros(n, dtype=bool) for u in agents}
        fewer_verdict: dict[str, np.ndarray] = {}
        for u in agents:
            fewer_verdict[u] = np.full(n, MISSES)  # no agent to take away: N - 1 is impossible
            fewer[u] = {}
        for group in _disjoint_groups(serves):
            for parity in (0, 1):
                cuts = {u: measured & (agents[u] >= 1) & (index % 2 == parity) for u in group}
                if not any(cut.any() for cut in cuts.values()):
                    continue
                # units serving different channels take their agent away in the same trial: each reads its own channels
                trial = {**agents, **{u: agents[u] - cuts[u] for u in group}}
                got = samples(trial, r)
                for u in group:
                    _merge_fewer(fewer, fewer_verdict, u, cuts[u], got, serves, targets, confidence, n)
                    fewer_measured[u] |= cuts[u]
        changed = False
        open_decision = False
        decided: dict[str, np.ndarray] = {}
        for u in agents:
            here = _unit_verdict(at_n, serves[u], targets, confidence, n)
            raise_ = measured & (here == MISSES)
            lower = measured & (here == MEETS) & (fewer_verdict[u] == MEETS) & (agents[u] - 1 >= lowest[u]) & ~raise_
            unsure = measured & ~raise_ & ~lower & ((here == UNDECIDED) | (fewer_verdict[u] == UNDECIDED))
            if raise_.any() or lower.any():
                changed = True
                steps = _raise_steps(at_n, fewer[u], serves[u], targets, confidence, n)
                agents[u] = agents[u] + np.where(raise_, steps, 0) - lower
                lowest[u] = np.where(raise_, agents[u], lowest[u])  # a staffing shown to miss is never tried again
                log.confirm_raises += int(raise_.sum())
                log.confirm_lowerings += int(lower.sum())
            open_decision |= bool(unsure.any())
            decided[u] = ~unsure
        if changed:
            continue
        if open_decision and r < max_replications:
            r = min(2 * r, max_replications)
            continue
        if _raise_unproven(agents, lowest, at_n, serves, targets, confidence, measured, log):
            continue  # at the budget, a requirement must still be shown to meet its target
        log.confirm_replications = r
        log.undecided = [(u, int(k)) for u in agents for k in np.flatnonzero(~decided[u])]
        return Confirmed(agents, at_n, fewer, decided, fewer_measured)
    log.confirm_replications = r
    at_n = samples(agents, r)
    log.undecided = [(u, int(k)) for u in agents for k in np.flatnonzero(measured)]  # out of rounds: nothing settled
    return Confirmed(agents, at_n, {u: {} for u in agents}, {u: ~measured for u in agents},
                     {u: np.zeros(n, dtype=bool) for u in agents})
