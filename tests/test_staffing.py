"""Interval staffing by simulation against Erlang C / Erlang A, and the staff and curve commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli.main import main as cli
from sim.errors import InputError
from sim.spec.roster import Roster, Shift
from sim.studies.planning_grid import with_agents, with_thresholds
from sim.studies.pooled_counts import run_interval_counts
from sim.studies.schedule import evaluate_roster
from sim.studies.staffing import required_agents
from sim.studies.staffing_curve import staffing_curve
from sim.studies.staffing_targets import ServiceTarget, parse_channel_fractions, parse_target
from tests.conftest import ROOT, queue_scenario

REQUIRED_COLUMNS = {"interval_start", "channel", "offered_per_hour", "erlang_c_agents", "erlang_a_agents",
                    "simulated_agents", "service_level", "abandon_rate", "required_fte"}


# ---------------------------------------------------------------------------
# Planning inputs


@pytest.mark.parametrize("text, channel, sl, threshold", [
    ("phone=80/20", "phone", 0.8, 20.0),
    ("chat = 80 / 60", "chat", 0.8, 60.0),
    ("social=90/1h", "social", 0.9, 3600.0),
    ("phone=0.85/15s", "phone", 0.85, 15.0),
    ("email=95%/2m", "email", 0.95, 120.0),
])
def test_parse_target_accepts_the_usual_forms(text: str, channel: str, sl: float, threshold: float) -> None:
    target = parse_target(text)
    assert (target.channel, target.sl_target, target.sl_threshold_s) == (channel, pytest.approx(sl), threshold)


@pytest.mark.parametrize("text", ["phone", "phone=80", "phone=80/", "=80/20", "phone=180/20", "phone=80/20x", "phone=a/b"])
def test_parse_target_rejects_bad_strings(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_target(text)
    assert "--target" in str(err.value) and "CHANNEL=PERCENT/SECONDS" in str(err.value) or "between 0 and 100" in str(err.value)


def test_fractions_per_channel_or_for_all() -> None:
    assert parse_channel_fractions(["0.3"], "--shrinkage") == {None: 0.3}
    assert parse_channel_fractions(["phone=5%", "chat=0.1"], "--max-abandon") == {"phone": 0.05, "chat": 0.1}
    for bad in (["phone=1.2"], ["phone=x"], ["=0.1"]):
        with pytest.raises(InputError):
            parse_channel_fractions(bad, "--shrinkage")


@pytest.mark.parametrize("argv, fragment", [
    (["--target", "phone:80/20"], "--target: phone:80/20"),
    (["--target", "fax=80/20"], "--target: fax: unknown channel"),
    (["--shrinkage", "1.5"], "--shrinkage"),
    (["--max-abandon", "phone=abc"], "--max-abandon"),
])
def test_staff_command_rejects_bad_options_with_exit_2(argv: list[str], fragment: str, scenarios_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = cli(["staff", str(scenarios_dir / "erlang-c.yaml"), "--out", str(tmp_path), "-q", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err and "Traceback" not in err


# ---------------------------------------------------------------------------
# The simulation side agrees with sim.analysis.metrics


def test_pooled_counts_match_the_metrics_definitions() -> None:
    scenario = queue_scenario(400, 180, [20, 16, 24], patience_s=120, hours=3, interval_minutes=60)
    scenario = with_thresholds(scenario, {"phone": ServiceTarget("phone", 0.8, 15.0)})
    counts = run_interval_counts(scenario, seed=3, replication=1)["phone"]
    frame = sim.simulate(scenario, replications=2, seed=3).intervals
    rep = frame[frame["replication"] == 1].sort_values("interval")
    np.testing.assert_allclose(counts[0], rep["offered"])
    np.testing.assert_allclose(counts[1] / counts[0], rep["service_level"])
    np.testing.assert_allclose(counts[3] / counts[0], rep["abandon_rate"])


# ---------------------------------------------------------------------------
# Simulated staffing against queueing theory


def _stationary(rate: float, patience_s: float | None, hours: int = 5) -> sim.Scenario:
    """Constant rate, 60-minute intervals, the first hour a warm-up (so every measured interval is steady)."""
    return queue_scenario(rate, 180, 1, patience_s=patience_s, hours=hours, warmup_hours=1, interval_minutes=60)


@pytest.mark.parametrize("rate_per_hour, expected", [(600, 35), (200, 14), (60, 5)])
def test_without_abandonment_stationary_simulation_finds_the_erlang_c_staffing(rate_per_hour: float, expected: int) -> None:
    scenario = _stationary(rate_per_hour, None, hours=2)
    table = required_agents(scenario, ["phone=80/20"], replications=8, seed=11, stationary=True, stationary_hours=8)
    measured = table[table["interval"] >= 1]
    assert REQUIRED_COLUMNS <= set(table.columns)
    erlang_c = int(measured["erlang_c_agents"].iloc[0])
    simulated = int(measured["simulated_agents"].iloc[0])
    assert erlang_c == expected
    assert abs(simulated - erlang_c) <= 1, (simulated, erlang_c)
    assert measured["meets_target"].all() and (measured["service_level"] >= 0.8).all()


def test_day_search_on_a_constant_rate_stays_at_erlang_c_give_or_take_carry_over() -> None:
    # Simulating the day lets a single hour dip below the steady-state answer when its
    # neighbours are staffed well: the queue needs ~40 minutes to build up at 33 agents.
    scenario = _stationary(600, None)
    table = required_agents(scenario, ["phone=80/20"], replications=8, seed=11)
    measured = table[table["interval"] >= 1]
    c = measured["erlang_c_agents"].to_numpy()
    s = measured["simulated_agents"].to_numpy()
    assert (c == 35).all()
    assert np.abs(s - c).max() <= 2 and abs(s.mean() - c.mean()) <= 1
    assert measured["meets_target"].all()
    assert table.attrs["search"]["converged"]


def test_with_abandonment_simulation_needs_fewer_than_erlang_c_and_about_erlang_a() -> None:
    # 30 Erlang, callers wait 2 minutes on average: abandonment relieves the queue
    scenario = _stationary(600, 120.0, hours=2)
    table = required_agents(scenario, ["phone=80/20"], replications=8, seed=11, stationary=True)
    measured = table[table["interval"] >= 1]
    c = measured["erlang_c_agents"].to_numpy()
    a = measured["erlang_a_agents"].to_numpy(dtype=int)
    s = measured["simulated_agents"].to_numpy()
    # the case, documented: Erlang C asks 35; Erlang A and the simulation 3-4 fewer
    assert (c == 35).all()
    assert (a <= c - 2).all()
    assert (s <= c).all() and (c - s).min() >= 2
    assert np.abs(s - a).max() <= 1
    assert measured["meets_target"].all()
    assert (measured["abandon_rate"] > 0.01).all()


def test_abandon_ceiling_raises_the_requirement() -> None:
    scenario = _stationary(600, 120.0, hours=3)
    loose = required_agents(scenario, ["phone=50/20"], replications=6, seed=5)
    strict = required_agents(scenario, ["phone=50/20"], max_abandon={"phone": 0.01}, replications=6, seed=5)
    m_loose, m_strict = loose[loose["interval"] >= 1], strict[strict["interval"] >= 1]
    assert (m_strict["simulated_agents"].to_numpy() > m_loose["simulated_agents"].to_numpy()).all()
    assert (m_strict["abandon_rate"] <= 0.01).all()


def test_zero_demand_intervals_shrinkage_and_fte() -> None:
    scenario = sim.scenario_from_dict({
        "horizon": {"hours": 4, "interval_minutes": 60},
        "arrivals": {"phone": {"rate_per_hour": 200, "profile": [0, 1, 1, 0]}},
        "channels": {"phone": {"agents": 1, "aht": {"mean_s": 180}}},
    })
    table = required_agents(scenario, ["phone=80/20"], shrinkage=0.25, replications=4, seed=2, min_agents=0)
    closed = table[table["offered_per_hour"] == 0]
    assert list(closed["simulated_agents"]) == [0, 0]
    assert list(closed["erlang_c_agents"]) == [0, 0]
    np.testing.assert_allclose(table["required_fte"], table["simulated_agents"] / 0.75, atol=1e-3)
    assert (table.loc[table["offered_per_hour"] > 0, "simulated_agents"] >= 1).all()
    with_min = required_agents(scenario, ["phone=80/20"], replications=4, seed=2, min_agents=2)
    assert list(with_min.loc[with_min["offered_per_hour"] == 0, "simulated_agents"]) == [2, 2]


def test_a_roster_built_from_the_staffing_meets_the_targets() -> None:
    scenario = sim.scenario_from_dict({
        "seed": 4,
        "horizon": {"hours": 6, "interval_minutes": 60},
        "arrivals": {"phone": {"rate_per_hour": 300, "profile": [0.5, 1.0, 0.8, 1.2, 0.6, 0.3]}},
        "channels": {"phone": {"agents": 1, "aht": {"dist": "lognormal", "mean_s": 240, "cv": 0.8},
                               "patience": {"mean_s": 180}}},
    })
    table = required_agents(scenario, ["phone=80/20"], replications=6, seed=4)
    shifts = [Shift("phone", int(row.interval) * 60, 60, (), int(row.simulated_agents)) for row in table.itertuples()]
    # judged on random numbers neither the search nor its confirmation used
    report = evaluate_roster(scenario, Roster(shifts), ["phone=80/20"], replications=40, seed=77)
    assert list(report["agents"]) == list(table["simulated_agents"])
    assert (table["sl_low"] >= 0.8).all() and table["decided"].sum() >= 4  # shown to meet, N - 1 shown to miss
    # a requirement may sit just above the target: 40 other replications land within their noise of it
    assert (report["service_level"] >= 0.8 - 0.025).all() and report["service_level"].mean() >= 0.8
    # and one agent fewer in the busiest interval breaks it there
    busiest = int(table["offered_per_hour"].idxmax())
    fewer = table["simulated_agents"].to_numpy().copy()
    fewer[busiest] -= 1
    short = evaluate_roster(with_agents(scenario, {"phone": fewer}), Roster([Shift("phone", 0, 1, (), 0)]),
                            ["phone=80/20"], replications=6, seed=4)
    assert not short.loc[short["interval"] == busiest, "meets_target"].iloc[0] or \
        short.loc[short["interval"] == busiest, "service_level"].iloc[0] < table["service_level"].iloc[busiest]


# ---------------------------------------------------------------------------
# Curve


def test_staffing_curve_tracks_erlang_c_without_abandonment() -> None:
    scenario = queue_scenario(600, 180, 30, hours=4)
    curve = staffing_curve(scenario, "phone", "01:00", [33, 34, 35, 37], "phone=80/20", replications=6, seed=3, hours=8)
    assert list(curve["agents"]) == [33, 34, 35, 37]
    assert (np.diff(curve["service_level"]) > 0).all()
    assert (np.diff(curve["asa_s"]) < 0).all()
    np.testing.assert_allclose(curve["service_level"], curve["erlang_c_service_level"], atol=0.05)
    assert (curve["service_level_ci95_low"] <= curve["service_level"]).all()
    assert "erlang_a_service_level" not in curve


# ---------------------------------------------------------------------------
# Commands


def test_staff_command_writes_table_and_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "horizon: {hours: 2, interval_minutes: 60}\n"
        "arrivals: {phone: {rate_per_hour: 120}, chat: {rate_per_hour: 60}}\n"
        "channels:\n"
        "  phone: {agents: 1, aht: {mean_s: 180}, patience: {mean_s: 200}}\n"
        "  chat: {agents: 1, aht: {mean_s: 400}}\n", encoding="utf-8")
    out = tmp_path / "out"
    code = cli(["staff", str(path), "--target", "phone=80/20", "--target", "chat=80/60", "--shrinkage", "phone=0.3",
                "-r", "3", "-q", "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out / "staffing.csv")
    assert REQUIRED_COLUMNS <= set(table.columns)
    assert len(table) == 4 and set(table["channel"]) == {"phone", "chat"}
    assert table.loc[table["channel"] == "chat", "erlang_a_agents"].isna().all()
    phone = table[table["channel"] == "phone"]
    np.testing.assert_allclose(phone["required_fte"], phone["simulated_agents"] / 0.7, atol=1e-3)
    assert (out / "staffing.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "Erl C" in printed and "sim" in printed
    assert max(len(line) for line in printed.splitlines()) <= 80  # fits an 80-column terminal (also when piped)


def test_curve_command(tmp_path: Path, scenarios_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli(["curve", str(scenarios_dir / "erlang-a.yaml"), "--channel", "phone", "--interval", "03:00",
                "--agents", "46:52:3", "-r", "3", "--hours", "2", "-q", "--out", str(tmp_path)])
    assert code == 0
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert list(curve["agents"]) == [46, 49, 52]
    assert {"erlang_a_service_level", "erlang_a_abandon_rate", "service_level_ci95_high"} <= set(curve.columns)
    assert (tmp_path / "curve.png").exists()
    assert "fewest agents meeting the target" in capsys.readouterr().out
    assert cli(["curve", str(scenarios_dir / "erlang-a.yaml"), "--channel", "phone", "--interval", "7:99",
                "--out", str(tmp_path)]) == 2
    assert cli(["curve", str(scenarios_dir / "erlang-a.yaml"), "--channel", "phone", "--interval", "01:00",
                "--agents", "9:3", "--out", str(tmp_path)]) == 2


# ---------------------------------------------------------------------------
# Requirements with a stated guarantee


def _steady_day(patience_s: float | None) -> sim.Scenario:
    """600 calls/h, AHT 240 s, 24 measured hours of 60-minute intervals after a 1-hour warm-up."""
    return queue_scenario(600, 240, 46, patience_s=patience_s, hours=25, warmup_hours=1, interval_minutes=60)


def test_stationary_erlang_c_day_requires_erlang_cs_46_in_every_interval() -> None:
    # Erlang C: 44 agents give 69 % in 20 s, 45 give 78 %, 46 give 84 %
    table = required_agents(_steady_day(None), ["phone=80/20"], replications=10, seed=1, max_confirm_replications=320,
                            workers=2)
    measured = table[table["interval"] >= 1]
    assert (measured["erlang_c_agents"] == 46).all()
    assert (measured["simulated_agents"] == 46).all(), measured["simulated_agents"].value_counts().to_dict()
    assert (measured["sl_low"] >= 0.8).all()  # shown to meet, on the confirmation's numbers
    assert (measured["sl_fewer_low"] < 0.8).all()  # one agent fewer is never shown to meet
    search = table.attrs["search"]
    assert search["confirm_seed"] != search["seed"] and search["confirm_replications"] >= 20
    # the bounds respect what is possible and hold the estimate
    assert ((0 <= measured["sl_low"]) & (measured["sl_low"] <= measured["service_level"])
            & (measured["service_level"] <= measured["sl_high"]) & (measured["sl_high"] <= 1)).all()


def test_stationary_erlang_a_day_is_within_one_agent_of_erlang_a() -> None:
    table = required_agents(_steady_day(300.0), ["phone=80/20"], replications=10, seed=1, workers=2)
    measured = table[table["interval"] >= 1]
    erlang_a = measured["erlang_a_agents"].to_numpy(dtype=int)
    assert (np.abs(measured["simulated_agents"].to_numpy() - erlang_a) <= 1).all()


def test_requirement_is_refused_where_no_staffing_can_meet_it() -> None:
    path = ROOT / "scenarios" / "omnichannel-day.yaml"
    night = sim.load_scenario(path, ["horizon.hours=6"])  # chat opens at 08:00
    with pytest.raises(InputError) as err:
        required_agents(night, ["chat=80/60"], replications=2)
    assert "closed in every interval" in str(err.value)
    with pytest.raises(InputError) as err:
        required_agents(sim.load_scenario(path), ["social=95/3600"], replications=2)
    assert "answers only 90 %" in str(err.value)


def test_staffing_a_team_scenario_gives_every_busy_interval_agents_and_converges() -> None:
    scenario = sim.load_scenario(ROOT / "scenarios" / "omnichannel-day.yaml",
                                 ["horizon.hours=14", "journey.issues.rate_per_hour=250"])
    table = required_agents(scenario, ["phone=80/20", "chat=80/60"], replications=5, seed=3, workers=2,
                            max_confirm_replications=40)
    assert table.attrs["search"]["converged"]
    assert set(table["team"]) == {"voice", "digital"}
    for channel, team in (("phone", "voice"), ("chat", "digital")):
        rows = table[table["channel"] == channel]
        assert (rows["team"] == team).all()
        busy = rows["simulated_offered"] > 0
        assert busy.sum() >= 6 and (rows.loc[busy, "simulated_agents"] > 0).all()
        assert rows["meets_target"].all()  # every interval shown to meet on the confirmation's numbers
    # the team's requirement is the same on each of its rows
    digital = table[table["team"] == "digital"].pivot(index="interval", columns="channel", values="simulated_agents")
    assert (digital.nunique(axis=1) == 1).all()


def test_planning_figures_label_clock_time() -> None:
    from sim.report.staffing_plots import clock_label

    assert clock_label(8.5, False) == "08:30" and clock_label(0, False) == "00:00"
    assert clock_label(32.0, True) == "d2 08:00" and clock_label(167.75, True) == "d7 23:45"


def test_curve_of_a_team_channel_varies_that_teams_agents_in_its_day() -> None:
    scenario = sim.load_scenario(ROOT / "scenarios" / "omnichannel-day.yaml")
    curve = staffing_curve(scenario, "phone", "10:00", [26, 30, 36], "phone=80/20", replications=6, seed=2)
    assert curve.attrs["mode"] == "day" and curve.attrs["team"] == "voice"
    assert list(curve["agents"]) == [26, 30, 36]
    assert (np.diff(curve["service_level"]) > 0).all()  # more of the team's agents, better service in that interval
    assert ((curve["service_level_ci95_low"] <= curve["service_level"])
            & (curve["service_level"] <= curve["service_level_ci95_high"])).all()
    # the same customers; thinner staffing brings a few more retries into the interval
    offered = curve["offered_per_hour"]
    assert offered.min() > 100 and offered.max() / offered.min() < 1.05
