"""Both ROI arms through the horizon: simulated months, interpolation between them, the knowledge flywheel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.engine.model import run
from sim.studies.roi_arms import arm_scenario
from sim.studies.roi_month import measure_month, month_seed, phone_drop_of_programme_users, team_shrinkage
from sim.studies.roi_pricing import ChannelFacts, price_months
from sim.studies.roi_settings import ARMS, RoiSettings, RoiStudy


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


def live_horizon(study: RoiStudy, seed: int, replication: int, twin: int = 0) -> tuple[pd.DataFrame, dict[str, float]]:
    """Both arms through the horizon: the monthly table and the replication's outcomes."""
    settings = study.settings
    months = simulated_months(settings)
    scale = month_scale(study.data, settings)
    first = arm_scenario(study, study.data, "programme", 1, None)
    journey = first.journey
    ceiling = journey.knowledge.ceiling if journey else 1.0
    start_cov = {n: t.knowledge_coverage for n, t in journey.issue_types.items()} if journey else {}
    coverage = {arm: dict(start_cov) for arm in ARMS}
    sampled: dict[str, dict[int, dict[str, float]]] = {arm: {} for arm in ARMS}
    drops: list[tuple[float, float]] = []
    simulated = 0.0
    for position, month in enumerate(months):
        following = months[position + 1] if position + 1 < len(months) else month + 1
        records, scenarios = {}, {}
        for arm in ARMS:
            scenario = arm_scenario(study, study.data, arm, month, coverage[arm])
            rec = run(scenario, seed=month_seed(seed, replication, twin), replication=0)
            measures = measure_month(rec, scenario, study.costs)
            sampled[arm][month] = measures
            simulated += measures["simulated.contacts"]
            records[arm], scenarios[arm] = rec, scenario
            if rec.journey is not None:
                days = settings.days_per_month * (following - month)
                coverage[arm] = _carry_knowledge(coverage[arm], rec.journey.knowledge_end, ceiling, days, settings.sample_days)
        drops.append(phone_drop_of_programme_users(records["baseline"], records["programme"], scenarios["programme"],
                                                   study.programme_channels))
    monthly = {arm: _interpolate(sampled[arm], settings.months) for arm in ARMS}
    channels = ChannelFacts(
        shrinkage={n: team_shrinkage(first, n, study.costs.personnel.shrinkage) for n in first.channels},
        phones=tuple(n for n, kind in study.kinds.items() if kind == "phone"),
        programme=study.programme_channels,
    )
    return price_months(study, channels, monthly, scale, set(months), simulated, drops)


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
