"""Parameter sweeps: a spec file, a design, resumable tasks, tidy results.

A sweep is data plus a pure function. The spec (YAML) names a base
scenario, the factors to vary (dotted scenario paths), the replications and
the seed; :func:`~sim.studies.plan.plan_sweep` turns it into a
:class:`~sim.studies.plan.Plan` -- one validated scenario per design point --
and :func:`run_plan` runs every
``(design point, replication)`` task on an executor (:mod:`sim.studies.executors`),
writing each finished task to its own checkpoint file so that a killed run
resumes where it stopped. Results are assembled from the checkpoint files,
so an interrupted-and-resumed sweep gives exactly the table an
uninterrupted one gives. Minimal spec::

    scenario: ../scenarios/erlang-a.yaml   # relative to this file
    command: run
    replications: 2
    seed: 7
    factors:                               # full grid
      channels.phone.agents: [10, 11, 12]
      arrivals.phone.rate_per_hour: [100, 120]

Random numbers are common across design points (replication ``r`` uses the
streams of ``(seed, r)`` everywhere) unless ``crn: false``, in which case
design point ``i`` gets its own seed from ``SeedSequence(seed, spawn_key=(i,))``.

The task function is looked up by the spec's ``command`` in a registry
(:func:`sim.studies.commands.register_command`): it maps ``(scenario, seed,
replication)`` to a tidy frame with columns ``channel, kpi, value``.

This module runs a plan and assembles, summarises and writes its results.
The spec file is :mod:`sim.studies.sweep_spec`, plans :mod:`sim.studies.plan`,
what a worker runs :mod:`sim.studies.tasks`, and the checkpoints and lock of
the output folder :mod:`sim.studies.checkpoints`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from sim.analysis.feasible import clip_intervals
from sim.io.files import write_atomic, write_parquet
from sim.studies.checkpoints import CorruptTask, TaskStore, prepare_folder, utc_now
from sim.studies.executors import SerialExecutor, TaskExecutor, TaskLost
from sim.studies.plan import Plan
from sim.studies.tasks import Outcome, Task, bytes_to_table, execute_task


@dataclass
class Progress:
    """Counts passed to the progress callback after every finished task."""

    total: int
    done: int = 0
    failed: int = 0
    reused: int = 0

    @property
    def remaining(self) -> int:
        """Tasks still to run in this session."""
        return self.total - self.done - self.failed


@dataclass
class StudyRun:
    """What :func:`run_plan` did and produced."""

    plan: Plan
    out: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    failures: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    reused: int
    computed: int
    corrupt: int
    failed: int
    executor: str
    workers: int
    started: str
    finished: str
    metadata: dict[str, Any] = field(default_factory=dict)


def run_plan(
    plan: Plan,
    out: str | Path,
    executor: TaskExecutor | None = None,
    resume: bool = False,
    progress: Callable[[Progress], None] | None = None,
    chunk: int = 1,
    write: bool = True,
) -> StudyRun:
    """Run every unfinished task of ``plan`` and assemble the results in ``out``.

    Finished tasks are checkpointed one file each as they arrive; with
    ``resume`` the valid checkpoints are kept and missing, corrupt or
    failed ones are run again. ``chunk`` replications of one design point
    travel together (fewer, larger tasks; the files stay one per
    replication). Writes ``results.parquet``, ``summary.parquet``/``.csv``,
    ``design.csv``, ``failures.csv`` (when any task failed), any extra
    tables and ``metadata.json``; with ``write=False`` only the checkpoints
    and the lock are written and the caller writes its own outputs.
    """
    out = Path(out)
    executor = executor or SerialExecutor()
    started = utc_now()
    lock = prepare_folder(out, plan, resume)
    store = TaskStore(out / "tasks", plan.hash)
    store.remove_temporaries()
    todo: dict[int, list[int]] = {}
    reused = corrupt = 0
    for dp in range(len(plan.points)):
        for rep in range(plan.replications):
            try:
                record = store.read(dp, rep)
            except CorruptTask:
                record = None
                corrupt += 1
            if record is not None and record.status == "ok":
                reused += 1
            else:
                todo.setdefault(dp, []).append(rep)
    seeds = plan.design["seed"].to_numpy()
    tasks = [
        Task(dp, tuple(reps[i: i + chunk]), plan.scenarios[dp], int(seeds[dp]), plan.function,
             plan.options, tuple(plan.keep_kpis) if plan.keep_kpis else None,
             tuple(plan.keep_channels) if plan.keep_channels else None)
        for dp, reps in todo.items() for i in range(0, len(reps), max(1, chunk))
    ]
    state = Progress(total=sum(len(r) for r in todo.values()), reused=reused)
    if progress:
        progress(state)
    for task, result in executor.map_unordered(execute_task, tasks):
        outcomes = result if not isinstance(result, TaskLost) else [
            Outcome(task.design_point, rep, None, f"task lost: {result.error}") for rep in task.replications
        ]
        for outcome in outcomes:
            store.write(outcome)
            if outcome.error is None:
                state.done += 1
            else:
                state.failed += 1
        if progress:
            progress(state)
    store.sync()
    results, tables, failures = assemble(plan, store)
    summary = summarise(results, plan)
    finished = utc_now()
    run = StudyRun(
        plan=plan, out=out, results=results, summary=summary, failures=failures, tables=tables, reused=reused,
        computed=state.done, corrupt=corrupt, failed=len(failures), executor=executor.name,
        workers=executor.workers, started=started, finished=finished,
    )
    if write:
        write_outputs(run, lock)
    return run


def assemble(plan: Plan, store: TaskStore) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """Results, extra tables and failures from the checkpoint files, in design-point order."""
    pieces: dict[str, list[pa.Table]] = {}
    index: dict[str, list[tuple[int, int, int]]] = {}
    failures: list[tuple[int, int, str | None, str | None]] = []  # design point, replication, error, traceback
    for dp in range(len(plan.points)):
        for rep in range(plan.replications):
            try:
                record = store.read(dp, rep)
            except CorruptTask as exc:
                failures.append((dp, rep, f"checkpoint damaged after writing: {exc}", None))
                continue
            if record is None:
                failures.append((dp, rep, "not run", None))
                continue
            if record.status != "ok":
                failures.append((dp, rep, record.error, record.traceback))
                continue
            for name, data in record.tables.items():
                table = bytes_to_table(data)
                pieces.setdefault(name, []).append(table)
                index.setdefault(name, []).append((dp, rep, table.num_rows))
    frames = {name: _with_design(plan, pa.concat_tables(parts, promote_options="default").to_pandas(), index[name])
              for name, parts in pieces.items()}
    results = frames.pop("results", None)
    if results is None:
        results = pd.DataFrame(columns=["design_point", *plan.factors, "replication", "channel", "kpi", "value"])
    failure_frame = pd.DataFrame(failures, columns=["design_point", "replication", "error", "traceback"])
    if not failure_frame.empty:
        failure_frame = _with_design(plan, failure_frame.drop(columns=["design_point", "replication"]),
                                     [(d, r, 1) for d, r, *_ in failures])
    return results, frames, failure_frame


def _with_design(plan: Plan, frame: pd.DataFrame, index: list[tuple[int, int, int]]) -> pd.DataFrame:
    counts = np.array([n for *_, n in index], dtype=np.int64)
    dps = np.repeat(np.array([d for d, *_ in index], dtype=np.int64), counts)
    reps = np.repeat(np.array([r for _, r, _ in index], dtype=np.int64), counts)
    design = plan.design.drop(columns=["seed"]).iloc[dps].reset_index(drop=True)
    design.insert(len(design.columns), "replication", reps)
    return pd.concat([design, frame.reset_index(drop=True)], axis=1)


def summarise(results: pd.DataFrame, plan: Plan, level: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t ``level`` interval per design point, channel and KPI.

    NaN values (a KPI undefined in a replication) are left out; ``n`` counts
    the replications that have a value.
    """
    suffix = f"ci{round(level * 100):d}"
    keys = ["design_point", "channel", "kpi"]
    if results.empty:
        return pd.DataFrame(columns=[*keys, "mean", f"{suffix}_low", f"{suffix}_high", "n"])
    grouped = results.groupby(keys, sort=False)["value"]
    table = grouped.agg(["mean", "std", "count"]).reset_index()
    n = table["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan)) * table["std"].to_numpy() / np.sqrt(n)
    table[f"{suffix}_low"] = table["mean"] - half
    table[f"{suffix}_high"] = table["mean"] + half
    clip_intervals(table, f"{suffix}_low", f"{suffix}_high")  # no count below 0, no rate above 1
    table = table.rename(columns={"count": "n"}).drop(columns="std")
    design = plan.design.drop(columns=["seed"])
    table = design.merge(table, on="design_point", how="right")
    return table[["design_point", *plan.factors, "channel", "kpi", "mean", f"{suffix}_low", f"{suffix}_high", "n"]]


def write_outputs(run: StudyRun, lock: Mapping[str, Any]) -> None:
    """Write the tables and ``metadata.json`` of a finished (or partly failed) study."""
    out = run.out
    write_parquet(out / "results.parquet", run.results)
    write_parquet(out / "summary.parquet", run.summary)
    write_atomic(out / "summary.csv", run.summary.to_csv(index=False).encode("utf-8"))
    write_atomic(out / "design.csv", run.plan.design.to_csv(index=False).encode("utf-8"))
    for name, frame in run.tables.items():
        write_parquet(out / f"{name}.parquet", frame)
    failures_path = out / "failures.csv"
    if not run.failures.empty:
        write_atomic(failures_path, run.failures.to_csv(index=False).encode("utf-8"))
    elif failures_path.exists():
        failures_path.unlink()
    from sim import __version__

    run.metadata = {
        "ccsim_version": __version__,
        "git_commit": git_commit(),
        "kind": run.plan.kind,
        "spec_path": run.plan.source,
        "spec": run.plan.spec,
        "study_hash": run.plan.hash,
        "scenario_path": str(run.plan.scenario_path),
        "command": run.plan.command,
        "seed": run.plan.seed,
        "crn": run.plan.crn,
        "design_points": len(run.plan.points),
        "replications": run.plan.replications,
        "factors": run.plan.factors,
        "first_started": lock.get("created"),
        "started": run.started,
        "finished": run.finished,
        "executor": run.executor,
        "workers": run.workers,
        "tasks": {
            "total": run.plan.tasks_total, "reused": run.reused, "computed": run.computed,
            "corrupt_recomputed": run.corrupt, "failed": run.failed,
        },
    }
    write_atomic(out / "metadata.json", json.dumps(run.metadata, indent=2, default=str).encode("utf-8"))


def git_commit() -> str | None:
    """``git rev-parse HEAD`` of the package's checkout, or None outside git."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
