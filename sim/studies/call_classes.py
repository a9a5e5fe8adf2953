"""Customer classes of a call log: which calls form a class, by the log's priority and type columns.

A *class* is a group of customers with their own arrivals, handling time,
patience and priority (:mod:`sim.studies.calibrate` fits each one). The
rules:

- ``none``: one class (``phone``);
- ``priority``: ``priority`` (the log's priority ``2``: the bank credited
  these callers 1.5 minutes of queue time) and ``regular`` (0 and 1);
- ``type``: one class per call type (``PS``, ``NE``, ``NW``, ...);
- ``priority-type``: both, as ``priority:PS``, ``regular:NW``, ...

Classes with fewer than ``min_calls`` calls are pooled into ``other``. A
scenario's channel names are the class labels, so a replay can tell from them
which rule made the classes (:func:`rule_of_classes`) and map the calls of
other days onto them (:func:`assign_classes`).

A log may not know every call's priority: the Technion logs record neither
customer nor priority for calls that went straight to an agent (0 in both
columns), about a sixth of the Anonymous Bank's calls and over 40 % of them
on its quiet days. Counted as regular, they made the priority class look
rarer the quieter the day. :func:`class_labels` imputes their class instead
(:func:`unrecorded_priority`).
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from sim.io.calllog import SERVED, VRU_HANGUP, interval_index

CLASS_RULES = ("none", "priority", "type", "priority-type")
"""Rules that split calls into classes."""
HIGH_PRIORITY = 2
"""The log's ``priority`` value of priority customers."""
OTHER = "other"
"""The class of calls whose own class was too small."""
SINGLE = "phone"
"""The only class of rule ``none``."""
PRIORITY_LABELS = ("priority", "regular")


def check_rule(rule: str) -> str:
    """``rule`` if it is one of :data:`CLASS_RULES`, else ValueError naming them."""
    if rule not in CLASS_RULES:
        raise ValueError(f"class rule must be one of {', '.join(CLASS_RULES)} (got {rule!r})")
    return rule


def raw_labels(calls: pd.DataFrame, rule: str) -> np.ndarray:
    """Each call's class label under ``rule`` before small classes are pooled."""
    check_rule(rule)
    n = len(calls)
    if rule == "none":
        return np.full(n, SINGLE, dtype=object)
    level = np.where(pd.to_numeric(calls["priority"], errors="coerce").to_numpy() == HIGH_PRIORITY,
                     PRIORITY_LABELS[0], PRIORITY_LABELS[1]).astype(object)
    if rule == "priority":
        return level
    kinds = calls["call_type"].fillna(OTHER).astype(str).to_numpy(dtype=object)
    if rule == "type":
        return kinds
    return np.array([f"{p}:{t}" for p, t in zip(level, kinds)], dtype=object)


def class_names(calls: pd.DataFrame, rule: str, min_calls: int) -> list[str]:
    """The classes of ``calls`` under ``rule``, largest first, those under ``min_calls`` pooled into ``other``.

    ``other`` comes last when some calls fall in it; a pooled ``other`` that
    is itself too small still stays (its calls have to go somewhere).
    """
    counts = pd.Series(raw_labels(calls, rule)).value_counts()
    big = [str(k) for k, v in counts.items() if v >= min_calls and k != OTHER]
    if not big:
        return [str(counts.index[0])] if len(counts) else [SINGLE]
    return big + ([OTHER] if len(big) < len(counts) else [])


def assign_classes(calls: pd.DataFrame, rule: str, names: list[str]) -> np.ndarray:
    """Each call's class among ``names``: its own, else ``other``, else the last of ``names``."""
    labels = raw_labels(calls, rule)
    fallback = OTHER if OTHER in names else names[-1]
    known = set(names)
    return np.array([lab if lab in known else fallback for lab in labels], dtype=object)


def rule_of_classes(names: list[str]) -> str:
    """The rule whose labels are ``names`` (a scenario's channels written by ``calibrate``)."""
    own = [n for n in names if n != OTHER]
    if len(names) == 1 and len(own) == 1:
        return "none"
    if own and all(n in PRIORITY_LABELS for n in own):
        return "priority"
    if own and all(n.partition(":")[0] in PRIORITY_LABELS and n.partition(":")[2] for n in own):
        return "priority-type"
    return "type"


def is_priority_class(name: str) -> bool:
    """Whether class ``name`` is of priority customers (``priority`` or ``priority:...``)."""
    return name.partition(":")[0] == PRIORITY_LABELS[0]


def unrecorded_priority(calls: pd.DataFrame) -> np.ndarray:
    """Calls whose priority the log did not record: served without waiting and marked 0.

    Whether a caller finds an agent free does not depend on their priority
    (priority orders only a queue), so such calls are, in expectation, of the
    classes of the other calls of their interval.
    """
    priority = pd.to_numeric(calls["priority"], errors="coerce").fillna(0).to_numpy()
    return ((calls["outcome"] == SERVED).to_numpy() & (calls["wait_s"].to_numpy(dtype=float) <= 0) & (priority == 0))


def class_labels(log: pd.DataFrame, rule: str, names: list[str], interval_s: float) -> np.ndarray:
    """Each call's class among ``names`` (:func:`assign_classes`), the calls of unrecorded priority imputed.

    Under a rule that reads the priority, a call of :func:`unrecorded_priority`
    gets one of the classes its other columns allow (those of its type, for
    ``priority-type``), drawn with the shares of those classes among the calls
    whose priority was recorded in the same date and interval (else the same
    date, else the whole log). The draws are fixed by the date, so a day's
    labels do not depend on the other days in ``log``; the calls' handling
    times go with their imputed class, as their arrivals do.
    """
    labels = assign_classes(log, rule, names)
    unknown = unrecorded_priority(log) if rule in ("priority", "priority-type") else np.zeros(len(log), dtype=bool)
    if not unknown.any():
        return labels
    fallback = OTHER if OTHER in names else names[-1]
    kinds = log["call_type"].fillna(OTHER).astype(str).to_numpy(dtype=object)
    candidates = [PRIORITY_LABELS] if rule == "priority" else [tuple(f"{p}:{k}" for p in PRIORITY_LABELS) for k in kinds]
    keys = np.array(["|".join(sorted({lab if lab in names else fallback for lab in candidates[min(i, len(candidates) - 1)]}))
                     for i in range(len(log))], dtype=object)
    dates = sorted(log["date"].unique())
    row = pd.Index(dates).get_indexer(log["date"])
    per_day = int(round(86400.0 / interval_s))
    col = interval_index(log["arrival_s"].to_numpy(dtype=float), interval_s, per_day)
    u = np.zeros(len(log))
    for date in dates:
        mine = (log["date"] == date).to_numpy()
        u[mine] = np.random.default_rng(zlib.crc32(str(date).encode())).random(int(mine.sum()))
    queued = (log["outcome"] != VRU_HANGUP).to_numpy()
    for key in np.unique(keys[unknown]):
        group = key.split("|")
        counts = np.zeros((len(group), len(dates), per_day))
        for c, name in enumerate(group):
            known = queued & ~unknown & (labels == name)
            np.add.at(counts[c], (row[known], col[known]), 1.0)
        shares = np.cumsum(_shares(counts), axis=0)  # class x date x interval
        pick = unknown & (keys == key)
        draw = (u[pick][None, :] >= shares[:, row[pick], col[pick]]).sum(axis=0)
        labels[pick] = np.asarray(group, dtype=object)[np.minimum(draw, len(group) - 1)]
    return labels


def _shares(counts: np.ndarray) -> np.ndarray:
    """Each class's share of ``counts`` (class x date x interval) per cell, else per date, else overall, else equal."""
    n = counts.shape[0]
    overall = counts.sum(axis=(1, 2))
    base = overall / overall.sum() if overall.sum() > 0 else np.full(n, 1.0 / n)
    per_date = counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        day = np.where(per_date.sum(axis=0) > 0, per_date / per_date.sum(axis=0), base[:, None, None])
        cell = np.where(counts.sum(axis=0) > 0, counts / counts.sum(axis=0), day)
    return cell
