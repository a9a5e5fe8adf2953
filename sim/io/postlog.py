"""Logs of public posts (forum threads, social posts): the file format, a reader and an exporter.

A post log is a CSV file with one row per post and these columns (extra
columns are ignored):

============== ======== =========================================================
column         required what it holds
============== ======== =========================================================
channel        yes      the scenario channel the post belongs to (``forum``, ``social``, ...)
kind           no       ``forum`` or ``social``; may be left out when every channel is named so
post_id        no       an identifier, unique in the file
posted_at      yes      when the post was written
first_answer_at yes     when the first answer came; empty: never answered
answered_by    yes      ``peer`` (a community member) or ``agent``; empty when never answered
accepted       yes      ``yes`` / ``no``: the answer solved the author's issue; empty when never answered
sentiment      yes      ``positive``, ``neutral`` or ``negative`` as the post stands; may be empty
closed_at      yes      when the author stopped waiting without an answer; empty when answered or still open
============== ======== =========================================================

Times are ISO 8601 date-times (``2024-01-01T08:30:00``, an offset such as
``+01:00`` is allowed) or plain seconds from any origin, one style per file.
``yes``/``no`` may also be written ``true``/``false`` or ``1``/``0``. A post
with neither an answer nor a ``closed_at`` was still open when the log was
taken, which is the latest time in the file. Social posts are answered by
agents only; forum posts by peers or, after moderation, by agents.

:func:`read_post_log` returns a clean table (:data:`CLEAN_COLUMNS`): times
become seconds, answers and closings durations from posting. Every problem
raises :class:`PostLogError` naming the file, the column and what is
expected. :func:`post_log_from_records` writes what one simulation run did
to its public posts in this format.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.io.calllog import read_csv_strings

KINDS = ("forum", "social")
"""Kinds of channel whose contacts are public posts."""
ANSWERERS = ("peer", "agent")
"""Who may give a post its first answer."""
SENTIMENT_VALUES = ("positive", "neutral", "negative")
"""Sentiments a post may carry."""
FILE_COLUMNS = ("post_id", "channel", "kind", "posted_at", "first_answer_at", "answered_by", "accepted",
                "sentiment", "closed_at")
"""Columns of a post log file, in the order the exporter writes them."""
REQUIRED_COLUMNS = ("channel", "posted_at", "first_answer_at", "answered_by", "accepted", "sentiment", "closed_at")
"""Columns a post log must have."""
CLEAN_COLUMNS = ("post_id", "channel", "kind", "posted_s", "answer_after_s", "answered_by", "accepted",
                 "sentiment", "closed_after_s", "open_for_s")
"""Columns of the clean post table: times in seconds, answers and closings after posting.

``answer_after_s`` and ``closed_after_s`` are NaN when absent; ``open_for_s``
is the time from posting to the end of the log (the latest time in the file);
``answered_by`` and ``sentiment`` are empty strings when absent; ``accepted``
is a boolean that is False for unanswered posts."""

EXPORT_START = _dt.datetime(2024, 1, 1)
"""Default date-time of a simulation's time 0 in exported logs (a Monday, as the engine's day 0)."""

_TRUE = ("yes", "true", "1")
_FALSE = ("no", "false", "0")


class PostLogError(InputError):
    """A post log that cannot be read (file, column, what is expected)."""


def read_post_log(path: str | Path) -> pd.DataFrame:
    """Read the post log at ``path`` into the clean layout; :class:`PostLogError` on any problem."""
    raw = read_csv_strings(path, PostLogError, "a CSV post log")
    return clean_post_table(raw, str(path))


def clean_post_table(raw: pd.DataFrame, source: str = "<posts>") -> pd.DataFrame:
    """Check a raw table (all cells strings, columns as in the file) and turn it into the clean layout."""
    for column in REQUIRED_COLUMNS:
        if column not in raw.columns:
            raise PostLogError(source, column, f"column missing; a post log needs {', '.join(REQUIRED_COLUMNS)} "
                                               f"(the file has: {', '.join(raw.columns) or 'no columns'})")
    if raw.empty:
        raise PostLogError(source, None, "holds no posts")
    text = {c: raw[c].astype(str).str.strip() for c in raw.columns}
    channel = text["channel"]
    _refuse(source, "channel", channel == "", channel, "is empty; expected the name of the post's channel")
    if "kind" in text:
        kind = text["kind"].str.lower()
        kind = kind.where(kind != "", channel)
    else:
        kind = channel
    _refuse(source, "kind" if "kind" in text else "channel", ~kind.isin(KINDS), kind,
            "expected forum or social" + ("" if "kind" in text else " (or add a kind column)"))
    mixed = pd.DataFrame({"c": channel, "k": kind}).groupby("c")["k"].nunique()
    if (mixed > 1).any():
        raise PostLogError(source, "kind", f"channel {mixed[mixed > 1].index[0]!r} is given more than one kind")
    if "post_id" in text:
        post_id = text["post_id"]
        dup = post_id.duplicated() & (post_id != "")
        _refuse(source, "post_id", dup, post_id, "repeats an earlier post_id; expected each post once")
    else:
        post_id = pd.Series([str(i + 1) for i in range(len(raw))], index=raw.index)
    times = _times(source, {c: text[c] for c in ("posted_at", "first_answer_at", "closed_at")})
    posted, answer, closed = times["posted_at"], times["first_answer_at"], times["closed_at"]
    _refuse(source, "posted_at", np.isnan(posted), text["posted_at"], "is empty; expected the time the post was written")
    by = text["answered_by"].str.lower()
    _refuse(source, "answered_by", ~by.isin(("", *ANSWERERS)), by, "expected peer, agent or empty (no answer)")
    _refuse(source, "answered_by", (by == "") != np.isnan(answer), by,
            "must be given exactly when first_answer_at is (peer or agent)")
    _refuse(source, "answered_by", (by == "peer") & (kind == "social"), by,
            "peer on a social post; social posts are answered by agents")
    _refuse(source, "first_answer_at", answer < posted, text["first_answer_at"], "is before posted_at")
    _refuse(source, "closed_at", closed < posted, text["closed_at"], "is before posted_at")
    _refuse(source, "closed_at", ~np.isnan(closed) & ~np.isnan(answer), text["closed_at"],
            "given for an answered post; closed_at is when an author stopped waiting without an answer")
    accepted_text = text["accepted"].str.lower()
    _refuse(source, "accepted", ~accepted_text.isin(("", *_TRUE, *_FALSE)), accepted_text, "expected yes, no or empty")
    _refuse(source, "accepted", (accepted_text != "") & (by == ""), accepted_text,
            "given for a post nobody answered; leave it empty")
    _refuse(source, "accepted", (accepted_text == "") & (by != ""), accepted_text,
            "is empty for an answered post; expected yes or no")
    sentiment = text["sentiment"].str.lower()
    _refuse(source, "sentiment", ~sentiment.isin(("", *SENTIMENT_VALUES)), sentiment,
            "expected positive, neutral, negative or empty")
    end = float(np.nanmax(np.concatenate([posted, answer, closed])))
    table = pd.DataFrame({
        "post_id": post_id.to_numpy(dtype=object),
        "channel": channel.to_numpy(dtype=object),
        "kind": kind.to_numpy(dtype=object),
        "posted_s": posted,
        "answer_after_s": answer - posted,
        "answered_by": by.to_numpy(dtype=object),
        "accepted": accepted_text.isin(_TRUE).to_numpy(),
        "sentiment": sentiment.to_numpy(dtype=object),
        "closed_after_s": closed - posted,
        "open_for_s": end - posted,
    })
    return table.sort_values("posted_s", kind="stable").reset_index(drop=True)[list(CLEAN_COLUMNS)]


def _refuse(source: str, column: str, bad: pd.Series | np.ndarray, values: pd.Series, expected: str) -> None:
    """Raise for the first row where ``bad`` holds, quoting its value."""
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        row = int(np.flatnonzero(mask)[0])
        raise PostLogError(source, column, f"{values.iloc[row]!r} on data row {row + 1}: {expected}")


def _times(source: str, columns: dict[str, pd.Series]) -> dict[str, np.ndarray]:
    """The time columns as seconds: all plain numbers, or all ISO date-times (seconds from the first day's midnight)."""
    cells = pd.concat(list(columns.values()))
    filled = cells[cells != ""]
    numbers = pd.to_numeric(filled, errors="coerce")
    if len(filled) and numbers.notna().all():
        out = {c: pd.to_numeric(v.where(v != ""), errors="coerce").to_numpy(dtype=float) for c, v in columns.items()}
        for column, seconds in out.items():
            _refuse(source, column, ~np.isfinite(seconds) & (columns[column] != "").to_numpy(), columns[column],
                    "expected a finite number of seconds")
        return out
    parsed: dict[str, pd.Series] = {}
    for column, values in columns.items():
        stamps = pd.to_datetime(values.where(values != ""), errors="coerce", format="ISO8601", utc=True)
        bad = stamps.isna() & (values != "")
        _refuse(source, column, bad, values, "cannot read this time; expected an ISO 8601 date-time "
                "(2024-01-01T08:30:00) or seconds, one style for the whole file")
        parsed[column] = stamps
    origin = parsed["posted_at"].min()
    if pd.isna(origin):
        origin = pd.concat(list(parsed.values())).min()
    if pd.isna(origin):
        return {c: np.full(len(v), np.nan) for c, v in columns.items()}
    midnight = origin.floor("D")
    return {c: ((s - midnight).dt.total_seconds()).to_numpy(dtype=float) for c, s in parsed.items()}


def post_log_from_records(records: object, start: _dt.datetime = EXPORT_START, prefix: str = "") -> pd.DataFrame:
    """The public posts of one run (:class:`~sim.engine.records.RunRecords`) as a post log table (strings).

    Every contact of a ``forum`` or ``social`` channel is one row; time 0 of
    the run is ``start``. The sentiment is the post's as it ended (after
    souring or a delighting answer); forum posts carry none. A post whose
    author gave up gets its ``closed_at``; one still waiting when the run
    stopped has neither an answer nor a closing. ``prefix`` starts every
    ``post_id`` (to pool runs in one file).
    """
    from sim.engine.records import ABANDONED, ANSWERED, BY_AGENT, BY_PEER, SENTIMENTS, RunRecords

    if not isinstance(records, RunRecords) or records.journey is None:
        raise ValueError("post logs come from the records of a journey scenario (one with a journey section)")
    j = records.journey
    post_channels = [c for c, k in enumerate(j.channel_kinds) if k in KINDS]
    keep = np.isin(j.contact_channel, post_channels)
    idx = np.flatnonzero(keep)
    arrival = j.contact_arrival_s[idx]
    wait = j.contact_wait_s[idx]
    outcome = j.contact_outcome[idx]
    by = j.contact_by[idx]
    answered = outcome == ANSWERED
    closed = outcome == ABANDONED
    base = pd.Timestamp(start)

    def stamp(seconds: np.ndarray, mask: np.ndarray) -> list[str]:
        out = (base + pd.to_timedelta(np.round(np.where(mask, seconds, 0.0)), unit="s")).strftime("%Y-%m-%dT%H:%M:%S")
        return [s if m else "" for s, m in zip(out, mask)]

    names = np.asarray(j.channels, dtype=object)
    kinds = np.asarray(j.channel_kinds, dtype=object)
    sentiment = j.contact_sentiment[idx]
    return pd.DataFrame({
        "post_id": [f"{prefix}{k + 1}" for k in range(len(idx))],
        "channel": names[j.contact_channel[idx]],
        "kind": kinds[j.contact_channel[idx]],
        "posted_at": stamp(arrival, np.ones(len(idx), dtype=bool)),
        "first_answer_at": stamp(arrival + wait, answered),
        "answered_by": np.where(answered & (by == BY_PEER), "peer", np.where(answered & (by == BY_AGENT), "agent", "")),
        "accepted": np.where(answered, np.where(j.contact_resolved[idx], "yes", "no"), ""),
        "sentiment": [SENTIMENTS[s] if s >= 0 else "" for s in sentiment],
        "closed_at": stamp(arrival + wait, closed),
    }, columns=list(FILE_COLUMNS))


def write_post_log(table: pd.DataFrame, path: str | Path) -> None:
    """Write a post log table (as :func:`post_log_from_records` returns) to ``path`` as CSV."""
    from sim.io.files import write_atomic

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, table.to_csv(index=False).encode("utf-8"))
