"""Pricing the ROI study's months: the FTE each arm paid, its cost lines, finance and outcomes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.costs import PERSONNEL_LINES, PROGRAMME_LINES, MonthWorkload, monthly_costs, npv, payback_month, roi
from sim.studies.roi_settings import ARMS, RoiStudy

SUMMED = {"offered", "answered", "escalations", "issues", "contacts", "deflected", "shifted_contacts",
           "sentiment_negative", "handled_hours", "line_minutes"}
"""Month measures that are counts (scaled from the sampled days to the month); the rest are rates."""


@dataclass(frozen=True)
class StaffRow:
    """One arm-month's FTE: paid agents and moderators (the staffing simulated), hires, and what the rule needed."""

    agents: float
    moderators: float
    hires: float
    need_agents: float


def price_months(study: RoiStudy, monthly: dict[str, dict[int, dict[str, float]]],
                 staff: Mapping[str, list[StaffRow]], scale: float, simulated_set: set[int], simulated_contacts: float,
                 drops: list[tuple[float, float]]) -> tuple[pd.DataFrame, dict[str, float]]:
    """Cost lines and finance for every month of both arms, from the FTE each arm paid (``staff``, month 1 first)."""
    settings, costs = study.settings, study.costs
    phones = [n for n, kind in study.kinds.items() if kind == "phone"]
    rows: list[tuple[int, str, str, str, float, bool]] = []
    totals = {arm: np.zeros(settings.months) for arm in ARMS}
    programme_cost = np.zeros(settings.months)
    lines_first: dict[str, dict[str, float]] = {}
    for arm in ARMS:
        for m in range(1, settings.months + 1):
            row = staff[arm][m - 1]
            agents, mods, hires, need_agents = row.agents, row.moderators, row.hires, row.need_agents
            measures = monthly[arm][m]
            work = MonthWorkload(
                agent_fte=agents, moderator_fte=mods, hires=hires,
                line_minutes=scale * sum(measures.get(f"{n}.line_minutes", 0.0) for n in phones),
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
                rows.append((m, arm, channel, kpi, scale * value if kpi in SUMMED else value, sim_flag))
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
    outcomes = _outcomes(study, monthly, scale, net, programme_cost, simulated_contacts, drops, lines_first, staff)
    return table, outcomes


def _outcomes(study: RoiStudy, monthly: dict[str, dict[int, dict[str, float]]], scale: float, net: np.ndarray,
              programme_cost: np.ndarray, simulated_contacts: float, drops: list[tuple[float, float]],
              lines_first: dict[str, dict[str, float]], staff: Mapping[str, list[StaffRow]]) -> dict[str, float]:
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
    last_base, last_prog = staff["baseline"][-1], staff["programme"][-1]
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
        "fte_saved_last_month": last_base.agents - last_prog.agents,
    }
