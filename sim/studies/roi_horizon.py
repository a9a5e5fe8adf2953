"""Both ROI arms through the horizon: simulated months staffed by the policy, interpolation between them, the flywheel."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.roi_arms import arm_scenario
from sim.studies.roi_headcount import HeadcountPath, TeamMonth
from sim.studies.roi_month import measure_month, month_seed, phone_drop_of_programme_users
from sim.studies.roi_pricing import ChannelFacts, StaffRow, price_months
from sim.studies.roi_settings import ARMS, RoiSettings, RoiStudy
from sim.studies.roi_staffing import StaffedMonth, Staffing, StaffingRule, agent_hours, fit_rule, staff_and_run
from sim.studies.staffing_units import Unit, staffing_units


def simulated_months(settings: RoiSettings) -> list[int]:
    """Months simulated by the engine; the others are interpolated."""
    months = list(range(1, settings.months + 1, settings.simulate_every))
    if months[-1] != settings.months:
        months.append(settings.months)
    return months


def month_scale(data: Mapping[str, Any], settings: RoiSettings) -> float:
    """Factor from the sampled days to a whole month (their share of an average week's demand)."""
    journey = data.get("journey") or {}
    profile = (journey.get("issues") or {}).get("day_profile")
    if not profile:
        return settings.days_per_month / settings.sample_days
    days = [(settings.start_day + k) % 7 for k in range(settings.sample_days)]
    sampled = sum(profile[d] for d in days)
    return settings.days_per_month * (sum(profile) / 7.0) / sampled if sampled > 0 else 0.0


def _carry_knowledge(start: Mapping[str, float], end: Mapping[str, float], ceiling: float, days: float,
                     sample_days: int) -> dict[str, float]:
    """Coverage ``days`` after ``start``, at the pace seen over the sampled days (``start`` -> ``end``).

    Each answer and article closes a share of the gap to the ceiling, so the
    gap shrinks geometrically: over ``days`` by ``(gap_end / gap_start) **
    (days / sample_days)``.
    """
    out = {}
    for name, c0 in start.items():
        c1 = end.get(name, c0)
        gap0, gap1 = ceiling - c0, ceiling - c1
        if gap0 <= 1e-12 or gap1 <= 0:
            out[name] = max(c0, min(c1, ceiling))
            continue
        ratio = min(1.0, gap1 / gap0) ** (days / sample_days)
        out[name] = ceiling - gap0 * ratio
    return out


def live_horizon(study: RoiStudy, seed: int, replication: int, twin: int = 0, rule: StaffingRule | None = None,
                 staffed_months: dict[tuple[str, int], StaffedMonth] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """Both arms through the horizon: the monthly table and the replication's outcomes.

    Each simulated month of each arm is staffed by ``rule`` (fitted for the
    study when not given, see :func:`study_rule`) under the study's staffing
    policy and simulated with that staffing; its KPIs and its personnel cost
    are those of that run. ``staffed_months``, when given, receives each
    ``(arm, month)``'s staffing and run.
    """
    settings = study.settings
    months = simulated_months(settings)
    scale = month_scale(study.data, settings)
    rule = rule if rule is not None else study_rule(study, seed)
    first = arm_scenario(study, study.data, "programme", 1, None)
    journey = first.journey
    ceiling = journey.knowledge.ceiling if journey else 1.0
    start_cov = {n: t.knowledge_coverage for n, t in journey.issue_types.items()} if journey else {}
    coverage = {arm: dict(start_cov) for arm in ARMS}
    sampled: dict[str, dict[int, dict[str, float]]] = {arm: {} for arm in ARMS}
    paths: dict[str, HeadcountPath] = {}
    leavers = study.costs.personnel.attrition_per_year / 12.0
    drops: list[tuple[float, float]] = []
    simulated = 0.0
    for position, month in enumerate(months):
        following = months[position + 1] if position + 1 < len(months) else month + 1
        scenarios = {arm: arm_scenario(study, study.data, arm, month, coverage[arm]) for arm in ARMS}
        pays, ftes = {}, {}
        needs: dict[str, dict[str, float]] = {}  # the latest need per arm, for the programme's first month
        for arm in ARMS:
            units = staffing_units(scenarios[arm])
            ftes[arm] = _fte_of(units, scale, study.costs.personnel.hours_per_fte_month,
                                scenarios[arm].horizon.interval_minutes * 60.0)
            if arm not in paths:  # month 1: both arms start from the baseline's need (see _payer)
                paths[arm] = HeadcountPath(settings.staffing, leavers, None)
            pays[arm] = _payer(paths[arm], ftes[arm], month, needs, arm)
        staffed = staff_and_run(scenarios, rule, month_seed(seed, replication, twin), pays)
        records = {arm: staffed[arm].records for arm in ARMS}
        for arm in ARMS:
            paths[arm].record(month, ftes[arm](staffed[arm].need))
            if staffed_months is not None:
                staffed_months[(arm, month)] = staffed[arm]
            rec = records[arm]
            measures = measure_month(rec, scenarios[arm], study.costs)
            measures["staffing.raises"] = float(staffed[arm].raises)
            measures["staffing.teams_missing_target"] = float(len(staffed[arm].missing))
            sampled[arm][month] = measures
            simulated += measures["simulated.contacts"]
            if rec.journey is not None:
                days = settings.days_per_month * (following - month)
                coverage[arm] = _carry_knowledge(coverage[arm], rec.journey.knowledge_end, ceiling, days, settings.sample_days)
        drops.append(phone_drop_of_programme_users(records["baseline"], records["programme"], scenarios["programme"],
                                                   study.programme_channels))
    monthly = {arm: _interpolate(sampled[arm], settings.months) for arm in ARMS}
    programme = set(study.programme_channels)
    moderators = {u for u, unit in staffing_units(first).items() if unit.channels and set(unit.channels) <= programme}
    staff = {arm: [_staff_row(paths[arm].month(m), moderators) for m in range(1, settings.months + 1)] for arm in ARMS}
    channels = ChannelFacts(
        phones=tuple(n for n, kind in study.kinds.items() if kind == "phone"),
        programme=study.programme_channels,
    )
    return price_months(study, channels, monthly, staff, scale, set(months), simulated, drops)


def _payer(path: HeadcountPath, fte: Callable[[Staffing], dict[str, float]], month: int,
           needs: dict[str, dict[str, float]], arm: str) -> Callable[[Staffing], dict[str, float]]:
    """Per team, paid FTE over the rule's need in ``month`` under the path's policy (1 where nothing is needed).

    Before its first month the programme arm has the baseline's headcount
    (the center as staffed today): ``needs`` holds the baseline's need of
    the month being staffed (the baseline is staffed first).
    """
    def pay(need: Staffing) -> dict[str, float]:
        need_fte = needs[arm] = fte(need)
        if not path.months and arm != "baseline":
            path.start = dict(needs["baseline"])
        paid = path.propose(month, need_fte)
        return {u: paid[u] / need_fte[u] if need_fte[u] > 0 else 1.0 for u in need_fte}
    return pay


def _fte_of(units: Mapping[str, Unit], scale: float, hours_per_fte: float,
            interval_s: float) -> Callable[[Staffing], dict[str, float]]:
    """FTE a month pays per team for a staffing of its sampled days (shrinkage added back, scaled to the month)."""
    def fte(staffing: Staffing) -> dict[str, float]:
        return {u: hours * scale / (1.0 - units[u].shrinkage) / hours_per_fte
                for u, hours in agent_hours(staffing, interval_s).items()}
    return fte


def _staff_row(teams: Mapping[str, TeamMonth], moderators: set[str]) -> StaffRow:
    """A month's FTE summed into agents (the center's own channels) and moderators (the programme's teams)."""
    agents = [t for u, t in teams.items() if u not in moderators]
    mods = [t for u, t in teams.items() if u in moderators]
    return StaffRow(agents=sum(t.paid for t in agents), moderators=sum(t.paid for t in mods),
                    hires=sum(t.hires for t in teams.values()), need_agents=sum(t.need for t in agents),
                    need_moderators=sum(t.need for t in mods))


_RULES: dict[tuple[str, int], StaffingRule] = {}


def study_rule(study: RoiStudy, seed: int) -> StaffingRule:
    """The staffing rule of a study: fitted on both arms' first and last months, on a seed of its own.

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
        scenarios = [arm_scenario(study, study.data, arm, m, None) for arm in ARMS for m in sorted({1, last})]
        rule = _RULES[key] = fit_rule(scenarios, fit_seed, study.costs.personnel.deferrable_occupancy)
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
