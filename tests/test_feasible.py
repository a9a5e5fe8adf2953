"""Confidence intervals cut to what a KPI can be, and said so when the replications are too few."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.feasible import clip_intervals, feasible_range
from sim.analysis.metrics import confidence_interval, summarize
from sim.cli.main import main

from .conftest import SCENARIOS


def tidy(rows: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    """Per-replication values as the runner stores them: replication, channel, kpi, value."""
    return pd.DataFrame([{"replication": r, "channel": c, "kpi": k, "value": v}
                         for (c, k), values in rows.items() for r, v in enumerate(values)])


def test_each_kind_of_kpi_has_its_range() -> None:
    assert feasible_range("phone", "service_level") == (0.0, 1.0)
    assert feasible_range("knowledge", "billing") == (0.0, 1.0)
    assert feasible_range("journey", "net_sentiment") == (-1.0, 1.0)
    for kpi in ("abandoned", "asa_s", "handled_hours", "busy_hours:chat", "occupancy", "backlog"):
        assert feasible_range("phone", kpi) == (0.0, math.inf), kpi
    assert feasible_range("roi", "npv") == (-math.inf, math.inf)


def test_summaries_cut_intervals_at_what_is_possible_and_name_them() -> None:
    values = {
        ("phone", "abandoned"): [0.0, 2.0, 40.0],           # t interval reaches far below 0
        ("phone", "service_level"): [0.999, 1.0, 0.9],      # and above 100 %
        ("phone", "asa_s"): [0.1, 0.0, 3.0],
        ("journey", "net_sentiment"): [-0.95, -0.99, -0.2],
        ("roi", "npv"): [-5.0, 1.0, 9.0],                   # money: no range to cut to
        ("phone", "offered"): [100.0, 101.0, 102.0],        # far from 0: untouched
    }
    table = summarize(tidy(values), ["channel", "kpi"])
    rows = table.set_index(["channel", "kpi"])
    for key, data in values.items():
        mean, low, high = confidence_interval(pd.Series(data).to_numpy())
        lo, hi = feasible_range(*key)
        assert rows.loc[key, "mean"] == pytest.approx(mean)  # the mean never moves
        assert rows.loc[key, "ci95_low"] == pytest.approx(max(low, lo))
        assert rows.loc[key, "ci95_high"] == pytest.approx(min(high, hi))
    assert confidence_interval(pd.Series(values[("phone", "abandoned")]).to_numpy())[1] < 0  # there was a cut
    assert table.attrs["clipped"] == [("phone", "abandoned"), ("phone", "service_level"), ("phone", "asa_s"),
                                      ("journey", "net_sentiment")]


def test_an_interval_without_bounds_is_left_as_it_is() -> None:
    table = pd.DataFrame({"channel": ["phone"], "kpi": ["abandoned"], "ci95_low": [math.nan], "ci95_high": [math.nan]})
    assert clip_intervals(table) == [] and table["ci95_low"].isna().all()


def test_run_says_when_replications_are_too_few_for_an_interval(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", str(SCENARIOS / "erlang-a.yaml"), "-q", "--set", "horizon.hours=6", "--set",
            "horizon.warmup_hours=0"]
    assert main([*argv, "-r", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "100.0 %" in out and "Note: 2 replications are too few for the 95 % intervals of phone service_level" in out
    assert main([*argv, "-r", "2", "--json"]) == 0
    kpis = json.loads(capsys.readouterr().out)["kpis"]["phone"]
    assert kpis["service_level"]["ci95_high"] <= 1.0 and kpis["asa_s"]["ci95_low"] >= 0.0
    assert kpis["abandoned"]["ci95_low"] >= 0.0


def test_sweep_summaries_are_cut_too(tmp_path: Path) -> None:
    from sim.studies.plan import plan_sweep
    from sim.studies.sweep import run_plan

    spec = tmp_path / "spec.yaml"
    spec.write_text(f"scenario: {SCENARIOS / 'erlang-a.yaml'}\ncommand: run\nreplications: 2\n"
                    "seed: 1\noverrides: {horizon.hours: 6, horizon.warmup_hours: 0}\n"
                    "factors: {channels.phone.agents: [50]}\n", encoding="utf-8")
    run = run_plan(plan_sweep(spec), tmp_path / "out")
    raw = [(c, k, *confidence_interval(g["value"].to_numpy())) for (c, k), g in run.results.groupby(["channel", "kpi"])]
    assert any(lo < feasible_range(c, k)[0] or hi > feasible_range(c, k)[1] for c, k, _, lo, hi in raw)  # a cut to make
    summary = run.summary
    for row in summary.itertuples(index=False):
        low, high = feasible_range(row.channel, row.kpi)
        assert math.isnan(row.ci95_low) or low <= row.ci95_low <= row.ci95_high <= high, row
