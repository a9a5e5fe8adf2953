"""The engine's public API: one replication you can reach into while it runs.

:func:`sim.run` simulates a scenario start to finish. :class:`Simulation`
runs the same model, with the same numbers, but lets code from outside the
package take part, without editing or subclassing the (compiled) engine:

- SimPy processes on the model's own clock (``simulation.env``,
  ``simulation.process(...)``): outages, call-backs, monitors, anything
  written as a SimPy generator;
- listeners on what happens to contacts and issues (:meth:`Simulation.on`,
  events in :data:`sim.engine.journey_setup.EVENTS`);
- policies passed in: a routing policy (who serves what,
  :class:`~sim.engine.agents.RoutingPolicy`) and a channel choice policy
  (which channel a customer contacts, :class:`~sim.engine.journey_setup.ChannelChoice`);
- actions during the run: submit contacts, change a team's agents, read
  queues and announced waits.

Example (an hour-long outage of the phone team)::

    simulation = Simulation(scenario, seed=1, use_simpy=True)

    def outage(env):
        yield env.timeout(10 * 3600)
        simulation.set_agents("phone", 0, until_s=11 * 3600)

    simulation.process(outage(simulation.env))
    records = simulation.run()

With SimPy processes the model runs in a :class:`simpy.Environment`;
without, on the engine's lean event loop. Both give the same records, bit
for bit, for the same scenario and seed (a test checks every shipped
scenario).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.engine.agents import RoutingPolicy, Work
from sim.engine.journey import JourneyModel, run_model
from sim.engine.journey_setup import EVENTS, ChannelChoice
from sim.engine.loop import EventLoop, SimPyLoop
from sim.engine.priority_routing import CreditedWaitRouting, uses_credit
from sim.engine.records import RunRecords
from sim.random import Streams
from sim.spec.scenario import Scenario


class Simulation:
    """One replication of ``scenario`` that outside code can join (see the module's description).

    ``seed`` defaults to the scenario's; ``replication`` picks independent
    streams. ``use_simpy=True`` (or passing ``env``) runs the model in a
    SimPy environment, which :attr:`env` then returns; user processes added
    with :meth:`process` start when :meth:`run` is called, at time 0,
    before the model's first interval. A simulation runs once.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        replication: int = 0,
        *,
        use_simpy: bool = False,
        env: simpy.Environment | None = None,
        routing: RoutingPolicy | None = None,
        choice: ChannelChoice | None = None,
        snapshot_s: float | None = None,
    ) -> None:
        if env is not None and env.now != 0:
            raise ValueError("the SimPy environment must start at time 0 (a new simpy.Environment())")
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.replication = int(replication)
        self._env = env if env is not None else (simpy.Environment() if use_simpy else None)
        loop: EventLoop = EventLoop() if self._env is None else SimPyLoop(self._env)
        streams = Streams(self.seed, self.replication)
        if routing is None and uses_credit(scenario):  # the scenario's own class priorities
            routing = CreditedWaitRouting.for_scenario(scenario)
        self.model = JourneyModel(scenario, streams, snapshot_s or scenario.horizon.interval_s, loop, routing, choice)
        self.records: RunRecords | None = None

    # -- SimPy ------------------------------------------------------------------
    @property
    def env(self) -> simpy.Environment:
        """The SimPy environment the model runs in (only with ``use_simpy=True`` or ``env=``)."""
        if self._env is None:
            raise RuntimeError("this simulation runs on the lean event loop: create it with use_simpy=True to use SimPy")
        return self._env

    @property
    def now(self) -> float:
        """The simulation clock in seconds from the start of the horizon."""
        return float(self._env.now) if self._env is not None else self.model.loop.now

    def process(self, generator: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        """Add a SimPy process (a generator of SimPy events) to the run."""
        return self.env.process(generator)

    # -- listening and acting ---------------------------------------------------------
    def on(self, event: str, listener: Callable[[Any], None]) -> None:
        """Call ``listener`` on every ``event`` (:data:`EVENTS`): with the :class:`Work`, or the issue's number."""
        self.model.subscribe(event, listener)

    def submit(self, channel: str, service_s: float | None = None, patience_s: float | None = None) -> Work:
        """A contact arrives at ``channel`` (phone or chat kind) now; drawn times where not given."""
        return self.model.submit(channel, service_s, patience_s)

    def set_agents(self, team: str, agents: int, until_s: float | None = None) -> None:
        """Put ``agents`` of ``team`` on duty now, instead of the roster until ``until_s`` (or the next interval).

        A channel with its own ``agents`` is served by a team of the
        channel's name.
        """
        if team not in self.model.team_index:
            raise KeyError(f"no team {team!r}; teams: {', '.join(self.model.team_index)}")
        self.model.hold_agents(team, agents, until_s)

    def uniform(self, customer: int, purpose: str) -> float:
        """The next uniform of ``customer`` (``Work.customer``) for ``purpose``, keyed so it shifts no other number.

        For behaviours written outside the package (see
        ``examples/callback.py``): a decision drawn here leaves every other
        customer's numbers, and this customer's other purposes, unchanged.
        """
        return self.model.uniform(customer, purpose)

    def agents_on_duty(self, team: str) -> int:
        """Agents of ``team`` on duty now (not counting those about to leave)."""
        return self.model.agents_on_duty(team)

    def waiting(self, channel: str) -> int:
        """Contacts waiting in ``channel``'s queue now."""
        return self.model.waiting(channel)

    def expected_wait_s(self, channel: str) -> float:
        """The wait a newcomer to ``channel`` would be announced now.

        See :meth:`~sim.engine.journey_setup.JourneySetup.expected_wait_s`.
        """
        return self.model.expected_wait_s(channel)

    # -- running ------------------------------------------------------------------------
    def run(self) -> RunRecords:
        """Simulate the horizon (and the drain, if the scenario asks for it) and return the records."""
        if self.records is not None:
            raise RuntimeError("a simulation runs once: create another for another run")
        self.records = run_model(self.model, self.replication)
        return self.records


__all__ = ["EVENTS", "ChannelChoice", "RoutingPolicy", "Simulation", "Work"]
