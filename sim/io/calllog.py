"""Reading per-call logs of a real contact center into one clean table.

A call log has one row per call with clock times (arrival, queue entry and
exit, service start and end), an outcome and the agent who served it. Real
logs differ in column names, time formats and outcome codes, so a
:class:`ColumnMapping` says where each field is; the Technion "Anonymous
Bank" layout is built in (``format="technion"``). :func:`read_call_log`
returns a :class:`pandas.DataFrame` in one clean layout (:data:`CLEAN_COLUMNS`)
that the estimators and the calibration study use, whatever the source:

- ``date`` (ISO string), ``day`` (0 = first date of the log), ``weekday``
  (0 = Sunday ... 6 = Saturday), ``day_type`` (``weekday`` Sun-Thu,
  ``short`` Fri, ``weekend`` Sat: the Israeli week of the Technion data);
- ``arrival_s``: seconds since midnight of ``date`` at which the caller asked
  for an agent (queue entry; service start for calls answered without
  queueing; leaving the voice menu for voice-menu hang-ups);
- ``outcome``: ``served``, ``abandoned`` (hung up in the queue) or
  ``vru_hangup`` (left in the voice menu, never asked for an agent);
- ``wait_s`` (queue time; 0 for voice-menu hang-ups), ``service_start_s``,
  ``service_s`` (NaN unless served, or when the log did not record the
  service), ``agent`` (None unless served),
  ``call_type`` and ``priority`` (when the log has them).

Times past midnight keep counting (``25:10:00`` is ``90600`` s), so a call
that starts at 23:59 and ends at 00:03 has a positive duration. Phantom /
ignored rows are dropped. Any problem with the file or the mapping raises
:class:`CallLogError` (an :class:`~sim.errors.InputError`) naming the file
and the key or column.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError

SERVED = "served"
"""Clean outcome: an agent answered the call."""
ABANDONED = "abandoned"
"""Clean outcome: the caller hung up while waiting in the queue."""
VRU_HANGUP = "vru_hangup"
"""Clean outcome: the caller left in the voice menu and never asked for an agent."""

CLEAN_COLUMNS = (
    "date", "day", "weekday", "day_type", "arrival_s", "outcome", "wait_s",
    "service_start_s", "service_s", "agent", "call_type", "priority",
)
"""Columns of the clean call table, in order."""

DAY_TYPES = ("weekday", "short", "weekend")
"""Day types of the Israeli week: Sun-Thu full days, Friday short, Saturday near closed."""

WEEKDAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
"""Names of ``weekday`` 0..6 (the week starts on Sunday)."""

DAY_S = 86400.0


class CallLogError(InputError):
    """A call log or column mapping that cannot be read (file, key, expectation)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Where each field of a call lives in a CSV file, and how to read it.

    Time columns hold clock times (``H:MM:SS``, ``HH:MM`` or seconds since
    midnight); any value in ``missing_times`` means "did not happen".
    ``wait`` and ``service`` optionally name duration columns (seconds) that
    are used instead of differences of clock times when present.
    ``outcome_values`` maps the log's outcome codes to ``served``,
    ``abandoned`` and ``ignore`` (rows dropped, e.g. phantom calls). A caller
    marked abandoned without a queue entry left in the voice menu.
    """

    date: str
    arrival: str
    queue_entry: str
    queue_exit: str
    service_start: str
    service_end: str
    outcome: str
    agent: str
    call_type: str | None = None
    priority: str | None = None
    wait: str | None = None
    service: str | None = None
    served_values: tuple[str, ...] = ("AGENT",)
    abandoned_values: tuple[str, ...] = ("HANG",)
    ignore_values: tuple[str, ...] = ("PHANTOM",)
    no_agent_values: tuple[str, ...] = ("NO_SERVER", "")
    missing_times: tuple[str, ...] = ("0:00:00", "00:00:00", "")
    date_format: str | None = None
    source: str = "<mapping>"
    required: tuple[str, ...] = field(default=(
        "date", "arrival", "queue_entry", "queue_exit", "service_start", "service_end", "outcome", "agent"), repr=False)

    def columns(self) -> dict[str, str]:
        """Mapping key -> CSV column for every column the log must have."""
        keys = list(self.required) + [k for k in ("call_type", "priority", "wait", "service") if getattr(self, k)]
        return {key: getattr(self, key) for key in keys}


TECHNION = ColumnMapping(
    date="date", arrival="vru_exit", queue_entry="q_start", queue_exit="q_exit",
    service_start="ser_start", service_end="ser_exit", outcome="outcome", agent="server",
    call_type="type", priority="priority", wait="q_time", service="ser_time", source="technion",
)
"""The layout of the Technion Service Engineering call logs ("Anonymous Bank")."""

_MAPPING_KEYS = {
    "date", "arrival", "queue_entry", "queue_exit", "service_start", "service_end", "outcome", "agent",
    "call_type", "priority", "wait", "service", "outcome_values", "no_agent_values", "missing_times", "date_format",
}


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a column-mapping YAML file into a :class:`ColumnMapping`.

    Example file::

        date: day
        arrival: t_arrive
        queue_entry: t_queue
        queue_exit: t_queue_exit
        service_start: t_answer
        service_end: t_hangup
        outcome: result
        agent: agent_id
        call_type: skill            # optional
        outcome_values: {served: [ANS], abandoned: [ABN], ignore: [TEST]}
        missing_times: ["", "-"]
    """
    from sim.io.yaml_files import read_yaml_mapping

    source = str(path)
    data = read_yaml_mapping(Path(path), CallLogError)
    unknown = sorted(set(data) - _MAPPING_KEYS)
    if unknown:
        raise CallLogError(source, unknown[0], f"unknown key; allowed keys: {', '.join(sorted(_MAPPING_KEYS))}")
    for key in TECHNION.required:
        if key not in data:
            raise CallLogError(source, key, "is required: the name of the CSV column that holds it")
    kwargs: dict[str, Any] = {"source": source}
    for key in ("date", "arrival", "queue_entry", "queue_exit", "service_start", "service_end", "outcome", "agent",
                "call_type", "priority", "wait", "service", "date_format"):
        if key in data and data[key] is not None:
            if not isinstance(data[key], str) or not data[key].strip():
                raise CallLogError(source, key, f"must be a column name (a non-empty string), got {data[key]!r}")
            kwargs[key] = data[key]
    outcomes = data.get("outcome_values", {})
    if not isinstance(outcomes, dict):
        raise CallLogError(source, "outcome_values", "must be a mapping with lists under served, abandoned, ignore")
    for name in outcomes:
        if name not in ("served", "abandoned", "ignore"):
            raise CallLogError(source, f"outcome_values.{name}", "unknown; expected served, abandoned or ignore")
    for name, attr in (("served", "served_values"), ("abandoned", "abandoned_values"), ("ignore", "ignore_values")):
        if name in outcomes:
            kwargs[attr] = _string_tuple(outcomes[name], source, f"outcome_values.{name}")
    for key in ("no_agent_values", "missing_times"):
        if key in data:
            kwargs[key] = _string_tuple(data[key], source, key)
    return ColumnMapping(**kwargs)


def _string_tuple(value: Any, source: str, key: str) -> tuple[str, ...]:
    if isinstance(value, (str, int, float)):
        value = [value]
    if not isinstance(value, list):
        raise CallLogError(source, key, f"must be a list of values, got {type(value).__name__}")
    return tuple("" if v is None else str(v) for v in value)


def read_call_log(path: str | Path, mapping: ColumnMapping | str = "technion") -> pd.DataFrame:
    """Read the CSV call log at ``path`` into the clean layout.

    ``mapping`` is a :class:`ColumnMapping`, ``"technion"``, or the path of a
    mapping YAML file. Raises :class:`CallLogError` for a missing file, a
    missing column or an unreadable value.
    """
    source = str(path)
    if isinstance(mapping, str):
        mapping = TECHNION if mapping == "technion" else load_mapping(mapping)
    raw = read_csv_strings(path, CallLogError, "a CSV call log")
    for key, column in mapping.columns().items():
        if column not in raw.columns:
            raise CallLogError(source, column, f"column missing (mapping key '{key}'); the file has: {', '.join(raw.columns)}")
    return clean_call_table(raw, mapping, source)


def read_csv_strings(path: str | Path, error: type[InputError], what: str) -> pd.DataFrame:
    """A CSV file as a table of strings (empty cells ``""``, column names stripped), for the log readers.

    Raises ``error`` (file, no key, expectation naming ``what``, e.g. ``"a
    CSV call log"``) for an empty name, a missing file, a folder or a file
    that is not CSV. A byte-order mark at the start is dropped.
    """
    source = str(path)
    if not source.strip():  # Path("") is the current folder
        raise error(repr(source), None, f"is not a file name; expected the path of {what}")
    file = Path(path)
    if not file.exists():
        raise error(source, None, "file not found")
    if file.is_dir():
        raise error(source, None, f"is a directory; expected {what}")
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise error(source, None, f"cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def clean_call_table(raw: pd.DataFrame, mapping: ColumnMapping, source: str = "<log>") -> pd.DataFrame:
    """Turn a raw table (all columns as strings) into the clean layout."""
    outcome_raw = raw[mapping.outcome].str.strip()
    raw = raw[~outcome_raw.isin(mapping.ignore_values)].reset_index(drop=True)
    outcome_raw = outcome_raw[~outcome_raw.isin(mapping.ignore_values)].reset_index(drop=True)
    known = set(mapping.served_values) | set(mapping.abandoned_values)
    bad = ~outcome_raw.isin(known)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CallLogError(source, mapping.outcome, f"unknown outcome {outcome_raw[row]!r} on data row {row + 1}; "
                           f"known: {', '.join(sorted(known | set(mapping.ignore_values)))} (set outcome_values in the mapping)")
    dates = _parse_dates(raw[mapping.date], mapping, source)
    arrival = _clock(raw[mapping.arrival], mapping, source, mapping.arrival)
    q_in = _clock(raw[mapping.queue_entry], mapping, source, mapping.queue_entry)
    q_out = _clock(raw[mapping.queue_exit], mapping, source, mapping.queue_exit)
    s_in = _clock(raw[mapping.service_start], mapping, source, mapping.service_start)
    s_out = _clock(raw[mapping.service_end], mapping, source, mapping.service_end)
    # Times are clock times of the call's date; a later stage earlier than the
    # first one (by more than a few minutes of rounding) happened after midnight.
    ref = np.where(np.isnan(arrival), np.where(np.isnan(q_in), s_in, q_in), arrival)
    q_in, q_out, s_in, s_out = (_unwrap(t, ref) for t in (q_in, q_out, s_in, s_out))
    q_out = np.where(~np.isnan(q_out) & ~np.isnan(q_in), _unwrap(q_out, q_in), q_out)
    s_out = np.where(~np.isnan(s_out) & ~np.isnan(s_in), _unwrap(s_out, s_in), s_out)

    served = outcome_raw.isin(mapping.served_values).to_numpy()
    queued = ~np.isnan(q_in)
    outcome = np.where(served, SERVED, np.where(queued, ABANDONED, VRU_HANGUP))
    if mapping.wait:
        wait = _seconds(raw[mapping.wait], source, mapping.wait)
    else:
        exit_ = np.where(np.isnan(q_out), s_in, q_out)
        wait = exit_ - q_in
    wait = np.where(queued, np.clip(np.nan_to_num(wait, nan=0.0), 0.0, None), 0.0)
    if mapping.service:
        service = _seconds(raw[mapping.service], source, mapping.service)
    else:
        service = s_out - s_in
    # A few logs mark a call served without recording its service (the
    # Technion data has 22 such rows): it was answered at queue exit, but its
    # duration is unknown (NaN), so it counts as served and not in fits.
    unrecorded = served & np.isnan(s_in)
    s_in = np.where(unrecorded, np.where(np.isnan(q_out), np.where(queued, q_in + wait, arrival), q_out), s_in)
    service = np.where(served & ~unrecorded, np.clip(service, 0.0, None), np.nan)
    arrival_s = np.where(queued, q_in, np.where(served, s_in, arrival))
    if np.isnan(arrival_s).any():
        row = int(np.flatnonzero(np.isnan(arrival_s))[0])
        raise CallLogError(source, mapping.arrival, f"data row {row + 1} has no arrival time")
    agent = raw[mapping.agent].str.strip()
    agent = agent.where(served & ~agent.isin(mapping.no_agent_values), None)
    first = min(dates)
    day = np.array([(d - first).days for d in dates], dtype=int)
    weekday = np.array([(d.weekday() + 1) % 7 for d in dates], dtype=int)
    table = pd.DataFrame({
        "date": [d.isoformat() for d in dates],
        "day": day,
        "weekday": weekday,
        "day_type": [day_type(w) for w in weekday],
        "arrival_s": arrival_s.astype(float),
        "outcome": outcome,
        "wait_s": wait.astype(float),
        "service_start_s": np.where(served, s_in, np.nan),
        "service_s": service.astype(float),
        "agent": agent.to_numpy(dtype=object),
        "call_type": raw[mapping.call_type].str.strip().to_numpy() if mapping.call_type else "all",
        "priority": pd.to_numeric(raw[mapping.priority], errors="coerce").fillna(0).astype(int).to_numpy()
        if mapping.priority else 0,
    })
    return table.sort_values(["day", "arrival_s"], kind="stable").reset_index(drop=True)[list(CLEAN_COLUMNS)]


def day_type(weekday: int) -> str:
    """Day type of ``weekday`` (0 = Sunday): Sun-Thu ``weekday``, Fri ``short``, Sat ``weekend``."""
    return "short" if weekday == 5 else "weekend" if weekday == 6 else "weekday"


_CLOCK = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{2}(?:\.\d*)?))?$")


def _clock(values: pd.Series, mapping: ColumnMapping, source: str, column: str) -> np.ndarray:
    """Clock times as seconds since midnight; missing markers become NaN."""
    text = values.str.strip()
    missing = text.isin(mapping.missing_times)
    parts = text.str.extract(_CLOCK)
    numeric = pd.to_numeric(text, errors="coerce")
    seconds = (parts[0].astype(float) * 3600 + parts[1].astype(float) * 60 + parts[2].astype(float).fillna(0.0)).to_numpy()
    seconds = np.where(np.isnan(seconds), numeric.to_numpy(dtype=float), seconds)
    bad = np.isnan(seconds) & ~missing.to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CallLogError(source, column,
                           f"cannot read time {text.iloc[row]!r} on data row {row + 1}; expected H:MM:SS or seconds")
    return np.where(missing.to_numpy(), np.nan, seconds)


def _seconds(values: pd.Series, source: str, column: str) -> np.ndarray:
    """A duration column in seconds (empty = NaN)."""
    text = values.str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numbers) & (text != "").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CallLogError(source, column, f"cannot read duration {text.iloc[row]!r} on data row {row + 1}; expected seconds")
    return numbers


def _unwrap(t: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Add a day to times more than 12 h before ``ref`` (they happened after midnight)."""
    late = ~np.isnan(t) & ~np.isnan(ref) & (t < ref - DAY_S / 2)
    return np.where(late, t + DAY_S, t)


def _parse_dates(values: pd.Series, mapping: ColumnMapping, source: str) -> list[_dt.date]:
    text = values.str.strip()
    unique = text.unique()
    parsed: dict[str, _dt.date] = {}
    for value in unique:
        try:
            if mapping.date_format:
                parsed[value] = _dt.datetime.strptime(value, mapping.date_format).date()
            else:
                stamp = pd.Timestamp(value)
                if pd.isna(stamp):  # an empty cell or "NaT"
                    raise ValueError(value)
                parsed[value] = stamp.date()
        except (ValueError, TypeError, OverflowError, NotImplementedError):  # pandas: dates before year 1, too
            row = int(np.flatnonzero((text == value).to_numpy())[0])
            hint = f" with format {mapping.date_format!r}" if mapping.date_format else " (set date_format in the mapping)"
            raise CallLogError(source, mapping.date, f"cannot read date {value!r} on data row {row + 1}{hint}") from None
    if not parsed:
        raise CallLogError(source, None, "holds no calls")
    return [parsed[v] for v in text]


def queue_calls(log: pd.DataFrame) -> pd.DataFrame:
    """Calls that asked for an agent (served or abandoned): the queue's offered calls."""
    return log[log["outcome"] != VRU_HANGUP]


def day_dates(log: pd.DataFrame) -> list[str]:
    """The distinct dates of the log, in order."""
    return sorted(log["date"].unique())


def interval_index(seconds: np.ndarray, interval_s: float, n_intervals: int) -> np.ndarray:
    """Interval of the day of each time (times after midnight go to the last interval)."""
    index = np.floor(np.asarray(seconds, dtype=float) / interval_s).astype(int)
    return np.clip(index, 0, n_intervals - 1)


def is_finite(value: float) -> bool:
    """True for a finite float (helper for JSON export)."""
    return isinstance(value, (int, float)) and math.isfinite(value)
