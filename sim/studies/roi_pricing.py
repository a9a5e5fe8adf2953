"""Pricing the ROI study's months: FTE and headcount under the staffing policy, cost lines, finance, outcomes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.costs import PERSONNEL_LINES, PROGRAMME_LINES, MonthWorkload, monthly_costs, npv, payback_month, roi
from sim.studies.roi_settings import ARMS, RoiStudy

_SUMMED = {"offered", "answered", "escalations", "issues", "contacts", "deflected", "shifted_contacts",
           "sentiment_negative", "handled_hours", "line_minutes"}
"""Month measures that are counts (scaled from the sampled days to the month); the rest are rates."""


@dataclass(frozen=True)
class ChannelFacts:
    """What pricing needs to know of each channel: its team's shrinkage, phone lines, programme or not."""

    shrinkage: dict[str, float]
    phones: tuple[str, ...]
    programme: tuple[str, ...]


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


def price_months(study: RoiStudy, channels: ChannelFacts, monthly: dict[str, dict[int, dict[str, float]]], scale: float,
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


def _fte(measures: Mapping[str, float], scale: float, hours_per_fte: float, channels: ChannelFacts) -> tuple[float, float]:
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
