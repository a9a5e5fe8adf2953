"""What one simulation run leaves behind: columnar records, no KPIs yet.

The engine fills these; :mod:`sim.metrics` turns them into KPIs. Keeping the
two apart lets the engine stay small and lets KPIs be recomputed (for another
threshold or window) without simulating again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ANSWERED = 0
"""Outcome code: an agent started serving the contact."""
ABANDONED = 1
"""Outcome code: the customer hung up while waiting."""
WAITING = 2
"""Outcome code: still waiting when the run stopped (no outcome yet)."""
BLOCKED = 3
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
