"""Shifts: what a roster delivers, and the cheapest set of shifts covering a requirement.

- :func:`roster_agents` turns a :class:`~sim.spec.roster.Roster` into agents per
  interval (see :mod:`sim.spec.roster` for the rounding rule of breaks and shift
  edges);
- :func:`evaluate_roster` simulates a scenario staffed by a roster and reports
  the KPIs of every interval against the service targets;
- :func:`solve_schedule` chooses how many of each allowed shift to staff so that
  every interval's requirement is covered at least cost, an integer program
  solved with :func:`scipy.optimize.milp` (HiGHS branch and bound), one per team.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.sparse import csc_matrix

from sim.engine.journey_setup import implicit_teams
from sim.errors import InputError
from sim.spec.roster import (
    DAY_MIN,
    Break,
    CoverageRule,
    Requirements,
    Roster,
    Shift,
    ShiftType,
    format_breaks,
    format_clock,
    parse_breaks,
)
from sim.spec.scenario import Scenario
from sim.spec.week_roster import roster_week_agents
from sim.studies.planning_grid import Grid, channel_rates, with_thresholds
from sim.studies.runner import simulate
from sim.studies.staffing_targets import ServiceTarget, resolve_targets
from sim.studies.staffing_units import staffing_units, with_unit_agents

# ---------------------------------------------------------------------------
# Roster -> agents -> simulated KPIs


def roster_agents(roster: Roster, scenario: Scenario, rule: CoverageRule = "majority") -> dict[str, list[int]]:
    """Agents rostered per interval for each team of the roster (a scenario team or a channel with agents).

    For a roster of a day the list covers one day and repeats (as scenario
    staffing lists do); for a week's roster (shifts per day) it covers the
    scenario's horizon, which must be whole days, at least the roster's.
    """
    minutes = int(scenario.horizon.interval_minutes)
    names = list(staffing_units(scenario))
    unknown = [t for t in roster.teams if t not in names]
    if unknown:
        raise InputError(roster.source, "team", f"unknown team {unknown[0]!r}; the scenario's teams are {', '.join(names)}")
    if roster.days is None:
        return {team: roster.agents_per_interval(team, minutes, rule).tolist() for team in roster.teams}
    days = scenario.horizon.hours / 24.0
    if days != int(days) or days < roster.days:
        raise InputError(roster.source, "day", f"the roster names {roster.days} days but the scenario's horizon is "
                         f"{scenario.horizon.hours:g} hours; give the --forecast the week was planned from")
    return {team: roster_week_agents(roster, team, minutes, int(days), rule).tolist() for team in roster.teams}


def pooled_ratio(numerators: np.ndarray, denominators: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of sums over replications with a delta-method confidence interval.

    ``sum(x) / sum(y)`` is the pooled service level (answered within T summed
    over replications / offered summed); its standard error comes from the
    residuals ``x_r - R y_r`` of the replications.
    """
    x = np.asarray(numerators, dtype=float)
    y = np.asarray(denominators, dtype=float)
    total = y.sum()
    if total <= 0:
        return math.nan, math.nan, math.nan
    ratio = float(x.sum() / total)
    n = len(x)
    if n < 2:
        return ratio, math.nan, math.nan
    residual = x - ratio * y
    se = math.sqrt(float((residual ** 2).sum()) / (n - 1) / n) / (total / n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return ratio, max(0.0, ratio - half), min(1.0, ratio + half)


def interval_report(result_intervals: pd.DataFrame, scenario: Scenario, targets: Mapping[str, ServiceTarget]) -> pd.DataFrame:
    """Per channel and interval: pooled KPIs with 95 % bounds and whether the target is met.

    ``result_intervals`` is :attr:`SimulationResult.intervals`; ``agents`` is
    the planned staffing of the interval, ``agents_on_duty`` the simulated
    time average (agents asked to leave finish their contact first).
    """
    grid = Grid.of(scenario)
    teams = implicit_teams(scenario)
    serving = {c: [name for name, t in teams.items() if c in t.skills] for c in scenario.channels}
    frame = result_intervals[result_intervals["channel"].isin(list(targets))].copy()  # not the journey's own rows
    frame["within"] = frame["service_level"].fillna(0.0) * frame["offered"]
    rows = []
    for keys, g in frame.groupby(["channel", "interval"], sort=False):
        channel, k = cast(tuple[str, int], keys)
        target = targets[channel]
        sl, sl_lo, sl_hi = pooled_ratio(g["within"].to_numpy(), g["offered"].to_numpy())
        ab, ab_lo, ab_hi = pooled_ratio(g["abandoned"].to_numpy(), g["offered"].to_numpy())
        offered = float(g["offered"].sum())
        meets = True if offered == 0 else sl >= target.sl_target - 1e-12 and (
            target.max_abandon is None or ab <= target.max_abandon + 1e-12)
        verdict = _verdict(g, target, offered)
        k = int(k)
        rows.append({
            "interval": int(k), "interval_start": grid.label(int(k)), "interval_start_s": float(g["interval_start_s"].iloc[0]),
            "channel": channel, "team": ",".join(serving[channel]),
            "agents": int(sum(teams[t].scheduled(k) for t in serving[channel])),
            "agents_on_duty": float(g["agents"].mean()),
            "offered_per_hour": float(channel_rates(scenario, channel, grid)[int(k)]), "simulated_offered": offered / len(g),
            "service_level": sl, "service_level_ci95_low": sl_lo, "service_level_ci95_high": sl_hi,
            "abandon_rate": ab, "abandon_rate_ci95_low": ab_lo, "abandon_rate_ci95_high": ab_hi,
            "asa_s": float(np.nanmean(g["asa_s"])) if g["asa_s"].notna().any() else math.nan,
            "occupancy": float(np.nanmean(g["occupancy"])) if g["occupancy"].notna().any() else math.nan,
            "sl_target": target.sl_target, "sl_threshold_s": target.sl_threshold_s,
            "max_abandon": math.nan if target.max_abandon is None else target.max_abandon, "meets_target": bool(meets),
            "verdict": verdict,
        })
    return pd.DataFrame(rows)


def _verdict(g: pd.DataFrame, target: ServiceTarget, offered: float) -> str:
    """``meets``, ``misses`` or ``undecided``: the target against one-sided 95 % bounds (two-sided 90 %)."""
    if offered == 0:
        return "meets"
    _, sl_lo, sl_hi = pooled_ratio(g["within"].to_numpy(), g["offered"].to_numpy(), level=0.90)
    _, ab_lo, ab_hi = pooled_ratio(g["abandoned"].to_numpy(), g["offered"].to_numpy(), level=0.90)
    if math.isnan(sl_lo):
        return "undecided"
    if sl_hi < target.sl_target - 1e-12 or (target.max_abandon is not None and ab_lo > target.max_abandon + 1e-12):
        return "misses"
    if sl_lo >= target.sl_target - 1e-12 and (target.max_abandon is None or ab_hi <= target.max_abandon + 1e-12):
        return "meets"
    return "undecided"


def evaluate_staffing(
    scenario: Scenario,
    agents: Mapping[str, Sequence[int]],
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    *,
    max_abandon: Mapping[str | None, float] | float | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Simulate ``scenario`` with per-interval ``agents`` (by team) and report every interval against its target.

    ``agents`` are rostered agents: a scenario team's shrinkage still applies to them.
    """
    resolved = resolve_targets(scenario, targets, max_abandon)
    units = staffing_units(scenario)
    variant = with_thresholds(with_unit_agents(scenario, units, {t: np.asarray(a) for t, a in agents.items()},
                                               keep_shrinkage=True), resolved)
    result = simulate(variant, replications=replications, seed=seed, workers=workers, progress=progress)
    table = interval_report(result.intervals, variant, resolved)
    table.attrs.update({"replications": result.replications, "seed": result.seed})
    return table


def evaluate_roster(
    scenario: Scenario,
    roster: Roster,
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    *,
    rule: CoverageRule = "majority",
    max_abandon: Mapping[str | None, float] | float | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """What a roster delivers: per interval and channel, agents, pooled service level
    (with 95 % bounds), abandon rate, ASA, occupancy and ``meets_target``.

    Channels without shifts in the roster keep the scenario's own staffing.
    Targets default to each channel's ``sl_target``/``sl_threshold_s``.
    """
    agents = roster_agents(roster, scenario, rule)
    table = evaluate_staffing(scenario, agents, targets, max_abandon=max_abandon, replications=replications, seed=seed,
                              workers=workers, progress=progress)
    table["from_roster"] = table["team"].map(lambda names: any(t in agents for t in str(names).split(",")))
    table.attrs["rule"] = rule
    return table


def plan_roster(
    scenario: Scenario,
    requirements: Requirements,
    shift_types: Sequence[ShiftType],
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    *,
    rule: CoverageRule = "majority",
    max_abandon: Mapping[str | None, float] | float | None = None,
    repair_rounds: int = 3,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    source: str = "<shifts>",
) -> tuple[pd.DataFrame, Roster, pd.DataFrame]:
    """Solve the schedule, simulate its roster and, while intervals miss, repair.

    Covering a requirement interval by interval does not guarantee the
    targets: a roster puts surplus agents in some intervals, which changes
    which customers wait when, and a requirement found on one set of
    replications is an estimate. Each repair round adds one agent to the
    requirement of every interval that missed and solves again. Returns
    ``(schedule, roster, evaluation)`` of the last round; ``evaluation.attrs``
    records ``repair_rounds_used``.
    """
    agents = {k: v.copy() for k, v in requirements.agents.items()}
    needs = Requirements(requirements.interval_minutes, agents, requirements.source)
    minutes = needs.interval_minutes
    if repair_rounds < 0:
        raise ValueError(f"repair_rounds must be at least 0 (got {repair_rounds})")
    round_ = 0
    while True:  # rounds 0 .. repair_rounds at most
        plan = solve_schedule(needs, shift_types, rule=rule, source=source,
                              open_intervals=team_open_intervals(scenario, minutes))
        roster = schedule_roster(plan, shift_types, source="schedule")
        report = evaluate_roster(scenario, roster, targets, rule=rule, max_abandon=max_abandon, replications=replications,
                                 seed=seed, workers=workers)
        report.attrs["repair_rounds_used"] = round_
        missed = misses(report)
        missed = missed[missed["team"].map(lambda names: any(t in needs.agents for t in str(names).split(",")))]
        if missed.empty or round_ == repair_rounds:
            break
        for row in missed.to_dict("records"):
            k = int(round(row["interval_start_s"] / 60.0)) % DAY_MIN // minutes
            for team in str(row["team"]).split(","):
                if team in needs.agents:
                    have = roster.agents_per_interval(team, minutes, rule)[k]
                    needs.agents[team][k] = max(needs.agents[team][k], int(have)) + 1
        round_ += 1
    plan.attrs["requirements"] = needs
    return plan, roster, report


def team_open_intervals(scenario: Scenario, interval_minutes: int) -> dict[str, np.ndarray]:
    """Per team, whether any channel it serves is open in each interval of the (first) day."""
    per_day = DAY_MIN // interval_minutes
    mids = (np.arange(per_day) + 0.5) * interval_minutes * 60.0
    teams = implicit_teams(scenario)
    return {name: np.array([any(scenario.channels[c].open_at(float(t)) for c in team.skills) for t in mids])
            for name, team in teams.items()}


def misses(report: pd.DataFrame) -> pd.DataFrame:
    """The intervals of an evaluation that miss their target."""
    return report[~report["meets_target"].astype(bool)].reset_index(drop=True)


# ---------------------------------------------------------------------------
# The schedule integer program


Candidate = tuple[ShiftType, int, tuple[Break, ...]]
"""A shift the schedule may staff: its type, start (minute of the day) and the placement of its breaks."""


def _columns(team: str, types: Sequence[ShiftType], interval_minutes: int,
             rule: CoverageRule) -> tuple[list[Candidate], np.ndarray]:
    """Candidate shifts (type, start, breaks placed within their windows) of a team and their coverage matrix."""
    candidates = [(t, start, breaks) for t in types if t.for_team(team) for start in t.starts_min
                  for breaks in t.break_options(interval_minutes)]
    n = DAY_MIN // interval_minutes
    matrix = np.zeros((n, len(candidates)), dtype=np.int64)
    for j, (t, start, breaks) in enumerate(candidates):
        matrix[:, j] = Shift(team, start, t.length_min, breaks).presence(interval_minutes, rule)
    return candidates, matrix


def solve_schedule(
    requirements: Requirements | Mapping[str, Sequence[int] | np.ndarray],
    shift_types: Sequence[ShiftType],
    interval_minutes: int | None = None,
    *,
    rule: CoverageRule = "majority",
    source: str = "<shifts>",
    time_limit_s: float = 60.0,
    open_intervals: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The least-cost number of each allowed shift covering every interval's requirement.

    ``open_intervals`` (per team, a boolean per interval of the day: is any
    of its channels open) keeps out shifts that would put agents on duty
    while the team's channels are closed, as long as the remaining shifts
    can still cover the requirement.

    For each team (channel) with requirements, solve::

        minimise   sum_j cost_j x_j
        subject to sum_j a_kj x_j >= required_k   for every interval k of the day
                   0 <= x_j <= max_count_j, x_j integer

    where ``j`` runs over the (shift type, start time) pairs the team may
    work and ``a_kj`` is 1 when an agent of that shift counts in interval ``k``
    under ``rule``. Returns the chosen shifts, one row per (team, shift,
    start) with ``headcount`` > 0, in roster columns plus ``shift`` and
    ``cost``. ``attrs``: ``total_cost``, ``optimal`` (per team) and ``rule``.
    Raises :class:`InputError` naming ``source`` when no combination of the
    shifts can cover a requirement.
    """
    if isinstance(requirements, Requirements):
        minutes = requirements.interval_minutes
        needs = requirements.agents
    else:
        if interval_minutes is None:
            raise ValueError("interval_minutes is needed with a plain mapping of requirements")
        minutes = int(interval_minutes)
        needs = {k: np.asarray(v, dtype=np.int64) for k, v in requirements.items()}
    if not shift_types:
        raise InputError(source, "shifts", "no shift types to choose from")
    rows = []
    optimal: dict[str, bool] = {}
    total = 0.0
    for team, required in needs.items():
        required = np.asarray(required, dtype=float)
        if len(required) != DAY_MIN // minutes:
            raise ValueError(f"requirements of {team!r} must have one value per {minutes}-minute interval of a day")
        if not required.any():
            optimal[team] = True
            continue
        candidates, matrix = _columns(team, shift_types, minutes, rule)
        if open_intervals is not None and team in open_intervals and candidates:
            closed = ~np.asarray(open_intervals[team], dtype=bool)
            inside = np.asarray(~(matrix[closed, :] > 0).any(axis=0), dtype=bool)  # shifts wholly within opening hours
            if inside.any() and not ((required > 0) & (matrix[:, inside].sum(axis=1) == 0)).any():
                candidates = [cand for cand, keep in zip(candidates, inside.tolist()) if keep]
                matrix = matrix[:, inside]
        uncovered = np.flatnonzero((required > 0) & (matrix.sum(axis=1) == 0)) if candidates else np.flatnonzero(required > 0)
        if len(uncovered):
            k = int(uncovered[0])
            raise InputError(source, "shifts", f"no shift for team {team!r} covers {format_clock(k * minutes)} "
                             f"({int(required[k])} agents needed there); add a shift type or start time")
        costs = np.array([t.cost for t, _, _ in candidates], dtype=float)
        upper = np.array([math.inf if t.max_count is None else t.max_count for t, _, _ in candidates], dtype=float)
        result = optimize.milp(
            c=costs,
            constraints=optimize.LinearConstraint(csc_matrix(matrix.astype(float)), lb=required, ub=np.inf),
            integrality=np.ones(len(candidates), dtype=np.int64),
            bounds=optimize.Bounds(np.zeros(len(candidates)), upper),
            options={"time_limit": time_limit_s},
        )
        if result.x is None:
            limited = "; raise max_count" if np.isfinite(upper).any() else ""
            raise InputError(source, "shifts",
                             f"cannot cover team {team!r}'s requirements with these shifts ({result.message}){limited}")
        counts = np.round(result.x).astype(np.int64)
        optimal[team] = bool(result.status == 0)
        for (t, start, breaks), count in zip(candidates, counts):
            if count > 0:
                rows.append({"team": team, "shift": t.name, "start": format_clock(start), "length_min": t.length_min,
                             "breaks": format_breaks(breaks), "headcount": int(count), "cost": float(t.cost * count)})
                total += t.cost * count
    table = pd.DataFrame(rows, columns=["team", "shift", "start", "length_min", "breaks", "headcount", "cost"])
    table.attrs.update({"total_cost": float(total), "optimal": optimal, "rule": rule, "interval_minutes": minutes})
    return table


def schedule_roster(schedule: pd.DataFrame, shift_types: Sequence[ShiftType], source: str = "<schedule>") -> Roster:
    """The :class:`Roster` of a :func:`solve_schedule` result (or of a week's, with its ``day`` column)."""
    shifts = []
    for row in schedule.to_dict("records"):
        hours, minutes = (int(p) for p in str(row["start"]).split(":"))
        length = int(row["length_min"])
        breaks = parse_breaks(row["breaks"] if isinstance(row["breaks"], str) else None, length, source, "breaks")
        day = int(row["day"]) if "day" in row else None
        shifts.append(Shift(row["team"], hours * 60 + minutes, length, breaks, int(row["headcount"]), day))
    return Roster(shifts, source)


def coverage(requirements: Requirements | Mapping[str, Sequence[int]], roster: Roster, interval_minutes: int,
             rule: CoverageRule = "majority") -> pd.DataFrame:
    """Per channel and interval of the day: required, scheduled and surplus agents."""
    needs = requirements.agents if isinstance(requirements, Requirements) else requirements
    rows = []
    for team, required in needs.items():
        have = roster.agents_per_interval(team, interval_minutes, rule)
        for k, (need, got) in enumerate(zip(np.asarray(required), have)):
            rows.append({"interval": k, "interval_start": format_clock(k * interval_minutes), "channel": team,
                         "required": int(need), "scheduled": int(got), "surplus": int(got - need)})
    return pd.DataFrame(rows)
