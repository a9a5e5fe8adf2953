"""Sensitivity analysis: one-at-a-time tornado and Sobol indices, run like a sweep.

The estimators are pure functions over arrays (:func:`sobol_indices`,
:func:`split_saltelli`, :func:`tornado_effects`); the study part turns a
spec into a :class:`~sim.studies.plan.Plan` whose design points are the tornado
points and Saltelli's ``N (d + 2)`` points, so the evaluations run on the
same executors, checkpoints and resume logic as a sweep.

Sobol indices (variance-based, inputs independent):

- first order ``S_i = E[f(B) (f(AB_i) - f(A))] / V`` (Saltelli et al. 2010,
  eq. (b) of table 2);
- total ``ST_i = E[(f(A) - f(AB_i))^2] / (2 V)`` (Jansen 1999);

with ``V`` the variance of the outputs of A and B together. Confidence
intervals come from a bootstrap over the ``N`` base rows (percentile
method). Simulation noise adds variance that no input explains; averaging
replications with common random numbers at every point keeps it small,
and an input that cannot change the output gets indices of exactly 0.

Spec::

    scenario: ../scenarios/erlang-a.yaml
    replications: 2           # CRN replications averaged at every point
    seed: 11
    overrides: {horizon.hours: 6}
    outputs: [phone.service_level, phone.abandon_rate]    # channel.kpi
    inputs:
      arrivals.phone.rate_per_hour: [900, 1100]           # uniform low, high
      channels.phone.aht.mean_s: {dist: triangular, low: 165, mode: 180, high: 200}
      channels.phone.patience.mean_s: {dist: lognormal, mean: 300, cv: 0.3}
    integer: []               # inputs taking whole numbers (agents)
    tornado: true
    sobol: {base_samples: 128, bootstrap: 1000, confidence: 0.95}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from sim.io.yaml_files import read_yaml_mapping
from sim.spec.uncertainty import (  # noqa: F401 - re-exported: specs and tests name them here
    BetaInput,
    InputDistribution,
    LognormalInput,
    NormalInput,
    PertInput,
    TriangularInput,
    UniformInput,
    input_values,
    tornado_bounds,
)
from sim.spec.validation_errors import validation_to_error
from sim.studies.design import saltelli_design, saltelli_matrices
from sim.studies.plan import Plan, build_plan, with_run_settings
from sim.studies.sweep import StudyRun
from sim.studies.sweep_spec import KeepSpec, SweepSpecError

# ---------------------------------------------------------------------------
# Estimators over arrays


def split_saltelli(y: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split outputs in :func:`sim.studies.design.saltelli_design` order into ``f(A)``, ``f(B)`` and ``f(AB)`` (d x N)."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or len(y) % (d + 2):
        raise ValueError(f"expected N * (d + 2) = N * {d + 2} outputs, got {y.shape}")
    n = len(y) // (d + 2)
    return y[:n], y[n: 2 * n], y[2 * n:].reshape(d, n)


def sobol_point_estimates(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen) indices; works on stacked bootstrap rows too.

    Shapes: ``y_a``, ``y_b`` (..., N) and ``y_ab`` (d, ..., N); returns two
    arrays of shape (d, ...).
    """
    both = np.concatenate([y_a, y_b], axis=-1)
    centre = np.mean(both, axis=-1, keepdims=True)  # shifting f changes no index but steadies the S1 estimator
    y_a, y_b, y_ab = y_a - centre, y_b - centre, y_ab - centre
    variance = np.var(both, axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.mean(y_b * (y_ab - y_a), axis=-1) / variance
        total = 0.5 * np.mean((y_a - y_ab) ** 2, axis=-1) / variance
    return first, total


def sobol_indices(
    y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, names: list[str] | None = None,
    bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0,
) -> pd.DataFrame:
    """Sobol first-order and total indices with bootstrap percentile intervals.

    Returns one row per input: ``input, S1, S1_low, S1_high, ST, ST_low,
    ST_high``. A constant output gives NaN indices (there is no variance
    to share out).
    """
    y_a, y_b, y_ab = (np.asarray(v, dtype=float) for v in (y_a, y_b, y_ab))
    d, n = y_ab.shape
    names = names or [f"x{i + 1}" for i in range(d)]
    first, total = sobol_point_estimates(y_a, y_b, y_ab)
    low_q, high_q = 50 * (1 - confidence), 50 * (1 + confidence)
    bounds = np.full((4, d), np.nan)
    if bootstrap > 0 and n > 1:
        rng = np.random.default_rng(seed)
        draws_first, draws_total = [], []
        for start in range(0, bootstrap, 100):  # chunks keep memory at d x 100 x N
            rows = rng.integers(0, n, size=(min(100, bootstrap - start), n))
            f, t = sobol_point_estimates(y_a[rows], y_b[rows], y_ab[:, rows])
            draws_first.append(f)
            draws_total.append(t)
        f_all, t_all = np.concatenate(draws_first, axis=1), np.concatenate(draws_total, axis=1)
        with np.errstate(invalid="ignore"):
            bounds = np.vstack([
                np.nanpercentile(f_all, low_q, axis=1) if np.isfinite(f_all).any() else np.full(d, np.nan),
                np.nanpercentile(f_all, high_q, axis=1) if np.isfinite(f_all).any() else np.full(d, np.nan),
                np.nanpercentile(t_all, low_q, axis=1) if np.isfinite(t_all).any() else np.full(d, np.nan),
                np.nanpercentile(t_all, high_q, axis=1) if np.isfinite(t_all).any() else np.full(d, np.nan),
            ])
    return pd.DataFrame({
        "input": names, "S1": first, "S1_low": bounds[0], "S1_high": bounds[1],
        "ST": total, "ST_low": bounds[2], "ST_high": bounds[3],
    })


def tornado_effects(base: np.ndarray, low: np.ndarray, high: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Mean outputs at base, low and high, and the paired (CRN) intervals of the changes.

    ``base``, ``low`` and ``high`` hold one value per replication, the same
    replications (random numbers) at each point, so the differences are
    paired and their intervals are much narrower than the outputs' own.
    """
    base, low, high = (np.asarray(v, dtype=float) for v in (base, low, high))
    out = {"y_base": float(np.mean(base)), "y_low": float(np.mean(low)), "y_high": float(np.mean(high))}
    for name, values in (("low", low - base), ("high", high - base)):
        mean = float(np.mean(values))
        if len(values) > 1:
            half = float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values)))
        else:
            half = math.nan
        out[f"change_{name}"] = mean
        out[f"change_{name}_ci_low"] = mean - half
        out[f"change_{name}_ci_high"] = mean + half
    out["swing"] = abs(out["y_high"] - out["y_low"])
    return out


# ---------------------------------------------------------------------------
# Uncertain inputs


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# ---------------------------------------------------------------------------
# The spec and its plan


class SobolSettings(_Spec):
    """Saltelli sampling: ``base_samples`` N gives N (d + 2) evaluations."""

    base_samples: int = Field(64, ge=4, le=65_536, description="N; powers of two keep the Sobol sequence balanced")
    bootstrap: int = Field(1000, ge=0, le=100_000)
    confidence: float = Field(0.95, gt=0, lt=1)
    seed: int | None = Field(None, ge=0, description="seed of the Sobol sequence and the bootstrap (default: the spec's)")


class SensitivitySpec(_Spec):
    """A sensitivity spec file: base scenario, uncertain inputs, outputs, methods."""

    name: str = ""
    description: str = ""
    scenario: str
    command: str = "run"
    replications: int | None = Field(None, ge=1, le=10_000)
    seed: int | None = Field(None, ge=0)
    overrides: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, InputDistribution] = Field(min_length=1)
    integer: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(min_length=1, description="channel.kpi, e.g. phone.service_level")
    tornado: bool = True
    sobol: SobolSettings | None = SobolSettings()

    @model_validator(mode="after")
    def _check(self) -> SensitivitySpec:
        both = set(self.inputs) & set(self.overrides)
        if both:
            raise ValueError(f"{', '.join(sorted(both))} is both an input and an override")
        unknown = [p for p in self.integer if p not in self.inputs]
        if unknown:
            raise ValueError(f"integer lists {', '.join(unknown)}, which is not an input")
        bad = [o for o in self.outputs if "." not in o.strip(".")]
        if bad:
            raise ValueError(f"output {bad[0]!r} must look like channel.kpi")
        if not self.tornado and self.sobol is None:
            raise ValueError("nothing to do: tornado is false and sobol is null")
        return self

    def output_pairs(self) -> list[tuple[str, str]]:
        """``(channel, kpi)`` of each output."""
        return [(channel, kpi) for channel, kpi in (o.rsplit(".", 1) for o in self.outputs)]


@dataclass
class SensitivityPlan:
    """A sensitivity study: the evaluation plan and where each part of it sits."""

    spec: SensitivitySpec
    plan: Plan
    inputs: list[str]
    tornado_points: int
    sobol_start: int
    base_samples: int


def load_sensitivity_spec(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity spec (SweepSpecError names file and key)."""
    data = read_yaml_mapping(Path(path), SweepSpecError)
    try:
        return SensitivitySpec.model_validate(data)
    except ValidationError as exc:
        raise validation_to_error(exc, data, SensitivitySpec, str(path), SweepSpecError) from None


def plan_sensitivity(path: str | Path, replications: int | None = None, seed: int | None = None) -> SensitivityPlan:
    """Build the evaluation plan: tornado points, then Saltelli's points.

    ``replications`` and ``seed``, when given, replace the spec's (``-r`` and ``--seed``).
    """
    source = str(path)
    spec = with_run_settings(load_sensitivity_spec(path), replications, seed)
    names = list(spec.inputs)
    integer = [n in spec.integer for n in names]
    points: list[dict[str, Any]] = []
    roles: list[str] = []
    if spec.tornado:
        bounds = [tornado_bounds(spec.inputs[n], i) for n, i in zip(names, integer)]
        base = {n: _py(b[1], i) for n, b, i in zip(names, bounds, integer)}
        points.append(base)
        roles.append("base")
        for n, b, i in zip(names, bounds, integer):
            points.append({**base, n: _py(b[0], i)})
            roles.append(f"low:{n}")
            points.append({**base, n: _py(b[2], i)})
            roles.append(f"high:{n}")
    tornado_points = len(points)
    n_base = 0
    if spec.sobol is not None:
        n_base = spec.sobol.base_samples
        sobol_seed = spec.sobol.seed if spec.sobol.seed is not None else (spec.seed or 0)
        matrix_a, matrix_b = saltelli_matrices(n_base, len(names), np.random.SeedSequence(sobol_seed))
        unit = saltelli_design(matrix_a, matrix_b)
        columns = [input_values(spec.inputs[n], unit[:, j], integer[j]) for j, n in enumerate(names)]
        block_roles = ["A", "B", *[f"AB:{n}" for n in names]]
        for row in range(len(unit)):
            points.append({n: _py(columns[j][row], integer[j]) for j, n in enumerate(names)})
            roles.append(block_roles[row // n_base])
    channels = list(dict.fromkeys(c for c, _ in spec.output_pairs()))
    kpis = list(dict.fromkeys(k for _, k in spec.output_pairs()))
    sections = {**{p: "overrides" for p in spec.overrides}, **{p: "inputs" for p in names}}
    try:
        plan = _build(spec, source, points, names, sections, channels, kpis, roles, tornado_points)
    except SweepSpecError as exc:
        if exc.key and exc.key.startswith("keep."):  # outputs are stored through keep: report them as outputs
            raise SweepSpecError(source, "outputs", exc.expected) from None
        raise
    return SensitivityPlan(spec, plan, names, tornado_points, tornado_points, n_base)


def _build(spec: SensitivitySpec, source: str, points: list[dict[str, Any]], names: list[str], sections: dict[str, str],
           channels: list[str], kpis: list[str], roles: list[str], tornado_points: int) -> Plan:
    return build_plan(
        kind="sensitivity", source=source, spec=spec.model_dump(mode="json"), scenario=spec.scenario,
        command=spec.command, overrides=spec.overrides, points=points, factors=names, sections=sections,
        replications=spec.replications, seed=spec.seed, crn=True,
        keep=KeepSpec(kpis=kpis, channels=channels),
        extra_design={"role": roles, "part": ["tornado"] * tornado_points + ["sobol"] * (len(points) - tornado_points)},
    )


def _py(value: float, integer: bool) -> int | float:
    return int(round(float(value))) if integer else float(value)


# ---------------------------------------------------------------------------
# Analysis of a finished run


@dataclass
class SensitivityResult:
    """Tornado and Sobol tables, one row per output and input."""

    tornado: pd.DataFrame
    sobol: pd.DataFrame
    missing: int

    def table(self) -> pd.DataFrame:
        """Both joined on output and input (the content of sensitivity.csv)."""
        if self.tornado.empty:
            return self.sobol
        if self.sobol.empty:
            return self.tornado
        return self.tornado.merge(self.sobol, on=["output", "input"], how="outer", sort=False)


def analyse(study: SensitivityPlan, run: StudyRun) -> SensitivityResult:
    """Tornado effects and Sobol indices of every output from the evaluations of ``run``."""
    spec = study.spec
    results = run.results
    reps = study.plan.replications
    tornado_rows, sobol_frames = [], []
    missing = 0
    for channel, kpi in spec.output_pairs():
        output = f"{channel}.{kpi}"
        rows = results[(results["channel"] == channel) & (results["kpi"] == kpi)]
        if rows.empty and not results.empty:
            raise SweepSpecError(study.plan.source, "outputs", f"no KPI {kpi!r} for channel {channel!r} in the results")
        values = np.full((len(study.plan.points), reps), np.nan)
        values[rows["design_point"].to_numpy(), rows["replication"].to_numpy()] = rows["value"].to_numpy(dtype=float)
        missing = max(missing, int(np.isnan(values).all(axis=1).sum()))
        if spec.tornado:
            base = values[0]
            for j, name in enumerate(study.inputs):
                low_value = study.plan.points[1 + 2 * j][name]
                high_value = study.plan.points[2 + 2 * j][name]
                effects = tornado_effects(base, values[1 + 2 * j], values[2 + 2 * j])
                tornado_rows.append({"output": output, "input": name, "low": low_value,
                                     "base": study.plan.points[0][name], "high": high_value, **effects})
        if spec.sobol is not None:
            y = np.nanmean(values[study.sobol_start:], axis=1) if reps > 1 else values[study.sobol_start:, 0]
            y_a, y_b, y_ab = split_saltelli(y, len(study.inputs))
            seed = spec.sobol.seed if spec.sobol.seed is not None else (spec.seed or 0)
            table = sobol_indices(y_a, y_b, y_ab, study.inputs, spec.sobol.bootstrap, spec.sobol.confidence, seed)
            table.insert(0, "output", output)
            sobol_frames.append(table)
    tornado = pd.DataFrame(tornado_rows)
    sobol = pd.concat(sobol_frames, ignore_index=True) if sobol_frames else pd.DataFrame()
    return SensitivityResult(tornado, sobol, missing)
