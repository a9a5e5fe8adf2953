"""Per-date, per-interval tables of a call log: calls, agents on duty, observed KPIs.

A log records services only, so agents on duty must be inferred
(:class:`DutyRule`). These tables feed the calibration
(:mod:`sim.studies.calibrate`) and the replay validation
(:mod:`sim.studies.replay`); :func:`log_from_records` writes a simulated run
in the same layout, to test the estimators on data with known parameters.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.records import ABANDONED as SIM_ABANDONED
from sim.engine.records import ANSWERED
from sim.io.calllog import ABANDONED, CLEAN_COLUMNS, SERVED, day_type, interval_index, queue_calls

DAY_S = 86400.0


DUTY_RULES = ("queue", "gap", "presence")
"""Kinds of :class:`DutyRule`."""


@dataclass(frozen=True)
class DutyRule:
    """How agents on duty are inferred from a log that records services only.

    ``kind="queue"`` (default): an agent is on duty through each service and
    through the parts of a gap between two consecutive services, if the gap
    is shorter than ``max_gap_s``, during which no caller had been waiting
    longer than ``wait_tolerance_s``. A free agent would have taken a waiting
    caller, so time with callers waiting was a break or other work; the
    tolerance allows for routing delays. Gaps of ``max_gap_s`` or more are
    breaks or the end of a shift.

    ``kind="gap"``: an agent is on duty across every gap shorter than
    ``gap_s``, whatever the queue did (simpler; overstates capacity on busy
    days and understates it on quiet ones).

    ``kind="presence"``: an agent is on duty from the first to the last
    service of each working block; a gap of ``break_s`` or more between
    two services is a break (or the end of a shift) and splits the blocks.
    It uses what the log shows of the agents only, never the waits, so the
    staffing it infers does not depend on the queue it is used to predict.
    """

    kind: str = "queue"
    gap_s: float = 300.0
    max_gap_s: float = 1800.0
    wait_tolerance_s: float = 10.0
    break_s: float = 900.0

    def __post_init__(self) -> None:
        if self.kind not in DUTY_RULES:
            raise ValueError(f"duty rule kind must be one of {', '.join(DUTY_RULES)} (got {self.kind!r})")
        for name in ("gap_s", "max_gap_s", "break_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive (got {getattr(self, name)!r})")
        if not self.wait_tolerance_s >= 0:
            raise ValueError(f"wait_tolerance_s must be non-negative (got {self.wait_tolerance_s!r})")

    def describe(self) -> str:
        """One sentence for reports."""
        if self.kind == "gap":
            return (f"An agent is on duty through each service and through gaps shorter than {self.gap_s / 60:g} min "
                    "between their consecutive services on the same day; time-averaged per interval")
        if self.kind == "presence":
            return (f"An agent is on duty from the first to the last service of each working block, blocks split by "
                    f"gaps of {self.break_s / 60:g} min or more between services (breaks); the waits are not used; "
                    "time-averaged per interval")
        return (f"An agent is on duty through each service and through the parts of gaps shorter than "
                f"{self.max_gap_s / 60:g} min between their consecutive services during which no caller had been waiting "
                f"more than {self.wait_tolerance_s:g} s (a free agent would have taken that caller); time-averaged per interval")

    def to_dict(self) -> dict[str, Any]:
        """The rule's settings, for JSON reports."""
        if self.kind == "gap":
            return {"kind": self.kind, "gap_s": self.gap_s}
        if self.kind == "presence":
            return {"kind": self.kind, "break_s": self.break_s}
        return {"kind": self.kind, "max_gap_s": self.max_gap_s, "wait_tolerance_s": self.wait_tolerance_s}



# ---------------------------------------------------------------------------
# Per-day, per-interval tables


def interval_counts(log: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    """Calls that asked for an agent per date (rows) and interval of the day (columns)."""
    n = int(round(DAY_S / interval_s))
    dates = sorted(log["date"].unique())
    calls = queue_calls(log)
    idx = interval_index(calls["arrival_s"].to_numpy(), interval_s, n)
    table = pd.crosstab(calls["date"].to_numpy(), idx).reindex(index=dates, columns=range(n), fill_value=0)
    table.index.name, table.columns.name = "date", "interval"
    return table


def forecast_from_log(log: pd.DataFrame, interval_s: float, channel: str = "phone") -> pd.DataFrame:
    """The log as a planner's forecast: per date (as d1, d2, ...) and interval, calls asking for an agent and their AHT.

    ``volume`` counts the queue's offered calls (served or abandoned);
    ``aht_s`` is the mean handling time of the calls served in the interval
    (missing where none was). The columns are those ``--forecast`` reads.
    """
    n = int(round(DAY_S / interval_s))
    dates = sorted(log["date"].unique())
    counts = interval_counts(log, interval_s)
    calls = queue_calls(log)
    served = calls[calls["outcome"] == SERVED]
    idx = interval_index(served["arrival_s"].to_numpy(), interval_s, n)
    aht = served.assign(interval=idx).groupby(["date", "interval"])["service_s"].mean()
    rows = []
    for day, date in enumerate(dates, start=1):
        for k in range(n):
            start = int(round(k * interval_s))
            mean = aht.get((date, k), math.nan)
            rows.append({"interval_start": f"d{day} {start // 3600:02d}:{start % 3600 // 60:02d}", "channel": channel,
                         "volume": int(counts.loc[date, k]), "aht_s": round(float(mean), 1) if math.isfinite(mean) else None})
    return pd.DataFrame(rows, columns=["interval_start", "channel", "volume", "aht_s"])


def waiting_spans(log: pd.DataFrame, wait_tolerance_s: float) -> np.ndarray:
    """Merged time spans ``(start_s, end_s)`` of one day during which some caller had waited
    more than ``wait_tolerance_s`` in the queue (rows sorted by start)."""
    calls = queue_calls(log)
    calls = calls[calls["wait_s"] > wait_tolerance_s]
    start = calls["arrival_s"].to_numpy(dtype=float) + wait_tolerance_s
    end = calls["arrival_s"].to_numpy(dtype=float) + calls["wait_s"].to_numpy(dtype=float)
    order = np.argsort(start, kind="stable")
    spans: list[list[float]] = []
    for a, b in zip(start[order], end[order]):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([float(a), float(b)])
    return np.asarray(spans, dtype=float).reshape(-1, 2)


def _outside(spans: np.ndarray, start_s: float, end_s: float) -> list[tuple[float, float]]:
    """The parts of ``[start_s, end_s)`` not covered by the sorted, disjoint ``spans``."""
    parts: list[tuple[float, float]] = []
    t = start_s
    first = int(np.searchsorted(spans[:, 1], start_s, side="right")) if len(spans) else 0
    for a, b in spans[first:]:
        if a >= end_s:
            break
        if a > t:
            parts.append((t, float(a)))
        t = max(t, float(b))
        if t >= end_s:
            break
    if t < end_s:
        parts.append((t, end_s))
    return parts


def queue_duty_blocks(start_s: np.ndarray, end_s: np.ndarray, spans: np.ndarray, max_gap_s: float) -> list[tuple[float, float]]:
    """One agent's on-duty time under the queue rule: services plus the parts of gaps shorter than
    ``max_gap_s`` outside ``spans`` (see :func:`waiting_spans`)."""
    order = np.argsort(start_s)
    start_s, end_s = start_s[order], end_s[order]
    blocks = list(zip(start_s.tolist(), end_s.tolist()))
    reach = np.maximum.accumulate(end_s) if len(end_s) else end_s
    for done, nxt in zip(reach[:-1], start_s[1:]):
        if 0 < nxt - done < max_gap_s:
            blocks += _outside(spans, float(done), float(nxt))
    ab = np.asarray(blocks, dtype=float).reshape(-1, 2)
    return duty_blocks(ab[:, 0], ab[:, 1], 1e-9)  # merged, so overlapping records count once


def duty_blocks(start_s: np.ndarray, end_s: np.ndarray, gap_s: float) -> list[tuple[float, float]]:
    """Merge one agent's service periods into on-duty blocks (gaps below ``gap_s`` bridged)."""
    order = np.argsort(start_s)
    blocks: list[list[float]] = []
    for s, e in zip(start_s[order], end_s[order]):
        if blocks and s - blocks[-1][1] < gap_s:
            blocks[-1][1] = max(blocks[-1][1], e)
        else:
            blocks.append([float(s), float(e)])
    return [(a, b) for a, b in blocks]


def _overlap(blocks: list[tuple[float, float]], edges: np.ndarray) -> np.ndarray:
    """Seconds of ``blocks`` inside each interval ``[edges[k], edges[k+1])``."""
    if not blocks:
        return np.zeros(len(edges) - 1)
    ab = np.asarray(blocks, dtype=float)
    inside = np.minimum(ab[:, 1:2], edges[None, 1:]) - np.maximum(ab[:, 0:1], edges[None, :-1])
    return np.clip(inside, 0, None).sum(axis=0)


def agents_on_duty(log: pd.DataFrame, interval_s: float, rule: DutyRule = DutyRule()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Time-averaged agents on duty and busy agents per date and interval.

    On duty as ``rule`` infers it (see :class:`DutyRule`); busy means
    serving a call. Services after midnight are cut at midnight.
    """
    n = int(round(DAY_S / interval_s))
    edges = np.arange(n + 1) * interval_s
    dates = sorted(log["date"].unique())
    row_of = {d: i for i, d in enumerate(dates)}
    duty = np.zeros((len(dates), n))
    busy = np.zeros((len(dates), n))
    spans: dict[Hashable, np.ndarray] = {}
    if rule.kind == "queue":
        spans = {date: waiting_spans(day, rule.wait_tolerance_s) for date, day in log.groupby("date", sort=False)}
    served = log[(log["outcome"] == SERVED) & log["agent"].notna() & log["service_s"].notna()]
    for (date, _agent), calls in served.groupby(["date", "agent"], sort=False):
        start = calls["service_start_s"].to_numpy(dtype=float)
        end = start + calls["service_s"].to_numpy(dtype=float)
        if rule.kind == "queue":
            blocks = queue_duty_blocks(start, end, spans[date], rule.max_gap_s)
        else:
            blocks = duty_blocks(start, end, rule.break_s if rule.kind == "presence" else rule.gap_s)
        duty[row_of[date]] += _overlap(blocks, edges) / interval_s
        busy[row_of[date]] += _overlap(list(zip(start, end)), edges) / interval_s
    index = pd.Index(dates, name="date")
    return pd.DataFrame(duty, index=index, columns=range(n)), pd.DataFrame(busy, index=index, columns=range(n))


def observed_interval_kpis(log: pd.DataFrame, interval_s: float, sl_threshold_s: float = 20.0) -> pd.DataFrame:
    """Observed counts per date and interval: offered, abandoned, waited, within SL, wait sum.

    Rates are formed later by summing counts over hours or days, so the
    aggregation weights every call equally.
    """
    n = int(round(DAY_S / interval_s))
    calls = queue_calls(log)
    frame = pd.DataFrame({
        "date": calls["date"].to_numpy(),
        "interval": interval_index(calls["arrival_s"].to_numpy(), interval_s, n),
        "offered": 1.0,
        "abandoned": (calls["outcome"] == ABANDONED).to_numpy(dtype=float),
        "waited": (calls["wait_s"] > 0).to_numpy(dtype=float),
        "within_sl": ((calls["outcome"] == SERVED) & (calls["wait_s"] <= sl_threshold_s)).to_numpy(dtype=float),
        "wait_sum_s": calls["wait_s"].to_numpy(dtype=float),
    })
    grid = pd.MultiIndex.from_product([sorted(log["date"].unique()), range(n)], names=["date", "interval"])
    return frame.groupby(["date", "interval"]).sum().reindex(grid, fill_value=0.0).reset_index()


def log_from_records(records: Any, channel: str | None = None, start_date: str = "2024-01-07") -> pd.DataFrame:
    """A simulated run as a clean call table (the layout :func:`sim.io.calllog.read_call_log` returns).

    Answered contacts become ``served``, abandoned ones ``abandoned``;
    contacts still waiting or blocked are left out. Day ``k`` of the run is
    ``start_date + k`` (the default, 7 January 2024, is a Sunday). The
    engine does not name agents, so ``agent`` is None. Used to test the
    estimators on data with known parameters.
    """
    rec = records.channels[channel or next(iter(records.channels))]
    keep = (rec.outcome == ANSWERED) | (rec.outcome == SIM_ABANDONED)
    arrival = rec.arrival_s[keep]
    served = rec.outcome[keep] == ANSWERED
    day = (arrival // DAY_S).astype(int)
    first = pd.Timestamp(start_date)
    dates = [(first + pd.Timedelta(days=int(d))).date() for d in day]
    weekday = np.array([(d.weekday() + 1) % 7 for d in dates], dtype=int)
    wait = rec.wait_s[keep]
    frame = pd.DataFrame({
        "date": [d.isoformat() for d in dates],
        "day": day,
        "weekday": weekday,
        "day_type": [day_type(w) for w in weekday],
        "arrival_s": arrival - day * DAY_S,
        "outcome": np.where(served, SERVED, ABANDONED),
        "wait_s": wait,
        "service_start_s": np.where(served, arrival - day * DAY_S + wait, np.nan),
        "service_s": np.where(served, rec.service_s[keep], np.nan),
        "agent": None,
        "call_type": channel or rec.name,
        "priority": 0,
    })
    return frame[list(CLEAN_COLUMNS)]
