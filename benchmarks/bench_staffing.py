"""Time the interval staffing search: a 96-interval day with three channels, or a week of a team scenario.

Usage::

    python benchmarks/bench_staffing.py [--replications 10] [--workers 2]
    python benchmarks/bench_staffing.py --week [--workers 2]

The day: ``sim.studies.staffing.required_agents`` on
``scenarios/three-channel-day.yaml`` (15-minute intervals; phone 80/20,
chat 80/60, social 90/3600); target under 60 s on a 2-core machine.

The week (``--week``): what ``ccsim staff scenarios/team-week.yaml --target
phone=80/20 --target chat=80/60 --workers 2`` runs, on seven days of a voice
and a digital team (30-minute intervals, closed overnight, so each day is
searched and confirmed as its own simulation); target under 5 minutes on 2
cores.

Prints the wall time with the load average, the simulations of the horizon
(or of a day) the search and the confirmation needed and the agent-hours by
each method; exits 1 when the week misses its target.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import sim
from sim.studies.staffing import required_agents, staffing_totals

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DAY = (SCENARIOS / "three-channel-day.yaml", ["phone=80/20", "chat=80/60", "social=90/3600"], 0.3)
WEEK = (SCENARIOS / "team-week.yaml", ["phone=80/20", "chat=80/60"], None)
WEEK_TARGET_S = 300.0
"""The week's target: staffed in under 5 minutes on 2 cores."""


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--week", action="store_true", help="the week of scenarios/team-week.yaml instead of the day")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    path, targets, shrinkage = WEEK if args.week else DAY
    scenario = sim.load_scenario(path)
    load_before = os.getloadavg()
    start = time.perf_counter()
    table = required_agents(scenario, targets, shrinkage=shrinkage, replications=args.replications, seed=args.seed,
                            workers=args.workers)
    elapsed = time.perf_counter() - start
    load_after = os.getloadavg()
    search = table.attrs["search"]
    intervals = table["interval"].nunique()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, workers={args.workers}, "
          f"replications={args.replications}, engine {sim.ENGINE}")
    print(f"load average (1, 5, 15 min) before {', '.join(f'{v:.2f}' for v in load_before)}; "
          f"after {', '.join(f'{v:.2f}' for v in load_after)}")
    parts = search.get("mode") == "parts"
    unit = "part" if parts else "horizon"
    days = f" ({len(search['part_seeds'])} parts apart: {search['days']} days x {len(search['groups'])} groups)" if parts else ""
    print(f"{path.name}: {intervals} intervals x {table['channel'].nunique()} channels{days}: {elapsed:.1f} s, "
          f"{search['evaluations']} simulated staffings of the {unit} ({search['runs']} runs), "
          f"{search['confirm_rounds']} confirmation rounds up to {search['confirm_replications']} replications, "
          f"converged={search['converged']}, intervals undecided={len(search['undecided'])}, "
          f"missing={len(search['unmet'])}")
    print(staffing_totals(table).to_string(index=False))
    if args.week:
        met = elapsed < WEEK_TARGET_S
        print(f"week staffed in {elapsed:.1f} s: target under {WEEK_TARGET_S:.0f} s {'met' if met else 'NOT met'}")
        sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
