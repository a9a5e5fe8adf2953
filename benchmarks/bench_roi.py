"""ROI Monte Carlo benchmark: replications x months of the mid-size scenario, and the interpolation error.

1. Runs ``ccsim roi scenarios/roi-mid-size.yaml`` (its own settings: months
   simulated every ``roi.simulate_every`` months, the rest interpolated) with
   the given replications and workers, end to end (checkpoints, summary,
   figures, report), and reports the wall time and the simulated contacts.
2. Measures what interpolating between simulated months costs in accuracy:
   the same replications (same seeds, same drawn inputs) lived with every
   month simulated and with the scenario's setting; the mean monthly FTE and
   monthly cost of each arm are compared month by month.

    python benchmarks/bench_roi.py --replications 200 --workers 2
    python benchmarks/bench_roi.py --replications 20 --check-only 20
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "roi-mid-size.yaml"


def run_cli(replications: int, workers: int) -> None:
    """The whole command, as a user runs it."""
    import json

    from sim.cli.main import main

    out = Path(tempfile.mkdtemp(prefix="ccsim-bench-roi-"))
    try:
        start = time.perf_counter()
        code = main(["roi", str(SCENARIO), "--replications", str(replications), "--workers", str(workers),
                     "--out", str(out / "roi"), "--quiet"])
        wall = time.perf_counter() - start
        summary = json.loads((out / "roi" / "summary.json").read_text())
        print(f"ccsim roi: {replications} replications x {summary['months']} months x 2 arms, {workers} workers: "
              f"{wall:.1f} s (exit {code}); {summary['simulated_contacts']:,.0f} simulated contacts "
              f"({summary['simulated_months_per_arm']} simulated months per arm, noise twins included)")
        print(f"  NPV p50 {summary['npv']['p50']:,.0f}, payback p50 {summary['payback_month']['p50']}, "
              f"P(payback <= 12 m) {summary['p_payback_12m']:.2f}")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def interpolation_error(replications: int) -> None:
    """Largest relative error of interpolated months against simulating every month (means over replications)."""
    import sim
    from sim.studies.roi_horizon import live_horizon
    from sim.studies.roi_study import prepare_study, replication_inputs, with_inputs

    scenario = sim.load_scenario(SCENARIO, ["roi.noise_pairs=0"])
    every = sim.load_scenario(SCENARIO, ["roi.noise_pairs=0", "roi.simulate_every=1"])
    study, study_every = prepare_study(scenario), prepare_study(every)
    seed = scenario.seed
    frames = {"interpolated": [], "simulated": []}
    start = time.perf_counter()
    for r in range(replications):
        values = replication_inputs(study, seed, r)
        frames["interpolated"].append(live_horizon(with_inputs(study, values), seed, r)[0])
        frames["simulated"].append(live_horizon(with_inputs(study_every, values), seed, r)[0])
    print(f"interpolation check: {replications} replications lived both ways in {time.perf_counter() - start:.1f} s")
    import pandas as pd

    def means(kind: str, channel: str, kpi: str) -> pd.DataFrame:
        table = pd.concat(frames[kind])
        rows = table[(table["channel"] == channel) & (table["kpi"] == kpi)]
        return rows.groupby(["arm", "month"])["value"].mean()

    def total_fte(kind: str) -> pd.Series:
        return means(kind, "fte", "agents") + means(kind, "fte", "moderators")

    pairs = {
        "agent FTE": (means("interpolated", "fte", "agents"), means("simulated", "fte", "agents")),
        "moderator FTE": (means("interpolated", "fte", "moderators"), means("simulated", "fte", "moderators")),
        "total FTE": (total_fte("interpolated"), total_fte("simulated")),
        "monthly cost": (means("interpolated", "cost", "total"), means("simulated", "cost", "total")),
    }
    for label, (a, b) in pairs.items():
        ok = b.abs() > 1e-9
        rel = ((a - b).abs()[ok] / b.abs()[ok])
        worst = rel.idxmax()
        print(f"  {label}: largest error {rel.max():.2%} (arm {worst[0]}, month {worst[1]}), mean {rel.mean():.2%}")
    net_a = np.array([f[(f["channel"] == "finance") & (f["kpi"] == "cumulative_net_benefit")]["value"].iloc[-1]
                      for f in frames["interpolated"]])
    net_b = np.array([f[(f["channel"] == "finance") & (f["kpi"] == "cumulative_net_benefit")]["value"].iloc[-1]
                      for f in frames["simulated"]])
    print(f"  cumulative net benefit at the horizon: mean {net_a.mean():,.0f} interpolated vs {net_b.mean():,.0f} "
          f"simulated every month ({(net_a.mean() - net_b.mean()) / abs(net_b.mean()):.2%})")


def main() -> None:
    """Parse arguments and run both parts."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--check", type=int, default=10, metavar="N", help="replications for the interpolation check (0: skip)")
    parser.add_argument("--check-only", action="store_true", help="skip the timed run")
    args = parser.parse_args()
    if not args.check_only:
        run_cli(args.replications, args.workers)
    if args.check:
        interpolation_error(args.check)


if __name__ == "__main__":
    main()
