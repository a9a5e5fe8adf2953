"""The planner's forecast: volume and handling time per interval become arrival streams and the horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli.main import main as cli
from sim.errors import InputError
from sim.io.forecast import apply_forecast
from sim.studies.planning_grid import channel_aht_s, channel_rates
from sim.studies.staffing import analytic_agents
from tests.conftest import ROOT, queue_scenario

EXAMPLE = ROOT / "experiments" / "workforce" / "forecast.csv"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "forecast.csv"
    path.write_text("interval_start,channel,volume,aht_s\n" + body, encoding="utf-8")
    return path


def test_the_example_forecast_sets_rates_handling_times_and_two_days() -> None:
    day = sim.load_scenario(ROOT / "scenarios" / "three-channel-day.yaml")
    scenario = apply_forecast(day, EXAMPLE)
    assert scenario.horizon.hours == 48
    phone = channel_rates(scenario, "phone")
    assert len(phone) == 192
    np.testing.assert_allclose(phone[:96], channel_rates(day, "phone"), atol=0.21)  # day 1: the scenario's own day
    np.testing.assert_allclose(phone[96:], 0.85 * phone[:96], atol=0.41)  # day 2 is 15 % quieter
    aht = channel_aht_s(scenario, "phone")
    assert aht[4 * 9] == 345 and aht[4 * 20] == 270  # mornings longer, evenings shorter
    assert (channel_aht_s(scenario, "social") == 600).all()  # no aht_s given: the channel's own
    erlang = analytic_agents(scenario, ["phone=80/20"])
    morning = erlang[(erlang["channel"] == "phone") & (erlang["interval"] == 36)]
    assert float(morning["aht_s"].iloc[0]) == 345


def test_handling_time_per_interval_reaches_the_simulated_contacts(tmp_path: Path) -> None:
    base = queue_scenario(120, 200, 40, hours=2, interval_minutes=60)
    path = _write(tmp_path, "00:00,phone,120,200\n01:00,phone,120,600\n")
    scenario = apply_forecast(base, path)
    records = sim.run(scenario, seed=3)
    phone = records.channels["phone"]
    first, second = phone.service_s[phone.arrival_s < 3600], phone.service_s[phone.arrival_s >= 3600]
    assert len(first) > 80 and len(second) > 80
    assert first.mean() == pytest.approx(200, rel=0.25) and second.mean() == pytest.approx(600, rel=0.25)
    # the same contacts, only their handling times scaled: the first hour is the forecast-free run's
    plain = sim.run(apply_forecast(base, _write(tmp_path, "00:00,phone,120,\n01:00,phone,120,\n")), seed=3)
    assert np.array_equal(plain.channels["phone"].arrival_s, phone.arrival_s)
    np.testing.assert_allclose(plain.channels["phone"].service_s * np.where(phone.arrival_s >= 3600, 3.0, 1.0),
                               phone.service_s)


@pytest.mark.parametrize("body, key, fragment", [
    ("00:00,fax,10,\n", "row 2 channel", "unknown channel 'fax'"),
    ("00:10,phone,10,\n", "row 2 interval_start", "not the start of a 60-minute interval"),
    ("00:00,phone,-1,\n", "row 2 volume", "non-negative"),
    ("00:00,phone,5,0\n", "row 2 aht_s", "positive"),
    ("00:00,phone,5,\n00:00,phone,6,\n", "row 3 interval_start", "given twice"),
    ("", None, "no rows"),
])
def test_bad_forecasts_name_the_file_row_and_what_is_expected(tmp_path: Path, body: str, key: str | None,
                                                              fragment: str) -> None:
    with pytest.raises(InputError) as err:
        apply_forecast(queue_scenario(120, 200, 40, hours=2, interval_minutes=60), _write(tmp_path, body))
    assert err.value.key == key and fragment in str(err.value) and "forecast.csv" in str(err.value)


def test_a_channel_fed_by_the_journey_takes_no_forecast(tmp_path: Path) -> None:
    scenario = sim.load_scenario(ROOT / "scenarios" / "omnichannel-day.yaml")
    with pytest.raises(InputError) as err:
        apply_forecast(scenario, _write(tmp_path, "00:00,phone,10,\n"))
    assert "journey's issues" in str(err.value)


def test_run_staff_evaluate_and_schedule_take_a_forecast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "one.yaml"
    scenario.write_text("horizon: {hours: 2, interval_minutes: 60}\narrivals: {phone: {rate_per_hour: 1}}\n"
                        "channels: {phone: {agents: 5, aht: {mean_s: 180}}}\n", encoding="utf-8")
    forecast = _write(tmp_path, "00:00,phone,60,180\n01:00,phone,120,240\nd2 00:00,phone,30,\n")
    assert cli(["run", str(scenario), "--forecast", str(forecast), "-r", "2", "-q", "--json"]) == 0
    assert '"horizon_hours": 48' in capsys.readouterr().out.replace(" 48.0", " 48")
    out = tmp_path / "staff"
    assert cli(["staff", str(scenario), "--forecast", str(forecast), "--target", "phone=80/20", "-r", "2",
                "--max-replications", "4", "-q", "--out", str(out)]) == 0
    staffing = (out / "staffing.csv").read_text(encoding="utf-8")
    assert "d2 00:00" in staffing
    assert cli(["run", str(scenario), "--forecast", str(tmp_path / "missing.csv"), "-q"]) == 2


def test_calibrate_writes_the_logs_forecast_and_run_reads_it(tmp_path: Path) -> None:
    log = ROOT / "tests" / "data" / "anonymous_bank_1999_08_01-15_calls.csv"
    scenario, forecast = tmp_path / "bank.yaml", tmp_path / "forecast.csv"
    assert cli(["calibrate", str(log), "--interval", "60", "--out", str(scenario), "--forecast-out", str(forecast)]) == 0
    from sim.io.calllog import queue_calls, read_call_log

    calls = queue_calls(read_call_log(log))
    table = apply_forecast(sim.load_scenario(scenario), forecast)
    days = calls["date"].nunique()
    assert table.horizon.hours == 24 * days
    rates = channel_rates(table, "phone")
    assert rates.sum() == pytest.approx(len(calls))  # every call that asked for an agent, hour by hour
    first = calls[calls["date"] == sorted(calls["date"].unique())[0]]
    assert rates[10] == (first["arrival_s"] // 3600 == 10).sum()
    aht = channel_aht_s(table, "phone")
    assert 60 < float(np.median(aht[rates > 0])) < 600
