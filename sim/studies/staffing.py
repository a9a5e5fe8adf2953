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
for the whole day as simulated. See also :func:`~sim.studies.staffing_curve.staffing_curve` for one
interval held stationary.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.erlang_a import erlang_a_agents_for_sl
from sim.analysis.erlang_c import erlang_c_agents_for_sl
from sim.errors import InputError
from sim.spec.scenario import Scenario
from sim.studies.planning_grid import Grid, channel_rates, with_thresholds
from sim.studies.pooled_counts import PooledEvaluator
from sim.studies.staffing_search import search_staffing, stationary_search
from sim.studies.staffing_targets import ServiceTarget, required_fte, resolve_targets, shrinkage_per_channel


def analytic_agents(scenario: Scenario,
                    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None) -> pd.DataFrame:
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
            agents, counts, log = stationary_search(measured_scenario, resolved, start, floor, measured, replications, seed,
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
    rows = []
    for name, g in table.groupby("channel", sort=False):
        h = float(np.diff(g["interval_start_s"]).min() / 3600.0) if len(g) > 1 else 1.0  # hours of one interval
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
