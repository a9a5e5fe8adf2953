"""The two arms of the ROI study: the scenario one arm simulates in one month.

``baseline`` is the scenario without the programme's channels; ``programme``
has them, ramping up with the adoption curve. Both take the month's demand
growth, the sampled days and the knowledge coverage reached so far.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sim.errors import ScenarioError
from sim.spec.journey import SelfService
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.studies.roi_settings import RoiStudy


def arm_scenario(study: RoiStudy, data: Mapping[str, Any], arm: str, month: int,
                 coverage: Mapping[str, float] | None, start_day: int | None = None,
                 day_profile: float | None = None, members_gained: Mapping[str, float] | None = None) -> Scenario:
    """The scenario one arm simulates in ``month``: sampled days from ``start_day``, growth, adoption, knowledge.

    ``start_day`` is the weekday of the first sampled day (0 = Monday;
    ``roi.start_day`` when None); ``day_profile``, when given, is the
    day-of-week factor of every sampled day (a day type's mean);
    ``members_gained`` adds, per forum channel, the members its community
    gained (or lost, if negative) through its own posts in the months before.
    """
    settings = study.settings
    d = copy.deepcopy({key: value for key, value in data.items() if key not in ("costs", "roi", "uncertain")})
    d["horizon"] = {**d.get("horizon", {}), "hours": 24.0 * settings.sample_days, "warmup_hours": 0.0, "drain": True}
    growth = (1.0 + settings.demand_growth_per_month) ** (month - 1)
    _start_on_day(d, settings.start_day if start_day is None else start_day)
    if day_profile is not None and d.get("journey", {}).get("issues", {}).get("day_profile"):
        profile = d["journey"]["issues"]["day_profile"]
        for k in range(min(settings.sample_days, 7)):
            profile[k] = float(day_profile)
    _grow(d, growth, settings.scale_staff_with_demand)
    forums = [n for n in study.programme_channels if study.kinds[n] == "forum"]
    if arm == "baseline":
        _remove_channels(d, study.programme_channels, bool(forums))
        overrides = settings.baseline
    else:
        _adopt(d, study.programme_channels, forums, settings.adoption.level(month))
        overrides = settings.programme
    for name, gained in (members_gained or {}).items():
        community = d.get("channels", {}).get(name, {}).get("community")
        if community and "members" in community:
            community["members"] = max(0.0, float(community["members"]) + float(gained))
    journey = d.get("journey")
    if coverage and journey:
        for name, value in coverage.items():
            journey["issue_types"][name]["knowledge_coverage"] = float(value)
    try:
        d = apply_overrides(d, overrides, study.source)
        return scenario_from_dict(d, study.source)
    except ScenarioError as exc:
        raise ScenarioError(study.source, f"roi.{arm}",
                            f"the {arm} arm is not a valid scenario: {exc.key or ''} {exc.expected}") from None


def _start_on_day(d: dict[str, Any], start_day: int) -> None:
    journey = d.get("journey")
    if journey and journey.get("issues", {}).get("day_profile"):
        profile = list(journey["issues"]["day_profile"])
        journey["issues"]["day_profile"] = profile[start_day:] + profile[:start_day]
    holders = [d] + list(d.get("channels", {}).values())
    for holder, key in [(h, k) for h in holders for k in ("open_days", "office_days")]:
        if holder.get(key) is not None:
            holder[key] = sorted({(day - start_day) % 7 for day in holder[key]})


def _grow(d: dict[str, Any], growth: float, staff: bool) -> None:
    if growth == 1.0:
        return
    journey = d.get("journey")
    if journey:
        journey["issues"]["rate_per_hour"] = journey["issues"]["rate_per_hour"] * growth
    for stream in d.get("arrivals", {}).values():
        stream["rate_per_hour"] = stream["rate_per_hour"] * growth
    if not staff:
        return
    holders = list(d.get("teams", {}).values()) + list(d.get("channels", {}).values())
    for holder in holders:
        agents = holder.get("agents")
        if isinstance(agents, list):
            holder["agents"] = [int(round(a * growth)) for a in agents]
        elif agents is not None:
            holder["agents"] = int(round(agents * growth))


def _remove_channels(d: dict[str, Any], names: tuple[str, ...], has_forum: bool) -> None:
    if not names:
        return
    for name in names:
        d["channels"].pop(name, None)
        d.get("arrivals", {}).pop(name, None)
    journey = d.get("journey")
    if journey:
        for section in ("segments", "issue_types"):
            for entry in journey.get(section, {}).values():
                for name in names:
                    entry.get("channels", {}).pop(name, None)
        if has_forum:
            d.pop("forum", None)
            journey.setdefault("self_service", {})["placement"] = "none"
    teams = d.get("teams")
    if teams:
        for team_name in list(teams):
            skills = [s for s in teams[team_name]["skills"] if s not in names]
            if skills:
                teams[team_name]["skills"] = skills
            else:
                del teams[team_name]


def _adopt(d: dict[str, Any], names: tuple[str, ...], forums: list[str], level: float) -> None:
    if level >= 1.0 or not names:
        return
    journey = d.get("journey")
    if journey:
        for segment in journey.get("segments", {}).values():
            for name in names:
                if name in segment.get("channels", {}):
                    segment["channels"][name] = segment["channels"][name] * level
    if journey and forums:
        self_service = journey.setdefault("self_service", {})
        looks = self_service.get("look_probability") or SelfService().look_probability
        self_service["look_probability"] = {k: v * level for k, v in looks.items()}
    for name in forums:
        community = d["channels"][name].get("community")
        if community and "members" in community:
            community["members"] = community["members"] * level
