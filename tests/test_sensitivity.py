"""Sensitivity: Sobol estimators against known indices, tornado intervals, input distributions, the command."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.studies.design import saltelli_design, saltelli_matrices, scale_unit
from sim.studies.sensitivity import (
    LognormalInput,
    TriangularInput,
    UniformInput,
    input_values,
    plan_sensitivity,
    sobol_indices,
    split_saltelli,
    tornado_bounds,
    tornado_effects,
)
from sim.studies.sweep_spec import SweepSpecError

from .conftest import SCENARIOS

ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def saltelli_outputs(f, n: int, d: int, low: float, high: float, seed: int):  # noqa: ANN001, ANN202
    a, b = saltelli_matrices(n, d, seed)
    x = scale_unit(saltelli_design(a, b), [low] * d, [high] * d)
    return split_saltelli(f(x), d)


def test_sobol_indices_of_the_ishigami_function() -> None:
    table = sobol_indices(*saltelli_outputs(ishigami, 8192, 3, -math.pi, math.pi, seed=4), bootstrap=300, seed=1)
    np.testing.assert_allclose(table["S1"], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(table["ST"], ISHIGAMI_ST, atol=0.03)
    for name, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        assert (table[f"{name}_low"] <= np.array(truth) + 0.01).all() and (np.array(truth) - 0.01 <= table[f"{name}_high"]).all()
        assert (table[f"{name}_high"] - table[f"{name}_low"] < 0.1).all()


def test_sobol_indices_of_a_linear_function_with_a_large_offset() -> None:
    # f = 1000 + 2 x1 + x2 + 0 x3 on U(0,1)^3: S1 = ST = (4/5, 1/5, 0); the offset must not matter
    def linear(x: np.ndarray) -> np.ndarray:
        return 1000 + 2 * x[:, 0] + x[:, 1] + 0 * x[:, 2]

    table = sobol_indices(*saltelli_outputs(linear, 1024, 3, 0.0, 1.0, seed=2), names=["a", "b", "c"], bootstrap=200)
    np.testing.assert_allclose(table["S1"], [0.8, 0.2, 0.0], atol=0.03)
    np.testing.assert_allclose(table["ST"], [0.8, 0.2, 0.0], atol=0.03)
    assert table["ST"].iat[2] == 0.0 and table["S1"].iat[2] == 0.0  # an inert input gets exactly zero
    assert list(table["input"]) == ["a", "b", "c"]


def test_tornado_effects_use_paired_replications() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 5, size=10)  # common to the three points: cancels in the changes
    effects = tornado_effects(100 + noise, 90 + noise + rng.normal(0, 0.1, 10), 112 + noise)
    assert effects["change_low"] == pytest.approx(-10, abs=0.1)
    assert effects["change_high"] == pytest.approx(12, abs=1e-9)
    assert effects["change_low_ci_high"] - effects["change_low_ci_low"] < 0.3
    assert effects["swing"] == pytest.approx(22, abs=0.1)


def test_input_distributions_map_the_unit_interval() -> None:
    u = (np.arange(1000) + 0.5) / 1000
    rate = input_values(UniformInput(low=900, high=1100), u, integer=False)
    assert rate.min() > 900 and rate.max() < 1100 and rate.mean() == pytest.approx(1000, abs=0.5)
    agents = input_values(UniformInput(low=10, high=14), u, integer=True)
    assert np.unique(agents, return_counts=True)[1].tolist() == [200] * 5
    tri = TriangularInput(dist="triangular", low=160, mode=180, high=220)
    assert input_values(tri, u, False).mean() == pytest.approx((160 + 180 + 220) / 3, abs=0.5)
    assert tornado_bounds(tri, False) == (160.0, pytest.approx(tri.frozen().median()), 220.0)
    logn = LognormalInput(dist="lognormal", mean=300, cv=0.3)
    assert input_values(logn, u, False).mean() == pytest.approx(300, rel=0.01)
    low, base, high = tornado_bounds(logn, False)
    assert logn.frozen().cdf(low) == pytest.approx(0.05) and logn.frozen().cdf(high) == pytest.approx(0.95) and low < base < high


def write_spec(folder: Path, body: str) -> Path:
    scenario = os.path.relpath(SCENARIOS / "erlang-a.yaml", folder)
    path = folder / "sens.yaml"
    path.write_text(f"scenario: {scenario}\n{body}", encoding="utf-8")
    return path


SPEC = """\
replications: 2
seed: 3
overrides: {horizon.hours: 1, horizon.warmup_hours: 0.25}
outputs: [phone.service_level, phone.abandon_rate]
inputs:
  arrivals.phone.rate_per_hour: [850, 1150]
  channels.phone.sl_target: [0.5, 0.9]
  channels.phone.agents: [46, 54]
integer: [channels.phone.agents]
sobol: {base_samples: 16, bootstrap: 200}
"""


def test_sensitivity_command_ranks_inputs_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, SPEC)
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    for name in ("tornado.png", "sobol.png", "sensitivity.csv", "sensitivity.json", "results.parquet", "metadata.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "sensitivity.csv")
    assert len(table) == 2 * 3
    sl = table[table["output"] == "phone.service_level"].set_index("input")
    # sl_target is reporting only: with common random numbers it cannot move any KPI, exactly
    assert sl.loc["channels.phone.sl_target", "swing"] == 0
    assert sl.loc["channels.phone.sl_target", "ST"] == 0 and sl.loc["channels.phone.sl_target", "S1"] == 0
    assert sl.loc["arrivals.phone.rate_per_hour", "swing"] > 0.1 and sl.loc["channels.phone.agents", "swing"] > 0.1
    assert sl.loc["arrivals.phone.rate_per_hour", "change_high"] < 0 < sl.loc["channels.phone.agents", "change_high"]
    assert sl.loc["arrivals.phone.rate_per_hour", "ST"] > 0.1 and sl.loc["channels.phone.agents", "ST"] > 0.1
    assert sl.loc["channels.phone.agents", "low"] == 46 and sl.loc["channels.phone.agents", "high"] == 54
    payload = json.loads((out / "sensitivity.json").read_text())
    assert payload["evaluations"] == 1 + 2 * 3 + 16 * 5 and payload["missing_evaluations"] == 0
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["kpi"]) == {"service_level", "abandon_rate"}
    assert set(results["role"]) >= {"base", "low:channels.phone.agents", "A", "B", "AB:channels.phone.agents"}
    assert (results["channels.phone.agents"] == results["channels.phone.agents"].round()).all()
    capsys.readouterr()
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "1", "--quiet", "--resume"]) == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["tasks"]["reused"] == meta["tasks"]["total"] == 87 * 2 and meta["tasks"]["computed"] == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "sensitivity.csv"), table)


def test_bad_sensitivity_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, SPEC.replace("channels.phone.sl_target:", "channels.phone.sl_targt:"))
    with pytest.raises(SweepSpecError) as err:
        plan_sensitivity(spec)
    assert err.value.key == "inputs.channels.phone.sl_targt" and "did you mean 'sl_target'" in str(err.value)
    spec = write_spec(tmp_path, SPEC.replace("[850, 1150]", "[1150, 850]"))
    assert main(["sensitivity", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "low < high" in capsys.readouterr().err
    spec = write_spec(tmp_path, SPEC.replace("phone.abandon_rate]", "phone.abandonment]"))
    with pytest.raises(SweepSpecError) as err:
        plan_sensitivity(spec)
    assert err.value.key == "outputs" and "unknown KPI 'abandonment'" in str(err.value)
