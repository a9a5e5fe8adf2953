"""A week's roster as agents per interval: shifts worked on their own day, the week wrapping at its end.

A roster with a ``day`` column (what ``ccsim schedule --week`` writes) is
not a day that repeats: each shift is worked on its day only, and one
running past midnight counts on the next day (past the last day, on the
first), as in :func:`sim.studies.week_schedule.week_agents`.
"""

from __future__ import annotations

import numpy as np

from sim.spec.roster import DAY_MIN, CoverageRule, Roster, interval_presence, shift_presence


def roster_week_agents(roster: Roster, team: str, interval_minutes: int, days: int,
                       rule: CoverageRule = "majority") -> np.ndarray:
    """Agents of ``team`` counted in each interval of ``days`` days of a week's roster (shifts with a ``day``)."""
    total_min = days * DAY_MIN
    total = np.zeros(total_min // interval_minutes, dtype=np.int64)
    for s in roster.shifts:
        if s.team != team or not s.headcount:
            continue
        minutes = shift_presence((int(s.day or 1) - 1) * DAY_MIN + s.start_min, s.length_min, s.breaks, total_min)
        total += s.headcount * interval_presence(minutes, interval_minutes, rule)
    return total
