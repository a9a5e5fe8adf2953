"""The minimal SimPy model of one queue as a program of its own: the peer of ``ccsim run`` in ``bench_process.py``.

The same model as ``run_minimal_simpy`` in ``bench_engine.py`` (a
``Resource``, one process per contact, ``yield request | timeout(patience)``),
with Poisson arrivals until the horizon and every contact served or
abandoned after it (as ``ccsim run`` drains), then the KPIs ``ccsim run``
reports for a phone queue: offered, answered, abandoned, service level
(answered within the threshold / offered), mean wait of all contacts and of
answered ones. It imports SimPy and NumPy only, so its start-up is what a
plain SimPy program pays.

Usage::

    python benchmarks/minimal_simpy.py --agents 50 --rate-per-hour 900 --hours 166.7 [--patience-s 180] [--seed 1]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import simpy


def simulate(agents: int, rate_per_s: float, aht_s: float, patience_s: float | None, horizon_s: float, seed: int) -> list:
    """Waits (s) and whether each contact was answered, in order of arrival."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=agents)
    outcomes: list[tuple[float, bool]] = []

    def customer(env: simpy.Environment):
        arrived = env.now
        with servers.request() as request:
            if patience_s:
                outcome = yield request | env.timeout(rng.exponential(patience_s))
                if request not in outcome:
                    outcomes.append((env.now - arrived, False))
                    return
            else:
                yield request
            outcomes.append((env.now - arrived, True))
            yield env.timeout(rng.exponential(aht_s))

    def source(env: simpy.Environment):
        mean_gap = 1.0 / rate_per_s
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            if env.now >= horizon_s:
                return
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return outcomes


def kpis(outcomes: list[tuple[float, bool]], sl_threshold_s: float) -> dict[str, float]:
    """The queue's KPIs, as ``ccsim run`` defines them."""
    offered = len(outcomes)
    answered_waits = [wait for wait, answered in outcomes if answered]
    answered = len(answered_waits)
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": offered - answered,
        "service_level": sum(1 for wait in answered_waits if wait <= sl_threshold_s) / offered,
        "mean_wait_s": sum(wait for wait, _ in outcomes) / offered,
        "asa_s": sum(answered_waits) / answered if answered else float("nan"),
        "abandon_rate": (offered - answered) / offered,
    }


def main() -> None:
    """Simulate the queue described on the command line and print its KPIs as JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--rate-per-hour", type=float, required=True)
    parser.add_argument("--hours", type=float, required=True, help="no arrival after this; contacts in the system are finished")
    parser.add_argument("--aht-s", type=float, default=180.0)
    parser.add_argument("--patience-s", type=float, default=None, help="mean of the exponential patience (none: nobody abandons)")
    parser.add_argument("--sl-threshold-s", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    outcomes = simulate(args.agents, args.rate_per_hour / 3600.0, args.aht_s, args.patience_s, args.hours * 3600.0, args.seed)
    print(json.dumps(kpis(outcomes, args.sl_threshold_s)))


if __name__ == "__main__":
    main()
