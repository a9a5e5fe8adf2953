"""Out-of-sample validation: day specs, calibration on the calibration days only, the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.io.calllog import read_call_log
from sim.studies.calibrate import CalibrationOptions
from sim.studies.call_log_tables import DutyRule, interval_counts
from sim.studies.out_of_sample import (
    available_share,
    duty_sensitivity,
    headline,
    parse_day_spec,
    resolve_days,
    validate_out_of_sample,
)

DATA = Path(__file__).resolve().parent / "data" / "anonymous_bank_1999_08_01-15_calls.csv"


@pytest.fixture(scope="module")
def bank_log():
    return read_call_log(DATA)


@pytest.mark.parametrize(("spec", "days"), [("1-8", list(range(1, 9))), ("1,3,5", [1, 3, 5]), ("9-15", list(range(9, 16))),
                                            (" 2 , 4-6 ", [2, 4, 5, 6]), ("7", [7]), ("15-15", [15])])
def test_day_specs_read_ranges_and_lists(spec, days):
    assert parse_day_spec(spec, 15) == days


@pytest.mark.parametrize(("spec", "words"), [("", "not a list"), ("1,,3", "not a list"), ("x", "not a day number"),
                                             ("1-x", "not a day number"), ("1-2-3", "not a day number"),
                                             ("8-1", "backwards"), ("0-3", "day 0 is not in the log"),
                                             ("14-16", "day 16 is not in the log"), ("1-3,2", "day 2 is given twice"),
                                             ("-1", "not a day number")])
def test_bad_day_specs_say_what_is_wrong(spec, words):
    with pytest.raises(ValueError, match=words):
        parse_day_spec(spec, 15)


def test_days_resolve_to_dates_in_date_order(bank_log):
    assert resolve_days(bank_log, [1, 15]) == ["2010-08-01", "2010-08-15"]
    assert resolve_days(bank_log, ["2010-08-03"]) == ["2010-08-03"]
    with pytest.raises(ValueError, match="not in the log"):
        resolve_days(bank_log, [16])


def _weekday_rates(log: pd.DataFrame, dates: list[str]) -> np.ndarray:
    """Mean calls per hour per half hour over the Sun-Thu days among ``dates``, straight from the log."""
    weekdays = [d for d in dates if pd.Timestamp(d).weekday() in (6, 0, 1, 2, 3)]
    counts = interval_counts(log[log["date"].isin(weekdays)], 1800.0).loc[weekdays]
    return counts.to_numpy(dtype=float).mean(axis=0) * 2.0


def test_calibration_sees_only_the_calibration_days(bank_log):
    result = validate_out_of_sample(bank_log, range(1, 9), range(9, 16), replications=2, seed=3)
    cal_dates = [f"2010-08-{d:02d}" for d in range(1, 9)]
    test_dates = [f"2010-08-{d:02d}" for d in range(9, 16)]
    assert result.calibrate_dates == cal_dates and result.test_dates == test_dates
    assert result.calibration.report["calls"]["dates"] == cal_dates
    fitted = result.calibration.rates["weekday"].rate_per_hour
    np.testing.assert_allclose(fitted, _weekday_rates(bank_log, cal_dates))
    assert not np.allclose(fitted, _weekday_rates(bank_log, test_dates))
    assert list(result.in_sample.daily["date"]) == cal_dates and list(result.out_of_sample.daily["date"]) == test_dates
    assert list(result.daily["sample"]) == ["in"] * 8 + ["out"] * 7
    assert set(result.intervals["sample"]) == {"in", "out"}
    s = result.summary
    assert set(s["sample"]) == {"in", "out"} and set(s["level"]) == {"daily", "interval"}
    assert set(s["model"]) == {"simulation", "erlang_a"}
    out = headline(s).set_index("sample")
    assert out.loc["out", "days"] == 7 and 0 < out.loc["out", "sim_ab_mae"] < 10
    # The default test days are the ones the calibration days leave
    other = validate_out_of_sample(bank_log, [1, 2, 3, 4, 5, 6, 7, 8], None, replications=2, seed=3)
    assert other.test_dates == test_dates
    with pytest.raises(ValueError, match="overlap"):
        validate_out_of_sample(bank_log, range(1, 9), [8, 9], replications=2)


def test_test_days_can_come_from_another_log(bank_log):
    first = bank_log[bank_log["date"] <= "2010-08-07"]
    second = bank_log[bank_log["date"] > "2010-08-07"]
    result = validate_out_of_sample(first, None, [1, 2], replications=2, seed=1, test_log=second)
    assert result.calibrate_dates == [f"2010-08-0{d}" for d in range(1, 8)]
    assert result.test_dates == ["2010-08-08", "2010-08-09"]


def test_class_scenarios_replay_out_of_sample_and_the_duty_rule_is_reported(bank_log):
    options = CalibrationOptions(classes="priority", duty=DutyRule(kind="presence"))
    result = validate_out_of_sample(bank_log, [1, 2, 3], [4], replications=2, seed=1, options=options,
                                    scale_presence=True)
    assert set(result.calibration.scenario["channels"]) == {"priority", "regular"}
    share = result.out_of_sample.summary["available_share"]
    cal_log = bank_log[bank_log["date"].isin(result.calibrate_dates)]
    assert share == pytest.approx(available_share(cal_log, 1800.0, DutyRule(kind="presence")))
    assert 0.5 < share < 1.0  # present agents are not all available: the queue rule finds fewer
    daily = result.out_of_sample.daily
    assert int(daily["observed_offered"].sum()) == int(daily["simulated_offered"].round().sum()) or \
        abs(daily["simulated_offered"].sum() / daily["observed_offered"].sum() - 1) < 0.1
    rules = (("queue", DutyRule(), False), ("presence", DutyRule(kind="presence"), False))
    table = duty_sensitivity(bank_log, [1, 2], [3], replications=2, seed=1, rules=rules)
    assert list(table["rule"]) == ["queue", "queue", "presence", "presence"]
    occupancy = table.groupby("rule")["occupancy"].first()
    assert occupancy["presence"] < occupancy["queue"] <= 100  # presence counts more time on duty
    with pytest.raises(ValueError, match="presence"):
        validate_out_of_sample(bank_log, [1], [2], replications=2, scale_presence=True)


def test_cli_out_of_sample_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = tmp_path / "oos"
    assert main(["validate", str(DATA), "--calibrate-days", "1-8", "--test-days", "9-15", "-r", "3", "-q",
                 "--no-figures", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert max(len(line) for line in printed.splitlines()) <= 80
    assert "out of sample: daily abandonment MAE" in printed and "Erlang A" in printed
    assert {p.name for p in out.iterdir()} == {"out_of_sample.json", "summary.csv", "daily.csv", "intervals.csv",
                                               "scenario.yaml"}
    data = json.loads((out / "out_of_sample.json").read_text())
    assert data["calibrate_dates"][-1] == "2010-08-08" and data["test_dates"][0] == "2010-08-09"
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily["sample"]) == ["in"] * 8 + ["out"] * 7
    assert main(["run", str(out / "scenario.yaml"), "-r", "2", "-q", "--set", "horizon.hours=24"]) == 0


@pytest.mark.parametrize(("args", "words"), [
    (["--calibrate-days", "1-20"], "--calibrate-days: day 20 is not in the log"),
    (["--test-days", "5-2"], "--test-days: range '5-2' runs backwards"),
    (["--calibrate-days", "1-8", "--test-days", "8-15"], "overlap"),
    (["--calibrate-days", "1-8", "--scenario", "x.yaml"], "--scenario: is not used with"),
    (["--calibrate-days", "1-8", "--days", "2010-08-01"], "--days: is not used with"),
    ([], "--scenario: is required unless"),
])
def test_cli_bad_splits_are_one_line_and_exit_2(tmp_path, capsys, args, words):
    assert main(["validate", str(DATA), *args, "-r", "2", "-q", "--no-figures", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_a_replayed_day_keeps_the_handling_time_of_its_weekday(bank_log):
    from sim.spec.scenario import scenario_from_dict
    from sim.studies.calibrate import calibrate
    from sim.studies.replay import day_scenario

    cal = calibrate(bank_log[bank_log["date"].isin(sorted(bank_log["date"].unique())[:7])],
                    CalibrationOptions(classes="priority"))
    scenario = scenario_from_dict(cal.scenario)
    rates = {name: np.full(48, 10.0) for name in scenario.channels}
    friday = day_scenario(scenario, rates, [5] * 48, "a Friday", weekday=5)
    for name in scenario.channels:
        week = cal.scenario["arrivals"][name]["aht_s"]
        assert friday.arrivals[name].aht_s == pytest.approx(week[5 * 48:6 * 48])
