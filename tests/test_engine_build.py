"""The compiled omnichannel engine: built where it can be, never stale, same numbers as the Python sources."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import sim
from sim import engine_build

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

DIGEST_SCRIPT = """
import hashlib, sys
import numpy as np
import sim
h = hashlib.sha256()
for name in sys.argv[1:]:
    records = sim.run(sim.load_scenario(name, ["horizon.hours=6"]), seed=11)
    j = records.journey
    for field in ("issue_state", "issue_contacts", "issue_resolution_s", "contact_issue", "contact_channel",
                  "contact_arrival_s", "contact_wait_s", "contact_service_s", "contact_outcome", "snap_coverage"):
        h.update(np.ascontiguousarray(getattr(j, field)).tobytes())
    for team in j.teams.values():
        h.update(team.spell_start_s.tobytes()); h.update(team.spell_end_s.tobytes())
print(sim.ENGINE.split(" ")[0], h.hexdigest())
"""


def _digest(env_pure: bool) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != engine_build.PURE_ENV}
    if env_pure:
        env[engine_build.PURE_ENV] = "1"
    names = [str(SCENARIOS / n) for n in ("omnichannel-day.yaml", "programme-mature.yaml", "social-coverage.yaml")]
    out = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT, *names], capture_output=True, text=True, env=env, check=True)
    engine, digest = out.stdout.split()
    return engine, digest


def test_compiled_and_pure_engines_give_identical_records() -> None:
    pure_engine, pure = _digest(env_pure=True)
    engine, default = _digest(env_pure=False)
    assert pure_engine == "pure"
    assert default == pure, f"the {engine} engine's records differ from the pure-Python ones"


def _can_compile() -> bool:
    """A C compiler and the Python headers: what mypyc needs to build the engine."""
    has_compiler = any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))
    return has_compiler and (Path(sysconfig.get_paths()["include"]) / "Python.h").exists()


@pytest.mark.skipif(not _can_compile(), reason="no C compiler or Python headers to build the engine")
def test_engine_is_compiled_where_a_compiler_exists() -> None:
    if os.environ.get(engine_build.PURE_ENV, "") not in ("", "0"):
        pytest.skip(f"{engine_build.PURE_ENV} asks for the pure-Python engine")
    assert sim.ENGINE == "compiled (mypyc)", sim.ENGINE
    assert sim.engine.journey.__file__.endswith(tuple(ext for ext in (".so", ".pyd")))


def _fake_tree(tmp_path: Path) -> Path:
    package = tmp_path / "sim"
    for source in engine_build.COMPILED_SOURCES:
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / source, tmp_path / source)
    return package


def test_a_source_edited_after_the_build_is_detected(tmp_path: Path) -> None:
    package = _fake_tree(tmp_path)
    engine_build.record_compiled_sources(tmp_path)
    assert engine_build._pure_reason(tmp_path) is None
    recorded = json.loads((package / engine_build.RECORD_NAME).read_text())
    assert recorded["sim/engine/journey.py"] == hashlib.sha256((package / "engine" / "journey.py").read_bytes()).hexdigest()
    with (package / "engine" / "journey.py").open("a") as f:
        f.write("# edited\n")
    assert "other sources" in engine_build._pure_reason(tmp_path)
    engine_build.forget_compiled_sources(tmp_path)
    assert "no record" in engine_build._pure_reason(tmp_path)


def test_modules_without_extensions_run_as_python(tmp_path: Path) -> None:
    package = _fake_tree(tmp_path)
    assert engine_build.select_engine(package) == "pure Python (not compiled)"


def test_the_environment_variable_forces_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tree(tmp_path)
    engine_build.record_compiled_sources(tmp_path)
    monkeypatch.setenv(engine_build.PURE_ENV, "1")
    assert engine_build._pure_reason(tmp_path) == f"{engine_build.PURE_ENV} is set"


def test_version_names_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli.main import main

    with pytest.raises(SystemExit):
        main(["--version"])
    assert f"(engine: {sim.ENGINE})" in capsys.readouterr().out



@pytest.mark.parametrize("name", ["omnichannel-day", "programme-mature", "social-coverage"])
def test_a_finished_run_leaves_nothing_for_the_cyclic_collector(name: str) -> None:
    """Runs are freed by reference counting alone: Monte Carlo loops must not grow between collections."""
    import gc

    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", ["horizon.hours=8"])
    sim.run(scenario, seed=1)
    gc.collect()
    gc.disable()
    try:
        records = sim.run(scenario, seed=2)
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert len(records.journey.contact_arrival_s) > 0
    assert unreachable == 0
