"""A week planned from a forecast: shifts per day, agents with two days off, evaluated by simulation over the week."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import InputError
from sim.io.forecast import apply_forecast
from sim.spec.roster import shift_types_from_mapping
from sim.studies.schedule import evaluate_staffing, solve_schedule
from sim.studies.staffing import required_agents
from sim.studies.week_schedule import solve_week, week_agents, work_patterns
from tests.conftest import queue_scenario

SHIFTS = shift_types_from_mapping({"shifts": [
    {"name": "day8", "starts": {"from": "06:00", "to": "14:00", "every_min": 60}, "length_min": 480,
     "breaks": "180-300+60", "cost": 8.0},
    {"name": "half4", "starts": {"from": "06:00", "to": "18:00", "every_min": 60}, "length_min": 240, "cost": 4.4},
]}, "<test shifts>")


def test_work_patterns_have_the_days_off_asked_for() -> None:
    five = work_patterns(7, 2, consecutive_off=True)
    assert len(five) == 7 and all(len(p) == 5 for p in five)
    assert (0, 1, 2, 3, 4) in five and (1, 2, 3, 4, 5) in five and (0, 1, 2, 3, 6) in five  # Sat+Sun, Sun+Mon, Fri+Sat
    assert len(work_patterns(7, 2, consecutive_off=False)) == 21
    with pytest.raises(InputError):
        work_patterns(7, 7, True)


def test_break_windows_let_the_schedule_place_breaks_where_cover_is_cheapest() -> None:
    # one agent all day except 10:00-11:00, where two are needed: the break must fall elsewhere
    need = np.zeros(24, dtype=int)
    need[6:14] = 1
    need[10] = 2
    plan = solve_schedule({"phone": need}, SHIFTS, 60)
    assert plan.attrs["total_cost"] <= 8.0 + 2 * 4.4
    fixed = shift_types_from_mapping({"shifts": [{"name": "day8", "starts": "06:00", "length_min": 480,
                                                   "breaks": "240+60", "cost": 8.0}]}, "<fixed>")
    # with the break fixed at 10:00 one 8-hour shift cannot cover 10:00 on its own
    assert solve_schedule({"phone": need}, fixed + SHIFTS[1:], 60).attrs["total_cost"] > plan.attrs["total_cost"] - 1e-9


def _week_forecast(tmp_path: Path) -> Path:
    rows = ["interval_start,channel,volume,aht_s"]
    for day in range(1, 8):
        level = 60 if day <= 5 else 25  # a quiet weekend
        for hour in range(6, 22):
            peak = 1.4 if 9 <= hour < 13 else 1.0
            rows.append(f"d{day} {hour:02d}:00,phone,{level * peak:.0f},{270 if hour < 12 else 240}")
    path = tmp_path / "week.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_week_planned_from_a_forecast_meets_its_targets_with_two_days_off(tmp_path: Path) -> None:
    scenario = apply_forecast(queue_scenario(1, 240, 5, patience_s=300, hours=24, interval_minutes=60),
                              _week_forecast(tmp_path))
    assert scenario.horizon.hours == 168
    staffing = required_agents(scenario, ["phone=80/20"], replications=4, seed=5, max_confirm_replications=40,
                               workers=2)
    need = staffing.sort_values("interval")["simulated_agents"].to_numpy()
    assert need[24 * 5 + 10] < need[10]  # Saturday needs fewer than Monday
    shifts, patterns = solve_week({"phone": need}, SHIFTS, 60, days_off=2, max_week_minutes=40 * 60)
    assert (patterns["works"].str.split().map(len) == 5).all() and patterns["agents"].sum() == shifts.attrs["headcount"]["phone"]
    assert (shifts.groupby("day")["headcount"].sum() <= shifts.attrs["headcount"]["phone"]).all()
    paid = (shifts["length_min"] * shifts["headcount"]).sum()
    assert paid <= 40 * 60 * shifts.attrs["headcount"]["phone"]  # the weekly hour limit, on average per agent
    agents = week_agents(shifts, 60, 7)["phone"]
    assert (np.asarray(agents) >= need).all()  # every interval of the week covered
    judged = evaluate_staffing(scenario, {"phone": agents}, ["phone=80/20"], replications=20, seed=99, workers=2)
    busy = judged[judged["simulated_offered"] > 0]
    assert (busy["verdict"] == "misses").mean() <= 0.03


def test_schedule_week_command_plans_days_off_and_simulates_the_week(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli.main import main as cli

    forecast = _week_forecast(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("horizon: {hours: 24, interval_minutes: 60}\narrivals: {phone: {rate_per_hour: 1}}\n"
                        "channels: {phone: {agents: 5, aht: {dist: exponential, mean_s: 250}, patience: {mean_s: 300}}}\n",
                        encoding="utf-8")
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text('shifts:\n  - {name: day8, starts: {from: "06:00", to: "14:00", every_min: 60}, length_min: 480, '
                      'breaks: "180-300+60", cost: 8}\n  - {name: half4, starts: {from: "06:00", to: "18:00", '
                      'every_min: 60}, length_min: 240, cost: 4.4}\n', encoding="utf-8")
    staff = tmp_path / "staff"
    assert cli(["staff", str(scenario), "--forecast", str(forecast), "--target", "phone=80/20", "-r", "3",
                "--max-replications", "20", "-q", "--out", str(staff)]) == 0
    out = tmp_path / "week"
    assert cli(["schedule", str(scenario), "--forecast", str(forecast), "--requirements", str(staff / "staffing.csv"),
                "--shifts", str(shifts), "--week", "--target", "phone=80/20", "-r", "4", "--seed", "9", "-q",
                "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Work patterns (2 days off)" in printed and "Simulated over the week" in printed
    plan = (out / "week_schedule.csv").read_text(encoding="utf-8")
    assert "Sat" in plan and "Sun" in plan
    # without the forecast the scenario is one day: the week cannot be simulated, and says why
    assert cli(["schedule", str(scenario), "--requirements", str(staff / "staffing.csv"), "--shifts", str(shifts),
                "--week", "-q"]) == 2
    assert "give the same --forecast" in capsys.readouterr().err


def test_evaluate_reads_the_week_roster_that_schedule_week_writes_and_it_meets_its_targets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from sim.cli.main import main as cli
    from sim.io.rosters import read_roster
    from sim.spec.week_roster import roster_week_agents

    forecast = _week_forecast(tmp_path)
    scenario = tmp_path / "team.yaml"
    scenario.write_text("horizon: {hours: 24, interval_minutes: 60}\narrivals: {phone: {rate_per_hour: 1}}\n"
                        "channels: {phone: {aht: {dist: exponential, mean_s: 250}, patience: {mean_s: 300}}}\n"
                        "teams: {voice: {skills: [phone], agents: 5, shrinkage: 0.2}}\n", encoding="utf-8")
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text('shifts:\n  - {name: day8, starts: {from: "06:00", to: "14:00", every_min: 60}, length_min: 480, '
                      'breaks: "180-300+60", cost: 8}\n  - {name: half4, starts: {from: "06:00", to: "18:00", '
                      'every_min: 60}, length_min: 240, cost: 4.4}\n', encoding="utf-8")
    staff, week, judged = tmp_path / "staff", tmp_path / "week", tmp_path / "judged"
    assert cli(["staff", str(scenario), "--forecast", str(forecast), "--target", "phone=80/20", "-r", "4",
                "--max-replications", "40", "--workers", "2", "-q", "--out", str(staff)]) == 0
    assert cli(["schedule", str(scenario), "--forecast", str(forecast), "--requirements", str(staff / "staffing.csv"),
                "--shifts", str(shifts), "--week", "--target", "phone=80/20", "--no-evaluate", "-q",
                "--out", str(week)]) == 0
    roster = read_roster(week / "roster.csv", teams=["voice"])
    assert roster.days == 7
    patterns = (week / "patterns.csv").read_text(encoding="utf-8")
    assert all(len(line.split(",")[1].split()) == 5 for line in patterns.splitlines()[1:])  # two days off each
    # the roster's agents are the week's schedule's, day by day
    plan = read_roster(week / "week_schedule.csv", teams=["voice"])
    assert (roster_week_agents(plan, "voice", 60, 7) == roster_week_agents(roster, "voice", 60, 7)).all()
    assert roster_week_agents(roster, "voice", 60, 7).tolist() == week_agents(pd.read_csv(week / "week_schedule.csv"),
                                                                               60, 7)["voice"]
    capsys.readouterr()
    assert cli(["evaluate", str(scenario), "--forecast", str(forecast), "--roster", str(week / "roster.csv"),
                "--target", "phone=80/20", "-r", "20", "--seed", "77", "--workers", "2", "-q", "--out", str(judged)]) == 0
    assert "Per channel over the day" in capsys.readouterr().out.replace("\n", " ")
    report = pd.read_csv(judged / "evaluation.csv")
    assert len(report) == 7 * 24  # the whole week, not one day folded
    busy = report[report["simulated_offered"] > 0]
    assert (busy["verdict"] == "misses").mean() <= 0.03
    saturday, monday = report[report["interval"] == 5 * 24 + 10], report[report["interval"] == 10]
    assert int(saturday["agents"].iloc[0]) < int(monday["agents"].iloc[0])
    # a week's roster on a one-day scenario is refused, and says why
    assert cli(["evaluate", str(scenario), "--roster", str(week / "roster.csv"), "-q"]) == 2
    assert "--forecast" in capsys.readouterr().err
