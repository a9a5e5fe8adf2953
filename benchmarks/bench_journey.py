"""Omnichannel engine speed: a simulated week, and contacts per second.

Runs, in one process and on one core:

- a week (168 h) of ``scenarios/omnichannel-day.yaml`` with the issue rate
  scaled to about 20,000 issues (phone, chat, social, forum before login,
  two teams): wall time of one replication, including the KPIs;
- the foundation engine on its single-queue benchmark workloads (from
  ``bench_engine.py``), for the ratio of contacts per second.

Usage::

    python benchmarks/bench_journey.py [--repeats 3] [--issues 20000]

Targets: the week in under 10 s; journey contacts per second at least half
of the foundation engine's single-queue figure.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

import sim
from sim.metrics import run_interval_kpis, run_kpis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import WORKLOADS, best_rate, run_ccsim  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "omnichannel-day.yaml"
WEEK_H = 168.0


def week_scenario(issues: int) -> sim.Scenario:
    """The shipped omnichannel day stretched to a week, rate scaled to ``issues`` expected issues."""
    base = sim.load_scenario(SCENARIO, [f"horizon.hours={WEEK_H}"])
    journey = base.journey
    per_day = int(86400 / base.horizon.interval_s)
    profile = np.resize(np.asarray(journey.issues.profile or [1.0]), per_day)
    days = np.asarray(journey.issues.day_profile or [1.0] * 7)
    expected_at_rate_1 = float(profile.sum() * base.horizon.interval_s / 3600.0 * days.sum())
    rate = issues / expected_at_rate_1
    return sim.load_scenario(SCENARIO, [f"horizon.hours={WEEK_H}", f"journey.issues.rate_per_hour={rate:.3f}"])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the best counts (default 3)")
    parser.add_argument("--issues", type=int, default=20_000, help="expected issues in the week (default 20,000)")
    parser.add_argument("--contacts", type=int, default=200_000, help="contacts per single-queue run (default 200,000)")
    args = parser.parse_args(argv)

    scenario = week_scenario(args.issues)
    best_s, issues, contacts = float("inf"), 0, 0
    for r in range(args.repeats):
        start = time.perf_counter()
        records = sim.run(scenario, seed=r + 1)
        run_kpis(records)
        run_interval_kpis(records)
        elapsed = time.perf_counter() - start
        if elapsed < best_s:
            best_s, issues, contacts = elapsed, len(records.journey.issue_arrival_s), len(records.journey.contact_arrival_s)
    journey_rate = contacts / best_s

    print(f"Python {platform.python_version()}, {platform.machine()}, best of {args.repeats}\n")
    print("| run | issues | contacts | wall time | contacts/s |")
    print("|---|---|---|---|---|")
    print(f"| omnichannel week (one core, with KPIs) | {issues:,} | {contacts:,} | {best_s:.2f} s | {journey_rate:,.0f} |")
    ratios = []
    for workload in WORKLOADS:
        rate = best_rate(run_ccsim, workload, args.contacts, args.repeats)
        ratios.append((workload.name, rate))
        print(f"| foundation engine, {workload.name} | - | {args.contacts:,} | {args.contacts / rate:.2f} s | {rate:,.0f} |")
    print()
    print(f"week under 10 s: {'yes' if best_s < 10 else 'NO'} ({best_s:.2f} s)")
    for name, rate in ratios:
        ratio = journey_rate / rate
        print(f"journey / foundation ({name}): {ratio:.2f}x (target >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
