"""Staffing curve: service level, ASA and abandonment against agents for one interval held stationary.

Simulated on common random numbers, beside Erlang C and (with patience)
Erlang A for the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd

from sim.analysis.erlang_a import erlang_a_metrics
from sim.analysis.erlang_c import erlang_c_agents_for_sl, erlang_c_metrics
from sim.errors import InputError
from sim.spec.scenario import Scenario
from sim.studies.planning_grid import Grid, channel_rates, interval_of, stationary_scenario, with_thresholds
from sim.studies.runner import simulate
from sim.studies.staffing_targets import ServiceTarget, resolve_targets
from sim.studies.staffing_units import Unit, UnitEvaluator, own_staffing, staffing_units


def _day_curve(scenario: Scenario, channel: str, k: int, agents: Sequence[int] | None, target: ServiceTarget,
               units: Mapping[str, Unit], team: str, replications: int, seed: int, workers: int,
               progress: Callable[[int, int], None] | None) -> pd.DataFrame:
    """The curve of a team's channel: the whole horizon simulated, only interval ``k``'s agents of ``team`` varied.

    Demand fed by customers' issues cannot be held stationary, so the
    interval is measured in its day, every other interval keeping the
    scenario's own staffing; the 95 % bounds use control variates, as in
    the staffing search.
    """
    grid = Grid.of(scenario)
    own = own_staffing(scenario, units)
    counts = sorted({int(a) for a in agents}) if agents is not None else list(range(max(1, int(own[team][k]) - 3),
                                                                                   int(own[team][k]) + 4))
    if not counts or counts[0] < 0:
        raise InputError("--agents", None, "expected agent counts of at least 0")
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        evaluator = UnitEvaluator(scenario, units, seed, pool)
        rows = []
        for i, n in enumerate(counts):
            staffing = {u: a.copy() for u, a in own.items()}
            staffing[team][k] = n
            samples = evaluator.samples(staffing, replications)[channel]
            sl, low, high = samples.service_level(0.975)  # one-sided 97.5 % each side: a 95 % interval
            ab, ab_low, ab_high = samples.abandon_rate(0.975)
            pooled = samples.pooled()
            rows.append({"agents": n, "team": team, "offered_per_hour": float(pooled.offered[k]) / replications
                         / (grid.interval_s / 3600.0), "service_level": sl[k], "service_level_ci95_low": low[k],
                         "service_level_ci95_high": high[k], "abandon_rate": ab[k], "abandon_rate_ci95_low": ab_low[k],
                         "abandon_rate_ci95_high": ab_high[k], "asa_s": float(pooled.asa_s[k]),
                         "asa_s_ci95_low": math.nan, "asa_s_ci95_high": math.nan, "offered_load_erl": math.nan,
                         "erlang_c_service_level": math.nan, "erlang_c_asa_s": math.nan})
            if progress:
                progress(i + 1, len(counts))
    finally:
        if pool:
            pool.shutdown()
    table = pd.DataFrame(rows)
    table.attrs.update({"channel": channel, "team": team, "interval": k, "interval_start": grid.label(k),
                        "sl_target": target.sl_target, "sl_threshold_s": target.sl_threshold_s,
                        "replications": replications, "seed": seed, "mode": "day"})
    return table


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
    the Erlang C answer. A channel served by a scenario team, or fed by the
    journey's issues, is measured in its day instead (see :func:`_day_curve`):
    ``agents`` are then the team's in that interval.
    """
    k = interval_of(scenario, interval) if isinstance(interval, str) else int(interval)
    resolved = resolve_targets(scenario, [target] if target is not None else None)[channel] if channel in scenario.channels \
        else None
    if resolved is None:
        raise InputError("--channel", channel, f"unknown channel; the scenario's channels are {', '.join(scenario.channels)}")
    base = with_thresholds(scenario, {channel: resolved})
    units = staffing_units(scenario)
    serving = [u for u in units.values() if channel in u.channels]
    if channel not in scenario.arrivals or any(u.team for u in serving):
        return _day_curve(base, channel, k, agents, resolved, units, serving[0].name, replications,
                          scenario.seed if seed is None else int(seed), workers, progress)
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
