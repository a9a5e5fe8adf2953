"""Parameter sweeps: a spec file, a design, resumable tasks, tidy results.

A sweep is data plus a pure function. The spec (YAML) names a base
scenario, the factors to vary (dotted scenario paths), the replications and
the seed; :func:`plan_sweep` turns it into a :class:`Plan` -- one validated
scenario per design point -- and :func:`run_plan` runs every
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
(:func:`register_command`): it maps ``(scenario, seed, replication)`` to a
tidy frame with columns ``channel, kpi, value``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scipy import stats

from sim.studies.design import full_grid, latin_hypercube, scale_unit, sobol_points
from sim.errors import InputError, ScenarioError
from sim.studies.executors import SerialExecutor, TaskExecutor, TaskLost
from sim.io.files import write_atomic, write_parquet
from sim.io.scenario_files import read_empirical_columns
from sim.io.yaml_files import read_yaml_mapping
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.validation_errors import validation_to_error

# ---------------------------------------------------------------------------
# Errors


class SweepSpecError(InputError):
    """A sweep or sensitivity spec that cannot be used (file, dotted key, expectation)."""


class SweepFolderError(InputError):
    """An output folder that holds something else, or a spec that changed since the run started."""


# ---------------------------------------------------------------------------
# Task functions, by command name

TaskFunction = Callable[..., "pd.DataFrame | Mapping[str, pd.DataFrame]"]
_COMMANDS: dict[str, TaskFunction] = {}
COMMAND_MODULES = {"roi": "sim.studies.roi"}
"""Commands registered by a module that is imported on first use."""


def register_command(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Decorator: make ``fn(scenario, seed, replication, **options)`` runnable as ``command: name``.

    The function returns a tidy DataFrame with columns ``channel, kpi,
    value`` (a ``replication`` column is dropped, other columns are kept),
    or a mapping of table names to frames whose ``"results"`` entry is that
    frame; the other tables are saved as ``<name>.parquet``. It must be a
    module-level function so worker processes can import it.
    """

    def add(fn: TaskFunction) -> TaskFunction:
        _COMMANDS[name] = fn
        return fn

    return add


def command_function(name: str) -> TaskFunction:
    """The task function registered as ``name`` (KeyError when there is none)."""
    if name not in _COMMANDS and name in COMMAND_MODULES:
        import importlib

        try:
            importlib.import_module(COMMAND_MODULES[name])
        except ImportError as exc:
            raise KeyError(f"command {name!r} comes from {COMMAND_MODULES[name]}, which cannot be imported ({exc})") from None
    if name not in _COMMANDS:
        raise KeyError(f"unknown command {name!r}; known: {', '.join(known_commands())}")
    return _COMMANDS[name]


def known_commands() -> list[str]:
    """Command names a spec may use."""
    return sorted(set(_COMMANDS) | set(COMMAND_MODULES))


@register_command("run")
def run_command(scenario: Scenario, seed: int, replication: int, intervals: bool = False) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """One replication of the engine and its KPIs (and per-interval KPIs when asked)."""
    from sim.analysis.metrics import run_interval_kpis, run_kpis
    from sim.engine.model import run

    records = run(scenario, seed=seed, replication=replication)
    results = run_kpis(records)
    if not intervals:
        return results
    return {"results": results, "intervals": run_interval_kpis(records)}


# ---------------------------------------------------------------------------
# The spec


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SampleSpec(_Spec):
    """Factors drawn from ranges by a space-filling design."""

    method: Literal["lhs", "sobol"] = Field(description="Latin hypercube or scrambled Sobol sequence")
    points: int = Field(ge=1, le=100_000, description="number of sampled design points")
    ranges: dict[str, tuple[float, float]] = Field(min_length=1, description="dotted path -> [low, high]")
    integer: list[str] = Field(default_factory=list, description="paths whose values are whole numbers")
    seed: int | None = Field(None, ge=0, description="seed of the design (default: the sweep's seed)")

    @model_validator(mode="after")
    def _check(self) -> "SampleSpec":
        for path, (low, high) in self.ranges.items():
            if not high > low:
                raise ValueError(f"range of {path} must have low < high (got [{low}, {high}])")
        unknown = [p for p in self.integer if p not in self.ranges]
        if unknown:
            raise ValueError(f"integer lists {', '.join(unknown)}, which is not in ranges")
        return self


class KeepSpec(_Spec):
    """Which outputs to store: KPI names and channels (all when absent), per-interval tables."""

    kpis: list[str] | None = Field(None, min_length=1)
    channels: list[str] | None = Field(None, min_length=1)
    intervals: bool = Field(False, description="also store per-interval KPIs (intervals.parquet)")


class SweepSpec(_Spec):
    """A sweep spec file: base scenario, factors, replications, seed, outputs."""

    name: str = ""
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to the spec file")
    command: str = Field("run", description="task function: " + ", ".join(sorted({"run", "roi"})))
    replications: int | None = Field(None, ge=1, le=100_000, description="default: the scenario's")
    seed: int | None = Field(None, ge=0, description="default: the scenario's")
    crn: bool = Field(True, description="common random numbers across design points")
    overrides: dict[str, Any] = Field(default_factory=dict, description="fixed dotted-path overrides for every point")
    factors: dict[str, list[Any]] = Field(default_factory=dict, description="dotted path -> levels (full grid)")
    sample: SampleSpec | None = None
    keep: KeepSpec = KeepSpec()

    @field_validator("factors")
    @classmethod
    def _levels(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, levels in value.items():
            if not levels:
                raise ValueError(f"factor {path} needs at least one level")
        return value

    @model_validator(mode="after")
    def _disjoint(self) -> "SweepSpec":
        sampled = set(self.sample.ranges) if self.sample else set()
        both = (set(self.factors) & sampled) | (set(self.overrides) & (set(self.factors) | sampled))
        if both:
            raise ValueError(f"{', '.join(sorted(both))} appears in more than one of overrides, factors and sample.ranges")
        return self


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec (SweepSpecError names the file and key)."""
    source = str(path)
    data = read_yaml_mapping(Path(path), SweepSpecError)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_to_error(exc, data, SweepSpec, source, SweepSpecError) from None


# ---------------------------------------------------------------------------
# The plan: one validated scenario per design point


@dataclass
class Plan:
    """Everything needed to run a study, independent of how it is executed.

    ``design`` has one row per design point: ``design_point``, one column
    per factor (display values: numbers stay numbers, lists and mappings
    become JSON text) and ``seed``. ``hash`` identifies the study: the
    spec, the base scenario and the design; checkpoints carry it.
    """

    kind: str
    source: str
    spec: dict[str, Any]
    scenario_path: Path
    command: str
    function: TaskFunction
    options: dict[str, Any]
    factors: list[str]
    points: list[dict[str, Any]]
    scenarios: list[Scenario]
    design: pd.DataFrame
    replications: int
    seed: int
    crn: bool
    keep_kpis: list[str] | None
    keep_channels: list[str] | None
    hash: str

    @property
    def tasks_total(self) -> int:
        """Design points x replications."""
        return len(self.points) * self.replications


def plan_sweep(path: str | Path) -> Plan:
    """Read the spec at ``path`` and build its plan (every design point validated)."""
    source = str(path)
    spec = load_sweep_spec(path)
    points, factors = sweep_points(spec, source)
    sections = {**{p: "overrides" for p in spec.overrides}, **{p: "factors" for p in spec.factors}}
    if spec.sample:
        sections.update({p: "sample.ranges" for p in spec.sample.ranges})
    return build_plan(
        kind="sweep", source=source, spec=spec.model_dump(mode="json"), scenario=spec.scenario,
        command=spec.command, overrides=spec.overrides, points=points, factors=factors, sections=sections,
        replications=spec.replications, seed=spec.seed, crn=spec.crn, keep=spec.keep,
    )


def sweep_points(spec: SweepSpec, source: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The design points of a sweep: the grid crossed with the sampled points."""
    grid = full_grid(spec.factors)
    factors = list(spec.factors)
    if spec.sample is None:
        return grid, factors
    sample = spec.sample
    paths = list(sample.ranges)
    seed = sample.seed if sample.seed is not None else (spec.seed or 0)
    draw = latin_hypercube if sample.method == "lhs" else sobol_points
    unit = draw(sample.points, len(paths), np.random.SeedSequence(seed))
    low = [sample.ranges[p][0] for p in paths]
    high = [sample.ranges[p][1] for p in paths]
    integer = [p in sample.integer for p in paths]
    try:
        values = scale_unit(unit, low, high, integer)
    except ValueError as exc:
        raise SweepSpecError(source, "sample.ranges", str(exc)) from None
    sampled = [
        {p: (int(row[j]) if integer[j] else float(row[j])) for j, p in enumerate(paths)} for row in values
    ]
    points = [{**g, **s} for g in grid for s in sampled]
    return points, factors + paths


def build_plan(
    *, kind: str, source: str, spec: dict[str, Any], scenario: str, command: str, overrides: Mapping[str, Any],
    points: list[dict[str, Any]], factors: list[str], sections: Mapping[str, str], replications: int | None,
    seed: int | None, crn: bool, keep: KeepSpec, extra_design: Mapping[str, Sequence[Any]] | None = None,
) -> Plan:
    """Validate every design point's scenario and fix seeds: the shared core of sweeps and sensitivity runs.

    ``sections`` maps each varied or overridden path to the spec key it came
    from, so that a scenario error is reported against the spec's key.
    """
    scenario_path = (Path(source).parent / scenario)
    if not scenario_path.is_file():
        raise SweepSpecError(source, "scenario", f"file {scenario} not found (looked for {scenario_path})")
    try:
        function = command_function(command)
    except KeyError as exc:
        raise SweepSpecError(source, "command", str(exc.args[0])) from None
    if keep.intervals and command != "run":
        raise SweepSpecError(source, "keep.intervals", f"per-interval tables exist only for command run, not {command}")
    base = read_yaml_mapping(scenario_path, ScenarioError)
    scenarios = [
        _point_scenario(base, {**overrides, **point}, i, point, scenario_path, source, sections)
        for i, point in enumerate(points or [{}])
    ]
    points = points or [{}]
    first = scenarios[0]
    _check_keep(keep, command, first, source)
    reps = int(replications if replications is not None else first.replications)
    base_seed = int(seed if seed is not None else first.seed)
    seeds = [base_seed if crn else derived_seed(base_seed, i) for i in range(len(points))]
    design = design_table(points, factors, seeds)
    for name, values in (extra_design or {}).items():
        design.insert(1, name, list(values))
    identity = {
        "format": "ccsim-study/1", "kind": kind, "spec": spec, "scenario": base,
        "points": points, "seeds": seeds, "replications": reps,
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return Plan(
        kind=kind, source=source, spec=spec, scenario_path=scenario_path, command=command, function=function,
        options={"intervals": True} if keep.intervals else {}, factors=factors, points=points,
        scenarios=scenarios, design=design, replications=reps, seed=base_seed, crn=crn,
        keep_kpis=keep.kpis, keep_channels=keep.channels, hash=digest,
    )


def derived_seed(seed: int, design_point: int) -> int:
    """An independent 63-bit seed for one design point (used when ``crn: false``)."""
    words = np.random.SeedSequence(seed, spawn_key=(design_point,)).generate_state(2, np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1]))


def design_table(points: list[dict[str, Any]], factors: list[str], seeds: list[int]) -> pd.DataFrame:
    """One row per design point: index, factor values (non-scalars as JSON text), seed."""
    columns: dict[str, list[Any]] = {"design_point": list(range(len(points)))}
    for path in factors:
        values = [p.get(path) for p in points]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        same_scalar = len({type(v) for v in values}) == 1 and isinstance(values[0], (str, bool))
        if not (numbers or same_scalar):
            values = [json.dumps(v, sort_keys=True) for v in values]
        columns[path] = values
    columns["seed"] = seeds
    return pd.DataFrame(columns)


def _point_scenario(
    base: dict[str, Any], overrides: Mapping[str, Any], index: int, point: Mapping[str, Any],
    scenario_path: Path, source: str, sections: Mapping[str, str],
) -> Scenario:
    try:
        data = apply_overrides(base, overrides, str(scenario_path))
        data = read_empirical_columns(data, str(scenario_path), scenario_path.parent)
        return scenario_from_dict(data, source=str(scenario_path))
    except ScenarioError as exc:
        key = exc.key or ""
        spec_key = next(
            (f"{sections[p]}.{p}" for p in sections if key == p or key.startswith(p + ".") or p.startswith(key + ".")),
            "scenario",
        )
        shown = ", ".join(f"{k}={v!r}" for k, v in point.items())
        where = f"design point {index} ({shown})" if shown else "the base scenario"
        raise SweepSpecError(
            source, spec_key, f"{where} is not a valid scenario: {exc.source}: {exc.key + ': ' if exc.key else ''}{exc.expected}"
        ) from None


def _check_keep(keep: KeepSpec, command: str, scenario: Scenario, source: str) -> None:
    channels, kpis = list(scenario.channels), None
    if command == "run":
        from sim.analysis.metrics import KPI_NAMES

        kpis = list(KPI_NAMES)
    elif command == "roi":
        from sim.studies.roi import OUTCOME_CHANNELS, OUTCOME_KPIS

        channels, kpis = list(OUTCOME_CHANNELS), list(OUTCOME_KPIS)
    if keep.channels:
        unknown = [c for c in keep.channels if c not in channels]
        if unknown:
            raise SweepSpecError(source, "keep.channels", f"unknown channel {unknown[0]!r}; channels: {', '.join(channels)}")
    if keep.kpis and kpis is not None:
        unknown = [k for k in keep.kpis if k not in kpis]
        if unknown:
            raise SweepSpecError(source, "keep.kpis", f"unknown KPI {unknown[0]!r}; KPIs: {', '.join(kpis)}")


# ---------------------------------------------------------------------------
# Tasks: what a worker runs


@dataclass(frozen=True)
class Task:
    """One design point and a few of its replications, self-contained and picklable."""

    design_point: int
    replications: tuple[int, ...]
    scenario: Scenario
    seed: int
    function: TaskFunction
    options: dict[str, Any] = field(default_factory=dict)
    keep_kpis: tuple[str, ...] | None = None
    keep_channels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Outcome:
    """What one replication of a task produced: tables as Arrow IPC bytes, or an error."""

    design_point: int
    replication: int
    tables: dict[str, bytes] | None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0


def execute_task(task: Task) -> list[Outcome]:
    """Run each replication of ``task``; exceptions become failed outcomes, never escape."""
    outcomes = []
    for rep in task.replications:
        start = time.perf_counter()
        try:
            produced = task.function(task.scenario, task.seed, rep, **task.options)
            tables = {name: frame_to_bytes(frame) for name, frame in _normalise(produced, task).items()}
            outcomes.append(Outcome(task.design_point, rep, tables, seconds=time.perf_counter() - start))
        except Exception as exc:
            outcomes.append(Outcome(
                task.design_point, rep, None, f"{type(exc).__name__}: {exc}",
                "".join(traceback.format_exception(exc)[-6:]), time.perf_counter() - start,
            ))
    return outcomes


def _normalise(produced: Any, task: Task) -> dict[str, pa.Table]:
    tables = dict(produced) if isinstance(produced, Mapping) else {"results": produced}
    results = tables.get("results")
    if not isinstance(results, pd.DataFrame) or not {"channel", "kpi", "value"} <= set(results.columns):
        raise TypeError("a task function must return a DataFrame with columns channel, kpi, value")
    out = {}
    for name, frame in tables.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.drop_columns([c for c in ("replication", "design_point") if c in table.column_names])
        keep = None
        if task.keep_channels is not None and "channel" in table.column_names:
            keep = pc.is_in(table["channel"], pa.array(task.keep_channels))
        if name == "results" and task.keep_kpis is not None:
            wanted = pc.is_in(table["kpi"], pa.array(task.keep_kpis))
            keep = wanted if keep is None else pc.and_(keep, wanted)
        out[name] = table if keep is None else table.filter(keep)
    return out


def frame_to_bytes(frame: pd.DataFrame | pa.Table) -> bytes:
    """A DataFrame (or Arrow table) as an Arrow IPC stream: exact floats, fast to read back."""
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bytes_to_table(data: bytes) -> pa.Table:
    """Read back :func:`frame_to_bytes`."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


# ---------------------------------------------------------------------------
# Checkpoints: one file per finished (design point, replication)

_MAGIC = b"CCSIM-TASK/1"


class CorruptTask(Exception):
    """A checkpoint file that is truncated, altered or unreadable."""


@dataclass(frozen=True)
class TaskRecord:
    """A checkpoint read back: status ``ok`` (with tables) or ``failed`` (with the error)."""

    design_point: int
    replication: int
    status: str
    tables: dict[str, bytes]
    error: str | None
    traceback: str | None
    seconds: float


class TaskStore:
    """Checkpoint files of one study in ``folder``, written atomically.

    Each file is ``CCSIM-TASK/1 <sha256> <header length>\\n``, a JSON header
    (study hash, design point, replication, status, error, table sizes) and
    the tables as Arrow IPC bytes. The SHA-256 covers header and payload, so
    a truncated or altered file is detected and recomputed. Writes go to a
    temporary file in the same folder, are fsync'ed and then renamed over
    the final name, so a killed run never leaves a half-written checkpoint.
    """

    def __init__(self, folder: Path, study_hash: str) -> None:
        self.folder = Path(folder)
        self.study_hash = study_hash
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, design_point: int, replication: int) -> Path:
        """The checkpoint file of one task."""
        return self.folder / f"dp{design_point:06d}-r{replication:05d}.task"

    def write(self, outcome: Outcome) -> None:
        """Store one outcome atomically (temporary file, fsync, rename)."""
        tables = outcome.tables or {}
        header = {
            "study_hash": self.study_hash, "design_point": outcome.design_point, "replication": outcome.replication,
            "status": "ok" if outcome.error is None else "failed", "error": outcome.error,
            "traceback": outcome.traceback, "seconds": outcome.seconds,
            "tables": [[name, len(data)] for name, data in tables.items()],
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        payload = b"".join(tables.values())
        digest = hashlib.sha256(head + payload).hexdigest()
        final = self.path(outcome.design_point, outcome.replication)
        temporary = self.folder / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(_MAGIC + f" {digest} {len(head)}\n".encode("ascii") + head + payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)

    def read(self, design_point: int, replication: int) -> TaskRecord | None:
        """The stored task, None when missing; :class:`CorruptTask` when damaged or of another study."""
        path = self.path(design_point, replication)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CorruptTask(f"{path.name}: cannot be read ({exc})") from None
        try:
            first, _, rest = data.partition(b"\n")
            magic, digest, length = first.split(b" ")
            if magic != _MAGIC:
                raise ValueError("not a task file")
            head, payload = rest[: int(length)], rest[int(length):]
            if hashlib.sha256(head + payload).hexdigest() != digest.decode("ascii"):
                raise ValueError("checksum mismatch")
            header = json.loads(head)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptTask(f"{path.name}: {exc}") from None
        if header.get("study_hash") != self.study_hash:
            raise CorruptTask(f"{path.name}: belongs to another study")
        if (header["design_point"], header["replication"]) != (design_point, replication):
            raise CorruptTask(f"{path.name}: holds another task")
        tables: dict[str, bytes] = {}
        offset = 0
        for name, size in header["tables"]:
            tables[name] = payload[offset: offset + size]
            offset += size
        return TaskRecord(design_point, replication, header["status"], tables, header.get("error"),
                          header.get("traceback"), float(header.get("seconds") or 0.0))

    def remove_temporaries(self) -> int:
        """Delete temporary files a killed run left behind; returns how many."""
        count = 0
        for temporary in self.folder.glob(".*.tmp"):
            temporary.unlink(missing_ok=True)
            count += 1
        return count

    def sync(self) -> None:
        """fsync the folder so that the renames themselves are durable."""
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------
# The output folder and its lock

LOCK_NAME = "spec.lock"


def prepare_folder(out: Path, plan: Plan, resume: bool) -> dict[str, Any]:
    """Check ``out`` may hold this study and write its lock; returns the lock.

    Rules: a missing or empty folder starts a new study. A folder whose
    ``spec.lock`` has this study's hash continues it with ``resume`` and is
    refused without it (rerun with --resume, or delete the folder to start
    over). A folder of another study (the spec or its scenario changed) is
    always refused, so results of two specs are never mixed.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepFolderError(str(out), None, "exists and is not a folder")
    lock_path = out / LOCK_NAME
    if lock_path.exists():
        try:
            lock = json.loads(lock_path.read_text(encoding="utf-8"))
            old_hash = lock["study_hash"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SweepFolderError(str(lock_path), None, "is unreadable; delete the folder to start over") from None
        if old_hash != plan.hash:
            raise SweepFolderError(
                str(out), None,
                f"holds a {lock.get('kind', 'study')} of a different spec (started {lock.get('created', '?')} from "
                f"{lock.get('spec_path', '?')}): the spec or its scenario changed since, so results would mix. "
                "Restore the spec, or use another --out folder (or delete this one) to start over",
            )
        if not resume:
            raise SweepFolderError(
                str(out), None, "already holds this study; use --resume to continue it (finished tasks are kept), "
                "or delete the folder to start over",
            )
        return lock
    if out.exists() and any(out.iterdir()):
        raise SweepFolderError(str(out), None, f"is not empty and has no {LOCK_NAME}; choose an empty or new folder")
    out.mkdir(parents=True, exist_ok=True)
    lock = {
        "format": "ccsim-lock/1", "kind": plan.kind, "study_hash": plan.hash, "spec_path": plan.source,
        "created": _now(), "spec": plan.spec,
    }
    write_atomic(lock_path, json.dumps(lock, indent=2).encode("utf-8"))
    return lock


# ---------------------------------------------------------------------------
# Running a plan


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
    started = _now()
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
    tasks = [
        Task(dp, tuple(reps[i: i + chunk]), plan.scenarios[dp], int(plan.design["seed"].iat[dp]), plan.function,
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
    finished = _now()
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
    failures = []
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
