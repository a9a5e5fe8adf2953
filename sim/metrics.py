"""From run records to KPIs: per channel, per interval, with confidence intervals.

Definitions (contacts arriving inside the measurement window, after the
warm-up and before the horizon, are the *offered* contacts):

- ``service_level``: answered within the threshold / offered (abandoned
  contacts count as not answered in time);
- ``p_wait``: share of offered contacts that waited more than zero;
- ``asa_s``: mean wait of answered contacts; ``mean_wait_s``: mean wait of
  all offered contacts (abandoned ones until they hung up);
- ``abandon_rate``: abandoned / offered;
- ``occupancy``: busy agent time / staffed agent time inside the window;
- ``aht_s``: mean handling time of answered contacts;
- ``handled_hours``: agent-hours spent handling the channel's contacts inside
  the window; ``line_minutes``: minutes customers spent connected (waiting
  and being served), what a telecom bill charges.

Runs of the omnichannel engine add the journey, post, team and knowledge
KPIs of :mod:`sim.journey_metrics`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .records import ABANDONED, ANSWERED, BLOCKED, WAITING, ChannelRecords, RunRecords

KPI_NAMES = (
    "offered",
    "answered",
    "abandoned",
    "in_system_at_end",
    "blocked",
    "service_level",
    "p_wait",
    "asa_s",
    "mean_wait_s",
    "abandon_rate",
    "occupancy",
    "aht_s",
    "agents",
    "handled_hours",
    "line_minutes",
)
"""The per-channel KPIs every run reports, in display order."""


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


def _service_periods(rec: ChannelRecords) -> tuple[np.ndarray, np.ndarray]:
    answered = rec.outcome == ANSWERED
    start = rec.arrival_s[answered] + rec.wait_s[answered]
    return start, start + rec.service_s[answered]


def _counts(rec: ChannelRecords, mask: np.ndarray) -> dict[str, float]:
    """Contact-based KPIs over the contacts selected by ``mask``."""
    outcome = rec.outcome[mask]
    wait = rec.wait_s[mask]
    service = rec.service_s[mask]
    offered = len(outcome)
    answered = outcome == ANSWERED
    n_answered = int(answered.sum())
    nan = math.nan
    return {
        "offered": float(offered),
        "answered": float(n_answered),
        "abandoned": float((outcome == ABANDONED).sum()),
        "in_system_at_end": float((outcome == WAITING).sum()),
        "blocked": float((outcome == BLOCKED).sum()),
        "service_level": float((answered & (wait <= rec.sl_threshold_s)).sum() / offered) if offered else nan,
        "p_wait": float((wait > 0).sum() / offered) if offered else nan,
        "asa_s": float(wait[answered].mean()) if n_answered else nan,
        "mean_wait_s": float(wait[outcome != BLOCKED].mean()) if offered else nan,
        "abandon_rate": float((outcome == ABANDONED).sum() / offered) if offered else nan,
        "aht_s": float(service[answered].mean()) if n_answered else nan,
    }


def channel_kpis(rec: ChannelRecords, warmup_s: float, horizon_s: float) -> dict[str, float]:
    """KPIs of one channel over the window ``[warmup_s, horizon_s)``."""
    in_window = (rec.arrival_s >= warmup_s) & (rec.arrival_s < horizon_s)
    kpis = _counts(rec, in_window)
    edges = np.array([warmup_s, horizon_s])
    start, end = _service_periods(rec)
    busy = np.diff(busy_integral(start, end, edges))[0]
    staffed = np.diff(staffed_integral(rec.staff_t_s, rec.staff_n, edges))[0]
    kpis["occupancy"] = float(busy / staffed) if staffed > 0 else math.nan
    kpis["agents"] = float(staffed / (horizon_s - warmup_s))
    kpis["handled_hours"] = float(busy / 3600.0)
    connected = rec.outcome[in_window] != BLOCKED
    answered = rec.outcome[in_window] == ANSWERED
    kpis["line_minutes"] = float((rec.wait_s[in_window][connected].sum() + rec.service_s[in_window][answered].sum()) / 60.0)
    return kpis


def interval_kpis(rec: ChannelRecords, interval_s: float, warmup_s: float, horizon_s: float) -> pd.DataFrame:
    """KPIs per planning interval (by arrival time) from the warm-up to the horizon."""
    first = int(warmup_s // interval_s)
    n = int(math.ceil(horizon_s / interval_s - 1e-9))
    edges = np.minimum(np.arange(first, n + 1) * interval_s, horizon_s)
    edges[0] = max(edges[0], warmup_s)
    start, end = _service_periods(rec)
    busy = np.diff(busy_integral(start, end, edges))
    staffed = np.diff(staffed_integral(rec.staff_t_s, rec.staff_n, edges))
    index = np.searchsorted(edges, rec.arrival_s, side="right") - 1
    rows = []
    for k in range(len(edges) - 1):
        row = {"interval": first + k, "interval_start_s": float(first + k) * interval_s}
        row.update(_counts(rec, index == k))
        length = edges[k + 1] - edges[k]
        row["offered_per_hour"] = row["offered"] / length * 3600.0 if length > 0 else math.nan
        row["occupancy"] = float(busy[k] / staffed[k]) if staffed[k] > 0 else math.nan
        row["agents"] = float(staffed[k] / length) if length > 0 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def run_kpis(records: RunRecords) -> pd.DataFrame:
    """Tidy KPIs of one replication: columns replication, channel, kpi, value."""
    values: dict[tuple[str, str], float] = {}
    for name, rec in records.channels.items():
        for kpi, value in channel_kpis(rec, records.warmup_s, records.horizon_s).items():
            values[(name, kpi)] = value
    if records.journey is not None:
        from .journey_metrics import journey_rows

        for channel, kpi, value in journey_rows(records, records.warmup_s, records.horizon_s):
            values[(channel, kpi)] = value
    rows = [(records.replication, channel, kpi, value) for (channel, kpi), value in values.items()]
    return pd.DataFrame(rows, columns=["replication", "channel", "kpi", "value"])


def run_interval_kpis(records: RunRecords, period_s: float | None = None) -> pd.DataFrame:
    """KPIs of one replication per planning interval (or per ``period_s``, e.g. a day).

    One row per channel and period; omnichannel runs add rows for the
    journey, teams and knowledge, whose KPIs are further columns.
    """
    period = period_s or records.interval_s
    frames = []
    for name, rec in records.channels.items():
        frame = interval_kpis(rec, period, records.warmup_s, records.horizon_s)
        frame.insert(0, "channel", name)
        frames.append(frame)
    if records.journey is not None:
        from .journey_metrics import journey_period_kpis

        extra = journey_period_kpis(records, period)
        frames = [_join_channel_columns(frame, extra) for frame in frames]
        frames.append(extra[~extra["channel"].isin(list(records.channels))])
    table = pd.concat([f for f in frames if len(f)], ignore_index=True)
    table.insert(0, "replication", records.replication)
    return table


def _join_channel_columns(frame: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """Add the journey's per-channel columns (backlog, post KPIs, handled hours) to a channel's rows."""
    name = frame["channel"].iloc[0]
    mine = extra[extra["channel"] == name].drop(columns=["channel", "interval_start_s"]).dropna(axis=1, how="all")
    if mine.empty:
        return frame
    overlap = [c for c in mine.columns if c in frame.columns and c != "interval"]
    return frame.drop(columns=overlap).merge(mine, on="interval", how="left")


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications.

    NaN replications are ignored; with fewer than two values the bounds are
    NaN, since one replication says nothing about its own noise.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def summarize(tidy: pd.DataFrame, by: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval of ``value`` for each group of ``by``."""
    suffix = f"ci{round(level * 100):d}"
    rows = []
    for keys, group in tidy.groupby(by, sort=False):
        mean, low, high = confidence_interval(group["value"].to_numpy(), level)
        keys = keys if isinstance(keys, tuple) else (keys,)
        rows.append((*keys, mean, low, high, len(group)))
    return pd.DataFrame(rows, columns=[*by, "mean", f"{suffix}_low", f"{suffix}_high", "n"])
