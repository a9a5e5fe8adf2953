"""How many agents each interval needs: Erlang C, Erlang A and simulation.

Erlang C assumes nobody hangs up and every interval is in steady state;
Erlang A adds exponential patience. Neither knows about queues carried over
from one interval to the next, non-exponential handling times, or whatever
the engine models beyond them. :func:`required_agents` therefore *searches*
the staffing by simulation:

1. start every interval at the analytic answer (Erlang A when the channel has
   patience, else Erlang C);
2. simulate the whole horizon (queues carry over between intervals) with ``R``
   replications on common random numbers and compute each interval's pooled
   service level (answered within T summed over replications / offered summed)
   and abandon rate;
3. raise every interval that misses its target by one agent and re-simulate,
   until every interval meets it;
4. try lowering intervals with slack by one (even and odd intervals in turn,
   so two neighbours never move together); a lowering that makes the interval
   or a neighbour it carries over into miss is undone and marks that interval
   as needed at its level (a *floor*); repeat until no interval can go lower.
   When the threshold spans several intervals (social posts answered within
   an hour, 15-minute intervals) only intervals at least as high as both
   neighbours are lowered, which keeps a level staffing rather than a
   saw-tooth of equivalent answers.

Because every simulation uses the same customers (common random numbers), the
comparisons are between staffings only, not between noise; floors only rise,
so the search terminates. The answer is per interval *and* jointly feasible
for the whole day as simulated. See also :func:`staffing_curve` for one
interval held stationary.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.engine.demand import rates_per_hour
from sim.analysis.erlang_a import erlang_a_agents_for_sl, erlang_a_metrics
from sim.analysis.erlang_c import erlang_c_agents_for_sl, erlang_c_metrics
from sim.errors import InputError
from sim.engine.model import run
from sim.engine.records import ABANDONED, ANSWERED
from sim.studies.runner import simulate
from sim.spec.scenario import Scenario, interval_count

# ---------------------------------------------------------------------------
# Targets, shrinkage and other planning inputs


@dataclass(frozen=True)
class ServiceTarget:
    """``sl_target`` of a channel's contacts answered within ``sl_threshold_s``, optionally
    with at most ``max_abandon`` of them abandoned."""

    channel: str
    sl_target: float
    sl_threshold_s: float
    max_abandon: float | None = None

    @property
    def label(self) -> str:
        """``80/20`` style label (percent / seconds)."""
        text = f"{100 * self.sl_target:g}/{self.sl_threshold_s:g}"
        return text + (f", abandon <= {100 * self.max_abandon:g} %" if self.max_abandon is not None else "")


_TARGET = re.compile(r"^\s*(?P<channel>[^=\s]+)\s*=\s*(?P<sl>[0-9.]+)\s*%?\s*/\s*(?P<t>[0-9.]+)\s*(?P<unit>s|m|min|h)?\s*$")
_UNIT_S = {None: 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_target(text: str, source: str = "--target") -> ServiceTarget:
    """``"phone=80/20"`` -> 80 % within 20 s. The threshold may carry a unit (``90/1h``).

    The percentage may also be written as a fraction (``phone=0.8/20``).
    """
    match = _TARGET.match(str(text))
    if not match:
        raise InputError(source, str(text), "expected CHANNEL=PERCENT/SECONDS, e.g. phone=80/20 or social=90/3600")
    try:
        sl = float(match["sl"])
        threshold = float(match["t"]) * _UNIT_S[match["unit"]]
    except ValueError:
        raise InputError(source, str(text), "expected numbers in CHANNEL=PERCENT/SECONDS, e.g. phone=80/20") from None
    if sl > 1.0:
        sl /= 100.0
    if not 0.0 < sl <= 1.0:
        raise InputError(source, str(text), "the service-level target must be between 0 and 100 %")
    return ServiceTarget(match["channel"], sl, threshold)


def parse_channel_fractions(texts: Iterable[str], source: str) -> dict[str | None, float]:
    """``["phone=0.05", "chat=5%"]`` or ``["0.3"]`` (all channels, key None) -> fractions in [0, 1)."""
    values: dict[str | None, float] = {}
    for text in texts:
        channel, eq, raw = str(text).rpartition("=")
        key = channel.strip() if eq else None
        if eq and not key:
            raise InputError(source, str(text), "expected CHANNEL=FRACTION or FRACTION, e.g. phone=0.05")
        raw = raw.strip()
        percent = raw.endswith("%")
        try:
            value = float(raw.rstrip("%")) / (100.0 if percent else 1.0)
        except ValueError:
            raise InputError(source, str(text), "expected CHANNEL=FRACTION or FRACTION, e.g. phone=0.05 or 30%") from None
        if not 0.0 <= value < 1.0:
            raise InputError(source, str(text), "expected a fraction from 0 up to (not including) 1, e.g. 0.3 or 30%")
        values[key] = value
    return values


def _per_channel(values: float | Mapping[str | None, float] | None, channels: Iterable[str], source: str, default: float | None) -> dict[str, float | None]:
    if values is None or isinstance(values, (int, float)):
        return {c: (default if values is None else float(values)) for c in channels}
    channels = list(channels)
    unknown = [k for k in values if k is not None and k not in channels]
    if unknown:
        raise InputError(source, unknown[0], f"unknown channel; the scenario's channels are {', '.join(channels)}")
    fallback = values.get(None, default)
    return {c: values.get(c, fallback) for c in channels}


def resolve_targets(
    scenario: Scenario,
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    max_abandon: Mapping[str | None, float] | float | None = None,
) -> dict[str, ServiceTarget]:
    """One target per scenario channel.

    Channels without an explicit target use the scenario's ``sl_target`` and
    ``sl_threshold_s``. ``targets`` may be strings like ``"phone=80/20"``.
    """
    given: dict[str, ServiceTarget] = {}
    items = targets.values() if isinstance(targets, Mapping) else (targets or [])
    for item in items:
        target = parse_target(item) if isinstance(item, str) else item
        if target.channel not in scenario.channels:
            raise InputError("--target", target.channel, f"unknown channel; the scenario's channels are {', '.join(scenario.channels)}")
        given[target.channel] = target
    limits = _per_channel(max_abandon, scenario.channels, "--max-abandon", None)
    resolved: dict[str, ServiceTarget] = {}
    for name, channel in scenario.channels.items():
        base = given.get(name) or ServiceTarget(name, float(channel.sl_target), float(channel.sl_threshold_s))
        limit = limits[name] if limits[name] is not None else base.max_abandon
        resolved[name] = ServiceTarget(name, base.sl_target, base.sl_threshold_s, limit)
    return resolved


def shrinkage_per_channel(scenario: Scenario, shrinkage: float | Mapping[str | None, float] = 0.0) -> dict[str, float]:
    """Shrinkage (share of paid time not available for contacts) per channel."""
    values = _per_channel(shrinkage, scenario.channels, "--shrinkage", 0.0)
    for name, value in values.items():
        if value is None or not 0.0 <= value < 1.0:
            raise InputError("--shrinkage", name, f"expected a fraction from 0 up to 1, got {value!r}")
    return {k: float(v) for k, v in values.items()}  # type: ignore[arg-type]


def required_fte(agents: np.ndarray | float, shrinkage: float) -> np.ndarray | float:
    """Paid full-time equivalents that put ``agents`` on the phones: agents / (1 - shrinkage)."""
    return np.asarray(agents, dtype=float) / (1.0 - shrinkage)


# ---------------------------------------------------------------------------
# Scenario variants (built on the public schema: per-interval agents, thresholds)


def with_agents(scenario: Scenario, agents: Mapping[str, Sequence[int] | np.ndarray | int]) -> Scenario:
    """A copy of ``scenario`` with ``channels.<name>.agents`` replaced (per-interval lists)."""
    channels = dict(scenario.channels)
    for name, value in agents.items():
        staffing: int | list[int] = int(value) if np.isscalar(value) else [int(a) for a in value]  # type: ignore[arg-type]
        if isinstance(staffing, list) and not staffing:
            raise ValueError(f"empty staffing for channel {name!r}")
        channels[name] = channels[name].model_copy(update={"agents": staffing})
    return scenario.model_copy(update={"channels": channels})


def with_thresholds(scenario: Scenario, targets: Mapping[str, ServiceTarget]) -> Scenario:
    """A copy whose channels measure service level at the targets' thresholds."""
    channels = dict(scenario.channels)
    for name, target in targets.items():
        channels[name] = channels[name].model_copy(update={"sl_threshold_s": float(target.sl_threshold_s),
                                                           "sl_target": float(target.sl_target)})
    return scenario.model_copy(update={"channels": channels})


@dataclass(frozen=True)
class Grid:
    """The planning intervals of a scenario's horizon."""

    interval_s: float
    n_intervals: int
    first_measured: int
    multi_day: bool

    @classmethod
    def of(cls, scenario: Scenario) -> "Grid":
        """The grid of ``scenario`` (intervals before the warm-up ends are not measured)."""
        h = scenario.horizon
        return cls(h.interval_s, interval_count(h.hours * 3600.0, h.interval_s), int(h.warmup_hours * 3600.0 // h.interval_s),
                   h.hours > 24.0)

    def label(self, k: int) -> str:
        """``HH:MM`` of interval ``k`` (``dN HH:MM`` for horizons beyond a day)."""
        start = int(round(k * self.interval_s))
        clock = f"{start % 86400 // 3600:02d}:{start % 3600 // 60:02d}"
        return f"d{start // 86400 + 1} {clock}" if self.multi_day else clock


def channel_rates(scenario: Scenario, channel: str, grid: Grid | None = None) -> np.ndarray:
    """Forecast arrivals per hour of ``channel`` in each interval (0 without an arrival stream)."""
    grid = grid or Grid.of(scenario)
    stream = scenario.arrivals.get(channel)
    return np.zeros(grid.n_intervals) if stream is None else rates_per_hour(stream, grid.n_intervals)


# ---------------------------------------------------------------------------
# Analytic staffing


def analytic_agents(scenario: Scenario, targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None) -> pd.DataFrame:
    """Erlang C and Erlang A agents per interval and channel.

    Each interval is treated as stationary at its forecast rate, with the
    channel's mean handling time (and mean patience, as if exponential, for
    Erlang A). ``erlang_a_agents`` is missing for channels without patience
    (Erlang A then is Erlang C). Intervals without arrivals need 0 agents.
    """
    resolved = targets if isinstance(targets, Mapping) and all(isinstance(v, ServiceTarget) for v in targets.values()) \
        and set(targets) == set(scenario.channels) else resolve_targets(scenario, targets)
    grid = Grid.of(scenario)
    rows: list[dict[str, Any]] = []
    for name, channel in scenario.channels.items():
        target = resolved[name]
        aht_s = float(channel.aht.mean)
        patience_s = float(channel.patience.mean) if channel.patience is not None else None
        cache: dict[float, tuple[int, float]] = {}
        for k, rate in enumerate(channel_rates(scenario, name, grid)):
            if rate not in cache:
                if rate <= 0:
                    cache[rate] = (0, 0.0 if patience_s is not None else math.nan)
                else:
                    c = erlang_c_agents_for_sl(rate, aht_s, target.sl_target, target.sl_threshold_s)
                    a = math.nan if patience_s is None else erlang_a_agents_for_sl(
                        rate, aht_s, patience_s, target.sl_target, target.sl_threshold_s, max_abandon=target.max_abandon)
                    cache[rate] = (int(c), a)
            c_agents, a_agents = cache[rate]
            rows.append({
                "interval": k, "interval_start": grid.label(k), "interval_start_s": k * grid.interval_s, "channel": name,
                "offered_per_hour": float(rate), "aht_s": aht_s, "erlang_c_agents": c_agents,
                "erlang_a_agents": pd.NA if isinstance(a_agents, float) and math.isnan(a_agents) else int(a_agents),
            })
    frame = pd.DataFrame(rows)
    frame["erlang_a_agents"] = frame["erlang_a_agents"].astype("Int64")
    return frame


# ---------------------------------------------------------------------------
# Fast pooled interval counts from runs


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
            counts[name] = IntervalCounts(*total, replications=self.replications)  # type: ignore[misc]
        return counts


# ---------------------------------------------------------------------------
# The search


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
        return IntervalCounts(*[np.atleast_1d(v) for v in total], replications=replications)  # type: ignore[misc]

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


def _stationary_search(scenario: Scenario, targets: Mapping[str, ServiceTarget], start: Mapping[str, np.ndarray],
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
        counts[name] = IntervalCounts(*fields, replications=replications)  # type: ignore[misc]
        log.unmet += [(name, int(k)) for k in np.flatnonzero(measured & ~counts[name].meets(target))]
    log.converged = not log.unmet
    return agents, counts, log


def required_agents(
    scenario: Scenario,
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    *,
    max_abandon: Mapping[str | None, float] | float | None = None,
    shrinkage: float | Mapping[str | None, float] = 0.0,
    replications: int = 10,
    seed: int | None = None,
    min_agents: int = 0,
    max_evaluations: int = 60,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    stationary: bool = False,
    stationary_hours: float = 8.0,
) -> pd.DataFrame:
    """Agents per interval and channel needed to meet service targets, found by simulation.

    By default the whole horizon is simulated, so queues carry over between
    intervals (see the module docstring). With ``stationary=True`` every
    interval is instead solved on its own, its rate held constant for
    ``stationary_hours`` (after a 1-hour warm-up): the simulation counterpart
    of Erlang C/A, which still captures abandonment and non-exponential times;
    ``simulated_offered`` then counts the stationary run's contacts.

    Returns one row per interval and channel with the forecast
    ``offered_per_hour``, ``erlang_c_agents``, ``erlang_a_agents``,
    ``simulated_agents`` (the search's answer), the simulated pooled
    ``service_level``, ``abandon_rate`` and ``asa_s`` at that staffing,
    ``meets_target`` and ``required_fte`` = agents / (1 - shrinkage).
    Intervals without forecast arrivals get ``min_agents``; others at least
    one. ``df.attrs["search"]`` holds the :class:`SearchLog` as a dict.
    """
    if replications < 1:
        raise InputError("--replications", None, "must be at least 1")
    resolved = resolve_targets(scenario, targets, max_abandon)
    shrink = shrinkage_per_channel(scenario, shrinkage)
    measured_scenario = with_thresholds(scenario, resolved)
    grid = Grid.of(scenario)
    analytic = analytic_agents(measured_scenario, resolved)
    measured = np.arange(grid.n_intervals) >= grid.first_measured
    start, floor, cap = {}, {}, {}
    for name in scenario.channels:
        part = analytic[analytic["channel"] == name].sort_values("interval")
        rates = part["offered_per_hour"].to_numpy()
        c = part["erlang_c_agents"].to_numpy(dtype=np.int64)
        a = part["erlang_a_agents"].to_numpy(dtype=float, na_value=np.nan)
        guess = np.where(np.isnan(a), c, np.nan_to_num(a)).astype(np.int64)
        lowest = np.where(rates > 0, max(1, min_agents), min_agents)
        start[name] = np.maximum(guess, lowest)
        floor[name] = np.where(measured, lowest, start[name])
        cap[name] = np.where(measured, np.maximum(3 * start[name], start[name] + 10), start[name])
    seed = scenario.seed if seed is None else int(seed)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        if stationary:
            agents, counts, log = _stationary_search(measured_scenario, resolved, start, floor, measured, replications, seed,
                                                     stationary_hours)
        else:
            evaluator = PooledEvaluator(measured_scenario, replications, seed, pool)
            agents, counts, log = search_staffing(evaluator, resolved, start, floor, cap, measured, grid.interval_s,
                                                  max_evaluations, progress)
            log.runs = evaluator.runs
    finally:
        if pool:
            pool.shutdown()
    columns = []
    for name in scenario.channels:
        part = analytic[analytic["channel"] == name].sort_values("interval").reset_index(drop=True)
        target = resolved[name]
        got = counts[name]
        part["simulated_agents"] = agents[name]
        part["service_level"] = np.where(measured, got.service_level, np.nan)
        part["abandon_rate"] = np.where(measured, got.abandon_rate, np.nan)
        part["asa_s"] = np.where(measured, got.asa_s, np.nan)
        part["simulated_offered"] = got.offered / replications
        part["sl_target"] = target.sl_target
        part["sl_threshold_s"] = target.sl_threshold_s
        part["max_abandon"] = np.nan if target.max_abandon is None else target.max_abandon
        part["meets_target"] = np.where(measured, got.meets(target), True)
        part["shrinkage"] = shrink[name]
        part["required_fte"] = np.round(required_fte(agents[name], shrink[name]), 3)
        columns.append(part)
    table = pd.concat(columns, ignore_index=True)
    table.attrs["search"] = {**log.__dict__, "replications": replications, "seed": seed,
                             "mode": "stationary" if stationary else "day"}
    return table


def staffing_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per channel: agent-hours by each method and paid FTE-hours, from a staffing table."""
    hours = table.groupby("channel", sort=False).apply(
        lambda g: pd.Series({
            "interval_hours": float(np.diff(g["interval_start_s"]).min() / 3600.0) if len(g) > 1 else math.nan,
        }), include_groups=False)
    rows = []
    for name, g in table.groupby("channel", sort=False):
        h = hours.loc[name, "interval_hours"]
        h = 1.0 if math.isnan(h) else h
        rows.append({
            "channel": name,
            "erlang_c_agent_hours": float(g["erlang_c_agents"].sum() * h),
            "erlang_a_agent_hours": float(g["erlang_a_agents"].sum() * h) if g["erlang_a_agents"].notna().any() else math.nan,
            "simulated_agent_hours": float(g["simulated_agents"].sum() * h),
            "fte_hours": float(g["required_fte"].sum() * h),
            "peak_agents": int(g["simulated_agents"].max()),
            "intervals_missing_target": int((~g["meets_target"].astype(bool)).sum()),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Staffing curve: one interval held stationary


def stationary_scenario(scenario: Scenario, channel: str, interval: int, agents: int, hours: float, warmup_hours: float) -> Scenario:
    """Only ``channel``, its rate of ``interval`` held constant, ``agents`` on duty throughout."""
    if channel not in scenario.channels:
        raise InputError("--channel", channel, f"unknown channel; the scenario's channels are {', '.join(scenario.channels)}")
    rate = float(channel_rates(scenario, channel)[interval])
    arrivals = {channel: scenario.arrivals[channel].model_copy(update={"rate_per_hour": rate, "profile": None})} \
        if channel in scenario.arrivals else {}
    horizon = scenario.horizon.model_copy(update={"hours": float(hours), "warmup_hours": float(warmup_hours)})
    only = {channel: scenario.channels[channel].model_copy(update={"agents": int(agents)})}
    return scenario.model_copy(update={"arrivals": arrivals, "channels": only, "horizon": horizon})


def interval_of(scenario: Scenario, clock: str) -> int:
    """Index of the interval containing ``HH:MM`` (or ``dN HH:MM``) on the scenario's grid."""
    from sim.spec.roster import parse_clock

    day, minute = parse_clock(clock, "--interval", clock)
    grid = Grid.of(scenario)
    k = int((day * 1440 + minute) * 60 // grid.interval_s)
    if k >= grid.n_intervals:
        raise InputError("--interval", clock, f"is after the scenario's {scenario.horizon.hours:g}-hour horizon")
    return k


def staffing_curve(
    scenario: Scenario,
    channel: str,
    interval: int | str,
    agents: Sequence[int] | None = None,
    target: ServiceTarget | str | None = None,
    *,
    replications: int = 10,
    seed: int | None = None,
    hours: float = 8.0,
    warmup_hours: float = 1.0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Service level, ASA and abandonment against agents for one interval, simulated and analytic.

    The interval's forecast rate is held constant for ``hours`` (the first
    ``warmup_hours`` discarded); every agent count is simulated on the same
    customers (common random numbers). One row per agent count with the
    simulated mean and 95 % confidence bounds of ``service_level``, ``asa_s``
    and ``abandon_rate`` and the Erlang C (``erlang_c_*``) and, with patience,
    Erlang A (``erlang_a_*``) values. ``agents`` defaults to a range around
    the Erlang C answer.
    """
    k = interval_of(scenario, interval) if isinstance(interval, str) else int(interval)
    resolved = resolve_targets(scenario, [target] if target is not None else None)[channel] if channel in scenario.channels \
        else None
    if resolved is None:
        raise InputError("--channel", channel, f"unknown channel; the scenario's channels are {', '.join(scenario.channels)}")
    base = with_thresholds(scenario, {channel: resolved})
    rate = float(channel_rates(base, channel)[k])
    if rate <= 0:
        raise InputError("--interval", Grid.of(scenario).label(k), f"has no {channel} arrivals to staff")
    spec = base.channels[channel]
    aht_s = float(spec.aht.mean)
    patience_s = float(spec.patience.mean) if spec.patience is not None else None
    load = rate * aht_s / 3600.0
    if agents is None:
        erlang_c = erlang_c_agents_for_sl(rate, aht_s, resolved.sl_target, resolved.sl_threshold_s)
        first = max(1, int(math.floor(load * 0.85)) if patience_s is not None else int(math.floor(load)) + 1)
        agents = range(first, max(first + 2, erlang_c + 4))
    agents = sorted({int(a) for a in agents})
    if not agents or agents[0] < 1:
        raise InputError("--agents", None, "expected agent counts of at least 1")
    seed = scenario.seed if seed is None else int(seed)
    rows = []
    for i, n in enumerate(agents):
        variant = stationary_scenario(base, channel, k, n, hours, warmup_hours)
        result = simulate(variant, replications=replications, seed=seed, workers=workers)
        row: dict[str, Any] = {"agents": n, "offered_per_hour": rate, "offered_load_erl": load}
        for kpi in ("service_level", "asa_s", "abandon_rate", "occupancy"):
            mean, lo, hi = result.kpi(channel, kpi)
            row.update({kpi: mean, f"{kpi}_ci95_low": lo, f"{kpi}_ci95_high": hi})
        if n > load:
            c = erlang_c_metrics(rate, aht_s, n, resolved.sl_threshold_s)
            row.update({"erlang_c_service_level": c.service_level, "erlang_c_asa_s": c.asa_s})
        else:
            row.update({"erlang_c_service_level": 0.0, "erlang_c_asa_s": math.inf})
        if patience_s is not None:
            a = erlang_a_metrics(rate, aht_s, n, patience_s, resolved.sl_threshold_s)
            row.update({"erlang_a_service_level": a.service_level, "erlang_a_asa_s": a.asa_s,
                        "erlang_a_abandon_rate": a.p_abandon})
        rows.append(row)
        if progress:
            progress(i + 1, len(agents))
    table = pd.DataFrame(rows)
    table.attrs.update({"channel": channel, "interval": k, "interval_start": Grid.of(scenario).label(k),
                        "sl_target": resolved.sl_target, "sl_threshold_s": resolved.sl_threshold_s,
                        "replications": replications, "seed": seed, "hours": hours, "warmup_hours": warmup_hours})
    return table
