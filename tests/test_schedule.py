"""Rosters, shift files, requirements, the schedule integer program and roster evaluation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli.main import main as cli
from sim.errors import InputError
from sim.io.rosters import read_requirements, read_roster, read_shift_types, write_roster
from sim.spec.roster import Break, Requirements, Shift, ShiftType
from sim.studies.schedule import coverage, plan_roster, pooled_ratio, schedule_roster, solve_schedule
from sim.studies.staffing import required_agents

ROOT = Path(__file__).resolve().parents[1]
WORKFORCE = ROOT / "experiments" / "workforce"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# Roster -> agents per interval


def test_breaks_and_rounding_rules() -> None:
    shift = Shift("phone", 8 * 60, 480, (Break(120, 15), Break(247, 15)), 3)
    majority = shift.presence(15, "majority")
    minimum = shift.presence(15, "minimum")
    k = lambda hh, mm: (hh * 60 + mm) // 15  # noqa: E731
    assert majority[k(7, 45)] == 0 and majority[k(8, 0)] == 1 and majority[k(15, 45)] == 1 and majority[k(16, 0)] == 0
    assert majority[k(10, 0)] == 0 and minimum[k(10, 0)] == 0          # aligned break: both rules agree
    # break 12:07-12:22: present 7 of 15 minutes at 12:00 (absent), 8 of 15 at 12:15 (present)
    assert majority[k(12, 0)] == 0 and majority[k(12, 15)] == 1
    assert minimum[k(12, 0)] == 0 and minimum[k(12, 15)] == 0
    assert majority.sum() == 30 and minimum.sum() == 29


def test_night_shift_wraps_midnight() -> None:
    night = Shift("phone", 22 * 60, 480, (), 1).presence(60)
    assert list(np.flatnonzero(night)) == [0, 1, 2, 3, 4, 5, 22, 23]


def test_read_roster_example_and_counts(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "team,start,length_min,breaks,headcount\n"
                                     "# early team\n"
                                     "phone,08:00,240,120+15,3\n"
                                     "phone,10:00,240,,2\n"
                                     "chat,09:00,60,,1\n")
    roster = read_roster(path, teams=["phone", "chat"])
    agents = roster.agents_per_interval("phone", 60)
    assert list(agents[7:15]) == [0, 3, 3, 5, 5, 2, 2, 0]
    assert roster.teams == ["phone", "chat"]
    write_roster(roster, tmp_path / "again.csv")
    assert read_roster(tmp_path / "again.csv").shifts == roster.shifts
    example = read_roster(WORKFORCE / "roster.csv")
    assert set(example.teams) == {"phone", "chat", "social"}


@pytest.mark.parametrize("body, key, fragment", [
    ("team,start,headcount\nphone,08:00,2\n", "header", "missing column(s) length_min"),
    ("team,start,length_min,breaks,headcount\nphone,25:00,480,,2\n", "row 2 start", "00:00 and 23:59"),
    ("team,start,length_min,breaks,headcount\nphone,8h,480,,2\n", "row 2 start", "expected a time"),
    ("team,start,length_min,breaks,headcount\nphone,08:00,480,120-15,2\n", "row 2 breaks", "offset+length"),
    ("team,start,length_min,breaks,headcount\nphone,08:00,480,120+30;140+15,2\n", "row 2 breaks", "overlap"),
    ("team,start,length_min,breaks,headcount\nphone,08:00,240,230+15,2\n", "row 2 breaks", "ends after"),
    ("team,start,length_min,breaks,headcount\nphone,08:00,0,,2\n", "row 2 length_min", "between 1"),
    ("team,start,length_min,breaks,headcount\nphone,08:00,480,,-1\n", "row 2 headcount", "whole number"),
    ("team,start,length_min,breaks,headcount\nphone,08:00,480,,2\nfax,08:00,480,,2\n", "row 3 team", "unknown team 'fax'"),
    ("team,start,length_min,breaks,headcount\n", None, "has no shifts"),
])
def test_bad_roster_files_name_file_and_row(tmp_path: Path, body: str, key: str | None, fragment: str) -> None:
    path = _write(tmp_path, "bad.csv", body)
    with pytest.raises(InputError) as err:
        read_roster(path, teams=["phone", "chat"])
    assert err.value.source == str(path) and err.value.key == key
    assert fragment in str(err.value)


def test_bad_roster_gives_exit_2_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "bad.csv", "team,start,length_min,breaks,headcount\nphone,08:00,480,oops,2\n")
    code = cli(["evaluate", str(ROOT / "scenarios" / "erlang-c.yaml"), "--roster", str(path), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and f"{path}: row 2 breaks:" in err and "Traceback" not in err
    assert cli(["evaluate", str(ROOT / "scenarios" / "erlang-c.yaml"), "--roster", str(tmp_path / "missing.csv")]) == 2


# ---------------------------------------------------------------------------
# Shift types and requirements files


def test_shift_types_example_file() -> None:
    types = read_shift_types(WORKFORCE / "shifts.yaml")
    full = next(t for t in types if t.name == "full8")
    assert len(full.starts_min) == 48 and full.length_min == 480 and len(full.breaks) == 3
    evening = next(t for t in types if t.name == "evening6")
    assert evening.for_team("chat") and not evening.for_team("phone") and evening.max_count == 10


@pytest.mark.parametrize("text, key, fragment", [
    ("shifts:\n  - {name: a, starts: ['08:00'], length_min: 480, colour: red}\n", "shifts[0].colour", "unknown key"),
    ("shifts:\n  - {name: a, starts: ['08:00']}\n", "shifts[0].length_min", "required"),
    ("shifts:\n  - {name: a, starts: ['8am'], length_min: 480}\n", "shifts[0].starts[0]", "expected a time"),
    ("shifts:\n  - {name: a, starts: {from: '08:00', to: '10:00'}, length_min: 60}\n", "shifts[0].starts.every_min", "required"),
    ("shifts:\n  - {name: a, starts: ['08:00'], length_min: 60, cost: -1}\n", "shifts[0].cost", ">= 0"),
    ("shifts:\n  - {name: a, starts: ['08:00'], length_min: 60, breaks: '50+30'}\n", "shifts[0].breaks", "ends after"),
    ("shifts: []\n", "shifts", "non-empty list"),
    ("shift: []\n", "shift", "unknown key"),
])
def test_bad_shift_files_name_the_key(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    path = _write(tmp_path, "s.yaml", text)
    with pytest.raises(InputError) as err:
        read_shift_types(path)
    assert err.value.source == str(path) and err.value.key == key and fragment in str(err.value)


def test_requirements_from_staffing_csv_or_plain(tmp_path: Path) -> None:
    staffing = _write(tmp_path, "staffing.csv", "interval,interval_start,channel,erlang_c_agents,simulated_agents\n"
                                                "0,00:00,phone,5,4\n1,01:00,phone,6,5\n")
    req = read_requirements(staffing, 60, channels=["phone"])
    assert list(req.agents["phone"][:3]) == [4, 5, 0]
    plain = _write(tmp_path, "req.csv", "interval,channel,agents\n08:00,chat,3\nd2 08:00,chat,5\n")
    assert read_requirements(plain, 30).agents["chat"][16] == 5      # days fold onto one, largest wins
    for body, key in [("interval,channel,agents\n08:10,chat,3\n", "row 2 interval"),
                      ("interval,channel,agents\n08:00,fax,3\n", "row 2 channel"),
                      ("interval,channel,agents\n08:00,chat,x\n", "row 2 agents"),
                      ("when,channel,agents\n08:00,chat,3\n", "header")]:
        with pytest.raises(InputError) as err:
            read_requirements(_write(tmp_path, "bad.csv", body), 30, channels=["chat"])
        assert err.value.key == key and "bad.csv" in str(err.value)


# ---------------------------------------------------------------------------
# The integer program


def _brute_force(types: list[ShiftType], required: np.ndarray, team: str, limit: int) -> float:
    columns = [t.shift(team, s).presence(60) for t in types for s in t.starts_min]
    costs = [t.cost for t in types for _ in t.starts_min]
    counts = np.array(list(itertools.product(range(limit + 1), repeat=len(columns))))
    cover = counts @ np.array(columns)
    feasible = (cover >= required).all(axis=1)
    return float((counts[feasible] @ np.array(costs)).min())


@pytest.mark.parametrize("pattern", [
    {8: 2, 9: 3, 10: 3, 11: 1, 12: 2, 13: 3},
    {8: 1, 9: 1, 10: 4, 11: 4, 12: 1, 13: 1},
    {9: 2, 10: 2, 11: 2, 12: 2, 13: 2, 14: 2},
])
def test_schedule_is_optimal_on_tiny_instances(pattern: dict[int, int]) -> None:
    required = np.zeros(24, dtype=int)
    for hour, n in pattern.items():
        required[hour] = n
    types = [
        ShiftType("long", (8 * 60, 9 * 60, 10 * 60), 360, (Break(180, 60),), cost=5.0),
        ShiftType("short", (8 * 60, 10 * 60, 12 * 60), 120, (), cost=2.2),
        ShiftType("mid", (9 * 60, 11 * 60), 240, (), cost=3.5),
    ]
    plan = solve_schedule({"phone": required}, types, 60)
    cover = coverage({"phone": required}, schedule_roster(plan, types), 60)
    assert (cover["surplus"] >= 0).all()
    assert plan.attrs["total_cost"] == pytest.approx(_brute_force(types, required, "phone", 4))
    assert plan.attrs["optimal"]["phone"]


def test_schedule_covers_every_interval_with_the_example_shifts() -> None:
    rng = np.random.default_rng(3)
    types = read_shift_types(WORKFORCE / "shifts.yaml")
    needs = {"phone": rng.integers(1, 30, 96), "chat": np.r_[np.zeros(28, int), rng.integers(2, 20, 60), np.zeros(8, int)]}
    plan = solve_schedule(needs, types, 15)
    cover = coverage(needs, schedule_roster(plan, types), 15)
    assert (cover["scheduled"] >= cover["required"]).all()
    assert set(plan["team"]) == {"phone", "chat"}
    assert (plan.loc[plan["shift"] == "evening6", "team"] != "phone").all()   # teams restriction respected
    assert plan["cost"].sum() == pytest.approx(plan.attrs["total_cost"])


def test_uncoverable_requirement_names_the_shift_file() -> None:
    types = [ShiftType("day", (9 * 60,), 480, (), cost=8)]
    needs = {"phone": np.r_[np.zeros(3, int), [2], np.zeros(20, int)]}
    with pytest.raises(InputError) as err:
        solve_schedule(needs, types, 60, source="shifts.yaml")
    assert "shifts.yaml" in str(err.value) and "03:00" in str(err.value)
    capped = [ShiftType("day", (9 * 60,), 480, (), cost=8, max_count=1)]
    with pytest.raises(InputError, match="cannot cover"):
        solve_schedule({"phone": np.r_[np.zeros(10, int), [2], np.zeros(13, int)]}, capped, 60, source="shifts.yaml")


# ---------------------------------------------------------------------------
# Evaluation


def test_pooled_ratio_and_its_interval() -> None:
    ratio, low, high = pooled_ratio(np.array([80, 90, 70]), np.array([100, 100, 100]))
    assert ratio == pytest.approx(0.8) and low < 0.8 < high
    assert pooled_ratio(np.array([0, 0]), np.array([0, 0]))[0] != pooled_ratio(np.array([0, 0]), np.array([0, 0]))[0]  # NaN


def _small_day() -> sim.Scenario:
    return sim.scenario_from_dict({
        "seed": 2, "replications": 5,
        "horizon": {"hours": 24, "interval_minutes": 60},
        "arrivals": {"phone": {"rate_per_hour": 120, "profile": [0] * 8 + [0.5, 1, 1, 0.8, 0.7, 0.9, 1, 0.6] + [0] * 8}},
        "channels": {"phone": {"agents": 0, "aht": {"mean_s": 240}, "patience": {"mean_s": 180},
                               "sl_threshold_s": 20, "sl_target": 0.8}},
    })


def test_staff_then_schedule_meets_the_targets_after_repair() -> None:
    scenario = _small_day()
    table = required_agents(scenario, replications=5, seed=2)
    needs = Requirements(60, {"phone": table.sort_values("interval")["simulated_agents"].to_numpy()})
    types = [ShiftType("four", tuple(range(6 * 60, 14 * 60, 60)), 240, (), cost=4.0),
             ShiftType("eight", tuple(range(6 * 60, 10 * 60, 60)), 480, (Break(240, 60),), cost=7.5)]
    plan, roster, report = plan_roster(scenario, needs, types, replications=5, seed=2)
    cover = coverage(needs, roster, 60)
    assert (cover["scheduled"] >= cover["required"]).all()
    measured = report[report["simulated_offered"] > 0]
    assert measured["meets_target"].all(), measured[~measured["meets_target"]]
    assert report.attrs["repair_rounds_used"] <= 3


def test_schedule_and_evaluate_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _write(tmp_path, "s.yaml", (
        "seed: 2\nreplications: 3\nhorizon: {hours: 24, interval_minutes: 60}\n"
        "arrivals: {phone: {rate_per_hour: 60, profile: [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,0,0,0,0,0,0,0,0]}}\n"
        "channels: {phone: {agents: 0, aht: {mean_s: 240}, patience: {mean_s: 180}}}\n"))
    req = _write(tmp_path, "req.csv", "interval,channel,agents\n" + "".join(f"{h:02d}:00,phone,6\n" for h in range(8, 16)))
    shifts = _write(tmp_path, "shifts.yaml", "shifts:\n  - {name: day, starts: ['08:00', '12:00'], length_min: 240, cost: 4}\n")
    out = tmp_path / "out"
    assert cli(["schedule", str(scenario), "--requirements", str(req), "--shifts", str(shifts), "--repair", "0",
                "-q", "--out", str(out)]) == 0
    plan = pd.read_csv(out / "schedule.csv")
    assert list(plan["headcount"]) == [6, 6] and plan["cost"].sum() == 48
    for name in ("roster.csv", "coverage.csv", "coverage.png", "evaluation.csv", "service_level.png"):
        assert (out / name).exists(), name
    capsys.readouterr()
    assert cli(["evaluate", str(scenario), "--roster", str(out / "roster.csv"), "--target", "phone=80/20", "-q",
                "--out", str(tmp_path / "ev")]) == 0
    printed = capsys.readouterr().out
    assert "Per channel over the day" in printed
    evaluation = pd.read_csv(tmp_path / "ev" / "evaluation.csv")
    assert list(evaluation.loc[evaluation["interval"].between(8, 15), "agents"]) == [6] * 8
    assert evaluation.loc[evaluation["interval"] < 8, "agents"].eq(0).all()
    bad = _write(tmp_path, "bad.yaml", "shifts:\n  - {name: day, starts: ['08:00'], length_min: 240, cost: cheap}\n")
    assert cli(["schedule", str(scenario), "--requirements", str(req), "--shifts", str(bad)]) == 2
    assert "shifts[0].cost" in capsys.readouterr().err


def test_shifts_stay_inside_the_teams_opening_hours_when_they_can() -> None:
    from sim.spec.roster import shift_types_from_mapping
    from sim.studies.schedule import solve_schedule

    types = shift_types_from_mapping({"shifts": [
        {"name": "any8", "starts": {"from": "00:00", "to": "23:00", "every_min": 60}, "length_min": 480, "cost": 8.0},
        {"name": "half4", "starts": {"from": "00:00", "to": "23:00", "every_min": 60}, "length_min": 240, "cost": 4.4},
    ]}, "<shifts>")
    need = np.zeros(24, dtype=int)
    need[8:22] = 2  # chat open 08:00-22:00
    open_hours = np.zeros(24, dtype=bool)
    open_hours[8:22] = True
    plan = solve_schedule({"chat": need}, types, 60, open_intervals={"chat": open_hours})
    starts = plan["start"].str.slice(0, 2).astype(int)
    ends = starts + plan["length_min"] // 60
    assert (starts >= 8).all() and (ends <= 22).all()  # nobody on duty while chat is closed
    free = solve_schedule({"chat": need}, types, 60)
    assert free.attrs["total_cost"] <= plan.attrs["total_cost"]  # the restriction can only cost
