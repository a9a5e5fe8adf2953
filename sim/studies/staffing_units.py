"""What a staffing decides: agents on duty per interval for each team, and how a staffing is simulated.

A scenario's agents come in teams (``teams:``, each with skills) or as a
channel's own ``agents`` (a team of one skill named after the channel). A
staffing gives each of these *units* its agents on duty per interval; the
scenario variant that carries it (:func:`with_unit_agents`) is simulated on
the one engine, so chat concurrency, blending of deferrable work, posts,
opening hours and line limits all act on the result. :class:`UnitEvaluator`
simulates a staffing with given replications and keeps each replication's
per-interval counts per channel, so replications can be added later
without re-running those already done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from sim.engine.journey_setup import implicit_teams
from sim.errors import InputError
from sim.spec.scenario import Scenario
from sim.studies.interval_samples import IntervalSamples
from sim.studies.planning_grid import Grid
from sim.studies.pooled_counts import run_interval_samples
from sim.studies.staffing_targets import ServiceTarget


@dataclass(frozen=True)
class Unit:
    """Agents staffed together: a team with its skills, or a channel's own agents (``team=False``)."""

    name: str
    channels: tuple[str, ...]
    shrinkage: float
    team: bool


def staffing_units(scenario: Scenario) -> dict[str, Unit]:
    """The scenario's units, in the order of its teams, then channels with their own agents."""
    declared = set(scenario.teams or {})
    return {name: Unit(name, tuple(t.skills), float(t.shrinkage), name in declared)
            for name, t in implicit_teams(scenario).items()}


def own_staffing(scenario: Scenario, units: Mapping[str, Unit]) -> dict[str, np.ndarray]:
    """The scenario's own agents on duty per interval for each unit (its roster after shrinkage)."""
    teams = implicit_teams(scenario)
    n = Grid.of(scenario).n_intervals
    return {u: np.array([teams[u].on_duty(k) for k in range(n)], dtype=np.int64) for u in units}


def check_plannable(scenario: Scenario, targets: Mapping[str, ServiceTarget], asked: Sequence[str]) -> None:
    """Refuse targets no staffing can meet: a channel closed in every interval, or answered too rarely.

    (A channel no team serves never gets here: the scenario is refused when it is loaded.)
    """
    grid = Grid.of(scenario)
    for name in asked:
        channel = scenario.channels[name]
        target = targets[name]
        if channel.kind_for(name) == "social" and target.sl_target > channel.response_coverage + 1e-12:
            raise InputError("--target", name, f"cannot be met: the center answers only {100 * channel.response_coverage:g} % "
                             f"of {name} posts (response_coverage), below the {100 * target.sl_target:g} % asked")
        if not any(channel.open_at((k + 0.5) * grid.interval_s) for k in range(grid.n_intervals)):
            raise InputError("--target", name, f"channel {name!r} is closed in every interval of the horizon")


def with_unit_agents(scenario: Scenario, units: Mapping[str, Unit], agents: Mapping[str, np.ndarray],
                     keep_shrinkage: bool = False) -> Scenario:
    """A copy of ``scenario`` with these agents per interval.

    By default they are agents on duty (a team's shrinkage set to 0); with
    ``keep_shrinkage`` they are rostered agents, of whom the team's shrinkage
    is still lost (as for a roster).
    """
    channels = dict(scenario.channels)
    teams = dict(scenario.teams or {})
    for name, value in agents.items():
        staffing = [int(a) for a in value]
        unit = units[name]
        if unit.team:
            changes: dict[str, object] = {"agents": staffing} if keep_shrinkage else {"agents": staffing, "shrinkage": 0.0}
            teams[name] = teams[name].model_copy(update=changes)
        else:
            channels[name] = channels[name].model_copy(update={"agents": staffing})
    update: dict[str, object] = {"channels": channels}
    if scenario.teams is not None:
        update["teams"] = teams
    return scenario.model_copy(update=update)


def _samples_task(args: tuple[Scenario, int, int]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    return run_interval_samples(*args)


@dataclass
class UnitEvaluator:
    """Simulates staffings of ``units`` on ``scenario``; replication ``r`` of seed ``seed`` is run once per staffing."""

    scenario: Scenario
    units: Mapping[str, Unit]
    seed: int
    executor: Executor | None = None
    runs: int = 0
    evaluations: int = 0
    _done: dict[bytes, dict[str, IntervalSamples]] = field(default_factory=dict)

    @staticmethod
    def key(agents: Mapping[str, np.ndarray]) -> bytes:
        """A staffing's identity (its agents, unit by unit)."""
        return b"|".join(name.encode() + b":" + np.asarray(agents[name], dtype=np.int64).tobytes() for name in sorted(agents))

    def samples(self, agents: Mapping[str, np.ndarray], replications: int) -> dict[str, IntervalSamples]:
        """Per channel, the counts of replications ``0 .. replications-1`` of this staffing (new ones simulated)."""
        key = self.key(agents)
        have = self._done.get(key)
        done = 0 if have is None else next(iter(have.values())).replications
        if done < replications:
            variant = with_unit_agents(self.scenario, self.units, agents)
            tasks = [(variant, self.seed, r) for r in range(done, replications)]
            results = list(self.executor.map(_samples_task, tasks)) if self.executor else [_samples_task(t) for t in tasks]
            self.runs += len(tasks)
            self.evaluations += 1
            controls = np.stack([c for _, c in results])
            new = {name: IntervalSamples(np.stack([r[name] for r, _ in results]), controls) for name in self.scenario.channels}
            have = new if have is None else {name: have[name].extended(new[name]) for name in new}
            self._done[key] = have
        assert have is not None
        if next(iter(have.values())).replications == replications:
            return have
        return {name: s.first(replications) for name, s in have.items()}
