"""Plan a day (staff -> schedule) and judge the roster on random numbers no step of the plan used.

For each scenario: the staffing search and its confirmation (seed S and the
seed derived from it), the least-cost schedule with repair rounds (seed S),
then an evaluation of the final roster with another seed and 30
replications. Prints, per channel, the share of measured intervals where the
roster is shown to miss its target (one-sided 95 % bound) and where its
point estimate is below the target.

Run: python experiments/planning/out_of_sample.py [--workers 2] [SCENARIO TARGET ...]

The steps are :func:`sim.studies.plan_check.check_plan`; ``benchmarks/bench_out_of_sample.py``
runs the same check on the team week and fails when a channel misses too often.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import sim
from sim.io.rosters import read_shift_types
from sim.studies.plan_check import check_plan

ROOT = Path(__file__).resolve().parents[2]
SHIFTS = ROOT / "experiments" / "workforce" / "shifts.yaml"
CASES = {
    "three-channel-day": (["phone=80/20", "chat=80/60", "social=90/3600"], []),
    "omnichannel-day": (["phone=80/20", "chat=80/60"], []),
}


def check(name: str, targets: list[str], overrides: list[str], workers: int, seed: int = 1) -> pd.DataFrame:
    """Plan and judge one scenario; one row per channel with the miss shares."""
    scenario = sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides)
    return check_plan(scenario, targets, read_shift_types(SHIFTS), seed=seed, judge_seed=seed + 1000, workers=workers,
                      name=name)


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
