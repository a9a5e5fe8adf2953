"""What one simulation run leaves behind: columnar records, no KPIs yet.

The engine fills these; :mod:`sim.analysis.metrics` turns them into KPIs. Keeping the
two apart lets the engine stay small and lets KPIs be recomputed (for another
threshold or window) without simulating again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

ANSWERED: Final = 0
"""Outcome code: an agent started serving the contact."""
ABANDONED: Final = 1
"""Outcome code: the customer hung up while waiting."""
WAITING: Final = 2
"""Outcome code: still waiting when the run stopped (no outcome yet)."""
BLOCKED: Final = 3
"""Outcome code: refused on arrival (all lines busy)."""


@dataclass
class ChannelRecords:
    """Per-contact arrays of one channel plus its staffing and state samples.

    ``wait_s`` is the time spent queueing: until service for answered
    contacts, until hanging up for abandoned ones, until the end of the run
    for contacts still waiting. ``staff_t_s``/``staff_n`` is the step function
    of agents on duty; ``snap_*`` are samples of the queue and busy agents.
    """

    name: str
    sl_threshold_s: float
    arrival_s: np.ndarray
    wait_s: np.ndarray
    service_s: np.ndarray
    outcome: np.ndarray
    staff_t_s: np.ndarray
    staff_n: np.ndarray
    snap_t_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    snap_queue: np.ndarray = field(default_factory=lambda: np.empty(0))
    snap_busy: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class RunRecords:
    """Everything one replication produced, with the window KPIs are measured in."""

    replication: int
    warmup_s: float
    horizon_s: float
    interval_s: float
    end_s: float
    channels: dict[str, ChannelRecords]
    journey: JourneyRecords | None = None


REASONS = ("first", "retry", "switch", "repeat", "escalation", "direct")
"""Why a contact happened, by code: the issue's first contact, a retry of the
same channel, a switch to another channel, a repeat after an unresolved
contact, an escalated social post, or a contact arriving straight to a
channel (``arrivals`` streams, no issue behind it)."""
REASON_FIRST: Final = 0
REASON_RETRY: Final = 1
REASON_SWITCH: Final = 2
REASON_REPEAT: Final = 3
REASON_ESCALATION: Final = 4
REASON_DIRECT: Final = 5
"""The codes of :data:`REASONS` by name (a test checks they agree)."""
BY_NONE: Final = -1
"""Who answered a contact: nobody."""
BY_AGENT: Final = 0
"""Who answered a contact: an agent."""
BY_PEER: Final = 1
"""Who answered a contact: a peer in the forum."""
ISSUE_STATES = ("open", "self_resolved", "resolved", "gave_up")
"""Terminal states of an issue, by code: still open when the run stopped,
resolved by self-service (deflected), resolved by a contact, given up."""
SENTIMENTS = ("positive", "neutral", "negative")
"""Sentiment codes of public posts (-1 for contacts that are not posts)."""


@dataclass
class TeamRecords:
    """Staffing and busy periods of one team.

    ``staff_t_s``/``staff_n`` is the step function of agents on duty (after
    shrinkage, including those finishing work before leaving); ``scheduled``
    holds the agents scheduled per interval before shrinkage. A busy spell is
    a period in which one agent held work of ``spell_channel``.
    """

    name: str
    skills: list[str]
    shrinkage: float
    staff_t_s: np.ndarray
    staff_n: np.ndarray
    scheduled: np.ndarray
    spell_start_s: np.ndarray
    spell_end_s: np.ndarray
    spell_channel: np.ndarray
    reported: bool = True
    """False for the team a channel's own ``agents`` stand for: its KPIs are the channel's."""


@dataclass
class JourneyRecords:
    """Issues, every contact they caused, knowledge and backlog of one run.

    Issue arrays are indexed by issue, contact arrays by contact (with
    ``contact_issue`` pointing back, -1 for direct contacts). Codes index the
    name lists ``segments``, ``issue_types``, ``channels``, :data:`REASONS`
    and :data:`SENTIMENTS`.
    """

    segments: list[str]
    issue_types: list[str]
    channels: list[str]
    channel_kinds: list[str]
    issue_arrival_s: np.ndarray
    issue_segment: np.ndarray
    issue_type: np.ndarray
    issue_looked: np.ndarray
    issue_deflected: np.ndarray
    issue_resolved: np.ndarray
    issue_resolution_s: np.ndarray
    issue_contacts: np.ndarray
    issue_state: np.ndarray
    contact_issue: np.ndarray
    contact_channel: np.ndarray
    contact_reason: np.ndarray
    contact_arrival_s: np.ndarray
    contact_wait_s: np.ndarray
    contact_service_s: np.ndarray
    contact_outcome: np.ndarray
    contact_by: np.ndarray
    contact_resolved: np.ndarray
    contact_sentiment: np.ndarray
    contact_escalated: np.ndarray
    snap_t_s: np.ndarray
    snap_backlog: np.ndarray
    snap_coverage: np.ndarray
    knowledge_end: dict[str, float]
    teams: dict[str, TeamRecords]
    members_end: dict[str, float] = field(default_factory=dict)
    """Community members of each forum channel at the end of the run (they grow and churn with its posts)."""
