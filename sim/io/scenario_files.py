"""Scenario files: read the YAML, apply overrides, read the CSV columns it names, validate.

A scenario file may give an empirical time distribution as a column of a
CSV file (``{dist: empirical, csv: aht.csv, column: talk}``, the path
relative to the scenario file). The schema (:mod:`sim.spec`) validates data
only, so :func:`read_empirical_columns` replaces each such reference by the
column's values (``values_s``) before validation; a missing file or column
is reported with the scenario file and the distribution's dotted key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.io.yaml_files import read_yaml_mapping
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict


def load_scenario(path: str | Path, overrides: Sequence[str] | Mapping[str, Any] = ()) -> Scenario:
    """Read, override and validate the scenario file at ``path``.

    ``overrides`` are ``"dotted.path=value"`` strings (values parsed as YAML)
    or a mapping of dotted paths to values. CSV columns of empirical
    distributions are read relative to the file, after the overrides (which
    may name another file or column). Raises :class:`ScenarioError`.
    """
    source = str(path)
    data = read_yaml_mapping(Path(path), ScenarioError)
    data = apply_overrides(data, overrides, source)
    data = read_empirical_columns(data, source, Path(path).parent)
    return scenario_from_dict(data, source=source)


def read_empirical_columns(data: Mapping[str, Any], source: str, base_dir: Path) -> dict[str, Any]:
    """A copy of scenario ``data`` whose empirical distributions read from CSV hold the values instead.

    Every mapping with ``dist: empirical``, a ``csv`` file name and a
    ``column`` (and no ``values_s``) becomes the same mapping with
    ``values_s``: the column's numbers, in file order, read from
    ``base_dir / csv``. Anything else is left for validation to judge (a
    ``csv`` without ``column``, or with ``values_s`` too, is reported there).
    Raises :class:`ScenarioError` with ``source`` and the distribution's
    dotted key when the file cannot be read or the column is missing or
    holds negative times.
    """
    return _resolve(dict(data), (), source, base_dir)


def referenced_files(data: Mapping[str, Any], base_dir: Path) -> list[Path]:
    """The files scenario ``data`` reads (CSV columns of empirical distributions), each once, in order.

    These are part of what a scenario *is*: a study's fingerprint covers
    their contents, so that a changed CSV file is not mixed with results of
    the old one on ``--resume``.
    """
    found: list[Path] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if _names_csv_column(node) and base_dir / node["csv"] not in found:
                found.append(base_dir / node["csv"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def _resolve(node: Any, path: tuple[str, ...], source: str, base_dir: Path) -> Any:
    if isinstance(node, dict):
        if _names_csv_column(node):
            values = _read_column(base_dir / node["csv"], node["column"], source, ".".join(path) or None)
            resolved = {k: v for k, v in node.items() if k not in ("csv", "column")}
            resolved["values_s"] = values
            return resolved
        return {k: _resolve(v, (*path, str(k)), source, base_dir) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, (*path, str(i)), source, base_dir) for i, v in enumerate(node)]
    return node


def _names_csv_column(node: Mapping[str, Any]) -> bool:
    """Whether ``node`` is an empirical distribution given as a CSV column, ready to be read."""
    column = node.get("column")
    return (
        node.get("dist") == "empirical" and isinstance(node.get("csv"), str) and "values_s" not in node
        and isinstance(column, str) and bool(column)
    )


def _read_column(path: Path, column: str, source: str, key: str | None) -> list[float]:
    """The numbers of ``column`` in the CSV file at ``path`` (non-numbers dropped); ScenarioError otherwise."""
    import pandas as pd

    if not path.is_file():
        raise ScenarioError(source, key, f"CSV file {path} not found")
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError(source, key, f"CSV file {path} cannot be read ({exc})") from None
    if column not in frame.columns:
        raise ScenarioError(source, key, f"column {column!r} not in {path}; it has {', '.join(map(str, frame.columns))}")
    values = pd.to_numeric(frame[column], errors="coerce").dropna()
    if (values < 0).any():
        raise ScenarioError(source, key, f"column {column!r} of {path} holds negative times")
    return values.astype(float).tolist()
