"""Plan a day (staff -> schedule) and judge the roster on random numbers no step of the plan used.

For each scenario: the staffing search and its confirmation (seed S and the
seed derived from it), the least-cost schedule with repair rounds (seed S),
then an evaluation of the final roster with another seed and 30
replications. Prints, per channel, the share of measured intervals where the
roster is shown to miss its target (one-sided 95 % bound) and where its
point estimate is below the target.

Run: python experiments/planning/out_of_sample.py [--workers 2] [SCENARIO TARGET ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.io.rosters import read_shift_types
from sim.spec.roster import Requirements
from sim.studies.schedule import evaluate_roster, plan_roster
from sim.studies.staffing import required_agents
from sim.studies.staffing_units import staffing_units

ROOT = Path(__file__).resolve().parents[2]
SHIFTS = ROOT / "experiments" / "workforce" / "shifts.yaml"
CASES = {
    "three-channel-day": (["phone=80/20", "chat=80/60", "social=90/3600"], []),
    "omnichannel-day": (["phone=80/20", "chat=80/60"], []),
}


def requirements_of(table: pd.DataFrame, scenario: sim.Scenario) -> Requirements:
    """The staffing table as a schedule's requirements: paid heads for teams (shrinkage carried), on duty otherwise."""
    minutes = int(scenario.horizon.interval_minutes)
    units = staffing_units(scenario)
    per_day = 1440 // minutes
    agents: dict[str, list[int]] = {}
    for team, g in table.drop_duplicates(["team", "interval"]).groupby("team", sort=False):
        need = [0] * per_day
        column = "required_fte" if units[str(team)].team else "simulated_agents"
        for row in g.to_dict("records"):
            k = int(row["interval"]) % per_day
            need[k] = max(need[k], int(-(-float(row[column]) // 1)))
        agents[str(team)] = need
    return Requirements(minutes, {t: np.asarray(v) for t, v in agents.items()}, "staffing")


def check(name: str, targets: list[str], overrides: list[str], workers: int, seed: int = 1) -> pd.DataFrame:
    """Plan and judge one scenario; one row per channel with the miss shares."""
    scenario = sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides)
    started = time.perf_counter()
    table = required_agents(scenario, targets, replications=5, seed=seed, workers=workers)
    staffed = time.perf_counter()
    _, roster, _ = plan_roster(scenario, requirements_of(table, scenario), read_shift_types(SHIFTS), targets,
                               replications=10, seed=seed, workers=workers)
    planned = time.perf_counter()
    judged = evaluate_roster(scenario, roster, targets, replications=30, seed=seed + 1000, workers=workers)
    asked = {t.split("=")[0] for t in targets}
    rows = []
    for channel, g in judged[judged["channel"].isin(asked) & (judged["simulated_offered"] > 0)].groupby("channel"):
        rows.append({"scenario": name, "channel": channel, "intervals": len(g),
                     "shown_to_miss": float((g["verdict"] == "misses").mean()),
                     "point_below": float((~g["meets_target"].astype(bool)).mean()),
                     "staff_s": round(staffed - started), "schedule_s": round(planned - staffed)})
    return pd.DataFrame(rows)


def main() -> None:
    """Run the cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    frames = [check(case, CASES[case][0], CASES[case][1] + args.overrides, args.workers) for case in args.cases]
    print(pd.concat(frames, ignore_index=True).to_string(index=False))


if __name__ == "__main__":
    main()
