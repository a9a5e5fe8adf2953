"""KPIs of the omnichannel journey: issues, deflection, shift, FCR, posts, teams.

Issue KPIs count the issues that arrived inside the measurement window and
follow them to their end (their later contacts count even after the
horizon); contact KPIs count contacts arriving inside the window. Rows use
the tidy layout of :mod:`sim.analysis.metrics`: ``channel`` is ``journey`` for issue
and contact-mix KPIs, ``team:<name>`` for teams, ``knowledge`` for coverage
per issue type, and the channel's name for post KPIs.

Definitions:

- ``deflection_rate``: issues resolved by self-service without any contact,
  over issues (the indirect contact reduction);
- ``shifted_contacts``: contacts handled in a digital channel (chat, social,
  forum), each a contact the phone did not get (the direct shift);
- ``fcr``: handled contacts (by an agent or an accepted peer answer) that
  resolved the issue, over handled contacts;
- ``repeat_rate``: contacts caused by an unresolved earlier contact, over
  contacts; ``contacts_per_issue`` over all issues, deflected ones included;
- ``time to resolution``: from the issue's arrival to the end of the contact
  (or search) that resolved it;
- team ``occupancy``: time agents held work over time on duty.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.integrals import busy_integral, staffed_integral
from sim.engine.records import (
    ANSWERED,
    BY_AGENT,
    BY_PEER,
    REASON_REPEAT,
    REASON_RETRY,
    REASON_SWITCH,
    SENTIMENTS,
    JourneyRecords,
    RunRecords,
)

JOURNEY_SUMMARY_KPIS: dict[str, str] = {
    "issues": "issues",
    "self_resolved": "deflected",
    "deflection_rate": "deflection_rate",
    "direct_shift": "shifted_contacts",
    "fcr": "fcr",
    "repeat_contact_rate": "repeat_rate",
    "contacts_per_issue": "contacts_per_issue",
    "escalations": "escalations",
}
"""Names of the journey summary (``--json``'s top-level ``journey``) -> the ``journey`` KPI they report.

``self_resolved`` is the indirect contact reduction (issues deflected by
self-service), ``direct_shift`` the contacts handled in digital channels.
"""
POST_KPI_ALIASES: dict[str, str] = {"response_time_s": "mean_response_s"}
"""Further names of social and forum KPIs in ``--json`` -> the KPI they report."""

_DIGITAL = ("chat", "social", "forum")


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Elementwise ratio with NaN where the denominator is 0."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(num.shape, math.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


class _Periods:
    """Which period each time falls in, and sums per period."""

    def __init__(self, edges: np.ndarray) -> None:
        self.edges = edges
        self.n = len(edges) - 1

    def index(self, t_s: np.ndarray) -> np.ndarray:
        """Period of each time; -1 outside the edges."""
        k = np.searchsorted(self.edges, t_s, side="right") - 1
        k[(k < 0) | (k >= self.n) | ~np.isfinite(t_s)] = -1
        return k

    def count(self, k: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """How many selected items fall in each period."""
        selected = k >= 0 if mask is None else (k >= 0) & mask
        return np.bincount(k[selected], minlength=self.n)[: self.n].astype(float)

    def total(self, k: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Sum of ``weights`` (1 each when None) per period."""
        inside = k >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[inside]
        return np.bincount(k[inside], weights=w, minlength=self.n)[: self.n].astype(float)

    def mean(self, k: np.ndarray, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over the selected items per period (NaN if none)."""
        return _div(self.total(k, np.where(mask, values, 0.0)), self.count(k, mask))

    def integral(self, cumulative: np.ndarray) -> np.ndarray:
        """Per-period increments of a cumulative quantity evaluated at the edges."""
        return np.diff(cumulative)


def _issue_table(j: JourneyRecords, p: _Periods) -> dict[str, np.ndarray]:
    """Issue and contact-mix KPIs per period (issues by arrival, contacts by arrival)."""
    ki, kc = p.index(j.issue_arrival_s), p.index(j.contact_arrival_s)
    issues = p.count(ki)
    kinds = np.asarray(j.channel_kinds, dtype=object)
    digital = np.isin(kinds[j.contact_channel], _DIGITAL) if len(j.contact_channel) else np.zeros(0, dtype=bool)
    handled = np.isin(j.contact_by, (BY_AGENT, BY_PEER))
    contacts = p.count(kc)
    deflected = p.count(ki, j.issue_deflected)
    resolved_by_contact = j.issue_resolved & ~j.issue_deflected
    forum = kinds[j.contact_channel] == "forum" if len(j.contact_channel) else np.zeros(0, dtype=bool)
    peer = forum & (j.contact_by == BY_PEER)
    repeats = p.count(kc, j.contact_reason == REASON_REPEAT)
    sentiment = j.contact_sentiment
    posts = p.count(kc, sentiment >= 0)
    table = {
        "issues": issues,
        "self_service_looks": p.count(ki, j.issue_looked),
        "deflected": deflected,
        "deflection_rate": _div(deflected, issues),
        "self_service_success": _div(deflected, p.count(ki, j.issue_looked)),
        "contacts": contacts,
        "contacts_per_issue": _div(p.total(ki, j.issue_contacts), issues),
        "shifted_contacts": p.count(kc, digital),
        "digital_share": _div(p.count(kc, digital), contacts),
        "fcr": _div(p.count(kc, j.contact_resolved & handled), p.count(kc, handled)),
        "repeat_contacts": repeats,
        "repeat_rate": _div(repeats, contacts),
        "retries": p.count(kc, j.contact_reason == REASON_RETRY),
        "switches": p.count(kc, j.contact_reason == REASON_SWITCH),
        "escalations": p.count(kc, j.contact_escalated),
        "resolved_rate": _div(p.count(ki, j.issue_resolved), issues),
        "unresolved_issues": issues - p.count(ki, j.issue_resolved),
        "mean_resolution_s": p.mean(ki, np.nan_to_num(j.issue_resolution_s), resolved_by_contact),
        "p90_resolution_s": _quantile_per_period(ki, j.issue_resolution_s, resolved_by_contact, p.n, 0.9),
    }
    for code, name in enumerate(SENTIMENTS):
        table[f"sentiment_{name}"] = p.count(kc, sentiment == code)
    table["net_sentiment"] = _div(
        table["sentiment_positive"] - table["sentiment_negative"] - p.count(kc, j.contact_escalated & (sentiment >= 0)), posts
    )
    table["peer_answers"] = p.count(kc, peer)
    table["peer_answer_rate"] = _div(p.count(kc, peer), p.count(kc, forum))
    table["mean_first_peer_answer_s"] = p.mean(kc, j.contact_wait_s, peer)
    return table


def _quantile_per_period(k: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int, q: float) -> np.ndarray:
    out = np.full(n, math.nan)
    sel = mask & (k >= 0)
    if n == 1 and sel.any():  # one window (a run's totals): no grouping needed
        out[0] = float(np.quantile(values[sel], q))
    elif sel.any():
        grouped = pd.Series(values[sel]).groupby(k[sel]).quantile(q)
        out[grouped.index.to_numpy()] = grouped.to_numpy()
    return out


def _post_table(j: JourneyRecords, c: int, p: _Periods) -> dict[str, np.ndarray]:
    """Response KPIs of social or forum channel ``c`` per period (posts by arrival)."""
    mine = j.contact_channel == c
    k = p.index(np.where(mine, j.contact_arrival_s, np.nan))
    answered = j.contact_outcome == ANSWERED
    agent = j.contact_by == BY_AGENT
    offered = p.count(k)
    table = {
        "aht_s": p.mean(k, j.contact_service_s, agent),
        "line_minutes": np.full(p.n, math.nan),
        "response_coverage": _div(p.count(k, answered), offered),
        "mean_response_s": p.mean(k, np.where(np.isfinite(j.contact_wait_s), j.contact_wait_s, 0.0), answered),
        "unanswered": offered - p.count(k, answered),
        "agent_answers": p.count(k, agent),
    }
    if j.channel_kinds[c] == "social":
        table["escalations"] = p.count(k, j.contact_escalated)
        for code, name in enumerate(SENTIMENTS):
            table[f"sentiment_{name}"] = p.count(k, j.contact_sentiment == code)
    else:
        table["peer_answers"] = p.count(k, j.contact_by == BY_PEER)
        table["peer_answer_rate"] = _div(table["peer_answers"], offered)
    return table


def _last_snapshot(j: JourneyRecords, p: _Periods) -> np.ndarray:
    """Index of the last snapshot taken in each period, its end included (-1 where none)."""
    last = np.searchsorted(j.snap_t_s, p.edges[1:], side="right") - 1
    inside = last >= 0
    inside[inside] = j.snap_t_s[last[inside]] >= p.edges[:-1][inside]
    return np.where(inside, last, -1)


def _team_table(j: JourneyRecords, interval_s: float, p: _Periods) -> dict[str, dict[str, np.ndarray]]:
    """Scheduled, staffed and busy hours and occupancy of each team per period."""
    out = {}
    lengths = np.diff(p.edges)
    for name, team in j.teams.items():
        if not team.reported:
            continue
        busy = p.integral(busy_integral(team.spell_start_s, team.spell_end_s, p.edges))
        staffed = p.integral(staffed_integral(team.staff_t_s, team.staff_n, p.edges))
        grid = np.arange(len(team.scheduled) + 1) * interval_s
        cumulative_sched = np.concatenate(([0.0], np.cumsum(team.scheduled * interval_s)))
        scheduled = np.diff(np.interp(p.edges, grid, cumulative_sched))
        row = {
            "scheduled_hours": scheduled / 3600.0,
            "staffed_hours": staffed / 3600.0,
            "busy_hours": busy / 3600.0,
            "occupancy": _div(busy, staffed),
            "agents": _div(staffed, lengths),
        }
        for skill in team.skills:
            mask = team.spell_channel == skill
            busy = busy_integral(team.spell_start_s[mask], team.spell_end_s[mask], p.edges)
            row[f"busy_hours:{skill}"] = p.integral(busy) / 3600.0
        out[name] = row
    return out


def _handled_hours(j: JourneyRecords, channel: str, p: _Periods) -> np.ndarray:
    """Agent-hours spent on ``channel`` per period, from every team's busy spells."""
    total = np.zeros(p.n)
    for team in j.teams.values():
        mask = team.spell_channel == channel
        if mask.any():
            total += p.integral(busy_integral(team.spell_start_s[mask], team.spell_end_s[mask], p.edges))
    return total / 3600.0


def journey_table(records: RunRecords, edges: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Every journey, post, team, backlog and knowledge KPI per period between ``edges``.

    Keys are ``(channel, kpi)``; values hold one number per period. ``records``
    must come from an omnichannel run (ValueError if it has no journey).
    """
    j = records.journey
    if j is None:
        raise ValueError(f"replication {records.replication} has no journey records (not an omnichannel run)")
    p = _Periods(np.asarray(edges, dtype=float))
    table: dict[tuple[str, str], np.ndarray] = {}
    if len(j.issue_types):
        table.update({("journey", k): v for k, v in _issue_table(j, p).items()})
    snap = _last_snapshot(j, p)
    has_snap = snap >= 0
    for c, name in enumerate(j.channels):
        table[(name, "handled_hours")] = _handled_hours(j, name, p)
        if not records.channels[name].staff_n.any():  # shared teams: see the team rows
            table[(name, "agents")] = table[(name, "occupancy")] = np.full(p.n, math.nan)
        if j.channel_kinds[c] in ("social", "forum"):
            table.update({(name, k): v for k, v in _post_table(j, c, p).items()})
        if len(j.snap_t_s):
            table[(name, "backlog")] = np.where(has_snap, j.snap_backlog[np.clip(snap, 0, None), c], math.nan)
    for t, name in enumerate(j.issue_types):
        if len(j.snap_t_s):
            table[("knowledge", name)] = np.where(has_snap, j.snap_coverage[np.clip(snap, 0, None), t], math.nan)
    for team, values in _team_table(j, records.interval_s, p).items():
        table.update({(f"team:{team}", k): v for k, v in values.items()})
    return table


def journey_rows(records: RunRecords, start_s: float, end_s: float) -> list[tuple[str, str, float]]:
    """``(channel, kpi, value)`` rows of the journey, posts, teams and knowledge in one window."""
    return [(c, k, float(v[0])) for (c, k), v in journey_table(records, np.array([start_s, end_s])).items()]
