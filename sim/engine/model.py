"""One replication of a scenario: :func:`run`, a pure function of ``(scenario, seed, replication)``.

Every scenario, a single M/M/c queue included (the one-channel case), runs on
the one omnichannel engine (:mod:`sim.engine.journey`). :func:`run` reads no
file, prints nothing and returns :class:`~sim.engine.records.RunRecords`:
that is what lets studies run it in parallel, resume it and compare arms on
common random numbers. To attach SimPy processes, policies or event
listeners, use :class:`sim.engine.simulation.Simulation`.
"""

from __future__ import annotations

from sim.engine.journey import JourneyModel, run_journey, run_model
from sim.engine.priority_routing import CreditedWaitRouting, uses_credit
from sim.engine.records import RunRecords
from sim.random import Streams
from sim.spec.scenario import Scenario


def run(scenario: Scenario, seed: int | None = None, replication: int = 0, snapshot_s: float | None = None) -> RunRecords:
    """Simulate one replication of ``scenario`` and return its records.

    ``seed`` defaults to ``scenario.seed``; each ``replication`` number gives
    independent streams. ``snapshot_s`` sets how often the queue length and
    busy agents are sampled (default: once per planning interval). Channels
    with ``priority_credit_s`` are served by credited wait
    (:class:`~sim.engine.priority_routing.CreditedWaitRouting`).
    """
    seed = scenario.seed if seed is None else seed
    if uses_credit(scenario):
        model = JourneyModel(scenario, Streams(seed, replication), snapshot_s or scenario.horizon.interval_s, None,
                             CreditedWaitRouting.for_scenario(scenario))
        return run_model(model, replication)
    return run_journey(scenario, seed, replication, snapshot_s)
