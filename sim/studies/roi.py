"""ROI study: does a social and community programme pay back, when, and how sure are we?

One Monte Carlo replication is a whole horizon (24 months by default) lived
twice, by two *arms* on the same random numbers:

- ``baseline``: the scenario without the programme's channels (social posts
  and the peer forum by default): no community to search before contacting,
  no public posts;
- ``programme``: the scenario as written, with the programme's channels
  ramping up (an adoption curve scales their preference weights, the chance
  to search the community first, and the community's size).

Each month of each arm is simulated with the discrete-event engine
(``roi.sample_days`` days of customers, agents and posts; totals scaled to
the month). From the simulated contacts come the FTE the month needs
(:mod:`sim.analysis.fte`), the connected phone minutes and the self-resolved issues;
:mod:`sim.analysis.costs` prices them. The knowledge coverage reached at the end of a
month is where the next month starts (the flywheel). Demand grows by
``roi.demand_growth_per_month`` in both arms.

Uncertain inputs (the scenario's ``uncertain`` section: any dotted path with
a distribution) are drawn once per replication and used by both arms and
every month. The first ``roi.noise_pairs`` replications are lived a second
time with the same inputs and other simulation random numbers: the spread
between the twins is simulation noise, the rest of the spread between
replications is parameter uncertainty (:func:`uncertainty_split`).

Replication ``r`` uses seeds derived from ``(seed, r)`` only, so results do
not depend on the number of worker processes or on the executor.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.analysis.costs import COST_LINES, PERSONNEL_LINES, PROGRAMME_LINES, CostModel, MonthWorkload, monthly_costs, npv, payback_month, roi
from sim.errors import ScenarioError
from sim.spec.journey import SelfService
from sim.analysis.fte import required_agent_hours
from sim.analysis.metrics import confidence_interval, run_kpis
from sim.engine.model import run
from sim.random import Streams
from sim.engine.records import RunRecords
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.validation_errors import validation_to_error
from sim.studies.commands import register_command
from sim.spec.uncertainty import InputDistribution, draw_inputs

ARMS = ("baseline", "programme")
PROGRAMME_KINDS = ("social", "forum")
"""Channel kinds that make up the programme unless ``roi.programme_channels`` says otherwise."""
OUTCOME_KPIS = (
    "roi", "npv", "payback_month", "paid_back", "net_benefit_total", "savings_total", "programme_cost_total",
    "deflected_contacts", "shifted_contacts", "simulated_contacts", "baseline_cost_per_contact",
    "baseline_personnel_share", "phone_drop_programme_users", "fte_saved_last_month",
)
"""Per-replication outcomes (channel ``roi``) in display order."""
OUTCOME_CHANNELS = ("roi", "roi_twin", "input")
"""Channels of the per-replication table: outcomes, the noise twin's outcomes, drawn inputs."""
TWIN_KPIS = ("roi", "npv", "payback_month", "net_benefit_total")
"""Outcomes also reported for the noise twins (channel ``roi_twin``)."""
_CHANNEL_KPIS = ("offered", "answered", "abandon_rate", "service_level", "asa_s", "occupancy", "aht_s",
                 "response_coverage", "mean_response_s", "escalations", "peer_answer_rate")
_JOURNEY_KPIS = ("issues", "contacts", "deflected", "deflection_rate", "shifted_contacts", "fcr",
                 "contacts_per_issue", "escalations", "sentiment_negative", "net_sentiment")
_SUMMED = {"offered", "answered", "escalations", "issues", "contacts", "deflected", "shifted_contacts",
           "sentiment_negative", "handled_hours", "line_minutes"}
"""Month measures that are counts (scaled from the sampled days to the month); the rest are rates."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Adoption(_Model):
    """How fast customers take up the programme: the share of its full effect in each month."""

    start: float = Field(0.25, ge=0, le=1, description="share of the full effect in month 1")
    months_to_full: int = Field(12, ge=1, description="month in which the full effect is reached")
    shape: Literal["linear", "logistic"] = Field("linear", description="linear ramp or S-curve")

    def level(self, month: int) -> float:
        """Share of the full effect in ``month`` (from 1)."""
        if month >= self.months_to_full or self.months_to_full == 1:
            return 1.0
        x = (month - 1) / (self.months_to_full - 1)
        if self.shape == "logistic":
            s = 1.0 / (1.0 + math.exp(-10.0 * (x - 0.5)))
            s0, s1 = 1.0 / (1.0 + math.exp(5.0)), 1.0 / (1.0 + math.exp(-5.0))
            x = (s - s0) / (s1 - s0)
        return self.start + (1.0 - self.start) * x


class RoiSettings(_Model):
    """The scenario's ``roi`` section: horizon, arms, staffing policy and sampling."""

    months: int = Field(24, ge=1, le=240, description="horizon in months")
    discount_rate_annual: float = Field(0.08, ge=0, le=1, description="for the NPV")
    staffing: Literal["fixed", "to_target", "attrition"] = Field(
        "to_target",
        description=(
            "fixed: headcount never falls (savings only where costs vary); to_target: FTE follow the service "
            "targets at once (nobody is hired while the team shrinks); attrition: FTE rise with the targets at "
            "once but fall only as staff leave (costs.personnel.attrition_per_year), nobody is laid off"
        ),
    )
    demand_growth_per_month: float = Field(0.0, ge=-0.2, le=0.2, description="issues and contacts grow by this each month")
    scale_staff_with_demand: bool = Field(True, description="simulated rosters grow with demand, so service holds")
    adoption: Adoption = Adoption()
    programme_channels: list[str] | None = Field(None, description="channels the programme adds (default: social and forum kinds)")
    baseline: dict[str, Any] = Field(default_factory=dict, description="dotted overrides for the baseline arm only")
    programme: dict[str, Any] = Field(default_factory=dict, description="dotted overrides for the programme arm only")
    sample_days: int = Field(1, ge=1, le=28, description="days simulated per month and arm")
    start_day: int = Field(1, ge=0, le=6, description="weekday of the first simulated day (0 = Monday)")
    days_per_month: float = Field(30.4375, gt=0, le=31)
    simulate_every: int = Field(
        1, ge=1, le=12, description="simulate months 1, 1+k, ... and the last; months between are interpolated"
    )
    noise_pairs: int = Field(10, ge=0, description="replications lived twice to measure simulation noise")


class _Sections(BaseModel):
    """The ROI-related sections of a scenario, validated together."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)
    costs: CostModel = CostModel()
    roi: RoiSettings = RoiSettings()
    uncertain: dict[str, InputDistribution] = Field(default_factory=dict)


@dataclass(frozen=True)
class RoiStudy:
    """A scenario ready for the ROI study: its data, prices, settings and uncertain inputs."""

    data: dict[str, Any]
    source: str
    costs: CostModel
    settings: RoiSettings
    inputs: dict[str, Any]
    programme_channels: tuple[str, ...]
    kinds: dict[str, str]


def prepare_study(scenario: Scenario, source: str = "<scenario>") -> RoiStudy:
    """Validate the ``costs``, ``roi`` and ``uncertain`` sections and both arms (ScenarioError names the key)."""
    data = scenario.model_dump(mode="python", exclude_unset=True)
    sections = {k: data.get(k) or {} for k in ("costs", "roi", "uncertain")}
    try:
        parsed = _Sections.model_validate(sections)
    except ValidationError as exc:
        raise validation_to_error(exc, sections, _Sections, source, ScenarioError) from None
    settings = parsed.roi
    kinds = {name: ch.kind_for(name) for name, ch in scenario.channels.items()}
    if settings.programme_channels is None:
        programme = tuple(n for n, k in kinds.items() if k in PROGRAMME_KINDS)
    else:
        programme = tuple(settings.programme_channels)
        for i, name in enumerate(programme):
            if name not in kinds:
                raise ScenarioError(source, f"roi.programme_channels.{i}", f"'{name}' is not a channel; channels: {', '.join(kinds)}")
    if programme and scenario.journey is None:
        raise ScenarioError(source, "journey", "an ROI study with programme channels needs the journey section (customers with issues)")
    study = RoiStudy(data, source, parsed.costs, settings, dict(parsed.uncertain), programme, kinds)
    for path, dist in study.inputs.items():
        _check_input_path(study, path, float(dist.frozen().median()))
    for arm in ARMS:
        arm_scenario(study, data, arm, 1, None)
    return study


def _check_input_path(study: RoiStudy, path: str, value: float) -> None:
    head = path.split(".")[0]
    if head in ("costs", "roi", "uncertain"):
        if head == "uncertain":
            raise ScenarioError(study.source, f"uncertain.{path}", "an uncertain input cannot point into the uncertain section")
        sections = apply_overrides({k: study.data.get(k) or {} for k in ("costs", "roi")}, {path: value}, study.source)
        try:
            _Sections.model_validate(sections)
        except ValidationError as exc:
            err = validation_to_error(exc, sections, _Sections, study.source, ScenarioError)
            raise ScenarioError(study.source, f"uncertain.{path}", f"its median {value:g} is not valid there: {err.expected}") from None
        return
    if not _path_exists(study.data, path):
        raise ScenarioError(study.source, f"uncertain.{path}", "names no number of this scenario (check the dotted path)")
    try:
        scenario_from_dict(apply_overrides(study.data, {path: value}, study.source), study.source)
    except ScenarioError as exc:
        raise ScenarioError(study.source, f"uncertain.{path}", f"its median {value:g} is not valid there: {exc.expected}") from None


def _path_exists(data: Any, path: str) -> bool:
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return isinstance(node, (int, float)) and not isinstance(node, bool)


# ---------------------------------------------------------------------------
# The two arms, month by month


def with_inputs(study: RoiStudy, values: Mapping[str, float]) -> RoiStudy:
    """The study with uncertain inputs set to ``values`` (costs and settings re-validated)."""
    if not values:
        return study
    data = apply_overrides(study.data, dict(values), study.source)
    sections = {k: data.get(k) or {} for k in ("costs", "roi")}
    parsed = _Sections.model_validate(sections)
    return RoiStudy(data, study.source, parsed.costs, parsed.roi, study.inputs, study.programme_channels, study.kinds)


def arm_scenario(study: RoiStudy, data: Mapping[str, Any], arm: str, month: int,
                 coverage: Mapping[str, float] | None) -> Scenario:
    """The scenario one arm simulates in ``month``: sampled days, growth, adoption, knowledge."""
    settings = study.settings
    d = copy.deepcopy(dict(data))
    for key in ("costs", "roi", "uncertain"):
        d.pop(key, None)
    d["horizon"] = {**d.get("horizon", {}), "hours": 24.0 * settings.sample_days, "warmup_hours": 0.0, "drain": True}
    growth = (1.0 + settings.demand_growth_per_month) ** (month - 1)
    _start_on_day(d, settings.start_day)
    _grow(d, growth, settings.scale_staff_with_demand)
    forums = [n for n in study.programme_channels if study.kinds[n] == "forum"]
    if arm == "baseline":
        _remove_channels(d, study.programme_channels, bool(forums))
        overrides = settings.baseline
    else:
        _adopt(d, study.programme_channels, forums, settings.adoption.level(month))
        overrides = settings.programme
    journey = d.get("journey")
    if coverage and journey:
        for name, value in coverage.items():
            journey["issue_types"][name]["knowledge_coverage"] = float(value)
    try:
        d = apply_overrides(d, overrides, study.source)
        return scenario_from_dict(d, study.source)
    except ScenarioError as exc:
        raise ScenarioError(study.source, f"roi.{arm}", f"the {arm} arm is not a valid scenario: {exc.key or ''} {exc.expected}") from None


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


# ---------------------------------------------------------------------------
# One month of one arm: simulate and measure


def month_seed(seed: int, replication: int, twin: int) -> int:
    """The simulation seed of every month of a replication (or of its noise twin).

    Both arms and every month share it (common random numbers): the months
    of one replication differ by growth, adoption and knowledge, not by the
    luck of the sampled days, so sampling noise does not masquerade as
    hiring and firing from one month to the next.
    """
    words = np.random.SeedSequence(seed, spawn_key=(replication, twin)).generate_state(2, np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1]))


def measure_month(records: RunRecords, scenario: Scenario, costs: CostModel) -> dict[str, float]:
    """What the cost model and the report need from one simulated sample of a month (unscaled)."""
    kpis = run_kpis(records)
    table = {(c, k): float(v) for c, k, v in zip(kpis["channel"], kpis["kpi"], kpis["value"])}
    out: dict[str, float] = {}
    for name in scenario.channels:
        for kpi in _CHANNEL_KPIS + ("handled_hours", "line_minutes"):
            if (name, kpi) in table:
                out[f"{name}.{kpi}"] = table[(name, kpi)]
        out[f"{name}.required_agent_hours"] = required_agent_hours(records, scenario, name, costs.personnel.deferrable_occupancy)
    for kpi in _JOURNEY_KPIS:
        if ("journey", kpi) in table:
            out[f"journey.{kpi}"] = table[("journey", kpi)]
    j = records.journey
    if j is not None:
        for name, value in j.knowledge_end.items():
            out[f"knowledge.{name}"] = float(value)
        out["simulated.contacts"] = float(len(j.contact_issue))
    else:
        out["simulated.contacts"] = float(sum(len(c.arrival_s) for c in records.channels.values()))
    return out


def _shrinkage(scenario: Scenario, channel: str, default: float) -> float:
    for team in (scenario.teams or {}).values():
        if channel in team.skills:
            return team.shrinkage
    return default


def phone_drop_of_programme_users(base: RunRecords, prog: RunRecords, scenario: Scenario,
                                  programme: tuple[str, ...]) -> tuple[float, float]:
    """Phone contacts of the customers who use the programme: ``(baseline, programme)`` counts.

    "Customers who use the programme" are the issues of the segments with a
    positive preference for one of its channels (the ``phone_only`` segment
    of the shipped scenarios is not among them), whether or not that issue
    went there: the sources' "20 % fewer calls among customers who used the
    social channels" is a drop per customer, over all their questions. Both
    arms see the same issues (common random numbers), so the drop is
    measured issue by issue.
    """
    jb, jp = base.journey, prog.journey
    if jb is None or jp is None or not programme or scenario.journey is None:
        return math.nan, math.nan
    using = np.array([any(seg.channels.get(c, 0.0) > 0 for c in programme)
                      for seg in scenario.journey.segments.values()], dtype=bool)
    users = using[jp.issue_segment] if len(jp.issue_segment) else np.zeros(0, dtype=bool)

    def phone_count(j: Any) -> float:
        phones = [i for i, kind in enumerate(j.channel_kinds) if kind == "phone"]
        issues = j.contact_issue[np.isin(j.contact_channel, phones) & (j.contact_issue >= 0)]
        return float(users[issues[issues < len(users)]].sum())

    return phone_count(jb), phone_count(jp)


# ---------------------------------------------------------------------------
# The horizon


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
    channels = _ChannelFacts(
        shrinkage={n: _shrinkage(first, n, study.costs.personnel.shrinkage) for n in first.channels},
        phones=tuple(n for n, kind in study.kinds.items() if kind == "phone"),
        programme=study.programme_channels,
    )
    return _price(study, channels, monthly, scale, set(months), simulated, drops)


@dataclass(frozen=True)
class _ChannelFacts:
    """What pricing needs to know of each channel: its team's shrinkage, phone lines, programme or not."""

    shrinkage: dict[str, float]
    phones: tuple[str, ...]
    programme: tuple[str, ...]


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


def _staff_month(policy: str, leavers: float, head: tuple[float, float], need: tuple[float, float]) -> tuple[float, float, float]:
    """Agents and moderators paid this month under the staffing ``policy``, and the hires it takes.

    ``head`` is last month's headcount (agents, moderators), ``need`` this
    month's requirement, ``leavers`` the share of staff who leave in a month.
    Every policy hires what it pays for above the staff who stay: ``fixed``
    keeps last month's headcount (or more), ``to_target`` pays exactly the
    requirement (the excess beyond the month's leavers is let go),
    ``attrition`` lets the team shrink through leavers alone.
    """
    staying = [h * (1.0 - leavers) for h in head]
    if policy == "fixed":
        paid = [max(h, n) for h, n in zip(head, need)]
    elif policy == "attrition":
        paid = [max(n, s) for n, s in zip(need, staying)]
    else:
        paid = list(need)
    return paid[0], paid[1], sum(max(0.0, p - s) for p, s in zip(paid, staying))


def _price(study: RoiStudy, channels: _ChannelFacts, monthly: dict[str, dict[int, dict[str, float]]], scale: float,
           simulated_set: set[int], simulated_contacts: float,
           drops: list[tuple[float, float]]) -> tuple[pd.DataFrame, dict[str, float]]:
    """FTE, headcount, cost lines and finance for every month of both arms."""
    settings, costs = study.settings, study.costs
    p = costs.personnel
    rows: list[tuple[int, str, str, str, float, bool]] = []
    totals = {arm: np.zeros(settings.months) for arm in ARMS}
    programme_cost = np.zeros(settings.months)
    fte_need = {arm: [_fte(monthly[arm][m], scale, p.hours_per_fte_month, channels) for m in range(1, settings.months + 1)]
                for arm in ARMS}
    leavers = p.attrition_per_year / 12.0
    start_agents = fte_need["baseline"][0][0]
    lines_first: dict[str, dict[str, float]] = {}
    for arm in ARMS:
        head_agents, head_mods = start_agents, 0.0
        for m in range(1, settings.months + 1):
            need_agents, need_mods = fte_need[arm][m - 1]
            agents, mods, hires = _staff_month(settings.staffing, leavers, (head_agents, head_mods), (need_agents, need_mods))
            head_agents, head_mods = agents, mods
            measures = monthly[arm][m]
            work = MonthWorkload(
                agent_fte=agents, moderator_fte=mods, hires=hires,
                line_minutes=scale * sum(measures.get(f"{n}.line_minutes", 0.0) for n in channels.phones),
                self_resolved=scale * measures.get("journey.deflected", 0.0),
                programme_active=arm == "programme",
            )
            lines = monthly_costs(costs, m, work)
            if m == 1:
                lines_first[arm] = lines
            total = sum(lines.values())
            totals[arm][m - 1] = total
            if arm == "programme":
                programme_cost[m - 1] = sum(lines[k] for k in PROGRAMME_LINES)
            sim_flag = m in simulated_set
            rows += [(m, arm, "cost", name, value, sim_flag) for name, value in lines.items()]
            rows.append((m, arm, "cost", "total", total, sim_flag))
            rows += [(m, arm, "fte", "agents", agents, sim_flag), (m, arm, "fte", "moderators", mods, sim_flag),
                     (m, arm, "fte", "required_agents", need_agents, sim_flag), (m, arm, "fte", "hires", hires, sim_flag)]
            for key, value in measures.items():
                channel, _, kpi = key.partition(".")
                if channel == "simulated":
                    continue
                rows.append((m, arm, channel, kpi, scale * value if kpi in _SUMMED else value, sim_flag))
    net = totals["baseline"] - totals["programme"]
    cumulative = np.cumsum(net)
    for m in range(1, settings.months + 1):
        rows += [
            (m, "net", "finance", "net_benefit", float(net[m - 1]), m in simulated_set),
            (m, "net", "finance", "cumulative_net_benefit", float(cumulative[m - 1]), m in simulated_set),
            (m, "net", "finance", "programme_cost", float(programme_cost[m - 1]), m in simulated_set),
            (m, "net", "finance", "savings", float(net[m - 1] + programme_cost[m - 1]), m in simulated_set),
        ]
    table = pd.DataFrame(rows, columns=["month", "arm", "channel", "kpi", "value", "simulated"])
    outcomes = _outcomes(study, monthly, scale, net, programme_cost, simulated_contacts, drops, lines_first, fte_need)
    return table, outcomes


def _fte(measures: Mapping[str, float], scale: float, hours_per_fte: float, channels: _ChannelFacts) -> tuple[float, float]:
    """FTE the month needs: (center's own channels, programme channels), shrinkage included."""
    own = prog = 0.0
    for name, shrinkage in channels.shrinkage.items():
        hours = measures.get(f"{name}.required_agent_hours")
        if hours is None:
            continue  # not offered in this arm
        fte = scale * hours / (1.0 - shrinkage) / hours_per_fte
        if name in channels.programme:
            prog += fte
        else:
            own += fte
    return own, prog


def _outcomes(study: RoiStudy, monthly: dict[str, dict[int, dict[str, float]]], scale: float, net: np.ndarray,
              programme_cost: np.ndarray, simulated_contacts: float, drops: list[tuple[float, float]],
              lines_first: dict[str, dict[str, float]], fte_need: dict[str, list[tuple[float, float]]]) -> dict[str, float]:
    settings = study.settings
    total_cost = float(programme_cost.sum())
    total_net = float(net.sum())
    payback = payback_month(net)
    months = range(1, settings.months + 1)

    def total(arm: str, key: str) -> float:
        return float(sum(scale * monthly[arm][m].get(key, 0.0) for m in months))

    programme_contacts = sum(total("programme", f"{n}.offered") for n in study.programme_channels)
    base_first = lines_first["baseline"]
    base_month1 = monthly["baseline"][1]
    handled = scale * sum(v for k, v in base_month1.items() if k.endswith(".answered"))
    base_total = sum(base_first.values())
    b_phone, p_phone = (sum(x) for x in zip(*drops)) if drops else (math.nan, math.nan)
    last_base, last_prog = fte_need["baseline"][-1], fte_need["programme"][-1]
    return {
        "roi": roi(total_net, total_cost),
        "npv": npv(net, settings.discount_rate_annual),
        "payback_month": float(payback if payback is not None else settings.months + 1),
        "paid_back": float(payback is not None),
        "net_benefit_total": total_net,
        "savings_total": total_net + total_cost,
        "programme_cost_total": total_cost,
        "deflected_contacts": total("programme", "journey.deflected") - total("baseline", "journey.deflected"),
        "shifted_contacts": programme_contacts,
        "simulated_contacts": simulated_contacts,
        "baseline_cost_per_contact": base_total / handled if handled > 0 else math.nan,
        "baseline_personnel_share": sum(base_first[k] for k in PERSONNEL_LINES) / base_total if base_total > 0 else math.nan,
        "phone_drop_programme_users": 1.0 - p_phone / b_phone if b_phone and b_phone > 0 else math.nan,
        "fte_saved_last_month": last_base[0] - last_prog[0],
    }


# ---------------------------------------------------------------------------
# One replication, as a study task


def replication_inputs(study: RoiStudy, seed: int, replication: int) -> dict[str, float]:
    """The uncertain inputs' values in replication ``replication`` (one draw, used by both arms)."""
    return draw_inputs(study.inputs, Streams(seed, replication)("roi:uncertain"))


@register_command("roi", channels=OUTCOME_CHANNELS, kpis=OUTCOME_KPIS)
def roi_command(scenario: Scenario, seed: int, replication: int) -> dict[str, pd.DataFrame]:
    """One Monte Carlo replication of the ROI study (both arms, every month; a noise twin when due).

    Returns ``results`` (channel ``roi``: outcomes; ``roi_twin``: the twin's;
    ``input``: the drawn inputs) and ``months`` (month x arm x cost line and KPI).
    """
    study = prepare_study(scenario)
    values = replication_inputs(study, seed, replication)
    lived = with_inputs(study, values)
    months, outcomes = live_horizon(lived, seed, replication)
    rows = [("roi", k, outcomes[k]) for k in OUTCOME_KPIS]
    rows += [("input", path, value) for path, value in values.items()]
    if replication < lived.settings.noise_pairs:
        _, twin = live_horizon(lived, seed, replication, twin=1)
        rows += [("roi_twin", k, twin[k]) for k in TWIN_KPIS]
        rows.append(("roi_twin", "simulated_contacts", twin["simulated_contacts"]))
    return {"results": pd.DataFrame(rows, columns=["channel", "kpi", "value"]), "months": months}


# ---------------------------------------------------------------------------
# Summaries over replications


def quantiles(values: np.ndarray, qs: tuple[float, ...] = (0.05, 0.5, 0.95)) -> dict[str, float]:
    """``{"p5": .., "p50": .., "p95": ..}`` of the finite values (NaN when there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    keys = [f"p{round(q * 100):d}" for q in qs]
    if not len(v):
        return dict.fromkeys(keys, math.nan)
    return dict(zip(keys, (float(x) for x in np.quantile(v, qs, method="linear"))))


def uncertainty_split(values: np.ndarray, twin_a: np.ndarray, twin_b: np.ndarray) -> dict[str, float]:
    """Split the spread of an outcome into simulation noise and parameter uncertainty.

    ``values`` are the outcome over all replications (each with its own
    inputs); ``twin_a``/``twin_b`` the outcome of the same inputs lived
    twice with different simulation random numbers. Simulation variance is
    ``mean((a - b)^2) / 2``; parameter variance is the rest of the total.
    """
    v = np.asarray(values, dtype=float)
    a, b = np.asarray(twin_a, dtype=float), np.asarray(twin_b, dtype=float)
    total = float(np.var(v, ddof=1)) if len(v) > 1 else math.nan
    noise = float(np.mean((a - b) ** 2) / 2.0) if len(a) else math.nan
    parameter = max(0.0, total - noise) if math.isfinite(total) and math.isfinite(noise) else math.nan
    share = noise / total if total and math.isfinite(total) and math.isfinite(noise) and total > 0 else math.nan
    return {
        "total_sd": math.sqrt(total) if math.isfinite(total) else math.nan,
        "simulation_sd": math.sqrt(noise) if math.isfinite(noise) else math.nan,
        "parameter_sd": math.sqrt(parameter) if math.isfinite(parameter) else math.nan,
        "simulation_share_of_variance": min(1.0, share) if math.isfinite(share) else math.nan,
        "pairs": float(len(a)),
    }


@dataclass
class RoiResult:
    """An ROI study run from Python: the tidy tables the command writes, and its summary."""

    months: pd.DataFrame
    outcomes: pd.DataFrame
    summary: dict[str, Any]


def simulate_roi(scenario: Scenario, replications: int = 20, seed: int | None = None, workers: int = 1) -> RoiResult:
    """Run ``replications`` ROI replications (no checkpoints) and summarise them, for notebooks.

    ``months`` and ``outcomes`` are the tables of ``ccsim roi`` (with a
    ``replication`` column); the numbers are those of the command with the
    same seed, whatever ``workers``.
    """
    from sim.studies.executors import make_executor

    study = prepare_study(scenario)
    seed = scenario.seed if seed is None else int(seed)
    executor = make_executor(workers)
    try:
        tasks = [(scenario, seed, r) for r in range(replications)]
        produced = {task[2]: tables for task, tables in executor.map_unordered(_one_replication, tasks)}
    finally:
        executor.close()
    months, outcomes = [], []
    for replication in sorted(produced):
        tables = produced[replication]
        if not isinstance(tables, dict):
            raise RuntimeError(f"replication {replication} was lost: {tables}")
        months.append(tables["months"].assign(replication=replication))
        outcomes.append(tables["results"].assign(replication=replication))
    months_frame = pd.concat(months, ignore_index=True)
    outcomes_frame = pd.concat(outcomes, ignore_index=True)
    summary = summarise_outcomes(outcomes_frame, study.settings.months, study.costs.currency)
    return RoiResult(months_frame, outcomes_frame, summary)


def _one_replication(task: tuple[Scenario, int, int]) -> dict[str, pd.DataFrame]:
    return roi_command(*task)


def outcome_values(outcomes: pd.DataFrame, kpi: str, channel: str = "roi") -> pd.Series:
    """One outcome (or drawn input, channel ``input``) per replication, indexed and sorted by replication."""
    rows = outcomes[(outcomes["channel"] == channel) & (outcomes["kpi"] == kpi)]
    return rows.set_index("replication")["value"].sort_index()


def summarise_outcomes(outcomes: pd.DataFrame, months: int, currency: str = "USD", level: float = 0.95) -> dict[str, Any]:
    """The manager's numbers over replications: bands, payback chances, noise vs parameters.

    ``outcomes`` has columns ``replication, channel, kpi, value`` as the
    ``roi`` task writes them. Payback months that never come are counted as
    beyond the horizon: a quantile that falls there is None, and ``p_never``
    gives their share.
    """
    def values(kpi: str, channel: str = "roi") -> pd.Series:
        return outcome_values(outcomes, kpi, channel)

    payback = values("payback_month").to_numpy(dtype=float)
    never = payback > months
    payback_q = quantiles(np.where(never, months + 1.0, payback))
    summary: dict[str, Any] = {
        "roi": quantiles(values("roi").to_numpy()),
        "npv": quantiles(values("npv").to_numpy()),
        "payback_month": {k: (None if not v <= months else v) for k, v in payback_q.items()},
        "p_never": float(never.mean()) if len(payback) else math.nan,
        "p_payback_12m": float((payback <= min(12, months)).mean()) if len(payback) else math.nan,
        "p_payback_horizon": float((~never).mean()) if len(payback) else math.nan,
        "replications": int(len(payback)),
        "months": int(months),
        "currency": currency,
        "simulated_contacts": float(values("simulated_contacts").sum() + values("simulated_contacts", "roi_twin").sum()),
    }
    for kpi in ("deflected_contacts", "shifted_contacts", "net_benefit_total", "programme_cost_total", "savings_total",
                "fte_saved_last_month"):
        summary[kpi] = mean_and_band(values(kpi).to_numpy(), level)
    summary["claims"] = {kpi: mean_and_band(values(kpi).to_numpy(), level)
                         for kpi in ("baseline_cost_per_contact", "baseline_personnel_share", "phone_drop_programme_users")}
    summary["uncertainty"] = {}
    for kpi in ("npv", "roi", "net_benefit_total"):
        twins = values(kpi, "roi_twin")
        firsts = values(kpi).reindex(twins.index)
        summary["uncertainty"][kpi] = uncertainty_split(values(kpi).to_numpy(), firsts.to_numpy(), twins.to_numpy())
    return summary


def mean_and_band(values: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean with its confidence interval, and the 5/50/95 % quantiles of the spread."""

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    mean, low, high = confidence_interval(v, level) if len(v) else (math.nan, math.nan, math.nan)
    suffix = f"ci{round(level * 100):d}"
    return {"mean": float(mean), f"{suffix}_low": float(low), f"{suffix}_high": float(high), **quantiles(v)}


__all__ = [
    "ARMS", "COST_LINES", "Adoption", "RoiResult", "RoiSettings", "RoiStudy", "arm_scenario", "live_horizon", "measure_month",
    "mean_and_band", "month_scale", "month_seed", "outcome_values", "prepare_study", "quantiles", "replication_inputs",
    "roi_command", "simulate_roi", "simulated_months", "summarise_outcomes", "uncertainty_split", "with_inputs",
]
