"""Running integrals of agent time: busy time from service periods, staffed time from a step function.

Both KPI modules (:mod:`sim.analysis.metrics` per channel and
:mod:`sim.analysis.journey_metrics` per team) turn records into occupancy
and handled hours with these two functions; differences of the integrals
at interval edges give the time inside each interval.
"""

from __future__ import annotations

import numpy as np


def busy_integral(start_s: np.ndarray, end_s: np.ndarray, at_s: np.ndarray) -> np.ndarray:
    """Total busy time in ``[0, t]`` for each ``t`` in ``at_s``.

    ``start_s``/``end_s`` are the service periods. Uses sorted prefix sums:
    sum over starts before t of (t - start) minus sum over ends before t of
    (t - end), so it costs O((n + m) log n).
    """
    starts = np.sort(start_s)
    ends = np.sort(end_s)
    cum_s = np.concatenate(([0.0], np.cumsum(starts)))
    cum_e = np.concatenate(([0.0], np.cumsum(ends)))
    i = np.searchsorted(starts, at_s, side="left")
    j = np.searchsorted(ends, at_s, side="left")
    return (at_s * i - cum_s[i]) - (at_s * j - cum_e[j])


def staffed_integral(staff_t_s: np.ndarray, staff_n: np.ndarray, at_s: np.ndarray) -> np.ndarray:
    """Agent-seconds on duty in ``[0, t]`` for each ``t``, from a step function."""
    widths = np.diff(staff_t_s)
    area = np.concatenate(([0.0], np.cumsum(widths * staff_n[:-1])))
    j = np.searchsorted(staff_t_s, at_s, side="right") - 1
    j = np.clip(j, 0, len(staff_t_s) - 1)
    return area[j] + staff_n[j] * (at_s - staff_t_s[j])
