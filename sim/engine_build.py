"""Which omnichannel engine runs: the mypyc-compiled modules or their Python sources.

``setup.py`` compiles the modules in :data:`COMPILED_SOURCES` with mypyc and
records a digest of the sources it compiled. At import, :func:`select_engine`
uses the compiled modules only when they were built from the sources on disk;
otherwise (a source edited since the build, or ``CCSIM_PURE_PYTHON=1``) it
loads the Python sources in their place, so a stale build can never run code
that differs from what is checked in. Both run the same code and give the
same numbers, bit for bit; the compiled one is about twice as fast.

This module uses the standard library only: ``setup.py`` imports it before
the package's dependencies are installed.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

COMPILED_SOURCES = ("sim/engine/loop.py", "sim/engine/agents.py", "sim/engine/knowledge.py", "sim/engine/draws.py",
                    "sim/engine/journey_setup.py", "sim/engine/journey_clock.py", "sim/engine/journey.py")
"""Modules compiled by mypyc, relative to the directory holding the package, in import order."""
RECORD_NAME = "_compiled_sources.json"
"""File beside the package's modules with the digests of the sources last compiled."""
PURE_ENV = "CCSIM_PURE_PYTHON"
"""Environment variable: set to 1 to build or run the pure-Python engine."""


def source_digests(root: Path) -> dict[str, str]:
    """SHA-256 of each compiled source under ``root`` (the directory holding ``sim/``)."""
    return {path: hashlib.sha256((root / path).read_bytes()).hexdigest() for path in COMPILED_SOURCES}


def record_compiled_sources(root: Path) -> None:
    """Remember which sources the build compiled (written atomically)."""
    target = root / "sim" / RECORD_NAME
    partial = target.with_suffix(".json.partial")
    partial.write_text(json.dumps(source_digests(root), indent=1, sort_keys=True) + "\n")
    os.replace(partial, target)


def forget_compiled_sources(root: Path) -> None:
    """Drop the record, for a build that ends up pure Python (``root`` holds ``sim/``; nothing if it does not)."""
    if (root / "sim").is_dir():
        (root / "sim" / RECORD_NAME).unlink(missing_ok=True)


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _has_extension(package_dir: Path, stem: str) -> bool:
    return any((package_dir / f"{stem}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _pure_reason(root: Path) -> str | None:
    """Why the Python sources must run instead of the compiled modules, or None to run them compiled."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"{PURE_ENV} is set"
    try:
        recorded = json.loads((root / "sim" / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return "no record of the sources they were built from"
    if recorded != source_digests(root):
        return "they were built from other sources than those on disk (reinstall, e.g. `make install`, to rebuild)"
    return None


def _load_source(name: str, path: Path) -> ModuleType:
    """Import module ``name`` from its ``.py`` file even where a compiled module of the name sits beside it."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, module)
    return module


def select_engine(package_dir: Path) -> str:
    """Choose the engine before its modules are first imported; return a line saying which and why.

    Call from the package's ``__init__`` ahead of any import of the compiled
    modules. Modules compiled together call each other directly, so all of
    them run compiled or all from source, never a mix.
    """
    root = package_dir.parent
    built = [_has_extension(root / Path(path).parent, Path(path).stem) for path in COMPILED_SOURCES]
    if not any(built):
        return "pure Python (not compiled)"
    reason = _pure_reason(root) if all(built) else "some engine modules were not compiled (reinstall, e.g. `make install`)"
    if reason is None:
        return "compiled (mypyc)"
    if os.environ.get(PURE_ENV, "") in ("", "0"):
        warnings.warn(f"ccsim: not using the compiled engine modules: {reason}", RuntimeWarning, stacklevel=2)
    for path in COMPILED_SOURCES:
        _load_source(_module_name(path), root / path)
    return f"pure Python ({reason})"
