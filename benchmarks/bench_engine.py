"""Engine throughput against a minimal hand-written SimPy model and Ciw, in one process.

Runs the same two workloads and reports contacts simulated per second and
the ratios:

- ``mmc``:  M/M/50 at load 0.9 (no abandonment);
- ``mmcm``: M/M/500+M at load 1.05 (exponential patience, mean = AHT).

Four programs on each: ``sim.run`` (the engine on its lean event loop:
arrival generation, queue, records, everything); the same model through the
public API in a SimPy environment with a user SimPy process attached
(``Simulation(..., use_simpy=True)`` and a process that wakes every
simulated 15 minutes and reads the clock, the queue and the agents on
duty); the minimal SimPy model (a ``Resource``, one process per contact,
``yield request | timeout(patience)``); and Ciw.

Usage::

    python benchmarks/bench_engine.py [--contacts 200000] [--repeats 5] [--ciw-contacts N] [--no-ciw]

The programs take turns, ``--repeats`` rounds of one run each (seeds 1, 2,
...); each figure is a program's best run (the least disturbed by other work
on the machine). Ciw, 10-20 times slower, runs fewer contacts by default
(a quarter of ``--contacts`` on M/M/50, a tenth on M/M/500+M, at least
20,000), which does not favour ccsim: Ciw's rate does not rise with the run's
length. Targets: ``sim.run`` at least 4x the minimal SimPy model on both
workloads; with a user SimPy process attached, at least as fast as it (1x).
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

import sim
from sim.engine.simulation import Simulation
from sim.spec.scenario import scenario_from_dict

AHT_S = 180.0
MONITOR_EVERY_S = 900.0  # the user process of run_ccsim_with_user_process wakes every simulated 15 minutes
ENGINE_TARGET = 4.0  # sim.run against the minimal SimPy model
USER_PROCESS_TARGET = 1.0  # with a user SimPy process attached, against the minimal SimPy model


@dataclass(frozen=True)
class Workload:
    """One benchmark queue: agents, load and (optional) mean patience."""

    name: str
    agents: int
    load: float
    patience_s: float | None

    @property
    def rate_per_s(self) -> float:
        return self.load * self.agents / AHT_S

    def horizon_s(self, contacts: int) -> float:
        return contacts / self.rate_per_s


WORKLOADS = (Workload("M/M/50, load 0.9", 50, 0.9, None), Workload("M/M/500+M, load 1.05", 500, 1.05, AHT_S))


def scenario_for(w: Workload, contacts: int) -> sim.Scenario:
    """The workload as a scenario: one phone queue, constant staffing, ``contacts`` expected arrivals."""
    channel: dict = {"agents": w.agents, "aht": {"mean_s": AHT_S}}
    if w.patience_s:
        channel["patience"] = {"mean_s": w.patience_s}
    return scenario_from_dict({
        "horizon": {"hours": w.horizon_s(contacts) / 3600, "interval_minutes": 60},
        "arrivals": {"phone": {"rate_per_hour": w.rate_per_s * 3600}},
        "channels": {"phone": channel},
    })


def run_ccsim(w: Workload, contacts: int, seed: int) -> int:
    """The project's engine, full run including arrival generation and records."""
    records = sim.run(scenario_for(w, contacts), seed=seed)
    return len(records.channels["phone"].arrival_s)


def run_ccsim_with_user_process(w: Workload, contacts: int, seed: int) -> int:
    """The same run through the public API, in a SimPy environment, with a user SimPy process attached.

    The process is a monitor such as a user would write: it wakes every
    simulated 15 minutes and reads the clock, the queue and the agents on
    duty (it loops for ever; the run ends when the model's own events do).
    """
    simulation = Simulation(scenario_for(w, contacts), seed=seed, replication=0, use_simpy=True)
    readings: list[tuple[float, int, int]] = []

    def monitor(env: simpy.Environment):
        while True:
            yield env.timeout(MONITOR_EVERY_S)
            readings.append((simulation.now, simulation.waiting("phone"), simulation.agents_on_duty("phone")))

    simulation.process(monitor(simulation.env))
    records = simulation.run()
    assert len(readings) >= w.horizon_s(contacts) // MONITOR_EVERY_S  # the process ran all along
    return len(records.channels["phone"].arrival_s)


def run_minimal_simpy(w: Workload, contacts: int, seed: int) -> int:
    """The idiomatic SimPy model: a Resource, one process per contact, request | timeout."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=w.agents)
    waits: list[float] = []

    def customer(env: simpy.Environment):
        arrived = env.now
        with agents.request() as request:
            if w.patience_s:
                outcome = yield request | env.timeout(rng.exponential(w.patience_s))
                if request not in outcome:
                    waits.append(env.now - arrived)
                    return
            else:
                yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(AHT_S))

    def source(env: simpy.Environment):
        for _ in range(contacts):
            yield env.timeout(rng.exponential(1 / w.rate_per_s))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return contacts


def run_ciw(w: Workload, contacts: int, seed: int) -> int:
    """Ciw on the same queue, run until the same horizon."""
    import ciw

    kwargs = dict(
        arrival_distributions=[ciw.dists.Exponential(rate=w.rate_per_s)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT_S)],
        number_of_servers=[w.agents],
    )
    if w.patience_s:
        kwargs["reneging_time_distributions"] = [ciw.dists.Exponential(rate=1 / w.patience_s)]
    network = ciw.create_network(**kwargs)
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(w.horizon_s(contacts))
    return len(simulation.get_all_records()) + sum(len(n.all_individuals) for n in simulation.transitive_nodes)


def best_rate(fn, w: Workload, contacts: int, repeats: int) -> float:
    """Best contacts-per-second over ``repeats`` runs."""
    best = 0.0
    for r in range(repeats):
        start = time.perf_counter()
        n = fn(w, contacts, seed=r + 1)
        best = max(best, n / (time.perf_counter() - start))
    return best


def interleaved_best_rates(programs: list[tuple[Callable[..., int], int]], w: Workload, repeats: int) -> list[float]:
    """Best contacts-per-second of each ``(program, contacts)`` over ``repeats`` rounds that run each program once in turn.

    Taking turns exposes every program to the same spells of load from other
    work on the machine, so their ratios move less than with each program's
    runs back to back.
    """
    best = [0.0] * len(programs)
    for r in range(repeats):
        for i, (fn, contacts) in enumerate(programs):
            start = time.perf_counter()
            n = fn(w, contacts, seed=r + 1)
            best[i] = max(best[i], n / (time.perf_counter() - start))
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table of rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=200_000, help="contacts per run (default 200,000)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="rounds of runs, each program once a round; the best counts (default 5)")
    parser.add_argument("--ciw-contacts", type=int, default=None,
                        help="contacts per Ciw run (default: a quarter of --contacts on M/M/50, a tenth on M/M/500+M, >= 20,000)")
    parser.add_argument("--no-ciw", action="store_true", help="skip Ciw (the slowest of the four)")
    args = parser.parse_args(argv)
    ciw_version = "not run"
    if not args.no_ciw:
        import ciw

        ciw_version = ciw.__version__
    print(f"python {platform.python_version()}, simpy {simpy.__version__}, ciw {ciw_version}, numpy {np.__version__}, "
          f"{platform.machine()}, engine {sim.ENGINE}, best of {args.repeats}")
    if not sim.ENGINE.startswith("compiled"):
        print("WARNING: the engine is not the compiled one: these figures do not measure the installed engine")
    print()
    print("| workload | ccsim /s | ccsim + SimPy process /s | minimal SimPy /s | Ciw /s "
          "| ccsim / SimPy | ccsim + process / SimPy | ccsim / Ciw |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for w in WORKLOADS:
        programs = [(run_ccsim, args.contacts), (run_ccsim_with_user_process, args.contacts), (run_minimal_simpy, args.contacts)]
        if not args.no_ciw:
            programs.append((run_ciw, args.ciw_contacts or max(20_000, args.contacts // (10 if w.patience_s else 4))))
        ours, attached, plain, ciw_rate = [*interleaved_best_rates(programs, w, args.repeats), math.nan][:4]
        ciw_cells = ("-", "-") if math.isnan(ciw_rate) else (f"{ciw_rate:,.0f}", f"{ours / ciw_rate:.2f}x")
        print(f"| {w.name} | {ours:,.0f} | {attached:,.0f} | {plain:,.0f} | {ciw_cells[0]} "
              f"| {ours / plain:.2f}x | {attached / plain:.2f}x | {ciw_cells[1]} |")
        verdicts.append((f"{w.name}: ccsim / minimal SimPy", ours / plain, ENGINE_TARGET))
        verdicts.append((f"{w.name}: ccsim + user SimPy process / minimal SimPy", attached / plain, USER_PROCESS_TARGET))
    print()
    for label, ratio, target in verdicts:
        print(f"{label} = {ratio:.2f}x (target >= {target:g}x: {'met' if ratio >= target else 'NOT met'})")
    return 0 if all(ratio >= target for _, ratio, target in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
