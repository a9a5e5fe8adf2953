"""YAML input files that hold a mapping: scenarios, study specs, shift types, column mappings.

One reader for all of them, so every such file fails the same way: a missing
file, a folder, unreadable text, invalid YAML (with line and column), a key
given twice in one mapping (YAML would silently keep the last), nesting
deeper than :data:`MAX_DEPTH`, a file larger than :data:`MAX_BYTES` or a top
level that is not a mapping each raise the caller's error class naming the
file (and the dotted key where there is one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError, ScenarioError

MAX_BYTES = 10 * 1024 * 1024
"""The largest YAML input file read (10 MB); scenarios and specs are a few kB."""
MAX_DEPTH = 50
"""The deepest nesting of mappings and lists accepted in a YAML input file."""
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one."""


def read_yaml_mapping(path: Path, error: type[InputError] = ScenarioError) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; any problem raises ``error``."""
    source = str(path)
    if not path.exists():
        raise error(source, None, "file not found")
    if path.is_dir():
        raise error(source, None, "is a directory; expected a YAML file")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise error(source, None, f"is larger than {MAX_BYTES // (1024 * 1024)} MB; expected a YAML file of settings")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(source, None, f"cannot be read ({exc})") from None
    return parse_yaml_mapping(text, source, error)


def parse_yaml_mapping(text: str, source: str, error: type[InputError] = ScenarioError) -> dict[str, Any]:
    """The mapping YAML ``text`` holds (read from ``source``); any problem raises ``error``."""
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_nodes(node, source, error)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(source, None, f"is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise error(source, None, f"is nested too deeply (at most {MAX_DEPTH} levels of mappings and lists)") from None
    if data is None:
        raise error(source, None, "is empty; expected a YAML mapping of settings")
    if not isinstance(data, dict):
        raise error(source, None, f"expected a YAML mapping at the top level, found {type(data).__name__}")
    return data


def _check_nodes(root: yaml.Node, source: str, error: type[InputError]) -> None:
    """Refuse a key given twice in one mapping, and nesting deeper than :data:`MAX_DEPTH` (iteratively)."""
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:  # an alias of a node already checked
            continue
        seen.add(id(node))
        if len(path) > MAX_DEPTH and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            raise error(source, path[0], f"is nested too deeply (at most {MAX_DEPTH} levels of mappings and lists)")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*path, str(i))) for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, path))
                    continue
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in lines:
                    raise error(source, ".".join((*path, key)),
                                f"is given twice (lines {lines[key]} and {line}); give each key once")
                lines[key] = line
                stack.append((value_node, (*path, key)))
