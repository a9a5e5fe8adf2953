"""Engine throughput against a minimal hand-written SimPy model and Ciw.

Runs the same two workloads in one process and reports contacts simulated
per second and the ratios:

- ``mmc``:  M/M/50 at load 0.9 (no abandonment);
- ``mmcm``: M/M/500+M at load 1.05 (exponential patience, mean = AHT).

Usage::

    python benchmarks/bench_engine.py [--contacts 200000] [--repeats 3] [--no-ciw]

Each figure is the best of ``--repeats`` runs (the least disturbed by other
work on the machine). Targets: ccsim >= 0.8x the minimal SimPy model on
both workloads and >= 3x Ciw on the abandonment workload.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np
import simpy

import sim
from sim.spec.scenario import scenario_from_dict

AHT_S = 180.0


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


def run_ccsim(w: Workload, contacts: int, seed: int) -> int:
    """The project's engine, full run including arrival generation and records."""
    channel = {"agents": w.agents, "aht": {"mean_s": AHT_S}}
    if w.patience_s:
        channel["patience"] = {"mean_s": w.patience_s}
    scenario = scenario_from_dict({
        "horizon": {"hours": w.horizon_s(contacts) / 3600, "interval_minutes": 60},
        "arrivals": {"phone": {"rate_per_hour": w.rate_per_s * 3600}},
        "channels": {"phone": channel},
    })
    records = sim.run(scenario, seed=seed)
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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table of rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=200_000, help="contacts per run (default 200,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per engine; the best counts (default 3)")
    parser.add_argument("--no-ciw", action="store_true", help="skip Ciw (slow on the abandonment workload)")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, simpy {simpy.__version__}, numpy {np.__version__}, {platform.machine()}")
    print("| workload | ccsim /s | minimal SimPy /s | Ciw /s | ccsim / SimPy | ccsim / Ciw |")
    print("|---|---:|---:|---:|---:|---:|")
    ok = True
    for w in WORKLOADS:
        ours = best_rate(run_ccsim, w, args.contacts, args.repeats)
        plain = best_rate(run_minimal_simpy, w, args.contacts, args.repeats)
        if args.no_ciw:
            ciw_rate = math.nan
        else:
            ciw_contacts = max(20_000, args.contacts // (10 if w.patience_s else 4))
            ciw_rate = best_rate(run_ciw, w, ciw_contacts, 1)
        print(f"| {w.name} | {ours:,.0f} | {plain:,.0f} | {ciw_rate:,.0f} | {ours / plain:.2f}x | {ours / ciw_rate:.2f}x |")
        ok &= ours / plain >= 0.8 and (args.no_ciw or not w.patience_s or ours / ciw_rate >= 3)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
