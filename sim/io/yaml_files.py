"""YAML input files that hold a mapping: scenarios, study specs, shift types, column mappings.

One reader for all of them, so every such file fails the same way: a missing
file, a folder, unreadable text, invalid YAML (with line and column) or a
top level that is not a mapping each raise the caller's error class naming
the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError, ScenarioError


def read_yaml_mapping(path: Path, error: type[InputError] = ScenarioError) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; any problem raises ``error``."""
    source = str(path)
    if not path.exists():
        raise error(source, None, "file not found")
    if path.is_dir():
        raise error(source, None, "is a directory; expected a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(source, None, f"cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(source, None, f"is not valid YAML{where}: {problem}") from None
    if data is None:
        raise error(source, None, "is empty; expected a YAML mapping of settings")
    if not isinstance(data, dict):
        raise error(source, None, f"expected a YAML mapping at the top level, found {type(data).__name__}")
    return data
