"""Study plans: one validated scenario and seed per design point, and the hash that names the study.

A :class:`Plan` is everything needed to run a sweep or a sensitivity study,
independent of how it is executed: :func:`plan_sweep` builds one from a
sweep spec, :func:`build_plan` is the shared core (also used by the ROI and
sensitivity commands).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.errors import ScenarioError
from sim.io.scenario_files import read_empirical_columns, referenced_files
from sim.io.yaml_files import read_yaml_mapping
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.studies.commands import TaskFunction, command_function, registered_command
from sim.studies.design import full_grid, latin_hypercube, scale_unit, sobol_points
from sim.studies.roi_study import check_sections
from sim.studies.sweep_spec import KeepSpec, SweepSpec, SweepSpecError, load_sweep_spec
from sim.studies.work_limits import check_contacts, check_tasks, check_work


@dataclass
class Plan:
    """Everything needed to run a study, independent of how it is executed.

    ``design`` has one row per design point: ``design_point``, one column
    per factor (display values: numbers stay numbers, lists and mappings
    become JSON text) and ``seed``. ``hash`` identifies the study: the
    spec, the base scenario, the contents of every file the scenarios read
    (CSV columns) and the design; checkpoints carry it.
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


def plan_sweep(path: str | Path, replications: int | None = None, seed: int | None = None) -> Plan:
    """Read the spec at ``path`` and build its plan (every design point validated).

    ``replications`` and ``seed``, when given, replace the spec's (the
    command line's ``-r`` and ``--seed``); they are part of the study's hash.
    """
    source = str(path)
    spec = with_run_settings(load_sweep_spec(path), replications, seed)
    grid = math.prod(len(levels) for levels in spec.factors.values()) * (spec.sample.points if spec.sample else 1)
    check_tasks(grid, spec.replications or 1, source, "factors")  # before the grid is built
    points, factors = sweep_points(spec, source)
    sections = {**{p: "overrides" for p in spec.overrides}, **{p: "factors" for p in spec.factors}}
    if spec.sample:
        sections.update({p: "sample.ranges" for p in spec.sample.ranges})
    return build_plan(
        kind="sweep", source=source, spec=spec.model_dump(mode="json"), scenario=spec.scenario,
        command=spec.command, overrides=spec.overrides, points=points, factors=factors, sections=sections,
        replications=spec.replications, seed=spec.seed, crn=spec.crn, keep=spec.keep,
    )


SpecT = TypeVar("SpecT", bound=BaseModel)


def with_run_settings(spec: SpecT, replications: int | None, seed: int | None) -> SpecT:
    """``spec`` with its ``replications`` and ``seed`` replaced by those given (not None)."""
    update = {name: value for name, value in (("replications", replications), ("seed", seed)) if value is not None}
    return spec.model_copy(update=update) if update else spec


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
    if not str(scenario).strip():
        raise SweepSpecError(source, "scenario", "is empty; expected the path of a scenario YAML file")
    scenario_path = (Path(source).parent / scenario)
    if scenario_path.is_dir():
        raise SweepSpecError(source, "scenario", f"{scenario} is a folder; expected a scenario YAML file")
    if not scenario_path.is_file():
        raise SweepSpecError(source, "scenario", f"file {scenario} not found (looked for {scenario_path})")
    try:
        function = command_function(command)
    except KeyError as exc:
        raise SweepSpecError(source, "command", str(exc.args[0])) from None
    if keep.intervals and command != "run":
        raise SweepSpecError(source, "keep.intervals", f"per-interval tables exist only for command run, not {command}")
    base = read_yaml_mapping(scenario_path, ScenarioError)
    files: dict[str, str] = {}
    points = points or [{}]
    first = _point_scenario(base, {**overrides, **points[0]}, 0, points[0], scenario_path, source, sections, files)
    reps = int(replications if replications is not None else first.replications)
    check_tasks(len(points), reps, source)  # before every design point is validated
    scenarios = [first] + [
        _point_scenario(base, {**overrides, **point}, i, point, scenario_path, source, sections, files)
        for i, point in enumerate(points[1:], start=1)
    ]
    _check_keep(keep, command, first, source)
    if command == "run":  # the work of the other commands is not the scenario's own horizon
        _check_study_work(scenarios, points, reps, source)
    base_seed = int(seed if seed is not None else first.seed)
    seeds = [base_seed if crn else derived_seed(base_seed, i) for i in range(len(points))]
    design = design_table(points, factors, seeds)
    for name, values in (extra_design or {}).items():
        design.insert(1, name, list(values))
    identity = {
        "format": "ccsim-study/1", "kind": kind, "spec": spec, "scenario": base,
        "points": points, "seeds": seeds, "replications": reps,
    }
    if files:  # the contents of every file the scenarios read (absent when none, so older studies keep their hash)
        identity["files"] = files
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return Plan(
        kind=kind, source=source, spec=spec, scenario_path=scenario_path, command=command, function=function,
        options={"intervals": True} if keep.intervals else {}, factors=factors, points=points,
        scenarios=scenarios, design=design, replications=reps, seed=base_seed, crn=crn,
        keep_kpis=keep.kpis, keep_channels=keep.channels, hash=digest,
    )


def _check_study_work(scenarios: Sequence[Scenario], points: Sequence[Mapping[str, Any]], reps: int,
                      source: str) -> None:
    """Refuse a study of ``run`` tasks that would never end: each design point, then all of them together."""
    total = 0.0
    for i, (scenario, point) in enumerate(zip(scenarios, points)):
        try:
            total += check_work(scenario, 1, source).contacts * reps
        except ScenarioError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in point.items())
            where = f"design point {i} ({shown})" if shown else "the base scenario"
            raise SweepSpecError(source, exc.key, f"{where}: {exc.expected}") from None
    check_contacts(total, source, f"the study ({len(points):,} design points x {reps:,} replications)")


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
    scenario_path: Path, source: str, sections: Mapping[str, str], files: dict[str, str],
) -> Scenario:
    """The validated scenario of one design point; adds the SHA-256 of each file it reads to ``files``."""
    try:
        data = apply_overrides(base, overrides, str(scenario_path))
        resolved = read_empirical_columns(data, str(scenario_path), scenario_path.parent)
        for path in referenced_files(data, scenario_path.parent):
            name = os.path.relpath(path, scenario_path.parent)
            if name not in files:
                try:
                    files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError as exc:
                    raise ScenarioError(str(scenario_path), None, f"{path} cannot be read ({exc})") from None
        scenario = scenario_from_dict(resolved, source=str(scenario_path))
        check_sections(scenario, str(scenario_path))
        return scenario
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
    outputs = registered_command(command)
    channels = list(outputs.channels) if outputs.channels is not None else list(scenario.channels)
    kpis = list(outputs.kpis) if outputs.kpis is not None else None
    if keep.channels:
        unknown = [c for c in keep.channels if c not in channels]
        if unknown:
            raise SweepSpecError(source, "keep.channels", f"unknown channel {unknown[0]!r}; channels: {', '.join(channels)}")
    if keep.kpis and kpis is not None:
        unknown = [k for k in keep.kpis if k not in kpis]
        if unknown:
            raise SweepSpecError(source, "keep.kpis", f"unknown KPI {unknown[0]!r}; KPIs: {', '.join(kpis)}")
