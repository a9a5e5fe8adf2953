"""Time the interval staffing search on a 96-interval day with three channels.

Usage::

    python benchmarks/bench_staffing.py [--replications 10] [--workers 2]

Runs ``sim.studies.staffing.required_agents`` on ``scenarios/three-channel-day.yaml``
(15-minute intervals; phone 80/20, chat 80/60, social 90/3600) and prints the
wall time, the number of simulations of the day the search needed and the
agent-hours by each method. Target: under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import sim
from sim.studies.staffing import required_agents, staffing_totals

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "three-channel-day.yaml"
TARGETS = ["phone=80/20", "chat=80/60", "social=90/3600"]


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenario = sim.load_scenario(SCENARIO)
    start = time.perf_counter()
    table = required_agents(scenario, TARGETS, shrinkage=0.3, replications=args.replications, seed=args.seed,
                            workers=args.workers)
    elapsed = time.perf_counter() - start
    search = table.attrs["search"]
    intervals = table["interval"].nunique()
    print(f"python {platform.python_version()} on {platform.machine()}, workers={args.workers}, replications={args.replications}")
    print(f"{intervals} intervals x {table['channel'].nunique()} channels: {elapsed:.1f} s, "
          f"{search['evaluations']} simulations of the day ({search['runs']} runs), converged={search['converged']}, "
          f"intervals missing={len(search['unmet'])}")
    print(staffing_totals(table).to_string(index=False))


if __name__ == "__main__":
    main()
