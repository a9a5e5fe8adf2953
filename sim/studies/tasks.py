"""Tasks: what a worker runs (one design point, a few replications) and how its tables travel.

:func:`execute_task` never raises: an exception becomes a failed
:class:`Outcome`. Tables travel as Arrow IPC bytes (exact floats, fast to
read back), filtered to the channels and KPIs the spec keeps.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.spec.scenario import Scenario
from sim.studies.commands import TaskFunction


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
