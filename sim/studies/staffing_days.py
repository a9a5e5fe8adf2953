"""A horizon's staffing table put together from the tables of its independent parts (days, groups of channels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.studies.planning_grid import Grid
from sim.studies.requirement_search import SearchLog

_SUMMED = ("evaluations", "runs", "raises", "lowerings", "confirm_rounds", "confirm_raises", "confirm_lowerings")


def merge_day_tables(tables: Sequence[pd.DataFrame], grid: Grid, units: Sequence[str], channels: Sequence[str]) -> pd.DataFrame:
    """Day tables (intervals numbered from each day's midnight) as one table on ``grid``, ordered as a horizon's.

    Rows come team by team (in ``units`` order), channel by channel (in
    ``channels`` order), interval by interval, as :func:`~sim.studies.staffing.required_agents` gives them
    for a horizon simulated whole.
    """
    parts = []
    for day, table in enumerate(tables):
        part = table.copy()
        per_day = len(part["interval"].unique())
        part["interval"] = part["interval"] + day * per_day
        part["interval_start_s"] = part["interval_start_s"] + day * per_day * grid.interval_s
        part["interval_start"] = [grid.label(int(k)) for k in part["interval"]]
        parts.append(part)
    whole = pd.concat(parts, ignore_index=True)
    team_rank = whole["team"].map({u: i for i, u in enumerate(units)})
    channel_rank = whole["channel"].map({c: i for i, c in enumerate(channels)})
    order = whole.assign(_t=team_rank, _c=channel_rank).sort_values(["_t", "_c", "interval"], kind="stable").index
    return whole.loc[order].reset_index(drop=True)


def merge_day_logs(logs: Sequence[Sequence[SearchLog]], grid: Grid) -> dict[str, Any]:
    """What the parts' searches did (``logs[day]``: one log per part of that day), as one search log.

    Counts are summed and intervals numbered over the horizon;
    ``confirm_rounds`` is the sum over the parts, ``confirm_replications``
    the most any part used, ``confirm_seed`` the first part's and
    ``confirm_seeds`` every part's.
    """
    per_day = grid.n_intervals // max(1, len(logs))
    flat = [log for day in logs for log in day]
    merged: dict[str, Any] = {key: sum(int(getattr(log, key)) for log in flat) for key in _SUMMED}
    merged["converged"] = all(log.converged for log in flat)
    merged["unmet"] = [(c, k + d * per_day) for d, day in enumerate(logs) for log in day for c, k in log.unmet]
    merged["undecided"] = [(u, k + d * per_day) for d, day in enumerate(logs) for log in day for u, k in log.undecided]
    merged["confirm_seed"] = flat[0].confirm_seed if flat else 0
    merged["confirm_seeds"] = [log.confirm_seed for log in flat]
    merged["confirm_replications"] = max((log.confirm_replications for log in flat), default=0)
    merged["confidence"] = flat[0].confidence if flat else 0.95
    return merged
