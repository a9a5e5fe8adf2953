"""Wire one replication: build the SimPy environment from a scenario and run it.

:func:`run` is a pure function of ``(scenario, seed, replication)``: it reads
no file, prints nothing and returns :class:`~sim.engine.records.RunRecords`. That is
what lets studies run it in parallel, resume it and compare arms on common
random numbers.
"""

from __future__ import annotations

import math

import numpy as np
import simpy
from simpy.events import Timeout

from sim.engine.service_queue import ServiceQueue
from sim.engine.demand import arrival_times
from sim.spec.distributions import sample
from sim.random import Streams
from sim.engine.records import ChannelRecords, RunRecords
from sim.engine.journey import run_journey
from sim.spec.scenario import Channel, Scenario, uses_journey_engine


def _channel_inputs(name: str, channel: Channel, scenario: Scenario, streams: Streams) -> tuple[list[float], list[float], list[float]]:
    """Arrival times, handling times and patience of every contact of a channel."""
    horizon = scenario.horizon
    stream = scenario.arrivals.get(name)
    if stream is None:
        arrivals = np.empty(0)
    else:
        arrivals = arrival_times(stream, horizon.interval_s, horizon.hours * 3600.0, streams(f"arrivals:{name}"))
    n = len(arrivals)
    service = sample(channel.aht, streams(f"aht:{name}"), n)
    if channel.patience is None:
        patience = np.full(n, math.inf)
    else:
        patience = sample(channel.patience, streams(f"patience:{name}"), n)
    return arrivals.tolist(), service.tolist(), patience.tolist()


class _Feeder:
    """Releases a channel's precomputed arrivals into its queue, one event each."""

    def __init__(self, env: simpy.Environment, queue: ServiceQueue) -> None:
        self.env = env
        self.queue = queue
        self.next = 0
        if queue.arrival_s:
            Timeout(env, queue.arrival_s[0]).callbacks.append(self._arrive)

    def _arrive(self, _event: object) -> None:
        i = self.next
        self.queue.arrive(i)
        self.next = i + 1
        arrivals = self.queue.arrival_s
        if i + 1 < len(arrivals):
            Timeout(self.env, arrivals[i + 1] - self.env._now).callbacks.append(self._arrive)


class _Clock:
    """Applies per-interval staffing and samples queue length and busy agents.

    All its moments (interval starts and sampling times before the horizon)
    are known in advance, so they are merged once and visited in order.
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, queues: dict[str, ServiceQueue], snapshot_s: float) -> None:
        self.env = env
        self.scenario = scenario
        self.queues = queues
        self.snaps: dict[str, list[tuple[float, int, int]]] = {name: [] for name in queues}
        horizon_s = scenario.horizon.hours * 3600.0
        interval_s = scenario.horizon.interval_s
        moments: dict[float, list[int]] = {}
        for k in range(1, int(math.ceil(horizon_s / interval_s))):
            moments.setdefault(round(k * interval_s, 6), [-1, 0])[0] = k
        for j in range(int(math.ceil(horizon_s / snapshot_s))):
            moments.setdefault(round(j * snapshot_s, 6), [-1, 0])[1] = 1
        self.moments = sorted((t, k, snap) for t, (k, snap) in moments.items() if t < horizon_s)
        self.position = 0
        self._staff(0)
        self._visit(None)

    def _staff(self, k: int) -> None:
        for name, queue in self.queues.items():
            queue.set_agents(self.scenario.channels[name].agents_in_interval(k))

    def _visit(self, _event: object) -> None:
        while self.position < len(self.moments):
            t, k, snap = self.moments[self.position]
            if t > self.env._now + 1e-9:
                Timeout(self.env, t - self.env._now).callbacks.append(self._visit)
                return
            self.position += 1
            if k >= 0:
                self._staff(k)
            if snap:
                for name, queue in self.queues.items():
                    self.snaps[name].append((t, queue.queue_length(), queue.busy()))


def run(scenario: Scenario, seed: int | None = None, replication: int = 0, snapshot_s: float | None = None) -> RunRecords:
    """Simulate one replication of ``scenario`` and return its records.

    ``seed`` defaults to ``scenario.seed``; each ``replication`` number gives
    independent streams. ``snapshot_s`` sets how often the queue length and
    busy agents are sampled (default: once per planning interval).
    Scenarios with customer journeys, teams or channel kinds run on the
    omnichannel engine (:mod:`sim.engine.journey`); plain queues on the fast one.
    """
    if uses_journey_engine(scenario):
        return run_journey(scenario, scenario.seed if seed is None else seed, replication, snapshot_s)
    streams = Streams(scenario.seed if seed is None else seed, replication)
    horizon = scenario.horizon
    horizon_s = horizon.hours * 3600.0
    env = simpy.Environment()
    queues: dict[str, ServiceQueue] = {}
    for name, channel in scenario.channels.items():
        queues[name] = ServiceQueue(env, *_channel_inputs(name, channel, scenario, streams))
    clock = _Clock(env, scenario, queues, snapshot_s or horizon.interval_s)
    for queue in queues.values():
        _Feeder(env, queue)
    if horizon.drain:
        env.run()
    else:
        env.run(until=horizon_s)
    end_s = max(env.now, horizon_s)
    channels: dict[str, ChannelRecords] = {}
    for name, queue in queues.items():
        queue.close(end_s, drained=horizon.drain)
        wait, outcome, staff_t, staff_n = queue.arrays()
        snaps = np.asarray(clock.snaps[name], dtype=float).reshape(-1, 3)
        channels[name] = ChannelRecords(
            name=name,
            sl_threshold_s=scenario.channels[name].sl_threshold_s,
            arrival_s=np.asarray(queue.arrival_s, dtype=float),
            wait_s=wait,
            service_s=np.asarray(queue.service_s, dtype=float),
            outcome=outcome,
            staff_t_s=staff_t,
            staff_n=staff_n,
            snap_t_s=snaps[:, 0],
            snap_queue=snaps[:, 1],
            snap_busy=snaps[:, 2],
        )
    return RunRecords(
        replication=replication,
        warmup_s=horizon.warmup_hours * 3600.0,
        horizon_s=horizon_s,
        interval_s=horizon.interval_s,
        end_s=end_s,
        channels=channels,
    )
