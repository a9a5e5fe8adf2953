"""A week's schedule: shifts per day, agents with days off and a weekly hour limit, as one integer program per team.

A day's schedule (:func:`sim.studies.schedule.solve_schedule`) covers a
repeating day. A week has day types (a busy Monday, a quiet Sunday) and
people who work some days and not others. For each team,
:func:`solve_week` chooses

- ``x[d, j]``: agents working candidate shift ``j`` (type, start, breaks
  placed within their windows) on day ``d``;
- ``y[p]``: agents on work pattern ``p`` (the days of the week they work,
  ``days - days_off`` of them; every pattern when ``consecutive_off`` is
  false, else only those whose days off are consecutive),

to minimise the shifts' cost subject to

- coverage: in every interval of the week the agents present (shifts that
  start the day before and run past midnight included; the week wraps
  around) are at least the requirement;
- days off: on each day, the agents working are at most the agents whose
  pattern includes that day (each agent works at most one shift a day);
- hours: the paid minutes of all shifts are at most ``max_week_minutes``
  times the agents (so the average agent stays within the limit).

Solved with :func:`scipy.optimize.milp` (HiGHS). The answer is a
headcount (agents, their days off) and the shifts worked each day.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.sparse import csc_matrix, lil_matrix

from sim.errors import InputError
from sim.spec.roster import (
    DAY_MIN,
    Break,
    CoverageRule,
    ShiftType,
    format_breaks,
    format_clock,
    interval_presence,
    shift_presence,
)
from sim.studies.schedule import Candidate, schedule_roster

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Day names of a week starting on Monday (day 1 of a horizon)."""


def work_patterns(days: int, days_off: int, consecutive_off: bool) -> list[tuple[int, ...]]:
    """The working days of each allowed pattern (days numbered from 0; consecutive days off may wrap the week)."""
    if not 0 <= days_off < days:
        raise InputError("--days-off", str(days_off), f"expected 0 to {days - 1} days off in a {days}-day week")
    if consecutive_off and days_off:
        offs = sorted({tuple(sorted((s + i) % days for i in range(days_off))) for s in range(days)})
    else:
        offs = list(itertools.combinations(range(days), days_off))
    return [tuple(d for d in range(days) if d not in off) for off in offs]


def _cover(start_min: int, length_min: int, breaks: tuple[Break, ...], interval_minutes: int,
           rule: CoverageRule) -> np.ndarray:
    """Intervals (from the start of the shift's day, over two days) in which one agent of the shift counts."""
    on = shift_presence(start_min, length_min, breaks, 2 * DAY_MIN)  # over two days: shifts run past midnight
    return np.flatnonzero(interval_presence(on, interval_minutes, rule))


def _week_columns(team: str, types: Sequence[ShiftType], interval_minutes: int, days: int,
                  rule: CoverageRule) -> tuple[list[tuple[int, Candidate]], csc_matrix]:
    """Candidate (day, shift) columns of a team and their coverage of the week's intervals (cyclic)."""
    per_day = DAY_MIN // interval_minutes
    n = days * per_day
    shapes = [((t, start, breaks), _cover(start, t.length_min, breaks, interval_minutes, rule))
              for t in types if t.for_team(team) for start in t.starts_min for breaks in t.break_options(interval_minutes)]
    columns = [(d, shape) for d in range(days) for shape in shapes]
    matrix = lil_matrix((n, len(columns)), dtype=float)
    for j, (d, (_, rows)) in enumerate(columns):
        for r in rows:
            matrix[(d * per_day + r) % n, j] = 1.0
    return [(d, cand) for d, (cand, _) in columns], csc_matrix(matrix)


def solve_week(
    requirements: Mapping[str, np.ndarray | Sequence[int]],
    shift_types: Sequence[ShiftType],
    interval_minutes: int,
    *,
    days_off: int = 2,
    consecutive_off: bool = True,
    max_week_minutes: float | None = 40 * 60,
    rule: CoverageRule = "majority",
    source: str = "<shifts>",
    time_limit_s: float = 120.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shifts per day and agents per work pattern covering a multi-day requirement at least cost (see the module).

    ``requirements`` are agents per interval over whole days (a week: 7 x
    intervals per day). Returns ``(shifts, patterns)``: one row per (team,
    day, shift, start, breaks) with ``headcount`` > 0, and one row per
    (team, working days) with its ``agents``. ``shifts.attrs``: ``total_cost``,
    ``headcount`` and ``optimal`` per team, ``days``.
    """
    per_day = DAY_MIN // interval_minutes
    shift_rows, pattern_rows = [], []
    total, headcount, optimal = 0.0, {}, {}
    days = 0
    for team, need in requirements.items():
        need = np.asarray(need, dtype=float)
        if len(need) % per_day:
            raise ValueError(f"requirements of {team!r} must cover whole days of {interval_minutes}-minute intervals")
        days = len(need) // per_day
        patterns = work_patterns(days, days_off, consecutive_off)
        columns, cover = _week_columns(team, shift_types, interval_minutes, days, rule)
        if not columns:
            raise InputError(source, "shifts", f"no shift type may be worked by team {team!r}")
        uncovered = np.flatnonzero((need > 0) & (np.asarray(cover.sum(axis=1)).ravel() == 0))
        if len(uncovered):
            k = int(uncovered[0])
            raise InputError(source, "shifts", f"no shift for team {team!r} covers d{k // per_day + 1} "
                             f"{format_clock(k % per_day * interval_minutes)}; add a shift type or start time")
        nx, ny = len(columns), len(patterns)
        link = lil_matrix((days, nx + ny))
        for j, (d, _) in enumerate(columns):
            link[d, j] = 1.0
        for p, worked in enumerate(patterns):
            for d in worked:
                link[d, nx + p] = -1.0
        blocks = [optimize.LinearConstraint(csc_matrix(np.hstack([cover.toarray(), np.zeros((len(need), ny))])),
                                            lb=need, ub=np.inf),
                  optimize.LinearConstraint(csc_matrix(link), lb=-np.inf, ub=0.0)]
        if max_week_minutes is not None:
            hours = np.concatenate([[float(c[0].length_min) for _, c in columns], -float(max_week_minutes) * np.ones(ny)])
            blocks.append(optimize.LinearConstraint(hours.reshape(1, -1), lb=-np.inf, ub=0.0))
        costs = np.concatenate([[c[0].cost for _, c in columns], 1e-3 * np.ones(ny)])  # idle agents cost a little
        upper = np.concatenate([[math.inf if c[0].max_count is None else c[0].max_count for _, c in columns],
                                np.full(ny, math.inf)])
        result = optimize.milp(c=costs, constraints=blocks, integrality=np.ones(nx + ny, dtype=np.int64),
                               bounds=optimize.Bounds(np.zeros(nx + ny), upper), options={"time_limit": time_limit_s})
        if result.x is None:
            raise InputError(source, "shifts", f"cannot cover team {team!r}'s week with these shifts, {days_off} days off "
                             f"and at most {max_week_minutes} paid minutes a week ({result.message})")
        counts = np.round(result.x).astype(np.int64)
        optimal[team] = bool(result.status == 0)
        for j, (d, (t, start, breaks)) in enumerate(columns):
            if counts[j] > 0:
                shift_rows.append({"team": team, "day": d + 1, "weekday": WEEKDAYS[d % 7], "shift": t.name,
                                   "start": format_clock(start), "length_min": t.length_min,
                                   "breaks": format_breaks(breaks), "headcount": int(counts[j]),
                                   "cost": float(t.cost * counts[j])})
                total += t.cost * counts[j]
        for p, worked in enumerate(patterns):
            if counts[nx + p] > 0:
                pattern_rows.append({"team": team, "works": " ".join(WEEKDAYS[d % 7] for d in worked),
                                     "agents": int(counts[nx + p])})
        headcount[team] = int(counts[nx:].sum())
    shifts = pd.DataFrame(shift_rows, columns=["team", "day", "weekday", "shift", "start", "length_min", "breaks",
                                               "headcount", "cost"])
    shifts.attrs.update({"total_cost": float(total), "headcount": headcount, "optimal": optimal, "days": days})
    return shifts, pd.DataFrame(pattern_rows, columns=["team", "works", "agents"])


def week_agents(shifts: pd.DataFrame, interval_minutes: int, days: int,
                rule: CoverageRule = "majority") -> dict[str, list[int]]:
    """Agents present per interval of the week for each team of a :func:`solve_week` answer (the week wraps)."""
    per_day = DAY_MIN // interval_minutes
    n = days * per_day
    out: dict[str, np.ndarray] = {}
    for s in schedule_roster(shifts, (), "<week>").shifts:
        rows = (_cover(s.start_min, s.length_min, s.breaks, interval_minutes, rule) + (int(s.day or 1) - 1) * per_day) % n
        present = out.setdefault(str(s.team), np.zeros(n, dtype=np.int64))
        np.add.at(present, rows, s.headcount)
    return {team: v.tolist() for team, v in out.items()}

