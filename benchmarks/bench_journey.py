"""Omnichannel engine speed: a simulated week, and contacts per second.

Runs, in one process and on one core:

- a week (168 h) of ``scenarios/omnichannel-day.yaml`` with the issue rate
  scaled to about 20,000 issues (phone, chat, social, forum before login,
  two teams): wall time of one replication, simulation alone (``sim.run``:
  arrivals, the run and its records) and with the KPIs (``run_kpis`` and
  ``run_interval_kpis``);
- one day of ``scenarios/omnichannel-day.yaml`` as shipped (~6,000 issues),
  the unit of Monte Carlo studies: wall time per run, alone and with
  ``run_kpis``;
- the same engine on the single-queue workloads of ``bench_engine.py``
  (``sim.run`` alone), for reference: contacts per second of the journey
  beside those of one queue, both simulation and records, no KPIs.

Usage::

    python benchmarks/bench_journey.py [--repeats 3] [--issues 20000] [--contacts 200000]

Targets: the week in under 10 s with the KPIs; at least 200,000 contacts
per second for the week's simulation (``sim.run``) with the compiled engine.
The first line of the output
names the engine that ran (``sim.ENGINE``): compiled with mypyc, as installed
by ``make``, or pure Python (``CCSIM_PURE_PYTHON=1``, or no C compiler).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

import sim
from sim.analysis.metrics import run_interval_kpis, run_kpis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import WORKLOADS, best_rate, run_ccsim  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "omnichannel-day.yaml"
DAY_REPEATS = 10
WEEK_H = 168.0
WEEK_TARGET_PER_S = 200_000  # contacts per second of the week's simulation, compiled engine


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
    week_sim, week_kpis, issues, contacts = timed_runs(scenario, args.repeats, interval_kpis=True)
    journey_rate = contacts / week_sim
    day = sim.load_scenario(SCENARIO)
    day_sim, day_kpis, day_issues, day_contacts = timed_runs(day, max(args.repeats, DAY_REPEATS), interval_kpis=False)

    print(f"Python {platform.python_version()}, {platform.machine()}, engine {sim.ENGINE}, best of {args.repeats}\n")
    print("| run | issues | contacts | wall time | contacts/s |")
    print("|---|---:|---:|---:|---:|")
    print(f"| omnichannel week, simulation | {issues:,} | {contacts:,} | {week_sim:.3f} s | {journey_rate:,.0f} |")
    print(f"| omnichannel week, with KPIs | {issues:,} | {contacts:,} | {week_kpis:.3f} s | {contacts / week_kpis:,.0f} |")
    print(f"| omnichannel day, simulation | {day_issues:,} | {day_contacts:,} | {day_sim * 1000:.1f} ms "
          f"| {day_contacts / day_sim:,.0f} |")
    print(f"| omnichannel day, with run KPIs | {day_issues:,} | {day_contacts:,} | {day_kpis * 1000:.1f} ms "
          f"| {day_contacts / day_kpis:,.0f} |")
    ratios = []
    for workload in WORKLOADS:
        rate = best_rate(run_ccsim, workload, args.contacts, args.repeats)
        ratios.append((workload.name, rate))
        print(f"| single queue, {workload.name} | - | {args.contacts:,} | {args.contacts / rate:.3f} s | {rate:,.0f} |")
    print()
    print(f"week under 10 s: {'yes' if week_kpis < 10 else 'NO'} ({week_kpis:.2f} s with KPIs)")
    compiled = sim.ENGINE.startswith("compiled")
    fast = journey_rate >= WEEK_TARGET_PER_S
    print(f"week >= {WEEK_TARGET_PER_S:,} contacts/s: {'met' if fast and compiled else 'NOT met'} ({journey_rate:,.0f} contacts/s"
          f"{'' if compiled else ', and not the compiled engine'})")
    for name, rate in ratios:
        print(f"journey / single queue ({name}): {journey_rate / rate:.2f}x")
    return 0 if week_kpis < 10 and fast and compiled else 1


def timed_runs(scenario: sim.Scenario, repeats: int, interval_kpis: bool) -> tuple[float, float, int, int]:
    """Best wall time of ``sim.run`` alone and with the KPIs over ``repeats`` seeds, issues and contacts."""
    best_sim = best_total = float("inf")
    issues = contacts = 0
    for r in range(repeats):
        start = time.perf_counter()
        records = sim.run(scenario, seed=r + 1)
        simulated = time.perf_counter()
        run_kpis(records)
        if interval_kpis:
            run_interval_kpis(records)
        done = time.perf_counter()
        if simulated - start < best_sim:
            best_sim = simulated - start
            issues, contacts = len(records.journey.issue_arrival_s), len(records.journey.contact_arrival_s)
        best_total = min(best_total, done - start)
    return best_sim, best_total, issues, contacts


if __name__ == "__main__":
    raise SystemExit(main())
