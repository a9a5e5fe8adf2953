"""Turning pydantic's validation errors into one readable message with a dotted key.

pydantic reports every problem with a location that includes the tags of
union members (``dist`` names); users need the path in their own file, the
most telling problem first and, for an unknown key, the keys allowed there
with a "did you mean" suggestion. :func:`validation_to_error` builds that
one :class:`~sim.errors.ScenarioError` (or a subclass) for scenarios, study
specs and the ROI sections alike.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.errors import InputError
from sim.spec.distributions import DIST_NAMES
from sim.spec.models import BoolForNumber

E = TypeVar("E", bound=InputError)
"""The error class a caller wants (ScenarioError, or a spec's own subclass of InputError)."""


def validation_to_error(
    exc: ValidationError, data: Any, root: type[BaseModel], source: str, error: type[E]
) -> E:
    """Convert the first pydantic error into ``error`` with a dotted key."""
    errors = sorted(exc.errors(include_url=False), key=_priority)
    first = errors[0]
    path = _data_path(first["loc"], data)
    key = ".".join(str(p) for p in path) or None
    message = _expectation(first, path, data, root)
    more = len({tuple(_data_path(e["loc"], data)) for e in errors}) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return error(source, key, message)


def _priority(err: Mapping[str, Any]) -> int:
    """Order errors so the most telling one is reported first."""
    kind = str(err["type"])
    if kind == "extra_forbidden" or isinstance(err.get("input"), BoolForNumber):
        return 0
    if kind == "union_tag_invalid":
        return 1
    if kind.endswith(("_type", "_parsing")) or kind == "model_type":
        return 3
    if kind == "missing":
        return 2
    return 1


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in DIST_NAMES or any(ch in part for ch in "[-"))


def _data_path(loc: Sequence[Any], data: Any) -> list[Any]:
    """Drop the union tags pydantic inserts into error locations."""
    path: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                path.append(part)
                node = node[part]
                continue
            if _is_union_tag(part):
                continue
            path.append(part)
            node = None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(part, str) and (node is not None or _is_union_tag(part)):
            continue
        else:
            path.append(part)
            node = None
    return path


def _expectation(err: Mapping[str, Any], path: list[Any], data: Any, root: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, path[:-1], data)
        name = str(path[-1]) if path else ""
        hint = difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        listing = f"; allowed keys here: {', '.join(sorted(allowed))}" if allowed else ""
        return f"unknown key{suggestion}{listing}"
    if kind == "missing":
        return "is required but missing"
    if kind == "union_tag_invalid":
        return f"unknown distribution; expected dist to be one of: {', '.join(DIST_NAMES)}"
    got = err.get("input")
    if isinstance(got, BoolForNumber):
        return f"expected a number, not {got!r}"
    shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if not msg:
        return f"invalid value{shown}"
    first = msg[0].lower() if msg[1:2].islower() or len(msg) == 1 else msg[0]  # "Input should" but not "CSV file"
    return f"{first}{msg[1:]}{shown}"


def _allowed_keys(root: type[BaseModel], path: Sequence[Any], data: Any) -> list[str]:
    """Field names of the model found at ``path`` below ``root`` (best effort)."""
    annotation: Any = root
    node = data
    for part in path:
        annotation = _unwrap(annotation, node)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        else:
            origin = typing.get_origin(annotation)
            args = typing.get_args(annotation)
            if origin in (dict, Mapping) and len(args) == 2:
                annotation = args[1]
            elif origin is list and args:
                annotation = args[0]
            else:
                return []
        if isinstance(node, dict):
            node = node.get(part)
        else:
            node = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
    annotation = _unwrap(annotation, node)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any, node: Any) -> Any:
    """Strip Annotated/Optional; pick the union member that matches ``node``."""
    for _ in range(10):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if models and isinstance(node, dict):
                tag = node.get("dist", "exponential")
                for m in models:
                    field = m.model_fields.get("dist")
                    if field is not None and tag in typing.get_args(field.annotation):
                        return m
                return models[0]
            containers = [m for m in members
                          if typing.get_origin(m) in (dict, list) or (isinstance(m, type) and issubclass(m, BaseModel))]
            annotation = containers[0] if containers else members[0]
            continue
        return annotation
    return annotation
