"""Build script: compiles the omnichannel engine's hot modules to C with mypyc.

Everything else about the package is declared in ``pyproject.toml``. The
modules listed in ``sim/engine_build.py`` are plain, typed Python; mypyc turns
them into C extensions that run the same code with the same results (checked
by the test suite) about twice as fast. The build falls back to pure Python,
with a warning, when ``CCSIM_PURE_PYTHON=1`` is set or when mypyc or a C
compiler is not available, so installing never fails for want of a compiler.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, str(Path(__file__).resolve().parent / "sim"))
import engine_build  # noqa: E402  (sim/engine_build.py: no package import, so no dependency needed to build)


def _warn(message: str) -> None:
    print(f"ccsim build: {message}; the engine stays pure Python (same results, about half the speed)", file=sys.stderr)


class OptionalBuildExt(build_ext):
    """``build_ext`` that leaves the pure-Python modules in place when compiling fails."""

    def run(self) -> None:
        """Compile, or warn and carry on without the extensions."""
        try:
            super().run()
        except Exception as exc:  # a missing compiler or header shows up as one of several error types
            # the record was written before the build; drop it from the tree and from what goes into the wheel
            engine_build.forget_compiled_sources(Path(__file__).resolve().parent)
            engine_build.forget_compiled_sources(Path(self.build_lib))
            _warn(f"compiling failed ({exc})")


BUILD_COMMANDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}
"""setup.py commands that compile; the metadata steps of an install (egg_info, dist_info) skip mypyc's analysis."""


def ext_modules() -> list:
    """The mypyc extensions, or none (pure Python, or a step that builds nothing)."""
    if not BUILD_COMMANDS.intersection(sys.argv[1:]):
        return []
    root = Path(__file__).resolve().parent
    if os.environ.get("CCSIM_PURE_PYTHON", "") not in ("", "0"):
        engine_build.forget_compiled_sources(root)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not installed")
        return []
    old_cwd = os.getcwd()
    os.chdir(root)  # mypyc resolves module paths against the working directory
    try:
        # other modules are read for their types only; the build environment lacks numpy, pandas, pydantic
        # and the project's own mypy settings (pyproject.toml, for `make lint`) are not the build's: their plugins
        # need packages the isolated build environment does not have
        flags = ["--config-file=", "--ignore-missing-imports", "--follow-imports=silent"]
        modules = mypycify([*flags, *engine_build.COMPILED_SOURCES], opt_level="3", group_name="sim._engine")
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error
        _warn(f"mypyc could not compile the engine ({exc})")
        return []
    finally:
        os.chdir(old_cwd)
    engine_build.record_compiled_sources(root)
    return modules


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
