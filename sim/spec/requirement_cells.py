"""Agents needed per team and interval from cells of a requirements table, the largest count where cells meet.

A requirements file (:func:`sim.spec.roster.requirements_from_rows`) and a
staffing table planned in memory (:func:`sim.studies.plan_check.requirements_of`)
both come down to cells ``(team, interval, agents)``; :func:`largest_per_interval`
turns them into the arrays of :class:`sim.spec.roster.Requirements`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def largest_per_interval(cells: Iterable[tuple[str, int, int]], length: int,
                         whole_days: bool = False) -> dict[str, np.ndarray]:
    """The largest count of the cells at each interval, per team in order of first appearance.

    Each team's array has ``length`` intervals, and an interval past the end
    wraps onto the start (days folded onto one). With ``whole_days`` an
    interval past the end lengthens the team's array instead, by whole
    multiples of ``length`` (one day's intervals), and every team is then
    brought to the longest.
    """
    needed: dict[str, np.ndarray] = {}
    for team, k, count in cells:
        column = needed.setdefault(team, np.zeros(length, dtype=np.int64))
        if whole_days and k >= len(column):
            column = needed[team] = np.concatenate([column, np.zeros((k // length + 1) * length - len(column), dtype=np.int64)])
        k %= len(column)
        column[k] = max(column[k], count)
    if whole_days and needed:
        longest = max(len(v) for v in needed.values())
        needed = {t: np.concatenate([v, np.zeros(longest - len(v), dtype=np.int64)]) for t, v in needed.items()}
    return needed
