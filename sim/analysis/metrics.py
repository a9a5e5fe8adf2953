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
KPIs of :mod:`sim.analysis.journey_metrics`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.feasible import clip_intervals
from sim.analysis.integrals import busy_integral, staffed_integral
from sim.analysis.journey_metrics import journey_rows, journey_table
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED, WAITING, ChannelRecords, RunRecords

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
    "backlog",
)
"""The per-channel KPIs every run reports, in display order (``backlog``: contacts waiting at the window's end)."""


def _service_periods(rec: ChannelRecords) -> tuple[np.ndarray, np.ndarray]:
    answered = rec.outcome == ANSWERED
    start = rec.arrival_s[answered] + rec.wait_s[answered]
    return start, start + rec.service_s[answered]


def _counts(rec: ChannelRecords, mask: np.ndarray) -> dict[str, float]:
    """Contact-based KPIs over the contacts selected by ``mask``."""
    return {kpi: float(values[0]) for kpi, values in _counts_by_group(rec, np.where(mask, 0, -1), 1).items()}


def _counts_by_group(rec: ChannelRecords, group: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Contact-based KPIs of each group ``0 .. n-1`` (``group`` per contact; other values are left out).

    Counts and sums per group with ``np.bincount``, so a week of half-hour
    intervals costs a few array passes rather than one pass per interval.
    Rates of a group without contacts are NaN.
    """
    keep = (group >= 0) & (group < n)
    k = group[keep]
    outcome, wait, service = rec.outcome[keep], rec.wait_s[keep], rec.service_s[keep]

    def count(selected: np.ndarray) -> np.ndarray:
        return np.bincount(k[selected], minlength=n).astype(float)

    def total(selected: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(k[selected], weights=values[selected], minlength=n)

    answered = outcome == ANSWERED
    connected = outcome != BLOCKED
    offered = np.bincount(k, minlength=n).astype(float)
    n_answered = count(answered)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "offered": offered,
            "answered": n_answered,
            "abandoned": count(outcome == ABANDONED),
            "in_system_at_end": count(outcome == WAITING),
            "blocked": count(~connected),
            "service_level": count(answered & (wait <= rec.sl_threshold_s)) / offered,
            "p_wait": count(wait > 0) / offered,
            "asa_s": total(answered, wait) / n_answered,
            "mean_wait_s": total(connected, wait) / count(connected),
            "abandon_rate": count(outcome == ABANDONED) / offered,
            "aht_s": total(answered, service) / n_answered,
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


def period_edges(warmup_s: float, horizon_s: float, period_s: float) -> tuple[int, np.ndarray]:
    """Number of the first period in the window ``[warmup_s, horizon_s)`` and the periods' edges, clipped to it."""
    first = int(warmup_s // period_s)
    n = int(math.ceil(horizon_s / period_s - 1e-9))
    edges = np.minimum(np.arange(first, n + 1) * period_s, horizon_s)
    edges[0] = max(edges[0], warmup_s)
    return first, edges


def _period_columns(first: int, n_periods: int, period_s: float) -> dict[str, np.ndarray]:
    numbers = first + np.arange(n_periods)
    return {"interval": numbers, "interval_start_s": numbers.astype(float) * period_s}


def _interval_columns(rec: ChannelRecords, first: int, edges: np.ndarray, period_s: float) -> dict[str, np.ndarray]:
    """The columns of :func:`interval_kpis`: one value per period between ``edges``."""
    start, end = _service_periods(rec)
    busy = np.diff(busy_integral(start, end, edges))
    staffed = np.diff(staffed_integral(rec.staff_t_s, rec.staff_n, edges))
    index = np.searchsorted(edges, rec.arrival_s, side="right") - 1
    length = np.diff(edges)
    columns = _period_columns(first, len(length), period_s)
    columns.update(_counts_by_group(rec, index, len(length)))
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["offered_per_hour"] = np.where(length > 0, columns["offered"] / length * 3600.0, math.nan)
        columns["occupancy"] = np.where(staffed > 0, busy / staffed, math.nan)
        columns["agents"] = np.where(length > 0, staffed / length, math.nan)
    return columns


def interval_kpis(rec: ChannelRecords, interval_s: float, warmup_s: float, horizon_s: float) -> pd.DataFrame:
    """KPIs per planning interval (by arrival time) from the warm-up to the horizon."""
    first, edges = period_edges(warmup_s, horizon_s, interval_s)
    return pd.DataFrame(_interval_columns(rec, first, edges, interval_s))


def run_kpi_values(records: RunRecords) -> dict[tuple[str, str], float]:
    """KPIs of one replication by ``(channel, kpi)``: what :func:`run_kpis` tabulates, without the table."""
    values: dict[tuple[str, str], float] = {}
    for name, rec in records.channels.items():
        for kpi, value in channel_kpis(rec, records.warmup_s, records.horizon_s).items():
            values[(name, kpi)] = value
    if records.journey is not None:
        for channel, kpi, value in journey_rows(records, records.warmup_s, records.horizon_s):
            values[(channel, kpi)] = value
    return values


def run_kpis(records: RunRecords) -> pd.DataFrame:
    """Tidy KPIs of one replication: columns replication, channel, kpi, value."""
    values = run_kpi_values(records)
    rows = [(records.replication, channel, kpi, value) for (channel, kpi), value in values.items()]
    return pd.DataFrame(rows, columns=["replication", "channel", "kpi", "value"])


def run_interval_kpis(records: RunRecords, period_s: float | None = None) -> pd.DataFrame:
    """KPIs of one replication per planning interval (or per ``period_s``, e.g. a day).

    One row per channel and period; omnichannel runs add rows for the
    journey, teams and knowledge, whose KPIs are further columns. A journey
    KPI of a channel (backlog, post KPIs, handled hours) takes the place of
    the channel's own column of that name unless it has no value at all.
    """
    period = period_s or records.interval_s
    first, edges = period_edges(records.warmup_s, records.horizon_s, period)
    blocks = {name: _interval_columns(rec, first, edges, period) for name, rec in records.channels.items()}
    if records.journey is not None:
        journey: dict[str, dict[str, np.ndarray]] = {}
        for (channel, kpi), values in journey_table(records, edges).items():
            journey.setdefault(channel, {})[kpi] = values
        order = list(dict.fromkeys(kpi for columns in journey.values() for kpi in columns))
        for name, columns in journey.items():
            if name in blocks:
                known = {kpi: v for kpi, v in columns.items() if not np.isnan(v).all()}
                own = blocks[name]
                blocks[name] = {k: v for k, v in own.items() if k not in known or k == "interval"}
                blocks[name].update((kpi, known[kpi]) for kpi in order if kpi in known)
            else:
                blocks[name] = _period_columns(first, len(edges) - 1, period)
                blocks[name].update((kpi, columns[kpi]) for kpi in order if kpi in columns)
    return _stack_blocks(records.replication, blocks)


def _stack_blocks(replication: int, blocks: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """One long table from per-channel columns: columns in order of first appearance, NaN where a block has none."""
    blocks = {name: columns for name, columns in blocks.items() if len(columns["interval"])}
    names = list(dict.fromkeys(kpi for columns in blocks.values() for kpi in columns))
    lengths = [len(columns["interval"]) for columns in blocks.values()]
    data: dict[str, np.ndarray] = {
        "replication": np.full(sum(lengths), replication),
        "channel": np.repeat(np.array(list(blocks), dtype=object), lengths),
    }
    for kpi in names:
        parts = [columns.get(kpi) for columns in blocks.values()]
        filled = [np.full(n, math.nan) if part is None else part for part, n in zip(parts, lengths)]
        data[kpi] = np.concatenate(filled) if filled else np.empty(0)
    return pd.DataFrame(data)


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
    from scipy import stats  # here, not at import: it is a fifth of a second of start-up

    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def share_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share: it stays inside [0, 1] and is honest at 0 % and 100 % (NaN for no trials)."""
    if trials <= 0:
        return math.nan, math.nan
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarize(tidy: pd.DataFrame, by: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval of ``value`` for each group of ``by``.

    With ``channel`` and ``kpi`` among ``by``, the bounds are cut to what the
    KPI can be (:mod:`sim.analysis.feasible`: no count below 0, no rate above
    1); ``attrs["clipped"]`` lists the (channel, kpi) whose interval was cut.
    """
    suffix = f"ci{round(level * 100):d}"
    rows = []
    for keys, group in tidy.groupby(by, sort=False):
        mean, low, high = confidence_interval(group["value"].to_numpy(), level)
        keys = keys if isinstance(keys, tuple) else (keys,)
        rows.append((*keys, mean, low, high, len(group)))
    table = pd.DataFrame(rows, columns=[*by, "mean", f"{suffix}_low", f"{suffix}_high", "n"])
    if "channel" in by and "kpi" in by:
        table.attrs["clipped"] = clip_intervals(table, f"{suffix}_low", f"{suffix}_high")
    return table
