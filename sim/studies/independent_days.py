"""The parts of a plan that can be simulated apart: the days of a centre closed overnight, teams sharing no channel.

Staffing a week by simulating the whole week makes every evaluation pay
for seven days, even when only one day's staffing changed. When nothing is
open for some hours before each midnight, the contacts of one day are
answered or have hung up before the next day opens, so the days are
independent: each can be simulated as its own 24-hour scenario
(:func:`day_scenario`), searched and confirmed on its own, and the days run
in parallel. :func:`independent_days` says when that holds:

- arrivals come straight to channels (customers' issues with their retries,
  repeats and a knowledge base that learns tie the days together);
- the horizon is whole days with no warm-up;
- every channel has finite patience, and no contact arrives during the
  ``quiet_hours`` before any midnight of the horizon (every channel is
  closed then, or its forecast expects nothing); those hours are at least
  ten mean patiences and two hours, so what waits when the last contact
  arrives has ended before the day does.

Likewise, teams that share no channel, with no customer moving between
channels, never affect each other (:func:`channel_groups`); each group of
channels is simulated alone (:func:`group_scenario`).
"""

from __future__ import annotations

import numpy as np

from sim.engine.demand import DAY_S, rates_per_hour
from sim.spec.scenario import Scenario
from sim.studies.planning_grid import Grid, channel_rates


def independent_days(scenario: Scenario, quiet_hours: float = 2.0) -> int | None:
    """The number of days when the horizon's days can be simulated apart (see the module), else None."""
    horizon = scenario.horizon
    days = horizon.hours / 24.0
    if scenario.journey is not None or horizon.warmup_hours > 0 or days < 2 or days != int(days):
        return None
    longest_patience_s = 0.0
    for channel in scenario.channels.values():
        if channel.patience is None:
            return None
        longest_patience_s = max(longest_patience_s, float(channel.patience.mean))
    quiet_s = max(quiet_hours * 3600.0, 2 * 3600.0)
    if quiet_s < 10 * longest_patience_s:
        return None
    grid = Grid.of(scenario)
    rates = {name: channel_rates(scenario, name, grid) for name in scenario.channels}
    for day in range(1, int(days) + 1):
        moments = day * DAY_S - np.arange(60.0, quiet_s + 1.0, 60.0)
        index = np.minimum((moments // grid.interval_s).astype(np.int64), grid.n_intervals - 1)
        for name, channel in scenario.channels.items():
            if any(rates[name][k] > 0 and channel.open_at(float(t)) for t, k in zip(moments, index)):
                return None
    return int(days)


def day_scenario(scenario: Scenario, day: int, seed: int | None = None) -> Scenario:
    """Day ``day`` (0-based) of ``scenario`` as a 24-hour scenario: its arrivals, handling times, staffing and weekday.

    Day 0 of the result is a Monday; a channel open on the original's
    weekday is open on it, else closed. A stream's random level (one per
    day, or per interval) is drawn for the day alone, as it is for each day
    of the original.
    """
    grid = Grid.of(scenario)
    per_day = int(round(DAY_S / grid.interval_s))
    n = grid.n_intervals
    window = slice(day * per_day, (day + 1) * per_day)
    arrivals = {}
    for name, stream in scenario.arrivals.items():
        rates = rates_per_hour(stream, n)[window]
        aht = None if stream.aht_s is None else np.resize(np.asarray(stream.aht_s, dtype=float), n)[window].tolist()
        arrivals[name] = stream.model_copy(update={"rate_per_hour": 1.0, "profile": rates.tolist(), "aht_s": aht})
    channels = {}
    for name, channel in scenario.channels.items():
        update: dict[str, object] = {}
        if channel.agents is not None:
            update["agents"] = [channel.agents_in_interval(k) for k in range(n)][window]
        days_open = channel.days_open
        if days_open is not None:
            update["open_days"] = [0] if day % 7 in days_open else [1]
        channels[name] = channel.model_copy(update=update) if update else channel
    changes: dict[str, object] = {
        "arrivals": arrivals, "channels": channels,
        "horizon": scenario.horizon.model_copy(update={"hours": 24.0}),
    }
    if scenario.teams is not None:
        changes["teams"] = {name: team.model_copy(update={"agents": [team.scheduled(k) for k in range(n)][window]})
                            for name, team in scenario.teams.items()}
    if seed is not None:
        changes["seed"] = int(seed)
    return scenario.model_copy(update=changes)


def part_seed(seed: int, day: int, group: int = 0) -> int:
    """The search seed of day ``day``'s group ``group``: derived from ``seed``, a different one for every part."""
    return int(np.random.SeedSequence(seed, spawn_key=(0xDA75, day, group)).generate_state(1)[0])


def channel_groups(scenario: Scenario) -> list[tuple[str, ...]]:
    """Channels in groups that share no agent and no customer, each group simulable alone; one group when unsure.

    Without customers' issues (which move between channels), phone and chat
    queues interact only through the agents who serve them: two channels
    are in the same group when a team serves both (a channel with its own
    agents is a group of one). Social posts escalate into calls and forum
    posts into the centre, so a scenario with either is kept whole.
    """
    if scenario.journey is not None or any(c.kind_for(n) not in ("phone", "chat") for n, c in scenario.channels.items()):
        return [tuple(scenario.channels)]
    group_of = {name: {name} for name in scenario.channels}
    for team in (scenario.teams or {}).values():
        merged = set().union(*(group_of[c] for c in team.skills))
        for c in merged:
            group_of[c] = merged
    groups: list[tuple[str, ...]] = []
    for name in scenario.channels:
        members = tuple(c for c in scenario.channels if c in group_of[name])
        if members not in groups:
            groups.append(members)
    return groups


def group_scenario(scenario: Scenario, channels: tuple[str, ...]) -> Scenario:
    """``scenario`` with only ``channels``, their arrivals and the teams serving them (a group of :func:`channel_groups`)."""
    changes: dict[str, object] = {
        "channels": {n: c for n, c in scenario.channels.items() if n in channels},
        "arrivals": {n: a for n, a in scenario.arrivals.items() if n in channels},
    }
    if scenario.teams is not None:
        changes["teams"] = {n: t for n, t in scenario.teams.items() if set(t.skills) <= set(channels)}
    return scenario.model_copy(update=changes)
