"""The base of every schema model: unknown keys refused, no NaN or infinity, no true/false for a number.

pydantic reads ``true`` as 1 where a number is expected (``agents: true`` is
one agent, ``rate_per_hour: true`` one an hour): a typo the user is never
told about. :class:`SpecModel` refuses a boolean, also inside a list or a
mapping of numbers, in every field whose type does not itself allow one:
it becomes a :class:`BoolForNumber`, which the field's validation refuses
at its own dotted key.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _allows_bool(annotation: Any) -> bool:
    """Whether a field of this type may hold true/false (a bool, Any, or a union or literal with one)."""
    if annotation is bool or annotation is Any or isinstance(annotation, bool):  # bool, Any, Literal[True]
        return True
    return any(_allows_bool(arg) for arg in typing.get_args(annotation))


def _mentions(annotation: Any, kinds: tuple[Any, ...]) -> bool:
    """Whether ``annotation`` is, or is built from (union, list, Annotated, ...), one of ``kinds``."""
    if annotation in kinds or typing.get_origin(annotation) in kinds:
        return True
    return any(_mentions(arg, kinds) for arg in typing.get_args(annotation))


class BoolForNumber:
    """A true or false found where a number is expected: the field's own validation then fails at its key."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _without_bools(annotation: Any, value: Any) -> Any:
    """``value`` with each boolean where ``annotation`` expects a number replaced by a :class:`BoolForNumber`."""
    if _allows_bool(annotation) or not _mentions(annotation, (int, float)):
        return value
    if isinstance(value, bool):
        return BoolForNumber(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, bool) for v in value):
        return [BoolForNumber(v) if isinstance(v, bool) else v for v in value]
    if isinstance(value, dict) and _mentions(annotation, (dict,)):  # a mapping of numbers, not a sub-model
        return {k: BoolForNumber(v) if isinstance(v, bool) else v for k, v in value.items()}
    return value


class SpecModel(BaseModel):
    """A schema model: ``extra="forbid"``, ``allow_inf_nan=False`` and no booleans for numbers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        changed = dict(data)
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is not None and isinstance(value, (bool, list, tuple, dict)):
                changed[name] = _without_bools(field.annotation, value)
        return changed
