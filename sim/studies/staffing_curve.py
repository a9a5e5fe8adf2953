"""Staffing curve: service level, ASA and abandonment against agents for one interval held stationary.

Simulated on common random numbers, beside Erlang C and (with patience)
Erlang A for the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from sim.analysis.erlang_a import erlang_a_metrics
from sim.analysis.erlang_c import erlang_c_agents_for_sl, erlang_c_metrics
from sim.errors import InputError
from sim.spec.scenario import Scenario
from sim.studies.planning_grid import Grid, channel_rates, interval_of, stationary_scenario, with_thresholds
from sim.studies.runner import simulate
from sim.studies.staffing_targets import ServiceTarget, resolve_targets


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
