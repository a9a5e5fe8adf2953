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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
