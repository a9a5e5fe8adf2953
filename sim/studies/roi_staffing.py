"""The staffing each ROI arm runs and pays for: a rule fitted to simulations of the study's scenario.

A month of an arm is staffed from the demand it generates. A *probe* run
(the month's scenario on other customers, every team at twice its own
staffing, so that queues and retries hardly form and agents hold one chat
at a time) measures each team's offered load per interval in agents: for
calls, offered calls times their simulated handling time; for chats, the
same stretched to an agent holding its full ``concurrency`` (``1 +
concurrency_stretch * (concurrency - 1)``) and divided by ``concurrency``;
for deferrable work (social posts, forum moderation), its handled time
divided by the occupancy such work reaches, moved into opening hours. The
load does not depend on the staffing being planned. Day types that open
alike share one probe, its loads scaled by their day-of-week factors
(:func:`sim.studies.roi_days.shared_probes`). The rule gives each interval

    agents = ceil(load + beta * sqrt(load))      (at least 1 where work arrives)

square-root staffing, with one safety factor ``beta`` per team. Probe
counts are averaged with their neighbouring intervals first (a probe day's
own Poisson noise would otherwise staff some intervals short). The factors
are *fitted by simulation* once per study (:func:`fit_beta`): on both arms
in the first and the last month, every day type, the way a month is
staffed (probe, rule, a staffed run on other customers), one factor per
team is bisected until the pooled call and chat service levels meet their
targets plus :data:`FIT_MARGIN`. A month whose service level over its day
types still misses a target (another replication's inputs and customers)
raises that team's factor by :data:`RAISE_STEP` in both arms and runs
again, so every month a study reports was simulated with staffing that met
the targets, and paid exactly that staffing (see :func:`staff_and_run`).

Teams that only do deferrable work have no queue target to meet: they are
sized by occupancy alone (``beta`` = 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.model import run
from sim.engine.records import ANSWERED, RunRecords
from sim.spec.scenario import Channel, Scenario
from sim.studies.requirement_search import Staffing
from sim.studies.staffing_units import Unit, own_staffing, staffing_units, with_unit_agents

DEFERRABLE_KINDS = ("social", "forum")
"""Channel kinds whose work waits for a free moment (sized by occupancy, not by a queue target)."""

BETA_RANGE = (-1.0, 5.0)
"""The safety factors searched (square-root staffing's usual values lie well inside)."""
FIT_STEPS = 9
"""Bisection steps of the fit (the factor to within 6/512 ~ 0.012)."""
PROBE_FACTOR = 2.0
"""A probe run staffs every team at this multiple of its own agents (see the module's description)."""
FIT_PAIRS = 2
"""Probe-and-staffed pairs of runs per scenario pooled in each trial of the fit (the same customers in every trial)."""
FIT_MARGIN = 0.03
"""The fit aims this far above each target, so that most months of other replications meet it without a re-run."""
RAISE_STEP = 0.2
"""How much a team's factor rises when a month's staffed run misses a target."""
PROBE_REPLICATION = 1
"""The probe runs on other customers than the month it staffs (replication 1 of the month's seed; the month is 0):
staffing is planned from a forecast of the month's demand, not from the very customers it then serves."""
MAX_RAISES = 4
"""Re-runs of a month at most; after them the month is kept and its miss reported."""


def queue_channels(scenario: Scenario, unit: Unit) -> tuple[str, ...]:
    """The channels of ``unit`` whose service-level target the staffing must meet (calls and chats)."""
    return tuple(c for c in unit.channels if c in scenario.channels
                 and scenario.channels[c].kind_for(c) not in DEFERRABLE_KINDS)


def unit_loads(records: RunRecords, scenario: Scenario, units: Mapping[str, Unit],
               deferrable_occupancy: float) -> dict[str, np.ndarray]:
    """Per team and interval, the offered load of a run in agents (see the module's description)."""
    n = _n_intervals(records)
    per_channel: dict[str, np.ndarray] = {}
    for name, rec in records.channels.items():
        spec = scenario.channels[name]
        kind = spec.kind_for(name)
        window = (rec.arrival_s >= records.warmup_s) & (rec.arrival_s < records.horizon_s)
        slot = np.minimum(((rec.arrival_s[window] - records.warmup_s) // records.interval_s).astype(np.int64), n - 1)
        served = rec.outcome[window] == ANSWERED
        is_open = _open_mask(spec, n, records.warmup_s, records.interval_s)
        if kind in DEFERRABLE_KINDS:
            work_s = np.bincount(slot, weights=np.where(served, rec.service_s[window], 0.0), minlength=n)
            per_channel[name] = _into_open_hours(work_s, is_open) / records.interval_s / deferrable_occupancy
            continue
        aht_s = float(rec.service_s[window][served].mean()) if served.any() else float(spec.aht.mean)
        per_agent = spec.concurrency / (1.0 + spec.concurrency_stretch * (spec.concurrency - 1)) if kind == "chat" else 1.0
        counts = smoothed(np.bincount(slot, minlength=n).astype(float), is_open)
        per_channel[name] = counts * aht_s / records.interval_s / per_agent
    zero = np.zeros(n)
    return {u: sum((per_channel.get(c, zero) for c in unit.channels), zero.copy()) for u, unit in units.items()}


_OPEN_MASKS: dict[tuple[object, ...], np.ndarray] = {}


def _open_mask(spec: Channel, n: int, start_s: float, interval_s: float) -> np.ndarray:
    """Whether the channel is open in the middle of each of ``n`` intervals (cached: months ask the same)."""
    key = (spec.hours_open, spec.days_open, n, start_s, interval_s)
    mask = _OPEN_MASKS.get(key)
    if mask is None:
        if len(_OPEN_MASKS) > 256:
            _OPEN_MASKS.clear()
        mask = _OPEN_MASKS[key] = np.array([spec.open_at(start_s + (k + 0.5) * interval_s) for k in range(n)])
    return mask


SMOOTHING = (1.0, 2.0, 3.0, 2.0, 1.0)
"""Weights of the intervals two before to two after an interval in its smoothed probe count."""


def smoothed(counts: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Counts averaged with their open neighbours (weights :data:`SMOOTHING`, renormalised), zero where closed.

    A probe is one day of other customers: its interval counts carry their
    own Poisson noise, and staffing every interval to that noise staffs
    some intervals short (a chat team's service level over the month then
    varies three times as much as with the month's own counts). Averaging
    with the neighbours keeps the day's shape within its open hours and
    removes most of that noise.
    """
    c = np.where(is_open, counts, 0.0)
    n = len(c)
    half = len(SMOOTHING) // 2
    total = np.zeros(n)
    weight = np.zeros(n)
    for offset, w in zip(range(-half, half + 1), SMOOTHING):
        lo, hi = max(0, -offset), min(n, n - offset)  # k in [lo, hi) has a neighbour k + offset
        total[lo:hi] += w * c[lo + offset:hi + offset]
        weight[lo:hi] += w * is_open[lo + offset:hi + offset]
    return np.where(is_open & (weight > 0), total / np.maximum(weight, 1e-12), 0.0)


def _into_open_hours(work: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Work arriving while a channel is closed, moved to its next open interval (posts wait for the morning)."""
    out = np.where(is_open, work, 0.0)
    carried = 0.0
    for k in range(len(work)):
        if is_open[k]:
            out[k] += carried
            carried = 0.0
        else:
            carried += work[k]
    if carried and is_open.any():  # closed at the end: the first open interval of the run takes it
        out[int(np.argmax(is_open))] += carried
    return out


def _n_intervals(records: RunRecords) -> int:
    return int(math.ceil((records.horizon_s - records.warmup_s) / records.interval_s - 1e-9))


def rule_staffing(loads: Mapping[str, np.ndarray], beta: Mapping[str, float]) -> Staffing:
    """Agents on duty per interval: ``ceil(load + beta * sqrt(load))``, at least 1 where work arrives."""
    out: Staffing = {}
    for u, load in loads.items():
        agents = np.ceil(load + beta.get(u, 0.0) * np.sqrt(load) - 1e-9)
        out[u] = np.where(load > 0, np.maximum(agents, 1), 0).astype(np.int64)
    return out


def missing_units(scenario: Scenario, units: Mapping[str, Unit], levels: Mapping[str, float],
                  margin: float = 0.0) -> list[str]:
    """Teams with a call or chat channel below its ``sl_target`` (plus ``margin``) in ``levels``."""
    return [u for u, unit in units.items()
            if any(levels.get(c, math.nan) < scenario.channels[c].sl_target + margin - 1e-12
                   for c in queue_channels(scenario, unit))]


@dataclass(frozen=True)
class StaffingRule:
    """Square-root staffing with a fitted safety factor per team (``beta``), and the work's occupancy."""

    beta: dict[str, float]
    deferrable_occupancy: float


def probe_staffing(scenario: Scenario, units: Mapping[str, Unit]) -> Staffing:
    """The staffing a probe runs with: every team at :data:`PROBE_FACTOR` times its own agents."""
    return {u: np.ceil(PROBE_FACTOR * a).astype(np.int64) for u, a in own_staffing(scenario, units).items()}


def probe_loads(scenario: Scenario, units: Mapping[str, Unit], seed: int, replication: int,
                deferrable_occupancy: float) -> dict[str, np.ndarray]:
    """The loads of a probe run of ``scenario`` (replication ``replication`` of ``seed``)."""
    records = run(with_unit_agents(scenario, units, probe_staffing(scenario, units)), seed=seed, replication=replication)
    return unit_loads(records, scenario, units, deferrable_occupancy)


def shared_loads(cases: Sequence[Mapping[str, tuple[Scenario, Mapping[str, Unit]]]], seeds: list[int], replication: int,
                 deferrable_occupancy: float, probes: list[tuple[int, float]] | None = None
                 ) -> list[dict[str, dict[str, np.ndarray]]]:
    """Probe loads per case and key (an arm): probed where ``probes`` says so, else the named case's loads scaled.

    ``cases[i]`` maps keys to a scenario and its teams; case ``i`` is probed
    on ``seeds[i]`` when ``probes`` is None or ``probes[i]`` names ``i``
    itself, otherwise it takes case ``probes[i][0]``'s loads times
    ``probes[i][1]`` (see :func:`sim.studies.roi_days.shared_probes`).
    """
    plan = probes if probes is not None else [(i, 1.0) for i in range(len(cases))]
    probed: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    for i, (source, _) in enumerate(plan):
        if source == i:
            probed[i] = {key: probe_loads(scenario, units, seeds[i], replication, deferrable_occupancy)
                         for key, (scenario, units) in cases[i].items()}
    return [probed[i] if source == i else {key: {u: load * factor for u, load in probed[source][key].items()}
                                           for key in cases[i]}
            for i, (source, factor) in enumerate(plan)]


def fit_beta(scenarios: list[Scenario], seed: int, deferrable_occupancy: float,
             weights: list[float] | None = None, probes: list[tuple[int, float]] | None = None) -> dict[str, float]:
    """Per team, the smallest safety factor whose staffing meets the team's call and chat targets, over all ``scenarios``.

    Mimics how a study's month is staffed, :data:`FIT_PAIRS` times per
    scenario: a probe run measures the loads, the rule staffs them, and the
    staffing is simulated on other customers (replications ``2i + 1`` and
    ``2i + 2`` of ``seed``). One factor per team is bisected until the
    service level pooled over every pair of every scenario (each run counted
    with its scenario's weight: the calendar days a day type stands for)
    meets each target plus :data:`FIT_MARGIN`; teams move together, each by
    its own channels. A team with no call or chat target gets 0.
    ``probes`` shares probes between scenarios as :func:`shared_loads` does.
    """
    pairs = [(scenario, staffing_units(scenario), i) for scenario in scenarios for i in range(FIT_PAIRS)]
    run_weights = [w for w in (weights or [1.0] * len(scenarios)) for _ in range(FIT_PAIRS)]
    every = {u: unit for _, units, _ in pairs for u, unit in units.items()}
    fitted = {u for scenario, units, _ in pairs for u in units if queue_channels(scenario, units[u])}
    cases = [{"": (scenario, staffing_units(scenario))} for scenario in scenarios]
    probed = [shared_loads(cases, [seed] * len(scenarios), 2 * i + 1, deferrable_occupancy, probes)
              for i in range(FIT_PAIRS)]
    loads = [probed[i][s][""] for s in range(len(scenarios)) for i in range(FIT_PAIRS)]
    low = dict.fromkeys(fitted, BETA_RANGE[0])
    high = dict.fromkeys(fitted, BETA_RANGE[1])
    for _ in range(FIT_STEPS):
        trial = {u: (low[u] + high[u]) / 2 if u in fitted else 0.0 for u in every}
        runs = [run(with_unit_agents(scenario, units, rule_staffing(loads[k], trial)), seed=seed, replication=2 * i + 2)
                for k, (scenario, units, i) in enumerate(pairs)]
        levels = pooled_service_levels(runs, run_weights)
        missing = {u for scenario, units, _ in pairs for u in missing_units(scenario, units, levels, FIT_MARGIN)}
        for u in fitted:
            if u in missing:
                low[u] = trial[u]
            else:
                high[u] = trial[u]
    return {u: (high[u] if u in fitted else 0.0) for u in every}


def pooled_service_levels(runs: list[RunRecords], weights: list[float] | None = None) -> dict[str, float]:
    """Service level per channel pooled over ``runs`` (answered within threshold / offered, each run weighted)."""
    within: dict[str, float] = {}
    offered: dict[str, float] = {}
    for records, weight in zip(runs, weights or [1.0] * len(runs)):
        for name, rec in records.channels.items():
            window = (rec.arrival_s >= records.warmup_s) & (rec.arrival_s < records.horizon_s)
            offered[name] = offered.get(name, 0.0) + weight * float(window.sum())
            within[name] = within.get(name, 0.0) + weight * float(
                ((rec.outcome[window] == ANSWERED) & (rec.wait_s[window] <= rec.sl_threshold_s)).sum())
    return {n: within[n] / offered[n] if offered[n] else math.nan for n in offered}


def fit_rule(scenarios: list[Scenario], seed: int, deferrable_occupancy: float,
             weights: list[float] | None = None, probes: list[tuple[int, float]] | None = None) -> StaffingRule:
    """The rule for a study: the factors fitted jointly over ``scenarios`` (its arms' months and day types, weighted)."""
    return StaffingRule(fit_beta(scenarios, seed, deferrable_occupancy, weights, probes), deferrable_occupancy)


@dataclass
class StaffedMonth:
    """One arm-month as staffed and simulated: the rule's need, the staffing run (the policy's), the run, the raises."""

    need: Staffing
    staffing: Staffing
    records: RunRecords
    scenario: Scenario
    raises: int
    missing: list[str]
    """Teams that still missed a target over the month (after the raises)."""
    base: Scenario
    """The month's scenario before the staffing was set (``scenario`` carries it)."""


def staff_and_run(days: list[tuple[float, Mapping[str, Scenario], int]], rule: StaffingRule,
                  must_meet: bool = True, probes: list[tuple[int, float]] | None = None,
                  raised: dict[str, float] | None = None) -> list[dict[str, StaffedMonth]]:
    """Probe a month's demand in each arm and day type, staff it by the rule, simulate it with that staffing.

    ``days`` holds, per day type, its weight (the calendar days it stands
    for), the arms' scenarios and its seed (both arms on the same seed:
    common random numbers). The probe is replication
    :data:`PROBE_REPLICATION` of the seed, the month replication 0. With
    ``must_meet``, a team whose call or chat service level over the month
    (the day types weighted) misses its target in any arm has its factor
    raised by :data:`RAISE_STEP` in every arm and the month is run again: the
    arms keep one rule, so their difference stays a difference between the
    arms and not between two staffing decisions. A policy paying more than
    the rule needs puts those agents on duty with :func:`with_paid_agents`.
    ``probes``, when given, says per day type which type's probe it takes
    and the factor on its loads (:func:`sim.studies.roi_days.shared_probes`);
    by default every day type is probed. ``raised``, when given, holds the
    raises earlier months needed (added to the rule's factors from the
    start, and updated with this month's): a replication whose inputs made
    the rule short in one month starts the next one where it ended, instead
    of re-running it to find that again.
    """
    units = [{arm: staffing_units(scenario) for arm, scenario in scenarios.items()} for _, scenarios, _ in days]
    loads = shared_loads([{arm: (scenario, units[i][arm]) for arm, scenario in scenarios.items()}
                          for i, (_, scenarios, _) in enumerate(days)], [seed for _, _, seed in days],
                         PROBE_REPLICATION, rule.deferrable_occupancy, probes)
    raised = {} if raised is None else raised
    raises = 0
    while True:
        out: list[dict[str, StaffedMonth]] = []
        for i, (_, scenarios, seed) in enumerate(days):
            got = {}
            for arm, scenario in scenarios.items():
                beta = {u: rule.beta.get(u, 0.0) + raised.get(u, 0.0) for u in units[i][arm]}
                need = rule_staffing(loads[i][arm], beta)
                got[arm] = _simulate(scenario, units[i][arm], need, need, seed, raises)
            out.append(got)
        short = {u for arm in days[0][1] for u in month_missing([(w, d[arm]) for (w, _, _), d in zip(days, out)])}
        for d in out:
            for month in d.values():
                month.missing = sorted(short & set(month.need))
        if not short or not must_meet or raises >= MAX_RAISES:
            return out
        raises += 1
        for u in short:
            raised[u] = raised.get(u, 0.0) + RAISE_STEP


def month_missing(parts: list[tuple[float, StaffedMonth]]) -> list[str]:
    """Teams of one arm whose call or chat service level over the month (day types weighted) misses its target."""
    levels = pooled_service_levels([m.records for _, m in parts], [w for w, _ in parts])
    base = parts[0][1].base
    return missing_units(base, staffing_units(base), levels)


def with_paid_agents(month: StaffedMonth, factors: Mapping[str, float], seed: int) -> StaffedMonth:
    """The month simulated again with each team's need times ``factors``: the agents the policy pays are on duty.

    A factor above 1 puts the agents a policy keeps beyond the need on
    duty; below 1 (hires still in training, ``roi.hiring_lead_months``) the
    team runs short with the agents it has, and teams short of their need
    are reported missing.
    """
    if all(abs(factors.get(u, 1.0) - 1.0) <= 1e-9 for u in month.need):
        return month
    staffing = {u: scaled_staffing(a, factors.get(u, 1.0)) for u, a in month.need.items()}
    paid = _simulate(month.base, staffing_units(month.base), month.need, staffing, seed, month.raises)
    short = {u for u in month.need if factors.get(u, 1.0) < 1.0 - 1e-9}
    paid.missing = sorted(set(month.missing) | short)
    return paid


def _simulate(scenario: Scenario, units: Mapping[str, Unit], need: Staffing, staffing: Staffing, seed: int,
              raises: int) -> StaffedMonth:
    staffed = with_unit_agents(scenario, units, staffing)
    records = run(staffed, seed=seed, replication=0)
    return StaffedMonth(need, staffing, records, staffed, raises, [], scenario)


def scaled_staffing(agents: np.ndarray, factor: float) -> np.ndarray:
    """``agents`` times ``factor`` in whole agents: above 1 the total rounded up, never fewer than ``agents`` anywhere.

    Below 1 (a team short of its need) the total is rounded to the nearest
    agent, the agents going where the staffing is largest.

    The extra agents a policy pays for go where the staffing is largest, in
    proportion: rounding each interval up instead would pay for more than
    the policy keeps, and carried from month to month that ratchets upward.
    """
    agents = np.asarray(agents, dtype=np.int64)
    if abs(factor - 1.0) <= 1e-12:
        return agents.copy()
    exact = agents * factor
    if factor < 1.0:  # a team short of its need: the agents it has, the total rounded to the nearest agent
        out = np.floor(exact).astype(np.int64)
        left = int(round(float(exact.sum()))) - int(out.sum())
    else:
        out = np.maximum(np.floor(exact).astype(np.int64), agents)
        left = int(math.ceil(float(exact.sum()) - 1e-9)) - int(out.sum())
    if left > 0:
        order = np.argsort(-(exact - out), kind="stable")[:left]
        out[order] += 1
    return out


def agent_hours(staffing: Mapping[str, np.ndarray], interval_s: float) -> dict[str, float]:
    """On-duty agent-hours of a staffing, per team."""
    return {u: float(np.asarray(a).sum()) * interval_s / 3600.0 for u, a in staffing.items()}
