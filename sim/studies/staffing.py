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
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.erlang_a import erlang_a_agents_for_sl
from sim.analysis.erlang_c import erlang_c_agents_for_sl
from sim.engine.demand import rates_per_hour
from sim.errors import InputError
from sim.spec.scenario import Scenario
from sim.studies.executors import worker_pool
from sim.studies.independent_days import channel_groups, day_scenario, group_scenario, independent_days, part_seed
from sim.studies.interval_samples import MEETS
from sim.studies.planning_grid import Grid, channel_aht_s, channel_rates, with_thresholds
from sim.studies.pooled_counts import IntervalCounts
from sim.studies.requirement_search import Confirmed, SearchLog, confirm_units, search_units
from sim.studies.staffing_days import merge_day_logs, merge_day_tables
from sim.studies.staffing_search import stationary_search
from sim.studies.staffing_targets import ServiceTarget, parse_target, required_fte, resolve_targets
from sim.studies.staffing_units import Unit, UnitEvaluator, check_plannable, own_staffing, staffing_units


def analytic_agents(scenario: Scenario,
                    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None) -> pd.DataFrame:
    """Erlang C and Erlang A agents per interval and channel.

    Each interval is treated as stationary at its forecast rate, with the
    interval's mean handling time (the forecast's, else the channel's; and mean patience, as if exponential, for
    Erlang A). ``erlang_a_agents`` is missing for channels without patience
    (Erlang A then is Erlang C). Intervals without arrivals need 0 agents.
    """
    resolved = targets if isinstance(targets, Mapping) and all(isinstance(v, ServiceTarget) for v in targets.values()) \
        and set(targets) == set(scenario.channels) else resolve_targets(scenario, targets)
    grid = Grid.of(scenario)
    rows: list[dict[str, Any]] = []
    for name, channel in scenario.channels.items():
        target = resolved[name]
        patience_s = float(channel.patience.mean) if channel.patience is not None else None
        cache: dict[tuple[float, float], tuple[int, float]] = {}
        ahts = channel_aht_s(scenario, name, grid)
        for k, rate in enumerate(channel_rates(scenario, name, grid)):
            aht_s = float(ahts[k])
            if (rate, aht_s) not in cache:
                if rate <= 0:
                    cache[rate, aht_s] = (0, 0.0 if patience_s is not None else math.nan)
                else:
                    c = erlang_c_agents_for_sl(rate, aht_s, target.sl_target, target.sl_threshold_s)
                    a = math.nan if patience_s is None else erlang_a_agents_for_sl(
                        rate, aht_s, patience_s, target.sl_target, target.sl_threshold_s, max_abandon=target.max_abandon)
                    cache[rate, aht_s] = (int(c), a)
            c_agents, a_agents = cache[rate, aht_s]
            rows.append({
                "interval": k, "interval_start": grid.label(k), "interval_start_s": k * grid.interval_s, "channel": name,
                "offered_per_hour": float(rate), "aht_s": aht_s, "erlang_c_agents": c_agents,
                "erlang_a_agents": pd.NA if isinstance(a_agents, float) and math.isnan(a_agents) else int(a_agents),
            })
    frame = pd.DataFrame(rows)
    frame["erlang_a_agents"] = frame["erlang_a_agents"].astype("Int64")
    return frame


def _confirm_seed(seed: int) -> int:
    """The seed of the confirmation stage: derived from the search's, never equal to it."""
    return int(np.random.SeedSequence(seed, spawn_key=(0xC0F1,)).generate_state(1)[0])


def _unit_shrinkage(units: Mapping[str, Unit], shrinkage: float | Mapping[str | None, float] | None) -> dict[str, float]:
    """Shrinkage per unit: given for all, per unit name, or else the team's own."""
    fractions: dict[str, float] = {}
    for name, unit in units.items():
        if shrinkage is None:
            value: float | None = unit.shrinkage
        elif isinstance(shrinkage, (int, float)):
            value = float(shrinkage)
        else:
            unknown = [k for k in shrinkage if k is not None and k not in units]
            if unknown:
                raise InputError("--shrinkage", unknown[0], f"unknown team; the teams are {', '.join(units)}")
            value = shrinkage.get(name, shrinkage.get(None, unit.shrinkage))
        if value is None or not 0.0 <= value < 1.0:
            raise InputError("--shrinkage", name, f"expected a fraction from 0 up to 1, got {value!r}")
        fractions[name] = float(value)
    return fractions


def _starting_staffing(scenario: Scenario, units: Mapping[str, Unit], targets: Mapping[str, ServiceTarget],
                       analytic: pd.DataFrame, probe: Callable[[dict[str, np.ndarray]], dict[str, IntervalCounts]],
                       grid: Grid) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Erlang answers per channel on the demand the model generates, shared among the units serving each channel.

    Channels fed by their own arrival stream use the forecast rate; channels
    fed by customers' issues use the offered contacts of one simulation with
    the scenario's own staffing (their demand is an output of the model).
    Returns the starting staffing per unit and the offered rate per channel
    and interval it was computed from.
    """
    probed = probe(own_staffing(scenario, units)) if scenario.journey is not None else None
    hours = grid.interval_s / 3600.0
    need: dict[str, np.ndarray] = {}
    offered: dict[str, np.ndarray] = {}
    for name, channel in scenario.channels.items():
        part = analytic[analytic["channel"] == name].sort_values("interval")
        offered[name] = part["offered_per_hour"].to_numpy(dtype=float)
        if probed is not None and name not in scenario.arrivals:
            counts = probed[name]
            rates = offered[name] = counts.offered / max(counts.replications, 1) / hours
            target = targets[name]
            aht_s = float(channel.aht.mean)
            need[name] = np.array([0 if r <= 0 else erlang_c_agents_for_sl(r, aht_s, target.sl_target, target.sl_threshold_s)
                                   for r in rates], dtype=float) / max(1, channel.concurrency)
        elif channel.concurrency > 1:
            need[name] = _concurrent_need(offered[name], channel_aht_s(scenario, name, grid), channel.concurrency,
                                          channel.concurrency_stretch, targets[name])
        else:
            c = part["erlang_c_agents"].to_numpy(dtype=float)
            a = part["erlang_a_agents"].to_numpy(dtype=float, na_value=np.nan)
            need[name] = np.where(np.isnan(a), c, a)
    sharing = {c: sum(c in u.channels for u in units.values()) for c in scenario.channels}
    start = {u: np.ceil(sum((need[c] / sharing[c] for c in unit.channels), np.zeros(grid.n_intervals))).astype(np.int64)
             for u, unit in units.items()}
    return start, offered


def _concurrent_need(rates: np.ndarray, aht_s: np.ndarray, concurrency: int, stretch: float,
                     target: ServiceTarget) -> np.ndarray:
    """Agents holding ``concurrency`` chats each, as Erlang C servers of one chat at the stretched handling time.

    A starting point only (the search corrects it): an agent with every
    chat slot taken works each chat ``1 + stretch (concurrency - 1)`` times
    longer.
    """
    slowed = aht_s * (1.0 + stretch * (concurrency - 1))
    slots = [0 if r <= 0 else erlang_c_agents_for_sl(float(r), float(a), target.sl_target, target.sl_threshold_s)
             for r, a in zip(rates, slowed)]
    return np.asarray(slots, dtype=float) / concurrency


def required_agents(
    scenario: Scenario,
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    *,
    max_abandon: Mapping[str | None, float] | float | None = None,
    shrinkage: float | Mapping[str | None, float] | None = None,
    replications: int = 10,
    seed: int | None = None,
    min_agents: int = 0,
    max_evaluations: int = 60,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    stationary: bool = False,
    stationary_hours: float = 8.0,
    confidence: float = 0.95,
    confirm_replications: int | None = None,
    max_confirm_replications: int = 160,
) -> pd.DataFrame:
    """Agents on duty per interval for every team (or channel with its own agents) to meet the targets.

    Two stages on the one engine (see :mod:`sim.studies.requirement_search`):
    a raise-then-lower search on ``replications`` common-random-number
    replications of ``seed``, then a confirmation on replications of another
    seed: each interval's requirement ``N`` meets its target with one-sided
    ``confidence`` and ``N - 1`` misses it, replications doubling from
    ``confirm_replications`` (default twice ``replications``, at least 20)
    up to ``max_confirm_replications`` while a decision is open. Intervals
    still open are marked ``decided = False`` and listed in
    ``attrs["search"]["undecided"]``.

    Returns one row per interval, team and channel the team serves:
    ``simulated_agents`` (the team's requirement, agents on duty),
    ``service_level`` with ``sl_low``/``sl_high`` (one-sided bounds at
    ``confidence``) at that staffing and ``sl_fewer``, ``sl_fewer_low``,
    ``sl_fewer_high`` with one agent fewer in that interval, the abandon
    rate and ASA, ``meets_target``, ``decided``, ``shrinkage`` and
    ``required_fte`` = agents / (1 - shrinkage), all measured on the
    confirmation replications; ``erlang_c_agents`` / ``erlang_a_agents``
    where the channel has a forecast arrival rate. ``stationary=True``
    solves each interval alone, its rate held constant (channels with their
    own agents and arrival streams only), without the confirmation stage.

    A horizon of several days with nothing open around midnight (see
    :func:`~sim.studies.independent_days.independent_days`) is planned day by
    day, and teams that share no channel group by group
    (:func:`~sim.studies.independent_days.channel_groups`): each part is
    simulated as its own scenario with seeds of its own, searched and
    confirmed apart, the parts in parallel on ``workers`` processes
    (``attrs["search"]["mode"]`` is then ``"parts"``).
    """
    if replications < 1:
        raise InputError("--replications", None, "must be at least 1")
    if not 0.5 <= confidence < 1.0:
        raise InputError("--confidence", str(confidence), "expected a probability from 0.5 up to (not including) 1")
    resolved = resolve_targets(scenario, targets, max_abandon)
    asked = [t.channel if isinstance(t, ServiceTarget) else parse_target(t).channel
             for t in (targets.values() if isinstance(targets, Mapping) else (targets or []))]
    units = staffing_units(scenario)
    check_plannable(scenario, resolved, asked)
    # with teams, the channels given a --target are the constraints (all channels when none is given)
    binding = set(asked) if asked and any(u.team for u in units.values()) else set(resolved)
    constraints = {c: t for c, t in resolved.items() if c in binding}
    serves = {u: tuple(c for c in unit.channels if c in constraints) for u, unit in units.items()}
    shrink = _unit_shrinkage(units, shrinkage)
    measured_scenario = with_thresholds(scenario, resolved)
    seed = scenario.seed if seed is None else int(seed)
    plan = _Plan(units, resolved, constraints, serves, shrink, replications, min_agents, max_evaluations, confidence,
                 confirm_replications, max_confirm_replications)
    days = None if stationary else independent_days(measured_scenario)
    groups = [tuple(scenario.channels)] if stationary else channel_groups(measured_scenario)
    if days is not None or len(groups) > 1:
        return _required_by_part(measured_scenario, plan, days, groups, seed, workers, progress)
    grid = Grid.of(scenario)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        if stationary:
            if any(u.team for u in units.values()):
                raise InputError("--stationary", None, "works on channels with their own agents; this scenario has teams")
            analytic = analytic_agents(measured_scenario, resolved)
            measured = np.arange(grid.n_intervals) >= grid.first_measured
            start, floor = _analytic_start(analytic, scenario, measured, min_agents)
            agents, counts, log = stationary_search(measured_scenario, resolved, start, floor, measured, replications,
                                                     seed, stationary_hours)
            log_dict = {**log.__dict__, "mode": "stationary"}
            return _stationary_table(analytic, scenario, resolved, agents, counts, shrink, measured, replications,
                                     {**log_dict, "replications": replications, "seed": seed})
        table, search_log = _search_and_confirm(measured_scenario, plan, seed, pool, progress)
    finally:
        if pool:
            pool.shutdown()
    table.attrs["search"] = {**search_log.__dict__, "replications": replications, "seed": seed, "mode": "day"}
    return table


@dataclass(frozen=True)
class _Plan:
    """What the search of every part of a horizon shares: units, targets and the search's settings."""

    units: Mapping[str, Unit]
    resolved: Mapping[str, ServiceTarget]
    constraints: Mapping[str, ServiceTarget]
    serves: Mapping[str, tuple[str, ...]]
    shrink: Mapping[str, float]
    replications: int
    min_agents: int
    max_evaluations: int
    confidence: float
    confirm_replications: int | None
    max_confirm_replications: int


def _search_and_confirm(measured_scenario: Scenario, plan: _Plan, seed: int, pool: Executor | None,
                        progress: Callable[[int, int], None] | None) -> tuple[pd.DataFrame, SearchLog]:
    """Both stages on one simulated horizon: the staffing table and what the stages did."""
    units, resolved, constraints, serves = plan.units, plan.resolved, plan.constraints, plan.serves
    grid = Grid.of(measured_scenario)
    analytic = analytic_agents(measured_scenario, resolved)
    measured = np.arange(grid.n_intervals) >= grid.first_measured
    search = UnitEvaluator(measured_scenario, units, seed, pool)

    def pooled(staffing: dict[str, np.ndarray]) -> dict[str, IntervalCounts]:
        return {c: s.pooled() for c, s in search.samples(staffing, plan.replications).items()}

    start, offered = _starting_staffing(measured_scenario, units, resolved, analytic, pooled, grid)
    none = np.zeros(grid.n_intervals, dtype=bool)
    busy = {u: np.logical_or.reduce([offered[c] > 0 for c in unit.channels] or [none]) for u, unit in units.items()}
    lowest = {u: np.where(busy[u], max(1, plan.min_agents), plan.min_agents) for u in units}
    start = {u: np.maximum(start[u], lowest[u]) for u in units}
    floor = {u: np.where(measured, lowest[u], start[u]) for u in units}
    cap = {u: np.where(measured, np.maximum(3 * start[u], start[u] + 10), start[u]) for u in units}
    agents, _, log = search_units(pooled, constraints, serves, start, floor, cap, measured, grid.interval_s,
                                  plan.max_evaluations, progress)
    confirm = UnitEvaluator(measured_scenario, units, _confirm_seed(seed), pool)
    log.confirm_seed = confirm.seed
    done = confirm_units(confirm.samples, constraints, serves, agents, floor, measured, log, confidence=plan.confidence,
                         replications=plan.confirm_replications or max(20, 2 * plan.replications),
                         max_replications=plan.max_confirm_replications)
    log.runs = search.runs + confirm.runs
    log.evaluations = search.evaluations + confirm.evaluations
    table = _unit_table(analytic, units, serves, resolved, done, plan.shrink, measured, grid, plan.confidence)
    return table, log


def _part_task(args: tuple[Scenario, _Plan, int]) -> tuple[pd.DataFrame, SearchLog]:
    """One independent part's search and confirmation, in this process (a worker's task)."""
    part, plan, seed = args
    return _search_and_confirm(part, plan, seed, None, None)


def _group_plan(plan: _Plan, channels: tuple[str, ...]) -> _Plan:
    """``plan`` for the units serving ``channels`` only."""
    units = {u: unit for u, unit in plan.units.items() if set(unit.channels) <= set(channels)}
    return replace(plan, units=units, resolved={c: t for c, t in plan.resolved.items() if c in channels},
                   constraints={c: t for c, t in plan.constraints.items() if c in channels},
                   serves={u: plan.serves[u] for u in units}, shrink={u: plan.shrink[u] for u in units})


def _required_by_part(measured_scenario: Scenario, plan: _Plan, days: int | None, groups: list[tuple[str, ...]],
                      seed: int, workers: int, progress: Callable[[int, int], None] | None) -> pd.DataFrame:
    """Each independent part (a day of a horizon closed overnight, a group of channels) searched and confirmed apart.

    The parts run in parallel on ``workers`` processes, each with seeds of its own.
    """
    day_list: list[int | None] = list(range(days)) if days is not None else [None]
    keys = [(d, g) for d in range(len(day_list)) for g in range(len(groups))]
    seeds = {key: part_seed(seed, *key) for key in keys}
    tasks = {}
    for d, g in keys:
        day = day_list[d]
        whole = measured_scenario if day is None else day_scenario(measured_scenario, day, seeds[d, g])
        part = whole if len(groups) == 1 else group_scenario(whole, groups[g])
        tasks[d, g] = (part, _group_plan(plan, groups[g]) if len(groups) > 1 else plan, seeds[d, g])
    # the busiest parts first, so that the last part to start is a short one
    order = sorted(keys, key=lambda key: -sum(float(np.sum(rates_per_hour(s, 1) if s.profile is None else s.profile))
                                              for s in tasks[key][0].arrivals.values()))
    results: dict[tuple[int, int], tuple[pd.DataFrame, SearchLog]] = {}
    if workers > 1:
        pool = worker_pool(min(workers, len(keys)))
        try:
            futures = {pool.submit(_part_task, tasks[key]): key for key in order}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress:
                    progress(len(results), len(keys))
        finally:
            pool.shutdown(cancel_futures=True)
    else:
        for key in order:
            results[key] = _part_task(tasks[key])
            if progress:
                progress(len(results), len(keys))
    grid = Grid.of(measured_scenario)
    by_day = range(len(day_list))
    table = merge_day_tables([pd.concat([results[d, g][0] for g in range(len(groups))], ignore_index=True) for d in by_day],
                             grid, list(plan.units), list(measured_scenario.channels))
    logs = [[results[d, g][1] for g in range(len(groups))] for d in by_day]
    table.attrs["search"] = {**merge_day_logs(logs, grid), "replications": plan.replications, "seed": seed,
                             "part_seeds": [seeds[key] for key in keys], "groups": [list(g) for g in groups],
                             "days": len(day_list) if days is not None else 1, "mode": "parts"}
    return table


def _analytic_start(analytic: pd.DataFrame, scenario: Scenario, measured: np.ndarray,
                    min_agents: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Start (Erlang A, else C) and floor per channel, for the stationary mode."""
    start, floor = {}, {}
    for name in scenario.channels:
        part = analytic[analytic["channel"] == name].sort_values("interval")
        rates = part["offered_per_hour"].to_numpy()
        c = part["erlang_c_agents"].to_numpy(dtype=np.int64)
        a = part["erlang_a_agents"].to_numpy(dtype=float, na_value=np.nan)
        guess = np.where(np.isnan(a), c, np.nan_to_num(a)).astype(np.int64)
        lowest = np.where(rates > 0, max(1, min_agents), min_agents)
        start[name] = np.maximum(guess, lowest)
        floor[name] = np.where(measured, lowest, start[name])
    return start, floor


def _stationary_table(analytic: pd.DataFrame, scenario: Scenario, targets: Mapping[str, ServiceTarget],
                      agents: Mapping[str, np.ndarray], counts: Mapping[str, IntervalCounts], shrink: Mapping[str, float],
                      measured: np.ndarray, replications: int, log: dict[str, Any]) -> pd.DataFrame:
    """The staffing table of the stationary mode (point estimates, no confirmation)."""
    columns = []
    for name in scenario.channels:
        part = analytic[analytic["channel"] == name].sort_values("interval").reset_index(drop=True)
        target, got = targets[name], counts[name]
        part.insert(3, "team", name)
        part["simulated_agents"] = agents[name]
        part["service_level"] = np.where(measured, got.service_level, np.nan)
        part["abandon_rate"] = np.where(measured, got.abandon_rate, np.nan)
        part["asa_s"] = np.where(measured, got.asa_s, np.nan)
        part["simulated_offered"] = got.offered / replications
        _target_columns(part, target)
        part["meets_target"] = np.where(measured, got.meets(target), True)
        part["decided"] = False
        part["shrinkage"] = shrink[name]
        part["required_fte"] = np.round(required_fte(agents[name], shrink[name]), 3)
        columns.append(part)
    table = pd.concat(columns, ignore_index=True)
    table.attrs["search"] = log
    return table


def _target_columns(part: pd.DataFrame, target: ServiceTarget) -> None:
    part["sl_target"] = target.sl_target
    part["sl_threshold_s"] = target.sl_threshold_s
    part["max_abandon"] = np.nan if target.max_abandon is None else target.max_abandon


def _unit_table(analytic: pd.DataFrame, units: Mapping[str, Unit], serves: Mapping[str, tuple[str, ...]],
                targets: Mapping[str, ServiceTarget], done: Confirmed, shrink: Mapping[str, float],
                measured: np.ndarray, grid: Grid, confidence: float) -> pd.DataFrame:
    """One row per interval, unit and channel it serves, measured on the confirmation replications."""
    rows = []
    for u in units:
        for c in serves[u]:
            part = analytic[analytic["channel"] == c].sort_values("interval").reset_index(drop=True)
            part.insert(3, "team", u)
            at_n, target = done.at_n[c], targets[c]
            sl, sl_low, sl_high = at_n.service_level(confidence)
            fewer = done.fewer[u].get(c)
            nan = np.full(len(measured), np.nan)
            sl_f, sl_f_low, sl_f_high = (nan, nan, nan) if fewer is None else fewer.service_level(confidence)
            at_fewer = done.fewer_measured[u]  # N - 1 simulated there (not where N is 0)
            sl_f, sl_f_low, sl_f_high = (np.where(at_fewer, v, np.nan) for v in (sl_f, sl_f_low, sl_f_high))
            pooled = at_n.pooled()
            r = at_n.replications
            part["offered_per_hour"] = np.where(part["offered_per_hour"] > 0, part["offered_per_hour"],
                                                pooled.offered / r / (grid.interval_s / 3600.0))
            part["simulated_agents"] = done.agents[u]
            for column, values in (("service_level", sl), ("sl_low", sl_low), ("sl_high", sl_high), ("sl_fewer", sl_f),
                                   ("sl_fewer_low", sl_f_low), ("sl_fewer_high", sl_f_high),
                                   ("abandon_rate", pooled.abandon_rate), ("asa_s", pooled.asa_s)):
                part[column] = np.where(measured, values, np.nan)
            part["simulated_offered"] = pooled.offered / r
            _target_columns(part, target)
            part["meets_target"] = np.where(measured, at_n.verdict(target, confidence) == MEETS, True)
            part["decided"] = np.where(measured, done.decided[u], True)
            part["replications"] = r
            part["shrinkage"] = shrink[u]
            part["required_fte"] = np.round(required_fte(done.agents[u], shrink[u]), 3)
            rows.append(part)
    return pd.concat(rows, ignore_index=True)


def staffing_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per team and channel: agent-hours by each method, paid FTE-hours, peak, intervals undecided and missing."""
    rows = []
    team = table["team"] if "team" in table else table["channel"]
    for (unit, name), g in table.assign(team=team).groupby(["team", "channel"], sort=False):
        starts = g["interval_start_s"].to_numpy(dtype=float)
        h = float(np.diff(starts).min() / 3600.0) if len(g) > 1 else 1.0  # hours of one interval
        has_rate = bool((g["erlang_c_agents"] > 0).any()) or not bool((g["offered_per_hour"] > 0).any())
        decided = g["decided"].astype(bool) if "decided" in g else pd.Series(True, index=g.index)
        rows.append({
            "team": unit, "channel": name,
            "erlang_c_agent_hours": float(g["erlang_c_agents"].sum() * h) if has_rate else math.nan,
            "erlang_a_agent_hours": float(g["erlang_a_agents"].sum() * h) if g["erlang_a_agents"].notna().any()
            and has_rate else math.nan,
            "simulated_agent_hours": float(g["simulated_agents"].sum() * h),
            "fte_hours": float(g["required_fte"].sum() * h),
            "peak_agents": int(g["simulated_agents"].max()),
            "intervals_undecided": int((~decided).sum()),
            "intervals_missing_target": int((~g["meets_target"].astype(bool)).sum()),
        })
    return pd.DataFrame(rows)
