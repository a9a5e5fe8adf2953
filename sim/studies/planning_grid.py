"""The planning intervals of a scenario's horizon, and scenario variants on them.

Staffing changes agents per interval and measures service levels at the
targets' thresholds; both are copies of a scenario built on its public
schema (:func:`with_agents`, :func:`with_thresholds`). A staffing curve
holds one interval's rate constant (:func:`stationary_scenario`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.demand import rates_per_hour
from sim.errors import InputError
from sim.spec.roster import parse_clock
from sim.spec.scenario import Scenario, interval_count
from sim.studies.staffing_targets import ServiceTarget


def with_agents(scenario: Scenario, agents: Mapping[str, Sequence[int] | np.ndarray | int]) -> Scenario:
    """A copy of ``scenario`` with ``channels.<name>.agents`` replaced (per-interval lists)."""
    channels = dict(scenario.channels)
    for name, value in agents.items():
        staffing: int | list[int] = [int(a) for a in value] if isinstance(value, (Sequence, np.ndarray)) else int(value)
        if isinstance(staffing, list) and not staffing:
            raise ValueError(f"empty staffing for channel {name!r}")
        channels[name] = channels[name].model_copy(update={"agents": staffing})
    return scenario.model_copy(update={"channels": channels})


def with_thresholds(scenario: Scenario, targets: Mapping[str, ServiceTarget]) -> Scenario:
    """A copy whose channels measure service level at the targets' thresholds."""
    channels = dict(scenario.channels)
    for name, target in targets.items():
        channels[name] = channels[name].model_copy(update={"sl_threshold_s": float(target.sl_threshold_s),
                                                           "sl_target": float(target.sl_target)})
    return scenario.model_copy(update={"channels": channels})


@dataclass(frozen=True)
class Grid:
    """The planning intervals of a scenario's horizon."""

    interval_s: float
    n_intervals: int
    first_measured: int
    multi_day: bool

    @classmethod
    def of(cls, scenario: Scenario) -> Grid:
        """The grid of ``scenario`` (intervals before the warm-up ends are not measured)."""
        h = scenario.horizon
        return cls(h.interval_s, interval_count(h.hours * 3600.0, h.interval_s), int(h.warmup_hours * 3600.0 // h.interval_s),
                   h.hours > 24.0)

    def label(self, k: int) -> str:
        """``HH:MM`` of interval ``k`` (``dN HH:MM`` for horizons beyond a day)."""
        start = int(round(k * self.interval_s))
        clock = f"{start % 86400 // 3600:02d}:{start % 3600 // 60:02d}"
        return f"d{start // 86400 + 1} {clock}" if self.multi_day else clock


def channel_rates(scenario: Scenario, channel: str, grid: Grid | None = None) -> np.ndarray:
    """Forecast arrivals per hour of ``channel`` in each interval (0 without an arrival stream)."""
    grid = grid or Grid.of(scenario)
    stream = scenario.arrivals.get(channel)
    return np.zeros(grid.n_intervals) if stream is None else rates_per_hour(stream, grid.n_intervals)


def channel_aht_s(scenario: Scenario, channel: str, grid: Grid | None = None) -> np.ndarray:
    """Mean handling time (s) of ``channel``'s arriving contacts per interval: the forecast's, else the channel's."""
    grid = grid or Grid.of(scenario)
    stream = scenario.arrivals.get(channel)
    if stream is not None and stream.aht_s is not None:
        return np.resize(np.asarray(stream.aht_s, dtype=float), grid.n_intervals)
    return np.full(grid.n_intervals, float(scenario.channels[channel].aht.mean))


def stationary_scenario(scenario: Scenario, channel: str, interval: int, agents: int, hours: float,
                        warmup_hours: float) -> Scenario:
    """Only ``channel``, its rate of ``interval`` held constant, ``agents`` on duty throughout."""
    if channel not in scenario.channels:
        raise InputError("--channel", channel, f"unknown channel; the scenario's channels are {', '.join(scenario.channels)}")
    rate = float(channel_rates(scenario, channel)[interval])
    arrivals = {channel: scenario.arrivals[channel].model_copy(update={"rate_per_hour": rate, "profile": None})} \
        if channel in scenario.arrivals else {}
    horizon = scenario.horizon.model_copy(update={"hours": float(hours), "warmup_hours": float(warmup_hours)})
    only = {channel: scenario.channels[channel].model_copy(update={"agents": int(agents)})}
    return scenario.model_copy(update={"arrivals": arrivals, "channels": only, "horizon": horizon})


def interval_of(scenario: Scenario, clock: str) -> int:
    """Index of the interval containing ``HH:MM`` (or ``dN HH:MM``) on the scenario's grid."""
    day, minute = parse_clock(clock, "--interval", clock)
    grid = Grid.of(scenario)
    k = int((day * 1440 + minute) * 60 // grid.interval_s)
    if k >= grid.n_intervals:
        raise InputError("--interval", clock, f"is after the scenario's {scenario.horizon.hours:g}-hour horizon")
    return k
