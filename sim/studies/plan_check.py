"""A plan judged on random numbers no step of it used: staff -> schedule -> evaluate with another seed.

:func:`check_plan` plans the way a planner would - the staffing search and
its confirmation (what ``ccsim staff`` runs), a least-cost schedule of a day
with repair rounds (``ccsim schedule``) or of a week with days off
(``ccsim schedule --week``) - then simulates the final roster with a seed
none of those steps used and reports, per channel with a target, the share
of intervals with contacts where the roster is shown to miss its target
(one-sided 95 %) and where its point estimate is below it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.spec.requirement_cells import largest_per_interval
from sim.spec.roster import DAY_MIN, Requirements, ShiftType
from sim.spec.scenario import Scenario
from sim.studies.schedule import evaluate_roster, plan_roster, schedule_roster
from sim.studies.staffing import required_agents
from sim.studies.staffing_targets import parse_target
from sim.studies.staffing_units import staffing_units
from sim.studies.week_schedule import solve_week


def requirements_of(table: pd.DataFrame, scenario: Scenario, fold_days: bool = True) -> Requirements:
    """A staffing table as a schedule's requirements: paid heads for teams (shrinkage carried), on duty otherwise.

    ``fold_days`` folds the days onto one (the largest value per time of
    day), as a day's schedule needs; else the requirement covers the horizon.
    """
    minutes = int(scenario.horizon.interval_minutes)
    units = staffing_units(scenario)
    per_day = DAY_MIN // minutes
    length = per_day if fold_days else int(table["interval"].max()) + 1
    cells = []
    for row in table.drop_duplicates(["team", "interval"]).to_dict("records"):
        team = str(row["team"])
        column = "required_fte" if units[team].team else "simulated_agents"
        cells.append((team, int(row["interval"]), int(np.ceil(float(row[column]) - 1e-9))))
    return Requirements(minutes, largest_per_interval(cells, length), "staffing")


def check_plan(scenario: Scenario, targets: Sequence[str], shift_types: Sequence[ShiftType], *, week: bool = False,
               seed: int = 1, judge_seed: int = 1001, staff_replications: int = 5, schedule_replications: int = 10,
               judge_replications: int = 30, workers: int = 2, name: str = "") -> pd.DataFrame:
    """Plan ``scenario`` and judge the roster with ``judge_seed``; one row per channel with a target.

    Columns: ``scenario``, ``channel``, ``intervals`` (with contacts),
    ``shown_to_miss`` and ``point_below`` (shares of those intervals),
    ``staff_s``, ``schedule_s`` and ``judge_s`` (wall seconds of each step).
    """
    started = time.perf_counter()
    table = required_agents(scenario, targets, replications=staff_replications, seed=seed, workers=workers)
    staffed = time.perf_counter()
    if week:
        needs = requirements_of(table, scenario, fold_days=False)
        shifts, _ = solve_week(needs.agents, shift_types, needs.interval_minutes)
        roster = schedule_roster(shifts, shift_types, source="week schedule")
    else:
        _, roster, _ = plan_roster(scenario, requirements_of(table, scenario), shift_types, targets,
                                   replications=schedule_replications, seed=seed, workers=workers)
    planned = time.perf_counter()
    judged = evaluate_roster(scenario, roster, targets, replications=judge_replications, seed=judge_seed, workers=workers)
    done = time.perf_counter()
    asked = {parse_target(t).channel for t in targets}
    rows = []
    for channel, g in judged[judged["channel"].isin(asked) & (judged["simulated_offered"] > 0)].groupby("channel"):
        rows.append({"scenario": name, "channel": channel, "intervals": len(g),
                     "shown_to_miss": float((g["verdict"] == "misses").mean()),
                     "point_below": float((~g["meets_target"].astype(bool)).mean()),
                     "staff_s": round(staffed - started, 1), "schedule_s": round(planned - staffed, 1),
                     "judge_s": round(done - planned, 1)})
    return pd.DataFrame(rows)
