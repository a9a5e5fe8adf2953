"""``ccsim run`` as a whole process against the minimal SimPy model as a whole process.

What a user waits for: the command's start-up (the interpreter, importing
the package, reading and validating the scenario), the simulation, the KPIs
and their printing, timed end to end with ``subprocess.run``. The peer is
``benchmarks/minimal_simpy.py`` run as ``python minimal_simpy.py ...``: the
same queue (a SimPy ``Resource``, one process per contact, ``yield request
| timeout(patience)``), Poisson arrivals until the same horizon, the drain,
and the KPIs ``ccsim run`` reports (service level, mean wait, abandonment).

The two single-queue workloads of ``bench_engine.py``, each written as a
scenario YAML whose horizon brings ``--contacts`` expected contacts:

- M/M/50 at load 0.9 (no abandonment);
- M/M/500+M at load 1.05 (exponential patience, mean = AHT).

Usage::

    python benchmarks/bench_process.py [--contacts 150000] [--repeats 5] [--phases]

The two programs run in turn, ``--repeats`` times each with seeds 1, 2, ...;
the best contacts per second of each counts (the run least disturbed by other
work on the machine), and the ratio is of those rates (the two programs draw
different numbers of contacts, within a percent). Also timed, for where the
time goes: the interpreter alone, ``ccsim --version`` (the interpreter and
the package's imports) and importing SimPy and NumPy; with ``--phases``,
the parts of ``ccsim run`` in one process: its imports by package (``python
-X importtime``) and its steps (scenario, simulation, KPIs, summary) timed
as the command calls them. Target: ``ccsim run`` at least 1.5x the minimal
SimPy program on both workloads.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import AHT_S, WORKLOADS, Workload  # noqa: E402

HERE = Path(__file__).resolve().parent
MINIMAL_SIMPY = HERE / "minimal_simpy.py"
CCSIM = Path(sys.executable).parent / "ccsim"  # the console script installed beside this interpreter
SL_THRESHOLD_S = 20.0
TARGET = 1.5


def scenario_yaml(w: Workload, contacts: int) -> str:
    """The workload as a ``ccsim`` scenario: one phone queue, constant staffing, ``contacts`` expected arrivals."""
    patience = f"    patience: {{dist: exponential, mean_s: {w.patience_s}}}\n" if w.patience_s else ""
    return (
        f"name: {w.name}\n"
        "seed: 1\n"
        "replications: 1\n"
        "horizon:\n"
        f"  hours: {w.horizon_s(contacts) / 3600:.6f}\n"
        "  interval_minutes: 60\n"
        "arrivals:\n"
        "  phone:\n"
        f"    rate_per_hour: {w.rate_per_s * 3600:.6f}\n"
        "channels:\n"
        "  phone:\n"
        f"    agents: {w.agents}\n"
        f"    aht: {{dist: exponential, mean_s: {AHT_S}}}\n"
        f"{patience}"
        f"    sl_threshold_s: {SL_THRESHOLD_S}\n"
    )


def ccsim_command(path: Path, seed: int) -> list[str]:
    """``ccsim run`` of one replication; JSON so that the KPIs can be read back (same work as the tables)."""
    return [str(CCSIM), "run", str(path), "--replications", "1", "--seed", str(seed), "--quiet", "--json"]


def simpy_command(w: Workload, contacts: int, seed: int) -> list[str]:
    """The minimal SimPy program on the same queue and horizon."""
    command = [sys.executable, str(MINIMAL_SIMPY), "--agents", str(w.agents), "--rate-per-hour", f"{w.rate_per_s * 3600:.6f}",
               "--hours", f"{w.horizon_s(contacts) / 3600:.6f}", "--aht-s", str(AHT_S), "--sl-threshold-s", str(SL_THRESHOLD_S),
               "--seed", str(seed)]
    if w.patience_s:
        command += ["--patience-s", str(w.patience_s)]
    return command


def timed(command: list[str]) -> tuple[float, str]:
    """Wall time of the whole process, and what it printed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def ccsim_kpis(stdout: str) -> dict[str, float]:
    """The phone queue's KPI means from ``ccsim run --json``."""
    phone = json.loads(stdout)["kpis"]["phone"]
    return {name: phone[name]["mean"] for name in ("offered", "service_level", "mean_wait_s", "abandon_rate")}


def best_of(commands: list[list[str]], repeats: int) -> float:
    """Best wall time of a command over ``repeats`` runs (one command per run, in turn)."""
    return min(timed(commands[r % len(commands)])[0] for r in range(repeats))


PHASES_CHILD = """
import contextlib, io, sys, time
from collections import defaultdict
start = time.perf_counter()
from sim.cli.main import main
import sim.cli.commands.run as command
import sim.studies.runner as runner
imported = time.perf_counter()
spent = defaultdict(float)
def timed(name, fn):
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - began
            spent[name + ' entered'] = began
    return wrapper
command.simulate = timed('simulate', command.simulate)
for name in ('run', 'run_kpis', 'run_interval_kpis', 'summarize'):
    setattr(runner, name, timed(name, getattr(runner, name)))
with contextlib.redirect_stdout(io.StringIO()):
    main(["run", sys.argv[1], "--replications", "1", "--quiet", "--json"])
done = time.perf_counter()
inside = spent['run'] + spent['run_kpis'] + spent['run_interval_kpis']
after = done - spent['simulate entered'] - spent['simulate']
print(imported - start, done - imported, spent['simulate entered'] - imported, spent['run'], spent['run_kpis'],
      spent['run_interval_kpis'], spent['simulate'] - inside, after, spent['summarize'])
"""
"""A child process timing ``ccsim run``'s parts as the command calls them (``simulate`` and its steps wrapped in timers)."""
PARTS = ("before the replications: reading, validating and checking the scenario",
         "the simulation (`sim.run`)",
         "`run_kpis`",
         "`run_interval_kpis`, per interval and per day (computed even without --intervals or --days)",
         "the rest of `simulate` (joining and sorting the tables)",
         "after the replications: the summary and its JSON",
         "- of which the confidence intervals (`summarize`)")


def phases(path: Path, repeats: int) -> None:
    """Where the wall time of ``ccsim run`` goes: imports by package, and the command's parts (best of ``repeats``)."""
    import re
    from collections import defaultdict

    best = [float("inf")] * (2 + len(PARTS))
    imports: dict[str, float] = {}
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", PHASES_CHILD, str(path)], capture_output=True, text=True)
        if done.returncode:
            lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
            print("the breakdown failed (has the run command changed?):\n" + "\n".join(lines[-5:]))
            return
        times = [float(t) for t in done.stdout.split()]
        if times[0] < best[0]:  # the import breakdown of the fastest start-up
            by_package: dict[str, float] = defaultdict(float)
            for line in done.stderr.splitlines():
                match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
                if match:
                    by_package[match[2].split(".")[0]] += int(match[1]) / 1e6
            imports = dict(by_package)
        best = [min(b, t) for b, t in zip(best, times)]
    print("| part of `ccsim run` (one process under `-X importtime`, best of each) | time |")
    print("|---|---:|")
    print(f"| importing `sim.cli` and the run command | {best[0]:.3f} s |")
    for package, seconds in sorted(imports.items(), key=lambda item: -item[1])[:8]:
        print(f"| - of which `{package}` (its modules' own import times) | {seconds:.3f} s |")
    print(f"| the command after its imports | {best[1]:.3f} s |")
    for label, seconds in zip(PARTS, best[2:]):
        print(f"| {'  ' if label.startswith('-') else '- '}{label} | {seconds:.3f} s |")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables of wall times, rates, KPIs and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=150_000, help="expected contacts per run (default 150,000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each program; the best counts (default 5)")
    parser.add_argument("--phases", action="store_true",
                        help="also time the parts of `ccsim run` (start-up, imports by package, simulation, KPIs)")
    args = parser.parse_args(argv)
    version = subprocess.run([str(CCSIM), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"python {platform.python_version()}, simpy {simpy.__version__}, {platform.machine()}, {version}, "
          f"best of {args.repeats}\n")
    if "compiled" not in version:
        print("WARNING: the engine is not the compiled one: these figures do not measure the installed engine\n")

    results = []
    phase_tables: list[io.StringIO] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, w in enumerate(WORKLOADS):
            path = Path(tmp) / f"workload-{i}.yaml"
            path.write_text(scenario_yaml(w, args.contacts))
            best = {"ccsim": (0.0, 0.0, {}), "simpy": (0.0, 0.0, {})}  # rate, wall time, KPIs of the best run
            for r in range(args.repeats):
                for name, command in (("ccsim", ccsim_command(path, r + 1)), ("simpy", simpy_command(w, args.contacts, r + 1))):
                    wall, stdout = timed(command)
                    kpis = ccsim_kpis(stdout) if name == "ccsim" else json.loads(stdout)
                    rate = kpis["offered"] / wall
                    if rate > best[name][0]:
                        best[name] = (rate, wall, kpis)
            results.append((w, best))
            if args.phases:
                phase_tables.append(io.StringIO())
                with contextlib.redirect_stdout(phase_tables[-1]):
                    phases(path, args.repeats)

    print("| workload | program | contacts | wall time | contacts/s | service level | mean wait | abandoned |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for w, best in results:
        for name, label in (("ccsim", "`ccsim run`"), ("simpy", "minimal SimPy")):
            rate, wall, kpis = best[name]
            print(f"| {w.name} | {label} | {kpis['offered']:,.0f} | {wall:.3f} s | {rate:,.0f} | {kpis['service_level']:.1%} "
                  f"| {kpis['mean_wait_s']:.1f} s | {kpis['abandon_rate']:.1%} |")

    startup = {
        "interpreter (`python -c pass`)": [[sys.executable, "-c", "pass"]],
        "`ccsim --version` (interpreter + package imports)": [[str(CCSIM), "--version"]],
        "`python -c 'import simpy, numpy'`": [[sys.executable, "-c", "import simpy, numpy"]],
    }
    print("\n| start-up | best wall time |")
    print("|---|---:|")
    for label, commands in startup.items():
        print(f"| {label} | {best_of(commands, args.repeats):.3f} s |")

    for w, table in zip(WORKLOADS, phase_tables):
        print(f"\n{w.name}, {args.contacts:,} contacts:\n")
        print(table.getvalue(), end="")

    print()
    ok = True
    for w, best in results:
        ratio = best["ccsim"][0] / best["simpy"][0]
        met = ratio >= TARGET
        ok &= met
        print(f"{w.name}: ccsim run / minimal SimPy = {ratio:.2f}x (target >= {TARGET}x: {'met' if met else 'NOT met'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
