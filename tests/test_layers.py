"""The package's structure: layers, no import cycles, small modules, a schema and engine that do no I/O.

Layers, lowest first::

    base      sim.errors, sim.random, sim.engine_build
    spec      the scenario schema (validates data)
    engine    the simulation engine
    analysis  KPIs, Erlang formulas, estimators, costs
    io        reading inputs, writing results
    studies   replications, staffing, schedules, calibration, sweeps, sensitivity, ROI
    report    figures and the HTML report
    cli       the command line (and ``python -m sim``)

A module may import from its own layer and the layers below. Every import
counts, also one inside a function. ``sim/__init__.py`` is the public facade
and may import anything; a module that imports the facade depends on all it
imports, so it must sit at or above the highest of those layers. Importing
``sim.a.b`` also runs the ``__init__`` of ``sim`` and ``sim.a``; those
implicit imports are not edges here (every module would otherwise depend on
the facade).

The checks are functions of a source folder, so the last test runs them on
a small package with known faults to show that they find them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"

LAYERS = ("base", "spec", "engine", "analysis", "io", "studies", "report", "cli")
"""Layer names, lowest first; a sub-package ``sim.<name>`` is layer ``<name>``."""
BASE_MODULES = frozenset({"sim.errors", "sim.random", "sim.engine_build"})
"""Modules directly in ``sim/`` that form the base layer."""
ENTRY_POINTS = {"sim.__main__": "cli"}
"""Modules directly in ``sim/`` that belong to a higher layer."""
FACADE = "sim"

MAX_LINES = 500
MAX_TOP_LEVEL_MODULES = 12
LONG_MODULES_ALLOWED: dict[str, str] = {}
"""Modules allowed above :data:`MAX_LINES`, with the reason. An entry that is no longer needed fails the test."""

NO_IO_LAYERS = ("spec", "engine")
FORBIDDEN_CALLS = frozenset({
    "open", "print", "read_text", "read_bytes", "read_csv", "read_parquet", "read_excel", "read_json",
    "write_text", "write_bytes", "to_csv", "to_parquet", "savefig",
})
"""Calls (by function or method name) that read, write or print."""
FORBIDDEN_IMPORTS = ("matplotlib", "pathlib", "csv")
"""Top-level packages the schema and the engine must not import (plotting, paths to files, CSV files)."""


@dataclass(frozen=True)
class Import:
    """One import of a module inside the package: who imports what, where, and the statement."""

    importer: str
    target: str
    line: int
    statement: str
    in_function: bool

    def describe(self) -> str:
        """``sim.x (line 12, inside a function): from sim.y import z``."""
        where = f"line {self.line}" + (", inside a function" if self.in_function else "")
        return f"{self.importer} ({where}): {self.statement}"


def modules(root: Path = SIM) -> dict[str, Path]:
    """Every module under ``root`` by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _functions_lines(tree: ast.AST) -> set[int]:
    """Line numbers of the import statements that sit inside a function."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            lines |= {n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))}
    return lines


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The absolute module a ``from`` import names (resolving ``from . import x``)."""
    if not node.level:
        return node.module
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(root: Path = SIM) -> dict[str, list[Import]]:
    """Every module's imports of modules of the package, function-level ones included."""
    known = modules(root)
    top = root.name
    graph: dict[str, list[Import]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lazy = _functions_lines(tree)
        found: list[Import] = []
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.split(".")[0] == top]
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(name, path.name == "__init__.py", node)
                if source is None or source.split(".")[0] != top:
                    continue
                # ``from sim.a import b`` imports module sim.a.b when there is one, else names of sim.a
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
            for target in dict.fromkeys(targets):
                if target in known:
                    found.append(Import(name, target, node.lineno, ast.unparse(node), node.lineno in lazy))
        graph[name] = found
    return graph


def layer_of(module: str, graph: dict[str, list[Import]] | None = None) -> str | None:
    """The layer of ``module``; for the facade, the highest layer it imports (None without ``graph``)."""
    parts = module.split(".")
    if module == FACADE or (len(parts) == 1):
        if graph is None:
            return None
        layers = [layer_of(i.target) for i in graph.get(module, []) if i.target != module]
        return max((layer for layer in layers if layer), key=LAYERS.index, default="base")
    if len(parts) == 2 and module not in ENTRY_POINTS and parts[1] not in LAYERS:
        return "base" if module in BASE_MODULES else None
    if module in ENTRY_POINTS:
        return ENTRY_POINTS[module]
    return parts[1] if parts[1] in LAYERS else None


def upward_imports(graph: dict[str, list[Import]], facade: str = FACADE) -> list[str]:
    """One line per import of a higher layer (and per module in no layer), naming module and statement."""
    problems = []
    for module, found in graph.items():
        if module == facade:
            continue
        own = layer_of(module, graph)
        if own is None:
            problems.append(f"{module} is in no layer: put it in a sub-package named after a layer {LAYERS} "
                            "or list it among the base modules")
            continue
        for imp in found:
            target = layer_of(imp.target, graph)
            if target is not None and LAYERS.index(target) > LAYERS.index(own):
                problems.append(f"{imp.describe()}  -- layer {own} imports {imp.target} of the higher layer {target}")
    return problems


def import_cycle(graph: dict[str, list[Import]]) -> list[Import] | None:
    """The imports of one cycle among the modules (depth-first search), or None when there is none."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path: list[Import] = []
        on_path = {start: 0}
        stack = [(start, iter(graph[start]))]
        while stack:
            module, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                done.add(module)
                on_path.pop(module)
                if path:
                    path.pop()
                continue
            if step.target in on_path:
                return path[on_path[step.target]:] + [step]
            if step.target in done or step.target not in graph:
                continue
            path.append(step)
            on_path[step.target] = len(path)
            stack.append((step.target, iter(graph[step.target])))
    return None


def file_io(path: Path) -> list[str]:
    """Lines of ``path`` that read or write files, print, or import plotting and file modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno}: calls {name}(): {ast.unparse(node)[:80]}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for imported in names:
                if imported.split(".")[0] in FORBIDDEN_IMPORTS:
                    found.append(f"line {node.lineno}: imports {imported}: {ast.unparse(node)}")
    return found


def line_count(path: Path) -> int:
    """Lines in a source file."""
    return len(path.read_text(encoding="utf-8").splitlines())


# ---------------------------------------------------------------------------
# The package as it is


def test_no_module_imports_from_a_higher_layer() -> None:
    problems = upward_imports(imports())
    assert not problems, "imports against the layer order " + " < ".join(LAYERS) + ":\n" + "\n".join(problems)


def test_no_import_cycle() -> None:
    cycle = import_cycle(imports())
    assert cycle is None, "import cycle " + " -> ".join([cycle[0].importer] + [i.target for i in cycle]) + ":\n" + \
        "\n".join(i.describe() for i in cycle)


def test_few_modules_directly_in_sim() -> None:
    top = sorted(p.name for p in SIM.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, (
        f"{len(top)} modules directly in sim/ (at most {MAX_TOP_LEVEL_MODULES}); move some into a layer's "
        f"sub-package: {', '.join(top)}"
    )


def test_no_module_over_500_lines() -> None:
    known = modules()
    sizes = {name: line_count(path) for name, path in known.items()}
    long = [f"{name} ({known[name].relative_to(SIM.parent)}): {n} lines" for name, n in sizes.items()
            if n > MAX_LINES and name not in LONG_MODULES_ALLOWED]
    assert not long, f"modules over {MAX_LINES} lines; split them by responsibility:\n" + "\n".join(long)
    stale = [name for name in LONG_MODULES_ALLOWED if sizes.get(name, 0) <= MAX_LINES]
    assert not stale, f"no longer over {MAX_LINES} lines (or gone), remove from LONG_MODULES_ALLOWED: {', '.join(stale)}"


def test_spec_and_engine_read_no_files_and_print_nothing() -> None:
    problems = [
        f"{name}: {line}"
        for name, path in modules().items()
        if layer_of(name) in NO_IO_LAYERS
        for line in file_io(path)
    ]
    assert not problems, "the schema and the engine take data and return data (files are sim.io's):\n" + \
        "\n".join(problems)


# ---------------------------------------------------------------------------
# The checks themselves, on a package with known faults


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "sim"


def test_the_checks_find_upward_imports_cycles_and_file_reading(tmp_path: Path) -> None:
    sim = _write(tmp_path, {
        "sim/__init__.py": "from sim.studies.a import run\n",
        "sim/errors.py": "",
        "sim/spec/__init__.py": "",
        "sim/spec/model.py": "def check():\n    from sim.studies.a import run\n    return run\n",
        "sim/spec/loader.py": "from pathlib import Path\n\ndef load(p):\n    return Path(p).read_text()\n",
        "sim/studies/__init__.py": "",
        "sim/studies/a.py": "from sim.studies import b\n\ndef run():\n    print('x')\n",
        "sim/studies/b.py": "from sim.studies.a import run\nfrom sim import errors\n",
        "sim/studies/c.py": "import sim\n",
        "sim/io/__init__.py": "",
        "sim/io/d.py": "from sim import run\n",
        "sim/extra/e.py": "",
    })
    graph = imports(sim)
    assert {i.target for i in graph["sim.studies.b"]} == {"sim.studies.a", "sim.errors"}
    problems = upward_imports(graph)
    assert any(p.startswith("sim.spec.model (line 2, inside a function): from sim.studies.a import run") for p in problems)
    assert any("sim.io.d" in p and "higher layer studies" in p for p in problems)  # the facade sits at studies
    assert any(p.startswith("sim.extra.e is in no layer") for p in problems)
    assert not any("sim.studies.c" in p for p in problems)
    cycle = import_cycle(graph)
    assert cycle is not None and {i.importer for i in cycle} == {"sim.studies.a", "sim.studies.b"}
    assert [line.split(":")[1].strip() for line in file_io(sim / "spec" / "loader.py")] == [
        "imports pathlib", "calls read_text()",
    ]
    assert file_io(sim / "studies" / "a.py")[0].startswith("line 4: calls print()")


@pytest.mark.parametrize("module, layer", [
    ("sim.errors", "base"), ("sim.engine_build", "base"), ("sim.__main__", "cli"), ("sim.spec.scenario", "spec"),
    ("sim.io", "io"), ("sim.cli.commands.roi", "cli"), ("sim.studies.plan", "studies"),
])
def test_layer_of_known_modules(module: str, layer: str) -> None:
    assert layer_of(module) == layer
