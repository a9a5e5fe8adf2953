"""KPIs of the omnichannel journey: issues, deflection, shift, FCR, posts, teams.

Issue KPIs count the issues that arrived inside the measurement window and
follow them to their end (their later contacts count even after the
horizon); contact KPIs count contacts arriving inside the window. Rows use
the tidy layout of :mod:`sim.metrics`: ``channel`` is ``journey`` for issue
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

from .metrics import busy_integral, staffed_integral
from .records import ABANDONED, ANSWERED, BY_AGENT, BY_PEER, REASONS, SENTIMENTS, JourneyRecords, RunRecords

_DIGITAL = ("chat", "social", "forum")


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def _issue_kpis(j: JourneyRecords, issues: np.ndarray, contacts: np.ndarray) -> dict[str, float]:
    """Issue-level KPIs over the issues selected by ``issues`` and contacts by ``contacts``."""
    n_issues = int(issues.sum())
    resolved = j.issue_resolved[issues]
    resolution = j.issue_resolution_s[issues][resolved & ~j.issue_deflected[issues]]
    kinds = np.asarray(j.channel_kinds, dtype=object)
    kind = kinds[j.contact_channel[contacts]] if contacts.any() else np.empty(0, dtype=object)
    reason = j.contact_reason[contacts]
    handled = np.isin(j.contact_by[contacts], (BY_AGENT, BY_PEER))
    n_contacts = int(contacts.sum())
    row = {
        "issues": float(n_issues),
        "self_service_looks": float(j.issue_looked[issues].sum()),
        "deflected": float(j.issue_deflected[issues].sum()),
        "deflection_rate": _ratio(j.issue_deflected[issues].sum(), n_issues),
        "self_service_success": _ratio(j.issue_deflected[issues].sum(), j.issue_looked[issues].sum()),
        "contacts": float(n_contacts),
        "contacts_per_issue": _ratio(j.issue_contacts[issues].sum(), n_issues),
        "shifted_contacts": float(np.isin(kind, _DIGITAL).sum()),
        "digital_share": _ratio(np.isin(kind, _DIGITAL).sum(), n_contacts),
        "fcr": _ratio((j.contact_resolved[contacts] & handled).sum(), handled.sum()),
        "repeat_contacts": float((reason == REASONS.index("repeat")).sum()),
        "repeat_rate": _ratio((reason == REASONS.index("repeat")).sum(), n_contacts),
        "retries": float((reason == REASONS.index("retry")).sum()),
        "switches": float((reason == REASONS.index("switch")).sum()),
        "escalations": float(j.contact_escalated[contacts].sum()),
        "resolved_rate": _ratio(resolved.sum(), n_issues),
        "unresolved_issues": float(n_issues - resolved.sum()),
        "mean_resolution_s": float(resolution.mean()) if len(resolution) else math.nan,
        "p90_resolution_s": float(np.quantile(resolution, 0.9)) if len(resolution) else math.nan,
    }
    sentiment = j.contact_sentiment[contacts]
    posts = int((sentiment >= 0).sum())
    for code, name in enumerate(SENTIMENTS):
        row[f"sentiment_{name}"] = float((sentiment == code).sum())
    row["net_sentiment"] = _ratio(
        (sentiment == 0).sum() - (sentiment == 2).sum() - j.contact_escalated[contacts].sum(), posts
    )
    forum = kind == "forum"
    by = j.contact_by[contacts]
    first_answer = j.contact_wait_s[contacts][forum & (by == BY_PEER)]
    row["peer_answers"] = float((forum & (by == BY_PEER)).sum())
    row["peer_answer_rate"] = _ratio((forum & (by == BY_PEER)).sum(), forum.sum())
    row["mean_first_peer_answer_s"] = float(first_answer.mean()) if len(first_answer) else math.nan
    return row


def _post_kpis(j: JourneyRecords, channel: int, contacts: np.ndarray) -> dict[str, float]:
    """Response KPIs of a social or forum channel over the selected contacts."""
    mine = contacts & (j.contact_channel == channel)
    outcome = j.contact_outcome[mine]
    wait = j.contact_wait_s[mine]
    answered = outcome == ANSWERED
    by = j.contact_by[mine]
    agent = by == BY_AGENT
    row = {
        "aht_s": float(j.contact_service_s[mine][agent].mean()) if agent.any() else math.nan,
        "line_minutes": math.nan,
        "response_coverage": _ratio(answered.sum(), len(outcome)),
        "mean_response_s": float(wait[answered].mean()) if answered.any() else math.nan,
        "unanswered": float((~answered).sum()),
        "agent_answers": float(agent.sum()),
    }
    if j.channel_kinds[channel] == "social":
        row["escalations"] = float(j.contact_escalated[mine].sum())
        sentiment = j.contact_sentiment[mine]
        for code, name in enumerate(SENTIMENTS):
            row[f"sentiment_{name}"] = float((sentiment == code).sum())
    else:
        row["peer_answers"] = float((by == BY_PEER).sum())
        row["peer_answer_rate"] = _ratio((by == BY_PEER).sum(), len(outcome))
    return row


def _window_snapshot(j: JourneyRecords, start_s: float, end_s: float) -> int | None:
    """Index of the last snapshot taken in ``[start_s, end_s]``."""
    inside = np.nonzero((j.snap_t_s >= start_s) & (j.snap_t_s <= end_s + 1e-9))[0]
    return int(inside[-1]) if len(inside) else None


def _team_kpis(records: RunRecords, start_s: float, end_s: float) -> dict[str, dict[str, float]]:
    """Scheduled, staffed and busy hours and occupancy of each team in a window."""
    out = {}
    edges = np.array([start_s, end_s])
    k0, k1 = int(start_s // records.interval_s), int(math.ceil(end_s / records.interval_s - 1e-9))
    for name, team in records.journey.teams.items():
        busy = float(np.diff(busy_integral(team.spell_start_s, team.spell_end_s, edges))[0])
        staffed = float(np.diff(staffed_integral(team.staff_t_s, team.staff_n, edges))[0])
        scheduled = 0.0
        for k in range(k0, min(k1, len(team.scheduled))):
            lo, hi = max(start_s, k * records.interval_s), min(end_s, (k + 1) * records.interval_s)
            scheduled += team.scheduled[k] * max(0.0, hi - lo)
        row = {
            "scheduled_hours": scheduled / 3600.0,
            "staffed_hours": staffed / 3600.0,
            "busy_hours": busy / 3600.0,
            "occupancy": _ratio(busy, staffed),
            "agents": staffed / (end_s - start_s) if end_s > start_s else math.nan,
        }
        for skill in team.skills:
            mask = team.spell_channel == skill
            row[f"busy_hours:{skill}"] = float(np.diff(busy_integral(team.spell_start_s[mask], team.spell_end_s[mask], edges))[0]) / 3600.0
        out[name] = row
    return out


def handled_hours(records: RunRecords, channel: str, start_s: float, end_s: float) -> float:
    """Agent-hours spent on ``channel`` in a window, from the teams' busy spells."""
    edges = np.array([start_s, end_s])
    total = 0.0
    for team in records.journey.teams.values():
        mask = team.spell_channel == channel
        if mask.any():
            total += float(np.diff(busy_integral(team.spell_start_s[mask], team.spell_end_s[mask], edges))[0])
    return total / 3600.0


def journey_rows(records: RunRecords, start_s: float, end_s: float) -> list[tuple[str, str, float]]:
    """``(channel, kpi, value)`` rows of the journey, posts, teams and knowledge in a window."""
    j = records.journey
    issues = (j.issue_arrival_s >= start_s) & (j.issue_arrival_s < end_s)
    contacts = (j.contact_arrival_s >= start_s) & (j.contact_arrival_s < end_s)
    rows: list[tuple[str, str, float]] = []
    if len(j.issue_types):
        rows += [("journey", k, v) for k, v in _issue_kpis(j, issues, contacts).items()]
    for c, name in enumerate(j.channels):
        rows.append((name, "handled_hours", handled_hours(records, name, start_s, end_s)))
        if not records.channels[name].staff_n.any():  # shared teams: see the team rows
            rows += [(name, "agents", math.nan), (name, "occupancy", math.nan)]
        if j.channel_kinds[c] in ("social", "forum"):
            rows += [(name, k, v) for k, v in _post_kpis(j, c, contacts).items()]
    snap = _window_snapshot(j, start_s, end_s)
    if snap is not None:
        for c, name in enumerate(j.channels):
            rows.append((name, "backlog", float(j.snap_backlog[snap, c])))
        for t, name in enumerate(j.issue_types):
            rows.append(("knowledge", name, float(j.snap_coverage[snap, t])))
    for team, values in _team_kpis(records, start_s, end_s).items():
        rows += [(f"team:{team}", k, v) for k, v in values.items()]
    return rows


def journey_period_kpis(records: RunRecords, period_s: float) -> pd.DataFrame:
    """Journey, team, backlog and knowledge KPIs per period (interval or day), wide.

    One row per (channel, period) with the KPI names as columns, like
    :func:`sim.metrics.interval_kpis`; ``interval_start_s`` is the start.
    """
    first = int(records.warmup_s // period_s)
    n = int(math.ceil(records.horizon_s / period_s - 1e-9))
    rows: dict[tuple[str, int], dict[str, float]] = {}
    for k in range(first, n):
        start, end = max(k * period_s, records.warmup_s), min((k + 1) * period_s, records.horizon_s)
        for channel, kpi, value in journey_rows(records, start, end):
            rows.setdefault((channel, k), {"interval_start_s": k * period_s})[kpi] = value
    frame = pd.DataFrame([{"channel": c, "interval": k, **v} for (c, k), v in rows.items()])
    return frame
