"""What values a KPI can take, and confidence intervals cut to them.

A Student-t interval over few replications is symmetric about the mean and
can reach past what is possible: a count below 0 (``abandoned -26 .. 146``
over 3 replications), a service level above 100 %, a wait below 0 s. The
mean is unaffected; the bounds are cut at the feasible range, and the rows
cut are listed so that the output can say that the replications are too few
for the normal approximation there.

========================================  ===============
KPIs                                      feasible range
========================================  ===============
probabilities and rates (``FRACTION_KPIS``,
knowledge coverage per issue type)        [0, 1]
``net_sentiment``                         [-1, 1]
counts, times (``*_s``), hours, agents    [0, inf)
anything else (ROI money, months, ...)    not cut
========================================  ===============
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

FRACTION_KPIS = frozenset({
    "service_level", "p_wait", "abandon_rate", "p_abandon", "deflection_rate", "self_service_success", "digital_share",
    "fcr", "repeat_rate", "resolved_rate", "peer_answer_rate", "response_coverage",
})
"""KPIs that are shares of something: from 0 to 1."""
NONNEGATIVE_KPIS = frozenset({
    "offered", "answered", "abandoned", "in_system_at_end", "blocked", "occupancy", "agents", "line_minutes", "backlog",
    "issues", "self_service_looks", "deflected", "contacts", "shifted_contacts", "repeat_contacts", "retries",
    "switches", "escalations", "unresolved_issues", "sentiment_positive", "sentiment_neutral", "sentiment_negative",
    "peer_answers", "unanswered", "agent_answers", "contacts_per_issue",
})
"""Counts and other KPIs that cannot be negative (besides times ``*_s`` and hours ``*_hours``)."""
SIGNED_KPIS: dict[str, tuple[float, float]] = {"net_sentiment": (-1.0, 1.0)}
"""KPIs with a range of their own."""
KNOWLEDGE_CHANNEL = "knowledge"
"""The pseudo-channel whose KPIs are the agents' coverage of each issue type (shares)."""


def feasible_range(channel: str, kpi: str) -> tuple[float, float]:
    """The values ``kpi`` of ``channel`` can take: (low, high), infinite where there is no bound."""
    if kpi in FRACTION_KPIS or channel == KNOWLEDGE_CHANNEL:
        return 0.0, 1.0
    if kpi in SIGNED_KPIS:
        return SIGNED_KPIS[kpi]
    base = kpi.split(":", 1)[0]  # busy_hours:phone
    if base in NONNEGATIVE_KPIS or base.endswith(("_s", "_hours")):
        return 0.0, math.inf
    return -math.inf, math.inf


def clip_intervals(table: pd.DataFrame, low: str = "ci95_low", high: str = "ci95_high") -> list[tuple[str, str]]:
    """Cut the ``low`` and ``high`` columns of ``table`` (with ``channel`` and ``kpi``) to each KPI's range, in place.

    Returns the distinct (channel, kpi) whose interval was cut, in table order.
    """
    if table.empty:
        return []
    bounds = [feasible_range(str(c), str(k)) for c, k in zip(table["channel"], table["kpi"])]
    floor = np.array([b[0] for b in bounds])
    ceiling = np.array([b[1] for b in bounds])
    lows = table[low].to_numpy(dtype=float)
    highs = table[high].to_numpy(dtype=float)
    cut = (lows < floor) | (highs > ceiling)  # NaN bounds compare False: left as they are
    if cut.any():
        table[low] = np.where(lows < floor, floor, lows)
        table[high] = np.where(highs > ceiling, ceiling, highs)
    return list(dict.fromkeys(zip(table["channel"][cut].astype(str), table["kpi"][cut].astype(str))))
