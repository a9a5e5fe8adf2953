"""Dotted-path overrides of scenario data: ``channels.phone.agents=55`` from the command line or a study.

An override names a setting by its dotted path (a part in ``[brackets]`` may
itself hold dots, for the ``uncertain`` section whose keys are paths) and
gives a value parsed as YAML. :func:`apply_overrides` returns a changed copy
of the data; validation happens afterwards, on the result.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from sim.errors import ScenarioError


def parse_override(text: str, source: str) -> tuple[str, Any]:
    """Split ``"a.b.c=value"`` into the dotted path and its YAML-parsed value."""
    if "=" not in text:
        raise ScenarioError(source, text, "an override must look like dotted.path=value")
    key, _, raw = text.partition("=")
    key = key.strip()
    try:
        parts = split_key(key)
    except ValueError:
        parts = []
    if not key or not parts or any(not part for part in parts):
        raise ScenarioError(source, key or text, "an override needs a dotted path before '=' (a key with dots in [brackets])")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    except RecursionError:
        raise ScenarioError(source, key, "the value is nested too deeply to be a setting") from None
    return key, value


SYNONYMS: tuple[tuple[str, str], ...] = (
    ("forum.placement", "journey.self_service.placement"),
    ("channels.*.opening_hours", "channels.*.open_hours"),
)
"""Pairs of dotted paths that spell the same setting (``*`` is any one key).

A file gives one of them; an override of either removes the other, so the
override wins whichever spelling the file used.
"""


_KEY_PART = r"(?:\[[^\[\]]*\]|[^.\[\]]+)"
_DOTTED_KEY = re.compile(rf"{_KEY_PART}(?:\.?\[[^\[\]]*\]|\.{_KEY_PART})*")
_KEY_PARTS = re.compile(r"\[([^\[\]]*)\]|([^.\[\]]+)")


def split_key(key: str) -> list[str]:
    """The parts of a dotted path; a part in brackets is one key even if it holds dots.

    ``uncertain[costs.programme.setup_cost].high`` is ``["uncertain",
    "costs.programme.setup_cost", "high"]``: the way to reach entries whose
    names are themselves dotted paths (the ``uncertain`` section). Raises
    ValueError for empty parts and unbalanced brackets.
    """
    if not _DOTTED_KEY.fullmatch(key):
        raise ValueError(f"{key!r} is not a dotted path")
    return [bracketed or plain for bracketed, plain in _KEY_PARTS.findall(key)]


def _existing_key(node: Any, parts: list[str]) -> int:
    """How many of ``parts`` make up the longest dotted key already in ``node`` (at least 1)."""
    if isinstance(node, dict):
        for n in range(len(parts), 1, -1):
            if ".".join(parts[:n]) in node:
                return n
    return 1


def _synonym_of(parts: list[str]) -> list[str] | None:
    """The other spelling of the setting at ``parts``, or None."""
    for pair in SYNONYMS:
        for this, other in (pair, pair[::-1]):
            pattern = this.split(".")
            if len(pattern) == len(parts) and all(p in ("*", k) for p, k in zip(pattern, parts)):
                return [k if p == "*" else p for p, k in zip(other.split("."), parts)] if "*" in other else other.split(".")
    return None


def _remove_path(data: dict[str, Any], parts: list[str]) -> None:
    node: Any = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def apply_overrides(data: dict[str, Any], overrides: Sequence[str] | Mapping[str, Any], source: str) -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-path overrides applied.

    Missing intermediate mappings are created so that, for example,
    ``channels.phone.patience.mean_s=300`` adds patience to a scenario that
    had none; validation then checks the result. A setting of a channel the
    scenario does not have (``channels.social.opening_hours`` on a
    phone-and-chat scenario) is refused with an error naming the key. An
    override of a setting with two spellings (:data:`SYNONYMS`) replaces both.
    """
    result = copy.deepcopy(data)
    items = overrides.items() if isinstance(overrides, Mapping) else (parse_override(o, source) for o in overrides)
    for key, value in items:
        try:
            parts = split_key(key)
        except ValueError as exc:
            raise ScenarioError(source, key, "a dotted path (a key with dots in [brackets])") from exc
        channels = result.get("channels")
        if len(parts) > 2 and parts[0] == "channels" and isinstance(channels, dict) and parts[1] not in channels:
            known = ", ".join(map(str, channels)) or "none"
            raise ScenarioError(
                source, key, f"the scenario has no channel '{parts[1]}' (its channels are: {known}), so this cannot be set"
            )
        other = _synonym_of(parts)
        if other is not None:
            _remove_path(result, other)
        node: Any = result
        depth = 0
        while True:
            # an existing key that is itself a dotted path (``uncertain.costs.programme.setup_cost.high``) is one step
            width = _existing_key(node, parts[depth:])
            part = ".".join(parts[depth : depth + width])
            if depth + width == len(parts):
                node[part] = value
                break
            child = node.get(part)
            if child is None:
                child = {}
                node[part] = child
            elif not isinstance(child, dict):
                raise ScenarioError(source, ".".join(parts[: depth + width]),
                                    f"is {child!r}, not a mapping, so {key} cannot be set")
            node = child
            depth += width
    return result
