"""Benchmark: a 100-point sweep of the Erlang A scenario on 1 and 2 workers (and Dask).

Writes a sweep spec (10 agent counts x 10 arrival rates on
scenarios/erlang-a.yaml, horizon shortened with overrides, 1 replication
per point) to a temporary folder, runs it with each executor, checks that
the result tables are identical and prints wall times and speed-ups::

    python benchmarks/bench_sweep.py                  # 1 and 2 local workers
    python benchmarks/bench_sweep.py --workers 1 2 --dask --hours 30
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.studies.executors import DaskExecutor, ProcessExecutor, SerialExecutor  # noqa: E402
from sim.studies.plan import plan_sweep  # noqa: E402
from sim.studies.sweep import run_plan  # noqa: E402

SPEC = """\
name: benchmark sweep (100 points)
scenario: {scenario}
command: run
replications: {replications}
seed: 1
overrides:
  horizon.hours: {hours}
  horizon.warmup_hours: 1
factors:
  channels.phone.agents: [46, 47, 48, 49, 50, 51, 52, 53, 54, 55]
  arrivals.phone.rate_per_hour: [910, 930, 950, 970, 990, 1010, 1030, 1050, 1070, 1090]
keep:
  kpis: [service_level, asa_s, abandon_rate, occupancy]
"""


def main() -> int:
    """Run the sweep with each executor and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local worker counts to time")
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster with the largest worker count")
    parser.add_argument("--hours", type=float, default=30.0, help="simulated hours per run (default 30)")
    parser.add_argument("--replications", type=int, default=1, help="replications per design point (default 1)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds; the best time of each setup counts (default 3)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = folder / "bench.yaml"
        spec.write_text(SPEC.format(scenario=ROOT / "scenarios" / "erlang-a.yaml", hours=args.hours,
                                    replications=args.replications), encoding="utf-8")
        plan = plan_sweep(spec)
        setups = [(f"{n} worker{'s' if n > 1 else ''}", n, SerialExecutor if n == 1 else ProcessExecutor) for n in args.workers]
        if args.dask:
            setups.append((f"dask local {max(args.workers)}", max(args.workers), None))
        best: dict[str, float] = {}
        tables: dict[str, pd.DataFrame] = {}
        for round_ in range(args.repeat):  # interleaved rounds, best of each: robust on a shared machine
            for label, n, kind in setups:
                start = time.perf_counter()
                executor = DaskExecutor("local", workers=n) if kind is None else (kind() if n == 1 else kind(n))
                try:
                    run = run_plan(plan, folder / f"{label.replace(' ', '-')}-{round_}", executor)
                finally:
                    executor.close()
                seconds = time.perf_counter() - start
                best[label] = min(seconds, best.get(label, float("inf")))
                tables[label] = run.results
                print(f"round {round_ + 1} {label:>16}: {seconds:6.1f} s", flush=True)
        first = setups[0][0]
        for label, *_ in setups:
            print(f"{label:>16}: best {best[label]:6.1f} s ({plan.tasks_total} tasks, "
                  f"{best[label] / plan.tasks_total * 1000:.0f} ms per task)")
        for label, *_ in setups[1:]:
            pd.testing.assert_frame_equal(tables[label], tables[first])
            print(f"speed-up of {label} over {first}: {best[first] / best[label]:.2f}x (identical results)")
    print(f"(Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
