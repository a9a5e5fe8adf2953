"""Inputs that used to give silently wrong results, a traceback or a run that never ends.

Every case here either gives the right result or is refused before any
work starts, in one line (file, dotted key, what is expected) with exit
status 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.studies.checkpoints import SweepFolderError
from sim.studies.plan import plan_sweep
from sim.studies.sweep import run_plan

EMPIRICAL_SCENARIO = """\
seed: 3
replications: 2
horizon: {hours: 1}
arrivals: {phone: {rate_per_hour: 60}}
channels:
  phone:
    agents: 2
    aht: {dist: empirical, csv: aht.csv, column: talk}
"""


# ---------------------------------------------------------------------------
# Silent wrong results


def test_resume_refuses_when_a_csv_the_scenario_reads_has_changed(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(EMPIRICAL_SCENARIO, encoding="utf-8")
    (tmp_path / "aht.csv").write_text("talk\n170\n180\n190\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text("scenario: scenario.yaml\ncommand: run\nfactors: {channels.phone.agents: [2, 3]}\n", encoding="utf-8")
    first = plan_sweep(spec)
    run_plan(first, tmp_path / "out")
    assert plan_sweep(spec).hash == first.hash  # the same files: the same study
    (tmp_path / "aht.csv").write_text("talk\n370\n380\n390\n", encoding="utf-8")
    changed = plan_sweep(spec)
    assert changed.hash != first.hash
    with pytest.raises(SweepFolderError, match="different spec"):
        run_plan(changed, tmp_path / "out", resume=True)

