"""The ROI study's settings: the scenario's ``roi`` section, the adoption curve, and a prepared study.

Also the names the study reports under: the two arms and the
per-replication outcomes (channels ``roi``, ``roi_twin`` and ``input``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from sim.analysis.costs import CostModel
from sim.spec.models import SpecModel

ARMS = ("baseline", "programme")
PROGRAMME_KINDS = ("social", "forum")
"""Channel kinds that make up the programme unless ``roi.programme_channels`` says otherwise."""
OUTCOME_KPIS = (
    "roi", "npv", "payback_month", "paid_back", "net_benefit_total", "savings_total", "programme_cost_total",
    "deflected_contacts", "shifted_contacts", "simulated_contacts", "baseline_cost_per_contact",
    "baseline_personnel_share", "phone_drop_programme_users", "fte_saved_last_month",
)
"""Per-replication outcomes (channel ``roi``) in display order."""
OUTCOME_CHANNELS = ("roi", "roi_twin", "input", "policy")
"""Channels of the per-replication table: outcomes, the noise twin's outcomes, drawn inputs, outcomes by policy."""
POLICY_KPIS = ("payback_month", "paid_back", "npv", "fte_saved_last_month", "simulated_contacts")
"""Outcomes kept for each staffing policy (channel ``policy``, KPI ``<policy>.<outcome>``)."""
TWIN_KPIS = ("roi", "npv", "payback_month", "net_benefit_total")
"""Outcomes also reported for the noise twins (channel ``roi_twin``)."""
class _Model(SpecModel):
    """Unknown keys, NaN, infinities and true/false for numbers are refused."""


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
    hiring_lead_months: int = Field(
        0, ge=0, le=24,
        description="months from deciding a hire to the hire taking contacts (recruiting and training); until then "
                    "a team whose need rose runs short, simulated with the agents it has",
    )
    demand_growth_per_month: float = Field(0.0, ge=-0.2, le=0.2, description="issues and contacts grow by this each month")
    scale_staff_with_demand: bool = Field(True, description="simulated rosters grow with demand, so service holds")
    adoption: Adoption = Adoption()
    programme_channels: list[str] | None = Field(None,
                                                 description="channels the programme adds (default: social and forum kinds)")
    baseline: dict[str, Any] = Field(default_factory=dict, description="dotted overrides for the baseline arm only")
    programme: dict[str, Any] = Field(default_factory=dict, description="dotted overrides for the programme arm only")
    sample_days: int = Field(1, ge=1, le=28, description="days simulated per month, arm and day type")
    start_day: int = Field(1, ge=0, le=6, description="weekday of the simulated days (0 = Monday) with "
                                                      "day_sampling: fixed")
    day_sampling: Literal["day_types", "fixed"] = Field(
        "day_types",
        description=(
            "day_types: every month simulates each day type of the week (weekdays, weekend; split where days open "
            "differently) at its mean day-of-week profile, weighted by the days it stands for; fixed: start_day "
            "alone, scaled by the day-of-week profile (biased where costs are not proportional to volume)"
        ),
    )
    days_per_month: float = Field(30.4375, gt=0, le=31)
    simulate_every: int = Field(
        1, ge=1, le=12, description="simulate months 1, 1+k, ... and the last; months between are interpolated"
    )
    noise_pairs: int = Field(10, ge=0, description="replications lived twice to measure simulation noise")
    compare_policies: int = Field(
        20, ge=0, description="replications also lived under the other two staffing policies (same inputs and random "
                              "numbers) for the report's side-by-side comparison")


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
