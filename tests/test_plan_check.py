"""A roster planned staff -> schedule and judged on a seed no step of the plan used misses in at most 3 % of intervals."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.io.rosters import read_shift_types
from sim.studies.plan_check import check_plan

ROOT = Path(__file__).resolve().parents[1]
SHIFTS = ROOT / "experiments" / "workforce" / "shifts.yaml"


@pytest.mark.slow
def test_a_team_roster_meets_its_targets_on_another_seed_with_30_replications() -> None:
    # Monday and Tuesday of the team week: a voice and a digital team (chats held three at a time), closed overnight
    scenario = sim.load_scenario(ROOT / "scenarios" / "team-week.yaml", ["horizon.hours=48"])
    checked = check_plan(scenario, ["phone=80/20", "chat=80/60"], read_shift_types(SHIFTS), seed=1, judge_seed=1001,
                         workers=2, name="team-week Monday-Tuesday")
    assert set(checked["channel"]) == {"phone", "chat"}
    assert (checked["intervals"] >= 48).all()
    assert (checked["shown_to_miss"] <= 0.03).all(), checked.to_string()
