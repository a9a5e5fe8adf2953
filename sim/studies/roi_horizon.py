"""Both ROI arms through the horizon: simulated months staffed by the policy, interpolation between them, the flywheel."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.roi_arms import arm_scenario
from sim.studies.roi_days import day_types, shared_probes
from sim.studies.roi_headcount import HeadcountPath, TeamMonth
from sim.studies.roi_month import measure_month, month_seed, phone_drop_of_programme_users
from sim.studies.roi_pricing import SUMMED, StaffRow, price_months
from sim.studies.roi_settings import ARMS, RoiSettings, RoiStudy
from sim.studies.roi_staffing import StaffedMonth, StaffingRule, agent_hours, fit_rule, staff_and_run, with_paid_agents
from sim.studies.staffing_units import staffing_units


def simulated_months(settings: RoiSettings) -> list[int]:
    """Months simulated by the engine; the others are interpolated."""
    months = list(range(1, settings.months + 1, settings.simulate_every))
    if months[-1] != settings.months:
        months.append(settings.months)
    return months


def daily_gap_ratio(start: Mapping[str, float], end: Mapping[str, float], ceiling: float,
                    sample_days: int) -> dict[str, float]:
    """Per issue type, the share of the gap to the ceiling left after one day, as the sampled days closed it."""
    out = {}
    for name, c0 in start.items():
        gap0, gap1 = ceiling - c0, ceiling - end.get(name, c0)
        out[name] = 1.0 if gap0 <= 1e-12 else min(1.0, max(0.0, gap1 / gap0)) ** (1.0 / sample_days)
    return out


def advance_knowledge(coverage: Mapping[str, float], ratio: Mapping[str, float], ceiling: float,
                      days: float) -> dict[str, float]:
    """Coverage ``days`` later, the gap to the ceiling shrinking by ``ratio`` every day (each answer closes a share)."""
    return {n: c if c >= ceiling else ceiling - (ceiling - c) * ratio.get(n, 1.0) ** days for n, c in coverage.items()}


def live_horizon(study: RoiStudy, seed: int, replication: int, twin: int = 0, rule: StaffingRule | None = None,
                 staffed_months: dict[tuple[str, int, int], StaffedMonth] | None = None
                 ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Both arms through the horizon: the monthly table and the replication's outcomes.

    Each simulated month of each arm is simulated day type by day type
    (:mod:`sim.studies.roi_days`), from the knowledge coverage and the
    community size of the month's middle day (carried day by day at the
    pace the last simulated days grew them: the flywheel's speed is an
    outcome), staffed by ``rule`` (fitted for the study
    when not given, see :func:`study_rule`) with the agents the staffing
    policy pays for; its KPIs and its personnel cost are those of these
    runs. Raises of the rule's factors a month needed carry into the next
    simulated month (see :func:`staff_and_run`). ``staffed_months``, when given, receives each ``(arm, month, day
    type)``'s staffing and run.
    """
    settings = study.settings
    months = simulated_months(settings)
    types = day_types(study.data, settings)
    scale = sum(t.weight for t in types)
    probes = shared_probes(types)
    raised: dict[str, float] = {}  # raises of the rule's factors so far, carried from month to month (both arms)
    rule = rule if rule is not None else study_rule(study, seed)
    first = arm_scenario(study, study.data, "programme", 1, None)
    journey = first.journey
    ceiling = journey.knowledge.ceiling if journey else 1.0
    start_cov = {n: t.knowledge_coverage for n, t in journey.issue_types.items()} if journey else {}
    coverage = {arm: dict(start_cov) for arm in ARMS}
    pace: dict[str, dict[str, float]] = {arm: {} for arm in ARMS}  # the gap left after a day, as last simulated
    gained: dict[str, dict[str, float]] = {arm: {} for arm in ARMS}  # members the forums gained by themselves so far
    per_day: dict[str, dict[str, float]] = {arm: {} for arm in ARMS}  # their net gain per day, as last simulated
    sampled: dict[str, dict[int, dict[str, float]]] = {arm: {} for arm in ARMS}
    paths: dict[str, HeadcountPath] = {}
    leavers = study.costs.personnel.attrition_per_year / 12.0
    hours_per_fte = study.costs.personnel.hours_per_fte_month
    drops: list[tuple[float, float]] = []
    simulated = 0.0
    for position, month in enumerate(months):
        following = months[position + 1] if position + 1 < len(months) else month + 1
        base = month_seed(seed, replication, twin)
        # the sampled days stand for the whole month: they start from the knowledge of its middle day
        middle = {arm: advance_knowledge(coverage[arm], pace[arm], ceiling, settings.days_per_month / 2) for arm in ARMS}
        gained_mid = {arm: {n: g + per_day[arm].get(n, 0.0) * settings.days_per_month / 2 for n, g in gained[arm].items()}
                      for arm in ARMS}
        days = staff_and_run([(day.weight, {arm: arm_scenario(study, study.data, arm, month, middle[arm], day.weekday,
                                                              day.profile, gained_mid[arm]) for arm in ARMS},
                               _type_seed(base, i)) for i, day in enumerate(types)], rule, probes=probes,
                             raised=raised)
        need = {arm: _month_fte([(t.weight, d[arm]) for t, d in zip(types, days)], hours_per_fte) for arm in ARMS}
        for arm in ARMS:
            if arm not in paths:  # before month 1 both arms have the baseline's staff (the center as it is today)
                paths[arm] = HeadcountPath(settings.staffing, leavers, None if arm == "baseline" else need["baseline"],
                                           settings.hiring_lead_months)
            paid = paths[arm].propose(month, need[arm])
            factors = {u: paid[u] / n if n > 0 else 1.0 for u, n in need[arm].items()}
            for i, d in enumerate(days):
                d[arm] = with_paid_agents(d[arm], factors, _type_seed(base, i))
            paths[arm].record(month, need[arm])
        for arm in ARMS:
            parts = []
            for i, (day, d) in enumerate(zip(types, days)):
                if staffed_months is not None:
                    staffed_months[(arm, month, i)] = d[arm]
                measures = measure_month(d[arm].records, d[arm].base, study.costs)
                measures["staffing.raises"] = float(d[arm].raises)
                measures["staffing.teams_missing_target"] = float(len(d[arm].missing))
                simulated += measures["simulated.contacts"]
                parts.append((day.weight, measures))
            sampled[arm][month] = combine_days(parts)
            journeys = [(day.weight, d[arm].records.journey) for day, d in zip(types, days)]
            ends = [(w, j.knowledge_end) for w, j in journeys if j is not None]
            _grow_community(gained[arm], per_day[arm], journeys, [d[arm].base for d in days], settings.sample_days,
                            settings.days_per_month * (following - month))
            if ends:
                end = {n: sum(w * e.get(n, middle[arm][n]) for w, e in ends) / sum(w for w, _ in ends)
                       for n in middle[arm]}
                pace[arm] = daily_gap_ratio(middle[arm], end, ceiling, settings.sample_days)
                coverage[arm] = advance_knowledge(coverage[arm], pace[arm], ceiling,
                                                  settings.days_per_month * (following - month))
        pairs = [phone_drop_of_programme_users(d["baseline"].records, d["programme"].records, d["programme"].base,
                                               study.programme_channels) for d in days]
        drops.append((sum(t.weight * p[0] for t, p in zip(types, pairs)), sum(t.weight * p[1] for t, p in zip(types, pairs))))
    monthly = {arm: _interpolate(sampled[arm], settings.months) for arm in ARMS}
    programme = set(study.programme_channels)
    moderators = {u for u, unit in staffing_units(first).items() if unit.channels and set(unit.channels) <= programme}
    staff = {arm: [_staff_row(paths[arm].month(m), moderators) for m in range(1, settings.months + 1)] for arm in ARMS}
    return price_months(study, monthly, staff, scale, set(months), simulated, drops)


def _grow_community(gained: dict[str, float], per_day: dict[str, float], journeys: list[tuple[float, Any]],
                    scenarios: list[Any], sample_days: int, days: float) -> None:
    """Add ``days`` of each forum's net member gain, at the pace its sampled days showed (members per day)."""
    weighted: dict[str, float] = {}
    total = 0.0
    for (weight, journey), scenario in zip(journeys, scenarios):
        if journey is None:
            continue
        total += weight
        for name, end in journey.members_end.items():
            community = scenario.channels[name].community
            start = float(community.members) if community is not None else end
            weighted[name] = weighted.get(name, 0.0) + weight * (end - start) / sample_days
    if total <= 0:
        return
    for name, value in weighted.items():
        per_day[name] = value / total
        gained[name] = gained.get(name, 0.0) + per_day[name] * days


def _type_seed(month_seed_: int, index: int) -> int:
    """The seed of a month's ``index``-th day type (the first is the month's own seed)."""
    return month_seed_ if index == 0 else int(np.random.SeedSequence(month_seed_, spawn_key=(index,)).generate_state(1)[0])


def _month_fte(parts: list[tuple[float, StaffedMonth]], hours_per_fte: float) -> dict[str, float]:
    """FTE a month needs per team: each day type's on-duty agent-hours times the days it stands for, shrinkage added back."""
    out: dict[str, float] = {}
    for weight, month in parts:
        units = staffing_units(month.base)
        for u, hours in agent_hours(month.need, month.base.horizon.interval_minutes * 60.0).items():
            out[u] = out.get(u, 0.0) + weight * hours / (1.0 - units[u].shrinkage) / hours_per_fte
    return out


def combine_days(parts: list[tuple[float, dict[str, float]]]) -> dict[str, float]:
    """One sample's measures from the day types' ``(weight, measures)``: counts weighted, rates weighted by volume.

    The result is per sampled day of an average type mix (the month's scale
    is the sum of the weights): counts are the weighted mean; a channel's
    rates are weighted by its offered contacts, the journey's by its issues,
    the rest by the weights alone.
    """
    total = sum(w for w, _ in parts)
    if len(parts) == 1:
        return dict(parts[0][1])
    keys = dict.fromkeys(k for _, m in parts for k in m)
    out = {}
    for key in keys:
        channel, _, kpi = key.partition(".")
        if kpi in SUMMED or channel in ("simulated", "staffing"):
            out[key] = sum(w * m.get(key, 0.0) for w, m in parts) / total
            continue
        volume = "offered" if f"{channel}.offered" in keys else "issues" if channel == "journey" else None
        weights = [w * (m.get(f"{channel}.{volume}", 0.0) if volume else 1.0) for w, m in parts]
        values = [m.get(key, math.nan) for _, m in parts]
        pairs = [(x, v) for x, v in zip(weights, values) if math.isfinite(v) and x > 0]
        out[key] = sum(x * v for x, v in pairs) / sum(x for x, _ in pairs) if pairs else math.nan
    return out


def _staff_row(teams: Mapping[str, TeamMonth], moderators: set[str]) -> StaffRow:
    """A month's FTE summed into agents (the center's own channels) and moderators (the programme's teams)."""
    agents = [t for u, t in teams.items() if u not in moderators]
    mods = [t for u, t in teams.items() if u in moderators]
    return StaffRow(agents=sum(t.paid for t in agents), moderators=sum(t.paid for t in mods),
                    hires=sum(t.hires for t in teams.values()), need_agents=sum(t.need for t in agents))


_RULES: dict[tuple[str, int], StaffingRule] = {}


def study_rule(study: RoiStudy, seed: int) -> StaffingRule:
    """The staffing rule of a study: fitted on both arms' first and last months (each day type), on a seed of its own.

    Fitted on the study as written (the uncertain inputs at their written
    values), so every replication of a study staffs by the same rule; the
    fit depends on ``seed`` and the study only, not on the worker that
    computes it (each worker computes it once).
    """
    key = (json.dumps(study.data, sort_keys=True, default=str), int(seed))
    rule = _RULES.get(key)
    if rule is None:
        fit_seed = int(np.random.SeedSequence(seed, spawn_key=(0x57AF,)).generate_state(1)[0])
        last = study.settings.months
        types = day_types(study.data, study.settings)
        groups = [(arm, m) for arm in ARMS for m in sorted({1, last})]
        cases = [(day.weight, arm_scenario(study, study.data, arm, m, None, day.weekday, day.profile))
                 for arm, m in groups for day in types]
        # each arm-month's day types share their probes as a month does
        probes = [(g * len(types) + source, factor) for g in range(len(groups)) for source, factor in shared_probes(types)]
        rule = _RULES[key] = fit_rule([c for _, c in cases], fit_seed, study.costs.personnel.deferrable_occupancy,
                                      [w for w, _ in cases], probes)
    return rule


def _interpolate(sampled: Mapping[int, Mapping[str, float]], months: int) -> dict[int, dict[str, float]]:
    """Every month's measures: simulated ones as they are, the others linear between neighbours."""
    known = sorted(sampled)
    out: dict[int, dict[str, float]] = {}
    for month in range(1, months + 1):
        if month in sampled:
            out[month] = dict(sampled[month])
            continue
        lo = max(m for m in known if m < month)
        hi = min(m for m in known if m > month)
        w = (month - lo) / (hi - lo)
        a, b = sampled[lo], sampled[hi]
        out[month] = {k: (1 - w) * a[k] + w * b.get(k, a[k]) for k in a}
    return out
