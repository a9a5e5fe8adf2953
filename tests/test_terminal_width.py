"""Every command's output fits an 80-column (and a 60-column) terminal, also when piped: COLUMNS sets the width."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main

from .conftest import ROOT, SCENARIOS

LOG = ROOT / "tests" / "data" / "anonymous_bank_1999_08_01-15_calls.csv"
WORKFORCE = ROOT / "experiments" / "workforce"


def _spec(folder: Path, body: str) -> str:
    scenario = os.path.relpath(SCENARIOS / "erlang-a.yaml", folder)
    path = folder / "spec.yaml"
    path.write_text(f"scenario: {scenario}\nreplications: 2\nseed: 3\n"
                    "overrides: {horizon.hours: 1, horizon.warmup_hours: 0.25}\n" + body, encoding="utf-8")
    return str(path)


SWEEP = "command: run\nfactors:\n  channels.phone.agents: [48, 52]\n"
SENSITIVITY = """\
outputs: [phone.service_level, phone.abandon_rate]
inputs:
  arrivals.phone.rate_per_hour: [850, 1150]
  channels.phone.patience.mean_s: [150, 450]
sobol: {base_samples: 8, bootstrap: 100}
"""

# command line (``{tmp}`` is the test's folder), and header words the tables must keep at any width
COMMANDS = {
    "run": (["run", str(SCENARIOS / "phone-day.yaml"), "-r", "2", "-q", "--intervals", "--days"],
            ["KPI", "phone", "95 %", "start", "SL %", "offered/h", "day"]),
    "run-omnichannel": (["run", str(SCENARIOS / "omnichannel-day.yaml"), "-r", "2", "-q", "--days"],
                        ["KPI", "chat", "social", "Customer journey", "Teams", "issues"]),
    "evaluate": (["evaluate", str(SCENARIOS / "three-channel-day.yaml"), "--roster", str(WORKFORCE / "roster.csv"),
                  "--target", "phone=80/20", "--target", "chat=80/60", "--target", "social=90/3600", "-r", "2", "-q", "--all"],
                 ["channel", "target", "SL %", "start", "agents", "missed", "Every interval"]),
    "schedule": (["schedule", str(SCENARIOS / "three-channel-day.yaml"), "--requirements", str(WORKFORCE / "requirements.csv"),
                  "--shifts", str(WORKFORCE / "shifts.yaml"), "--no-evaluate", "--out", "{tmp}/schedule"],
                 ["team", "shift", "start", "cost", "required", "scheduled", "uncovered"]),
    "curve": (["curve", str(SCENARIOS / "erlang-a.yaml"), "--channel", "phone", "--interval", "00:00", "--agents", "48:52",
               "-r", "2", "--hours", "1", "--warmup-hours", "0.25", "-q", "--out", "{tmp}/curve"],
              ["agents", "SL %", "sim", "Erl C", "Erl A"]),
    "erlang": (["erlang", "--rate", "600", "--aht", "240", "--patience", "300", "--target", "80/20", "--max-abandon", "0.02"],
               ["agents", "SL 20s %", "abandon %", "P(wait) %", "fewest agents", "yes"]),
    "erlang-agents": (["erlang", "--rate-per-hour", "1000", "--aht-s", "180", "--agents", "55"],
                      ["KPI", "value", "service_level"]),
    "calibrate": (["calibrate", str(LOG), "--out", "{tmp}/bank.yaml"], ["day type", "days", "calls/day", "peak /h"]),
    "validate": (["validate", str(LOG), "--scenario", str(SCENARIOS / "anonymous-bank.yaml"), "--days", "2010-08-02",
                  "-r", "2", "-q", "--no-figures", "--out", "{tmp}/validate"],
                 ["date", "obs", "sim", "ErlA", "SL20 %"]),
    "sweep": (["sweep", "{spec:sweep}", "--out", "{tmp}/sweep", "--workers", "1", "-q"], ["design points", "results"]),
    "sensitivity": (["sensitivity", "{spec:sensitivity}", "--out", "{tmp}/sens", "--workers", "1", "-q"],
                    ["output", "input", "ST", "Sensitivity"]),
    "roi": (["roi", str(SCENARIOS / "roi-mid-size.yaml"), "-n", "3", "--months", "2", "--workers", "1", "-q",
             "--out", "{tmp}/roi"], ["measure", "p5", "median", "p95", "NPV", "payback"]),
}


def _argv(argv: list[str], tmp: Path) -> list[str]:
    specs = {"{spec:sweep}": lambda: _spec(tmp, SWEEP), "{spec:sensitivity}": lambda: _spec(tmp, SENSITIVITY)}
    return [specs[a]() if a in specs else a.replace("{tmp}", str(tmp)) for a in argv]


SLOW = {"schedule", "roi", "calibrate"}  # seconds each: 80 columns only; fit_table itself is tested at many widths


@pytest.mark.parametrize("name, width", [(name, width) for name in COMMANDS for width in (80, 60)
                                         if width == 80 or name not in SLOW])
def test_output_fits_the_width(name: str, width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    argv, words = COMMANDS[name]
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(_argv(argv, tmp_path)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, f"{len(too_long)} lines longer than {width}:\n" + "\n".join(too_long)
    for word in words:
        assert word in out, word
    assert "…" not in out  # short headers and left-out columns, not cut cells


def test_piped_output_follows_columns_and_defaults_to_80() -> None:
    argv = [sys.executable, "-m", "sim", "run", str(SCENARIOS / "phone-day.yaml"), "-r", "2", "-q", "--intervals"]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    default = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
    narrow = subprocess.run(argv, capture_output=True, text=True, env={**env, "COLUMNS": "50"}, check=True).stdout
    assert max(len(line) for line in default.splitlines()) <= 80 and "not shown" not in default
    assert "occupancy %" in default and "abandon %" in default
    assert max(len(line) for line in narrow.splitlines()) <= 50 and "(not shown at 50 columns:" in narrow
    for out in (default, narrow):  # one line per interval, never wrapped
        assert sum(line.startswith("phone ") for line in out.splitlines()) == 48
