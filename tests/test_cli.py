"""The ccsim command line: useful output, JSON shape, clean errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main

from .conftest import SCENARIOS

KPIS = ("offered", "answered", "abandoned", "service_level", "p_wait", "asa_s", "abandon_rate", "occupancy", "aht_s")


def test_run_json_has_every_kpi_with_interval(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(SCENARIOS / "erlang-a.yaml"), "--set", "horizon.hours=6", "--set", "horizon.warmup_hours=1",
                 "--replications", "3", "--seed", "4", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    phone = payload["kpis"]["phone"]
    for kpi in KPIS:
        value = phone[kpi]
        assert set(value) == {"mean", "ci95_low", "ci95_high"}
        assert value["ci95_low"] <= value["mean"] <= value["ci95_high"]
    assert payload["replications"] == 3 and payload["seed"] == 4
    assert 0 < phone["abandon_rate"]["mean"] < 1


def test_run_overrides_change_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["run", str(SCENARIOS / "erlang-c.yaml"), "--set", "horizon.hours=4", "--set", "horizon.warmup_hours=0.5",
            "-r", "2", "--json"]
    main(base)
    few = json.loads(capsys.readouterr().out)["kpis"]["phone"]["asa_s"]["mean"]
    main(base + ["--set", "channels.phone.agents=60"])
    many = json.loads(capsys.readouterr().out)["kpis"]["phone"]["asa_s"]["mean"]
    assert many < few


def test_run_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SCENARIOS / "phone-day.yaml"), "-r", "2", "-q", "--intervals"]) == 0
    out = capsys.readouterr().out
    assert "service_level" in out and "95 % CI" in out and "10:00" in out


def test_erlang_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erlang", "--rate-per-hour", "1000", "--aht-s", "180", "--agents", "55", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert values["model"] == "erlang_c" and 0 < values["p_wait"] < 1
    assert main(["erlang", "--rate-per-hour", "1000", "--aht-s", "180", "--agents", "50", "--patience-s", "300", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert values["model"] == "erlang_a" and 0 < values["p_abandon"] < 1


@pytest.mark.parametrize("argv, words", [
    (["run", "nope.yaml"], "nope.yaml: file not found"),
    (["run", str(SCENARIOS / "erlang-c.yaml"), "--set", "channels.phone.agnts=3"], "did you mean 'agents'"),
    (["run", str(SCENARIOS / "erlang-c.yaml"), "--set", "channels.phone.agents=-1"], "channels.phone.agents"),
    (["erlang", "--rate-per-hour", "-3", "--aht-s", "180", "--agents", "5"], "--rate-per-hour"),
])
def test_bad_input_exits_2_with_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_help_and_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels: {phone: {agents: 3, aht: {mean_s: 100}}}\narrivals: {phone: {rate_per_hour: -1}}\n")
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"ccsim: error: {bad}: arrivals.phone.rate_per_hour: "
                                   "input should be greater than or equal to 0 (got -1)")
    help_text = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True).stdout
    assert "ccsim run" in help_text and "erlang" in help_text
    run_help = subprocess.run([sys.executable, "-m", "sim", "run", "--help"], capture_output=True, text=True).stdout
    assert "--set" in run_help and "service_level" in run_help
