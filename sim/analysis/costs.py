"""What a contact center costs per month, and the financial yardsticks of a programme.

The cost lines follow the usual structure of a contact center's budget:

- personnel, fixed: management and support staff that do not scale with contacts;
- personnel, variable: agents and their supervisors (FTE x loaded wage), plus
  hiring and training of new hires (growth and attrition);
- technology: amortisation of the investment and technical support;
- facilities: seats (rent, maintenance, services) per FTE;
- telecom: connected minutes on the phone lines;
- other: overheads;
- self-service: the small cost of each issue the customer solves alone;

and the programme's own lines (social customer service and a peer community):
dedicated staff (moderators, community managers, technical support, analysts),
technology (monitoring tool, CRM licences, integration) and a one-off set-up.

Nothing here simulates: :func:`monthly_costs` turns a month's workload (FTE
already derived from simulated workload, minutes, self-resolved issues) into
money. The financial helpers (:func:`npv`, :func:`payback_month`,
:func:`roi`, :func:`amortisation`) are plain functions over arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from sim.spec.models import SpecModel

COST_LINES = (
    "personnel_fixed",
    "personnel_agents",
    "personnel_supervisors",
    "hiring_training",
    "technology",
    "facilities",
    "telecom",
    "other",
    "self_service",
    "programme_staff",
    "programme_technology",
    "programme_setup",
)
"""Cost lines in display order; the last three are the programme's own."""
PROGRAMME_LINES = ("programme_staff", "programme_technology", "programme_setup")
PERSONNEL_LINES = ("personnel_fixed", "personnel_agents", "personnel_supervisors", "hiring_training")


class _Model(SpecModel):
    """Unknown keys, NaN, infinities and true/false for numbers are refused."""


def _money(description: str, default: float = 0.0) -> float:
    return Field(default, ge=0.0, description=description)


class Personnel(_Model):
    """People: salaries are annual and gross; ``benefits_share`` and ``payroll_tax_share`` add on top."""

    agent_annual_salary: float = _money("gross annual salary of an agent", 30000.0)
    supervisor_annual_salary: float = _money("gross annual salary of a team leader", 42000.0)
    agents_per_supervisor: float = Field(12.0, gt=0, description="agents per team leader (span of control)")
    fixed_fte: float = _money("management, planning, quality and training staff, independent of volume", 0.0)
    fixed_annual_salary: float = _money("gross annual salary of the fixed staff", 55000.0)
    benefits_share: float = Field(0.15, ge=0, le=2, description="benefits as a share of salary")
    payroll_tax_share: float = Field(0.25, ge=0, le=2, description="employer's taxes and social charges as a share of salary")
    hiring_cost_per_hire: float = _money("recruitment cost of one new agent", 2500.0)
    training_cost_per_hire: float = _money("initial training of one new agent", 3500.0)
    attrition_per_year: float = Field(0.25, ge=0, le=5,
                                      description="share of staff who leave each year (replaced as roi.staffing decides)")
    hours_per_fte_month: float = Field(162.5, gt=0, description="paid hours of one FTE in a month")
    shrinkage: float = Field(0.3, ge=0, lt=1, description="paid time not available for contacts, where no team says")
    deferrable_occupancy: float = Field(
        0.85, gt=0, le=1, description="occupancy reached on deferrable work (social posts, forum moderation)"
    )

    def loaded_monthly(self, annual_salary: float) -> float:
        """Monthly cost of one FTE at ``annual_salary``: salary plus benefits and taxes."""
        return annual_salary * (1.0 + self.benefits_share + self.payroll_tax_share) / 12.0


class Technology(_Model):
    """The center's systems: an investment written off over ``amortisation_months`` plus support."""

    investment: float = _money("purchase price of ACD, CRM, WFM and telephony systems")
    amortisation_months: int = Field(60, ge=1, description="months over which the investment is written off")
    months_already_amortised: int = Field(0, ge=0, description="months of the write-off already behind at month 1")
    support_per_month: float = _money("maintenance and technical support per month")


class Facilities(_Model):
    """Seats: rent, maintenance and services per seat."""

    cost_per_seat_per_month: float = _money("rent, maintenance and services of one seat", 400.0)
    seats_per_fte: float = Field(0.8, ge=0, description="seats per FTE (shifts share seats)")


class Telecom(_Model):
    """Telephony: cost per connected minute (waiting and talking) and fixed lines."""

    cost_per_minute: float = _money("per connected minute on the phone channels", 0.02)
    fixed_per_month: float = _money("lines, networking and mobile plans per month")


class Other(_Model):
    """Overheads."""

    per_month: float = _money("overheads per month (travel, consultancy, insurance)")
    share_of_personnel: float = Field(0.0, ge=0, le=1, description="overheads as a share of personnel cost")


class SelfService(_Model):
    """What an issue solved without an agent costs (hosting, search, content upkeep per use)."""

    cost_per_resolution: float = _money("per self-resolved issue", 0.15)


class ProgrammeStaff(_Model):
    """Dedicated programme roles beyond the moderators that the simulated workload needs."""

    community_managers_fte: float = _money("community managers", 0.0)
    technical_support_fte: float = _money("technical support of the platforms", 0.0)
    analysts_fte: float = _money("analysts of customer behaviour and sentiment", 0.0)
    annual_salary: float = _money("gross annual salary of these roles", 45000.0)
    moderator_annual_salary: float | None = Field(
        None, ge=0, description="salary of the agents who work the programme's channels (default: agents' salary)"
    )


class ProgrammeTechnology(_Model):
    """The programme's tools."""

    monitoring_tool_per_month: float = _money("social listening / monitoring application")
    crm_licences: int = Field(0, ge=0, description="extra CRM seats for the programme")
    crm_licence_per_month: float = _money("price of one CRM licence per month")
    integration_investment: float = _money("integration with the knowledge base and CRM, written off")
    integration_amortisation_months: int = Field(24, ge=1)
    platform_per_month: float = _money("community platform subscription")


class Programme(_Model):
    """What the social and community programme costs on its own."""

    staff: ProgrammeStaff = ProgrammeStaff()
    technology: ProgrammeTechnology = ProgrammeTechnology()
    setup_cost: float = _money("one-off set-up in month 1 (design, launch, content seeding)")


class CostModel(_Model):
    """All prices of a scenario's ``costs`` section."""

    currency: str = Field("USD", description="shown in tables and the report")
    personnel: Personnel = Personnel()
    technology: Technology = Technology()
    facilities: Facilities = Facilities()
    telecom: Telecom = Telecom()
    other: Other = Other()
    self_service: SelfService = SelfService()
    programme: Programme = Programme()


@dataclass(frozen=True)
class MonthWorkload:
    """What one arm needs and uses in one month, from the simulation.

    ``agent_fte`` are the FTE of the center's own channels (after shrinkage),
    ``moderator_fte`` those of the programme's channels (charged, with their
    supervision and seats, to the programme's staff line); ``hires`` the new
    people taken on this month (growth and replacement of leavers).
    """

    agent_fte: float
    moderator_fte: float
    hires: float
    line_minutes: float
    self_resolved: float
    programme_active: bool


def monthly_costs(costs: CostModel, month: int, work: MonthWorkload) -> dict[str, float]:
    """Every cost line of one month (``month`` counts from 1), in :data:`COST_LINES` order."""
    p = costs.personnel
    agents = work.agent_fte * p.loaded_monthly(p.agent_annual_salary)
    supervisors = work.agent_fte / p.agents_per_supervisor * p.loaded_monthly(p.supervisor_annual_salary)
    fixed = p.fixed_fte * p.loaded_monthly(p.fixed_annual_salary)
    hiring = work.hires * (p.hiring_cost_per_hire + p.training_cost_per_hire)
    t = costs.technology
    technology = amortisation(t.investment, t.amortisation_months, month + t.months_already_amortised) + t.support_per_month
    facilities = work.agent_fte * costs.facilities.seats_per_fte * costs.facilities.cost_per_seat_per_month
    telecom = work.line_minutes * costs.telecom.cost_per_minute + costs.telecom.fixed_per_month
    personnel = fixed + agents + supervisors + hiring
    lines = {
        "personnel_fixed": fixed,
        "personnel_agents": agents,
        "personnel_supervisors": supervisors,
        "hiring_training": hiring,
        "technology": technology,
        "facilities": facilities,
        "telecom": telecom,
        "other": costs.other.per_month + costs.other.share_of_personnel * personnel,
        "self_service": work.self_resolved * costs.self_service.cost_per_resolution,
        "programme_staff": 0.0,
        "programme_technology": 0.0,
        "programme_setup": 0.0,
    }
    if work.programme_active:
        lines.update(programme_costs(costs, month, work.moderator_fte))
    return lines


def programme_costs(costs: CostModel, month: int, moderator_fte: float) -> dict[str, float]:
    """The programme's own lines: its staff (moderators included, with their seats and supervision), tools, set-up."""
    p, prog = costs.personnel, costs.programme
    staff = prog.staff
    moderator_salary = staff.moderator_annual_salary if staff.moderator_annual_salary is not None else p.agent_annual_salary
    roles = staff.community_managers_fte + staff.technical_support_fte + staff.analysts_fte
    people = (
        moderator_fte * p.loaded_monthly(moderator_salary)
        + moderator_fte / p.agents_per_supervisor * p.loaded_monthly(p.supervisor_annual_salary)
        + roles * p.loaded_monthly(staff.annual_salary)
        + (moderator_fte + roles) * costs.facilities.seats_per_fte * costs.facilities.cost_per_seat_per_month
    )
    tech = prog.technology
    tools = (
        tech.monitoring_tool_per_month
        + tech.crm_licences * tech.crm_licence_per_month
        + tech.platform_per_month
        + amortisation(tech.integration_investment, tech.integration_amortisation_months, month)
    )
    return {
        "programme_staff": people,
        "programme_technology": tools,
        "programme_setup": prog.setup_cost if month == 1 else 0.0,
    }


# ---------------------------------------------------------------------------
# Financial yardsticks


def amortisation(investment: float, months: int, month: int) -> float:
    """Straight-line write-off of ``investment`` over ``months``: the charge in ``month`` (from 1)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    return investment / months if 1 <= month <= months else 0.0


def discount_factors(months: int, annual_rate: float) -> np.ndarray:
    """``(1 + annual_rate) ** -(m / 12)`` for months ``m = 1 .. months`` (cash flows at month end)."""
    if annual_rate <= -1.0:
        raise ValueError("annual_rate must be above -1")
    m = np.arange(1, months + 1, dtype=float)
    return (1.0 + annual_rate) ** (-m / 12.0)


def npv(monthly_net: Sequence[float] | np.ndarray, annual_rate: float) -> float:
    """Net present value of monthly net cash flows (month 1 first) at an annual discount rate."""
    flows = np.asarray(monthly_net, dtype=float)
    return float(flows @ discount_factors(len(flows), annual_rate))


def payback_month(monthly_net: Sequence[float] | np.ndarray) -> int | None:
    """First month (from 1) whose cumulative net benefit is at least zero; None if it never comes.

    This is the month in which the savings so far have covered the set-up and
    running costs so far.
    """
    cumulative = np.cumsum(np.asarray(monthly_net, dtype=float))
    hits = np.flatnonzero(cumulative >= 0.0)
    return int(hits[0]) + 1 if len(hits) else None


def roi(total_net_benefit: float, total_programme_cost: float) -> float:
    """Return on investment: (savings - costs) / costs; NaN when the programme costs nothing."""
    if total_programme_cost <= 0.0:
        return math.nan
    return total_net_benefit / total_programme_cost
