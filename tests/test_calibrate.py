"""Calibration and replay validation on the shipped Anonymous Bank log; error handling."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli.main import main
from sim.io.calllog import CLEAN_COLUMNS, CallLogError, load_mapping, read_call_log
from sim.studies.calibrate import CalibrationOptions, calibrate
from sim.studies.call_log_tables import DutyRule, agents_on_duty
from sim.studies.replay import validate, validation_json

DATA = Path(__file__).resolve().parent / "data" / "anonymous_bank_1999_08_01-15_calls.csv"


@pytest.fixture(scope="module")
def bank_log():
    return read_call_log(DATA)


@pytest.fixture(scope="module")
def bank_calibration(bank_log):
    return calibrate(bank_log, CalibrationOptions(), name="bank")


def test_reader_reproduces_the_published_figures(bank_log):
    counts = bank_log["outcome"].value_counts()
    assert counts["served"] == 15888 and counts["abandoned"] == 5746 and counts["vru_hangup"] == 1835
    assert len(bank_log) == 23469  # phantom rows dropped
    asked = bank_log[bank_log["outcome"] != "vru_hangup"]
    assert abs(asked["wait_s"].mean() - 108.6) < 0.1
    assert abs((asked["outcome"] == "abandoned").mean() - 0.2656) < 1e-3
    # Israeli week: 1 August was a Sunday; Fridays short, Saturdays near closed
    days = bank_log.groupby("date")["day_type"].first()
    assert days["2010-08-01"] == "weekday" and days["2010-08-06"] == "short" and days["2010-08-07"] == "weekend"
    assert (bank_log["arrival_s"] >= 0).all() and (bank_log["service_s"].dropna() >= 0).all()


def test_calibration_of_the_bank(bank_calibration):
    cal = bank_calibration
    scenario = sim.scenario_from_dict(cal.scenario)
    assert scenario.horizon.hours == 168
    assert len(cal.scenario["arrivals"]["phone"]["profile"]) == 336
    assert len(cal.scenario["channels"]["phone"]["agents"]) == 336
    assert max(cal.scenario["arrivals"]["phone"]["profile"]) == 1.0
    # Saturday (last 48 values) is closed until the evening
    assert sum(cal.scenario["arrivals"]["phone"]["profile"][-48:-6]) == 0
    pat = cal.report["patience"]["fits"]["exponential"]
    assert abs(1 / pat["mean_s"] - 0.00245) < 5e-5  # abandonments / total queue time
    assert pat["mean_s_ci95"][0] < pat["mean_s"] < pat["mean_s_ci95"][1]
    assert cal.report["patience"]["fits"]["weibull"]["params"]["shape"] < 0.9  # decreasing hazard
    service = cal.report["service"]
    assert service["chosen"]["family"] == "lognormal"
    assert abs(service["mean_s"] - 187.9) < 0.5 and 0.05 < service["short_share"] < 0.07
    assert service["fits"]["lognormal/long"]["ks"] < service["fits"]["gamma/long"]["ks"]
    assert cal.report["arrivals"]["weekday"]["days"] == 11
    assert cal.report["arrivals"]["weekday"]["dispersion_index"] > 1
    assert 3 < cal.report["staffing"]["weekday"]["mean_agents_open_hours"] < 8


def test_handling_time_follows_the_time_of_day(bank_log, bank_calibration):
    """The log's services are longer at the morning peak than in the evening; the scenario keeps that per interval."""
    aht = bank_calibration.scenario["arrivals"]["phone"]["aht_s"]
    assert len(aht) == 336
    monday = aht[48:96]
    assert min(monday[19:23]) > max(monday[40:46])  # 09:30-11:30 against 20:00-23:00
    served = bank_log[(bank_log["outcome"] == "served") & bank_log["service_s"].notna()]
    peak = served[(served["arrival_s"] >= 9.5 * 3600) & (served["arrival_s"] < 11.5 * 3600)]["service_s"].mean()
    assert abs(sum(monday[19:23]) / 4 - peak) < 15  # many calls per interval: little shrinkage
    flat = calibrate(bank_log, CalibrationOptions(aht_by_interval=False))
    assert "aht_s" not in flat.scenario["arrivals"]["phone"]


def _hand_log(calls: list[tuple[float, float, float, float, str]]) -> pd.DataFrame:
    """A one-day clean log from (arrival_s, wait_s, service_start_s, service_s, agent) of served calls."""
    rows = [{"date": "2024-01-07", "day": 0, "weekday": 0, "day_type": "weekday", "arrival_s": a, "outcome": "served",
             "wait_s": w, "service_start_s": s, "service_s": d, "agent": agent, "call_type": "all", "priority": 0}
            for a, w, s, d, agent in calls]
    return pd.DataFrame(rows)[list(CLEAN_COLUMNS)]


# Agent A serves 0-100 and 400-500; a caller waits 150-350 and is served by B 350-800.
# Agent A's gap 100-400: free while nobody waited (100-160, with the 10 s routing tolerance,
# and 350-400), away while the caller waited (a free agent would have taken the call).
HAND = [(0, 0, 0, 100, "A"), (400, 0, 400, 100, "A"), (150, 200, 350, 450, "B")]


def test_queue_duty_rule_counts_idle_time_only_while_nobody_waits():
    duty, busy = agents_on_duty(_hand_log(HAND), 600.0, DutyRule())
    assert duty.iloc[0, 0] == pytest.approx((100 + 60 + 50 + 100 + 250) / 600)
    assert duty.iloc[0, 1] == pytest.approx(200 / 600)
    assert busy.iloc[0, 0] == pytest.approx((100 + 100 + 250) / 600)
    # a longer gap than max_gap_s is a break: only the services count
    apart = _hand_log([(0, 0, 0, 100, "A"), (2100, 0, 2100, 100, "A")])
    duty, _ = agents_on_duty(apart, 600.0, DutyRule(max_gap_s=1800))
    assert duty.to_numpy().sum() * 600 == pytest.approx(200)
    duty, _ = agents_on_duty(apart, 600.0, DutyRule(max_gap_s=2400))
    assert duty.to_numpy().sum() * 600 == pytest.approx(2200)


def test_gap_duty_rule_bridges_short_gaps_whatever_the_queue():
    log = _hand_log(HAND)
    duty, _ = agents_on_duty(log, 600.0, DutyRule(kind="gap", gap_s=300))  # A's gap is 300 s: not bridged
    assert duty.iloc[0, 0] == pytest.approx((200 + 250) / 600)
    duty, _ = agents_on_duty(log, 600.0, DutyRule(kind="gap", gap_s=301))
    assert duty.iloc[0, 0] == pytest.approx((500 + 250) / 600)
    with pytest.raises(ValueError, match="kind"):
        DutyRule(kind="shift")


def test_presence_duty_rule_spans_working_blocks_and_ignores_the_queue():
    log = _hand_log(HAND)
    # A works 0-100 and 400-500: one block 0-500 (gap 300 s < 15 min) whatever the caller waiting 150-350 did
    duty, busy = agents_on_duty(log, 600.0, DutyRule(kind="presence", break_s=900))
    assert duty.iloc[0, 0] == pytest.approx((500 + 250) / 600)
    assert duty.iloc[0, 1] == pytest.approx(200 / 600)
    duty, _ = agents_on_duty(log, 600.0, DutyRule(kind="presence", break_s=300))  # the gap is a break
    assert duty.iloc[0, 0] == pytest.approx((200 + 250) / 600)
    quiet = _hand_log([(0, 0, 0, 100, "A"), (400, 0, 400, 100, "A")])
    queued = _hand_log([(0, 0, 0, 100, "A"), (400, 0, 400, 100, "A"), (150, 300, 450, 100, "B")])
    a_quiet, _ = agents_on_duty(quiet, 600.0, DutyRule(kind="presence"))
    a_queued, _ = agents_on_duty(queued, 600.0, DutyRule(kind="presence"))
    assert a_queued.iloc[0, 0] - a_quiet.iloc[0, 0] == pytest.approx(100 / 600)  # only B's own service is added
    assert DutyRule(kind="presence", break_s=600).to_dict() == {"kind": "presence", "break_s": 600}
    with pytest.raises(ValueError, match="break_s"):
        DutyRule(kind="presence", break_s=0)


def test_replay_validation_is_close_to_the_log(bank_log, bank_calibration):
    scenario = sim.scenario_from_dict(bank_calibration.scenario)
    result = validate(bank_log, scenario, replications=5, seed=1)
    payload = validation_json(result)
    assert len(payload["daily"]) == 15
    summary = result.summary["daily"]
    ab, wait = summary["abandon_rate"]["simulation"], summary["mean_wait_s"]["simulation"]
    # Full 15-day run with 20 replications: MAE 2.6 pp (bias -1.0), relative wait error 9 %
    assert ab["mae"] < 0.03 and abs(ab["bias"]) < 0.02
    assert wait["mean_abs_relative_error"] < 0.15 and abs(wait["bias"]) < 10
    assert abs(summary["abandon_rate"]["erlang_a"]["mae"] - ab["mae"]) < 0.02  # same inputs, similar answer
    offered = {row["date"]: row["offered"] for row in payload["daily"]}
    assert offered["2010-08-01"] == 2239
    for row in payload["daily"]:
        assert 0 <= row["simulated_abandon_rate"] <= 1 and row["erlang_a_mean_wait_s"] >= 0


def test_cli_calibrate_then_run_and_validate(tmp_path):
    out = tmp_path / "bank.yaml"
    assert main(["calibrate", str(DATA), "--out", str(out), "--report", str(tmp_path / "rep"),
                 "--note", "Data: test credit line"]) == 0
    text = out.read_text()
    assert text.startswith("# Generated by `ccsim calibrate`") and "# Data: test credit line" in text
    assert {p.name for p in (tmp_path / "rep").iterdir()} >= {"summary.json", "summary.md", "service_fit.png",
                                                             "patience_km.png", "patience_hazard.png", "arrivals.png"}
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert summary["patience"]["fits"]["exponential"]["mean_s_ci95"][1] > summary["patience"]["fits"]["exponential"]["mean_s"]
    assert main(["run", str(out), "-r", "2", "-q", "--set", "horizon.hours=24"]) == 0
    val = tmp_path / "val"
    assert main(["validate", str(DATA), "--scenario", str(out), "--days", "2010-08-06", "-r", "3", "-q",
                 "--out", str(val)]) == 0
    data = json.loads((val / "validation.json").read_text())
    assert [row["date"] for row in data["daily"]] == ["2010-08-06"]
    assert {"observed_abandon_rate", "simulated_abandon_rate", "erlang_a_abandon_rate", "observed_mean_wait_s",
            "simulated_mean_wait_s", "erlang_a_mean_wait_s", "offered"} <= set(data["daily"][0])
    assert "per_interval" in data["summary"] and (val / "validation_abandon_rate.png").exists()


def test_shipped_scenario_runs_and_credits_the_data():
    path = Path(__file__).resolve().parents[1] / "scenarios" / "anonymous-bank.yaml"
    text = path.read_text()
    assert "Technion SEE Center / Service Engineering (Mandelbaum), 1999; see Brown et al. (2005)" in text
    scenario = sim.load_scenario(path, ["horizon.hours=24"])
    assert scenario.channels["phone"].patience is not None


def test_generic_mapping(tmp_path):
    csv = tmp_path / "calls.csv"
    csv.write_text(
        "day,t_in,t_q,t_qx,t_ans,t_end,res,who,skill\n"
        "2024-03-03,9:00:00,9:00:05,9:01:05,9:01:05,9:04:05,ANS,ann,sales\n"
        "2024-03-03,9:02:00,9:02:03,9:03:03,-,-,ABN,-,sales\n"
        "2024-03-03,9:05:00,-,-,-,-,ABN,-,sales\n"
        "2024-03-03,23:59:00,23:59:10,0:00:30,0:00:30,0:02:30,ANS,bob,care\n"
        "2024-03-03,10:00:00,-,-,-,-,TEST,-,care\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("date: day\narrival: t_in\nqueue_entry: t_q\nqueue_exit: t_qx\nservice_start: t_ans\n"
                       "service_end: t_end\noutcome: res\nagent: who\ncall_type: skill\n"
                       "outcome_values: {served: [ANS], abandoned: [ABN], ignore: [TEST]}\n"
                       "missing_times: ['-', '']\nno_agent_values: ['-']\n")
    log = read_call_log(csv, str(mapping))
    assert log["outcome"].tolist() == ["served", "abandoned", "vru_hangup", "served"]
    assert log["wait_s"].tolist() == [60.0, 60.0, 0.0, 80.0]  # the last one crosses midnight
    assert log["service_s"].iloc[3] == 120.0 and log["agent"].iloc[3] == "bob"
    assert log["weekday"].iloc[0] == 0  # 3 March 2024 was a Sunday


def test_missing_file_is_an_input_error(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(CallLogError, match="nope.csv: file not found"):
        read_call_log(missing)
    assert main(["calibrate", str(missing), "--out", str(tmp_path / "x.yaml")]) == 2


def test_missing_column_is_an_input_error(tmp_path, capsys):
    bad = tmp_path / "short.csv"
    lines = DATA.read_text().splitlines()[:50]
    header = lines[0].split(",")
    drop = header.index("q_start")
    bad.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines))
    with pytest.raises(CallLogError) as info:
        read_call_log(bad)
    assert info.value.key == "q_start" and "short.csv" in str(info.value)
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "x.yaml")]) == 2
    assert "q_start" in capsys.readouterr().err


@pytest.mark.parametrize("content, key", [
    ("date: day\narrival: a\n", "queue_entry"),
    ("date: day\narival: a\n", "arival"),
    ("[1, 2", None),
])
def test_bad_mapping_is_an_input_error(tmp_path, capsys, content, key):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(content)
    with pytest.raises(CallLogError) as info:
        load_mapping(mapping)
    assert info.value.key == key and "map.yaml" in str(info.value)
    assert main(["validate", str(DATA), "--columns", str(mapping), "--scenario",
                 str(Path(__file__).resolve().parents[1] / "scenarios" / "anonymous-bank.yaml"),
                 "--out", str(tmp_path / "v")]) == 2
    assert "map.yaml" in capsys.readouterr().err


def test_calibrate_writes_weibull_patience_or_the_best_fitting_family(tmp_path: Path) -> None:
    from sim.cli.main import main as cli

    out = tmp_path / "bank.yaml"
    assert cli(["calibrate", str(DATA), "--patience", "weibull", "--out", str(out)]) == 0
    scenario = sim.load_scenario(out)
    patience = scenario.channels["phone"].patience
    assert patience is not None and patience.dist == "weibull" and 0.5 < patience.shape < 1.0  # the impatient leave early
    records = sim.run(scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"hours": 24.0})}), seed=1)
    assert (records.channels["phone"].outcome == 1).sum() > 0
    cal = calibrate(read_call_log(DATA), CalibrationOptions(patience="auto"))
    fits = cal.report["patience"]["fits"]
    best = min(fits, key=lambda family: fits[family]["aic"])
    assert cal.scenario["channels"]["phone"]["patience"]["dist"] == best
