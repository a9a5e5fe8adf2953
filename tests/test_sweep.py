"""Sweeps: spec validation, executor independence, CRN, checkpoints, kill/resume, corruption, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.metrics import KPI_NAMES
from sim.cli.main import main
from sim.errors import InputError
from sim.studies.checkpoints import CorruptTask, SweepFolderError, TaskStore
from sim.studies.commands import register_command, run_command
from sim.studies.executors import DaskExecutor, ProcessExecutor, SerialExecutor
from sim.studies.plan import plan_sweep
from sim.studies.sweep import run_plan
from sim.studies.sweep_spec import SweepSpecError

from .conftest import ROOT, SCENARIOS

SHORT = "overrides: {horizon.hours: 2, horizon.warmup_hours: 0.5}\n"


def write_spec(folder: Path, body: str, name: str = "spec.yaml") -> Path:
    """A spec file in ``folder`` whose scenario path is relative to it."""
    scenario = os.path.relpath(SCENARIOS / "erlang-a.yaml", folder)
    path = folder / name
    path.write_text(f"scenario: {scenario}\n{body}", encoding="utf-8")
    return path


GRID = """\
command: run
replications: 2
seed: 7
factors:
  channels.phone.agents: [10, 11, 12]
  arrivals.phone.rate_per_hour: [100, 120]
"""


def sorted_table(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["design_point", "replication", "channel", "kpi"]).reset_index(drop=True)


@register_command("test-fails-at-11-agents")
def failing_command(scenario, seed, replication):  # noqa: ANN001, ANN201 - a task function for the registry
    """Runs like ``run`` but raises at 11 agents, to test failure recording."""
    if scenario.channels["phone"].agents == 11:
        raise RuntimeError("deliberate failure at 11 agents")
    return run_command(scenario, seed, replication)


# ---------------------------------------------------------------------------
# The minimal spec and the output folder


def test_minimal_spec_gives_one_row_per_point_replication_channel_and_kpi(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, GRID)
    run = run_plan(plan_sweep(spec), tmp_path / "out")
    results = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert list(results.columns[:4]) == ["design_point", "channels.phone.agents", "arrivals.phone.rate_per_hour", "replication"]
    assert {"channel", "kpi", "value"} <= set(results.columns)
    assert set(results["kpi"]) == set(KPI_NAMES)
    assert len(results) == 6 * 2 * len(KPI_NAMES) == len(run.results)
    assert results.groupby(["design_point", "replication", "channel", "kpi"]).size().max() == 1
    agents = results[results["kpi"] == "agents"]
    assert (agents["value"] == agents["channels.phone.agents"]).all()
    # the grid is the full cross product, in order, and every point has both replications
    points = results[["channels.phone.agents", "arrivals.phone.rate_per_hour"]].drop_duplicates()
    assert points.values.tolist() == [[10, 100], [10, 120], [11, 100], [11, 120], [12, 100], [12, 120]]
    assert sorted(results["replication"].unique()) == [0, 1]


def test_cli_writes_summary_metadata_and_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, GRID.replace("replications: 2", "replications: 3") + SHORT
                      + "keep: {kpis: [service_level, asa_s, offered]}\n")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["design_point", "channels.phone.agents", "arrivals.phone.rate_per_hour", "channel",
                                     "kpi", "mean", "ci95_low", "ci95_high", "n"]
    assert len(summary) == 6 * 3 and (summary["n"] == 3).all()
    sl = summary[summary["kpi"] == "service_level"]
    assert (sl["ci95_low"] <= sl["mean"]).all() and (sl["mean"] <= sl["ci95_high"]).all()
    results = pd.read_parquet(out / "results.parquet")
    check = results[(results["design_point"] == 4) & (results["kpi"] == "asa_s")]["value"].mean()
    point = summary[(summary["design_point"] == 4) & (summary["kpi"] == "asa_s")]
    assert sl.shape[0] == 6 and abs(point["mean"].iat[0] - check) < 1e-9
    parquet = pd.read_parquet(out / "summary.parquet")
    assert len(parquet) == len(summary)
    pd.testing.assert_series_equal(parquet["mean"], summary["mean"], check_exact=False, rtol=1e-12)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["seed"] == 7 and meta["executor"] == "serial" and meta["workers"] == 1
    assert meta["ccsim_version"] and meta["spec"]["factors"]["channels.phone.agents"] == [10, 11, 12]
    assert meta["tasks"] == {"total": 18, "reused": 0, "computed": 18, "corrupt_recomputed": 0, "failed": 0}
    assert meta["started"] <= meta["finished"]
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {"kpi_phone_service_level.png", "heatmap_phone_service_level.png"} <= figures
    assert figures == {f"{kind}_phone_{kpi}.png" for kind in ("kpi", "heatmap") for kpi in ("service_level", "asa_s", "offered")}
    assert "= 18 tasks" in " ".join(capsys.readouterr().out.split())


def test_keep_filters_outputs_and_intervals_are_stored_on_request(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, GRID + SHORT + "keep: {kpis: [service_level, abandon_rate], intervals: true}\n")
    run = run_plan(plan_sweep(spec), tmp_path / "out")
    assert set(run.results["kpi"]) == {"service_level", "abandon_rate"}
    intervals = pd.read_parquet(tmp_path / "out" / "intervals.parquet")
    assert {"design_point", "channels.phone.agents", "replication", "interval", "service_level"} <= set(intervals.columns)
    assert len(intervals) == 12 * 2  # 2 hours of 60-minute intervals per task


def test_common_random_numbers_unless_disabled(tmp_path: Path) -> None:
    body = "replications: 2\nseed: 3\n" + SHORT + "factors: {channels.phone.agents: [48, 52]}\n"
    crn = run_plan(plan_sweep(write_spec(tmp_path, body, "crn.yaml")), tmp_path / "crn").results
    offered = crn[crn["kpi"] == "offered"].pivot(index="replication", columns="design_point", values="value")
    assert (offered[0] == offered[1]).all()  # the same callers at both staffing levels
    assert offered.loc[0, 0] != offered.loc[1, 0]  # replications differ
    own = run_plan(plan_sweep(write_spec(tmp_path, body + "crn: false\n", "own.yaml")), tmp_path / "own").results
    offered = own[own["kpi"] == "offered"].pivot(index="replication", columns="design_point", values="value")
    assert (offered[0] != offered[1]).any()


def test_latin_hypercube_sweep_rounds_integer_factors(tmp_path: Path) -> None:
    body = """replications: 1
seed: 2
overrides: {horizon.hours: 1, horizon.warmup_hours: 0.25}
factors: {channels.phone.patience.mean_s: [120, 600]}
sample:
  method: lhs
  points: 6
  ranges: {channels.phone.agents: [45, 50], arrivals.phone.rate_per_hour: [900, 1000]}
  integer: [channels.phone.agents]
"""
    plan = plan_sweep(write_spec(tmp_path, body))
    assert len(plan.points) == 2 * 6
    design = plan.design
    assert design["channels.phone.agents"].dtype.kind == "i"
    assert sorted(design["channels.phone.agents"][:6]) == [45, 46, 47, 48, 49, 50]  # 6 strata over 6 integers
    assert design["arrivals.phone.rate_per_hour"].between(900, 1000).all()
    assert [s.channels["phone"].agents for s in plan.scenarios] == design["channels.phone.agents"].tolist()


# ---------------------------------------------------------------------------
# Bad specs


def test_bad_specs_name_the_file_and_the_dotted_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_path = write_spec(tmp_path, GRID.replace("channels.phone.agents:", "channels.phone.agentz:"), "badpath.yaml")
    with pytest.raises(SweepSpecError) as err:
        plan_sweep(bad_path)
    assert err.value.source == str(bad_path) and err.value.key == "factors.channels.phone.agentz"
    assert "did you mean 'agents'" in str(err.value)

    bad_value = write_spec(tmp_path, GRID.replace("[10, 11, 12]", "[10, -1]"), "badvalue.yaml")
    with pytest.raises(SweepSpecError) as err:
        plan_sweep(bad_value)
    assert err.value.key == "factors.channels.phone.agents" and "design point 2" in str(err.value)

    unknown = write_spec(tmp_path, GRID + "replicatoins: 3\n", "unknown.yaml")
    with pytest.raises(SweepSpecError) as err:
        plan_sweep(unknown)
    assert err.value.key == "replicatoins" and "did you mean 'replications'" in str(err.value)

    missing = tmp_path / "missing.yaml"
    missing.write_text("scenario: nowhere.yaml\nfactors: {channels.phone.agents: [1]}\n")
    with pytest.raises(SweepSpecError) as err:
        plan_sweep(missing)
    assert err.value.key == "scenario" and "not found" in str(err.value)

    for spec in (bad_path, unknown, missing, tmp_path / "no-such-spec.yaml"):
        assert main(["sweep", str(spec), "--out", str(tmp_path / "never"), "--quiet"]) == 2
        line = capsys.readouterr().err.strip()
        assert line.startswith(f"ccsim: error: {spec}") and "Traceback" not in line
    assert not (tmp_path / "never").exists()


# ---------------------------------------------------------------------------
# Executors


def test_results_do_not_depend_on_the_executor(tmp_path: Path) -> None:
    plan = plan_sweep(write_spec(tmp_path, GRID + SHORT))
    serial = run_plan(plan, tmp_path / "serial", SerialExecutor()).results
    with ProcessExecutor(2) as pool:
        processes = run_plan(plan, tmp_path / "processes", pool, chunk=2).results
    with DaskExecutor("local", workers=2) as dask:
        assert dask.workers == 2
        on_dask = run_plan(plan, tmp_path / "dask", dask).results
    pd.testing.assert_frame_equal(sorted_table(serial), sorted_table(processes))
    pd.testing.assert_frame_equal(sorted_table(serial), sorted_table(on_dask))
    meta = json.loads((tmp_path / "dask" / "metadata.json").read_text())
    assert meta["executor"] == "dask-local" and meta["workers"] == 2


# ---------------------------------------------------------------------------
# Checkpoints and resume

KILL_SPEC = """replications: 4
seed: 5
overrides: {horizon.hours: 12, horizon.warmup_hours: 1}
factors: {channels.phone.agents: [48, 49, 50, 51, 52, 53]}
keep: {kpis: [service_level, abandon_rate, asa_s]}
"""


def test_sigkilled_sweep_resumes_to_the_uninterrupted_table(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, KILL_SPEC)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            done = len(list((out / "tasks").glob("*.task"))) if (out / "tasks").exists() else 0
            if done >= 3 or proc.poll() is not None:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr else ""
    finished = len(list((out / "tasks").glob("*.task")))
    assert 3 <= finished < 24
    assert not (out / "results.parquet").exists()

    plan = plan_sweep(spec)
    resumed = run_plan(plan, out, resume=True)
    assert resumed.reused == finished and resumed.computed == 24 - finished and resumed.failed == 0
    assert not list((out / "tasks").glob(".*.tmp"))
    reference = run_plan(plan, tmp_path / "reference")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"),
                                  pd.read_parquet(tmp_path / "reference" / "results.parquet"))
    pd.testing.assert_frame_equal(resumed.summary, reference.summary)


def test_corrupt_checkpoints_are_detected_and_recomputed(tmp_path: Path) -> None:
    plan = plan_sweep(write_spec(tmp_path, GRID + SHORT))
    out = tmp_path / "out"
    first = run_plan(plan, out)
    store = TaskStore(out / "tasks", plan.hash)
    truncated, flipped = store.path(1, 0), store.path(4, 1)
    truncated.write_bytes(truncated.read_bytes()[:-40])
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    for dp, rep in ((1, 0), (4, 1)):
        with pytest.raises(CorruptTask):
            store.read(dp, rep)
    assert store.read(0, 0) is not None and store.read(0, 0).status == "ok"
    resumed = run_plan(plan, out, resume=True)
    assert resumed.corrupt == 2 and resumed.computed == 2 and resumed.reused == 10
    pd.testing.assert_frame_equal(sorted_table(resumed.results), sorted_table(first.results))
    assert store.read(1, 0) is not None and store.read(4, 1) is not None


def test_changed_spec_is_refused_and_same_spec_needs_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, GRID + SHORT + "keep: {kpis: [service_level]}\n")
    out = tmp_path / "out"
    run_plan(plan_sweep(spec), out)
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert "use --resume" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet", "--resume"]) == 0
    capsys.readouterr()
    spec.write_text(spec.read_text().replace("[100, 120]", "[100, 130]"))
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "different spec" in err and "changed" in err
    with pytest.raises(SweepFolderError):
        run_plan(plan_sweep(spec), out, resume=True)
    # the old results are untouched
    assert set(pd.read_parquet(out / "results.parquet")["arrivals.phone.rate_per_hour"]) == {100, 120}
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        run_plan(plan_sweep(spec), stranger)


def test_a_failing_task_is_recorded_and_the_others_finish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, GRID.replace("command: run", "command: test-fails-at-11-agents") + SHORT
                      + "keep: {kpis: [service_level, abandon_rate]}\n")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    assert "deliberate failure at 11 agents" in " ".join(capsys.readouterr().out.split())
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 2 * 2  # design points with 11 agents x 2 replications
    assert set(failures["channels.phone.agents"]) == {11}
    assert failures["error"].str.contains("deliberate failure at 11 agents").all()
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["channels.phone.agents"]) == {10, 12} and len(results) == 4 * 2 * 2
    resumed = run_plan(plan_sweep(spec), out, resume=True)  # failed tasks are retried (and fail again)
    assert resumed.reused == 8 and resumed.failed == 4 and resumed.computed == 0


@register_command("test-dies-once")
def dying_command(scenario, seed, replication):  # noqa: ANN001, ANN201 - a task function for the registry
    """Kills its worker process the first time design point 12 agents / replication 1 runs."""
    marker = Path(os.environ["CCSIM_TEST_MARKER"])
    if scenario.channels["phone"].agents == 12 and replication == 1 and not marker.exists():
        marker.write_text("died once")
        os._exit(1)
    return run_command(scenario, seed, replication)


def test_a_dead_worker_process_is_replaced_and_nothing_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCSIM_TEST_MARKER", str(tmp_path / "marker"))
    spec = write_spec(tmp_path, GRID.replace("command: run", "command: test-dies-once") + SHORT)
    with ProcessExecutor(2) as pool:
        run = run_plan(plan_sweep(spec), tmp_path / "out", pool)
    assert (tmp_path / "marker").exists()
    assert run.failed == 0 and run.computed == 12
    reference = run_plan(plan_sweep(write_spec(tmp_path, GRID + SHORT, "plain.yaml")), tmp_path / "plain")
    pd.testing.assert_frame_equal(sorted_table(run.results), sorted_table(reference.results))
