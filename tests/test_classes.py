"""Customer classes, credited priority and over-dispersed arrivals: engine and calibration on known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.erlang_c import erlang_c_metrics
from sim.analysis.estimators import gamma_level
from sim.analysis.priority import priority_waits_s
from sim.engine.demand import arrival_times, poisson_arrivals, rates_per_hour
from sim.spec.scenario import ArrivalLevel, ArrivalStream
from sim.studies.calibrate import CalibrationOptions, calibrate, scenario_yaml
from sim.studies.call_classes import assign_classes, class_labels, class_names, rule_of_classes, unrecorded_priority
from sim.studies.call_log_tables import log_from_records


def _interval_counts(times: np.ndarray, interval_s: float, n: int) -> np.ndarray:
    return np.bincount((times // interval_s).astype(int), minlength=n)[:n]


@pytest.mark.parametrize("per", ["day", "interval"])
def test_arrival_level_gives_the_variance_mean_ratio_it_states(per: str) -> None:
    days, per_day, cv, rate = 400, 24, 0.3, 20.0
    stream = ArrivalStream(rate_per_hour=rate, level=ArrivalLevel(cv=cv, per=per))
    times = arrival_times(stream, 3600.0, days * 86400.0, np.random.default_rng(3))
    counts = _interval_counts(times, 3600.0, days * per_day).reshape(days, per_day).astype(float)
    ratio = float(counts.var(axis=0, ddof=1).mean() / counts.mean())
    assert ratio == pytest.approx(1 + rate * cv**2, rel=0.1)  # 2.8; Poisson would give 1
    # a day level moves the intervals of a day together; interval levels do not
    corr = np.corrcoef(counts[:, 9], counts[:, 14])[0, 1]
    assert (corr > 0.5) if per == "day" else (abs(corr) < 0.15)
    fit = gamma_level([counts])
    assert fit.per == per and fit.cv == pytest.approx(cv, rel=0.15)


def test_no_level_draws_the_poisson_arrivals_as_before() -> None:
    stream = ArrivalStream(rate_per_hour=50.0, profile=[0.5, 1.0, 0.2])
    a = arrival_times(stream, 1800.0, 86400.0, np.random.default_rng(11))
    b = poisson_arrivals(rates_per_hour(stream, 48), 1800.0, 86400.0, np.random.default_rng(11))
    assert np.array_equal(a, b)
    assert gamma_level([np.random.default_rng(1).poisson(30.0, (200, 10))]).cv < 0.05


def test_engine_runs_over_dispersed_arrivals() -> None:
    scenario = sim.scenario_from_dict({
        "horizon": {"hours": 24 * 120, "interval_minutes": 60},
        "arrivals": {"phone": {"rate_per_hour": 30, "level": {"cv": 0.25, "per": "day"}}},
        "channels": {"phone": {"agents": 20, "aht": {"mean_s": 60}}},
    })
    arrival = sim.run(scenario, seed=2).channels["phone"].arrival_s
    counts = _interval_counts(arrival, 3600.0, 24 * 120).reshape(120, 24).astype(float)
    ratio = float(counts.var(axis=0, ddof=1).mean() / counts.mean())
    assert ratio == pytest.approx(1 + 30 * 0.25**2, rel=0.2)


def _classes(credit: dict[str, float] | None, hours: float = 25.0) -> sim.Scenario:
    exp = {"dist": "exponential", "mean_s": 240}
    channels = {name: {"kind": "phone", "aht": exp} for name in ("gold", "standard")}
    for name, c in (credit or {}).items():
        channels[name]["priority_credit_s"] = c
    return sim.scenario_from_dict({
        "horizon": {"hours": hours, "warmup_hours": 1, "interval_minutes": 60},
        "arrivals": {"gold": {"rate_per_hour": 200}, "standard": {"rate_per_hour": 400}},
        "channels": channels,
        "teams": {"agents": {"skills": ["standard", "gold"], "agents": 42}},  # skill order says standard first
    })


def _mean_waits(scenario: sim.Scenario, reps: int) -> dict[str, list[float]]:
    means: dict[str, list[float]] = {"gold": [], "standard": []}
    for r in range(reps):
        records = sim.run(scenario, seed=8, replication=r)
        for name in means:
            rec = records.channels[name]
            window = (rec.arrival_s >= 3600) & (rec.arrival_s < 25 * 3600) & (rec.outcome == 0)
            means[name].append(float(rec.wait_s[window].mean()))
    return means


def test_a_large_credit_is_non_preemptive_priority_as_cobham_says() -> None:
    means = _mean_waits(_classes({"gold": 1e9, "standard": 0.0}), 10)
    for (name, values), want in zip(means.items(), priority_waits_s([200, 400], 240, 42)):
        mean, half = np.mean(values), 3.25 * np.std(values, ddof=1) / np.sqrt(len(values))  # 99 % (t, 9 df)
        assert abs(mean - want) < half + 0.03 * want, (name, mean, half, want)


def test_equal_credits_are_first_come_first_served_across_classes() -> None:
    means = _mean_waits(_classes({"gold": 0.0}), 10)
    want = erlang_c_metrics(600, 240, 42, 20).asa_s
    for name, values in means.items():
        mean, half = np.mean(values), 3.25 * np.std(values, ddof=1) / np.sqrt(len(values))
        assert abs(mean - want) < half + 0.05 * want, (name, mean, want)
    gold, standard = np.mean(means["gold"]), np.mean(means["standard"])
    assert abs(gold - standard) < 0.15 * want


# Two classes with known parameters, served by one team; the log the engine writes is calibrated back.
TRUE = {"priority": {"rate": 120.0, "aht_mean": 300.0, "aht_cv": 0.8, "patience": 500.0},
        "regular": {"rate": 240.0, "aht_mean": 200.0, "aht_cv": 1.2, "patience": 250.0}}


@pytest.fixture(scope="module")
def class_log() -> pd.DataFrame:
    scenario = sim.scenario_from_dict({
        "horizon": {"hours": 24 * 6, "interval_minutes": 30},
        "arrivals": {name: {"rate_per_hour": t["rate"]} for name, t in TRUE.items()},
        "channels": {name: {"kind": "phone", "aht": {"dist": "lognormal", "mean_s": t["aht_mean"], "cv": t["aht_cv"]},
                            "patience": {"mean_s": t["patience"]}, "priority_credit_s": 90.0 if name == "priority" else 0.0}
                     for name, t in TRUE.items()},
        "teams": {"agents": {"skills": ["priority", "regular"], "agents": 20}},
    })
    records = sim.run(scenario, seed=5)
    parts = []
    for name in TRUE:
        part = log_from_records(records, name)
        part["priority"] = 2 if name == "priority" else 1
        part["call_type"] = "PS"
        parts.append(part)
    return pd.concat(parts, ignore_index=True).sort_values(["date", "arrival_s"], ignore_index=True)


def test_calibration_recovers_each_class_within_its_intervals(class_log: pd.DataFrame) -> None:
    cal = calibrate(class_log, CalibrationOptions(classes="priority", short_service_s=0.0, dispersion="none"))
    report = cal.report["classes"]["classes"]
    assert set(report) == set(TRUE)
    for name, t in TRUE.items():
        r = report[name]
        low, high = r["mean_rate_ci95"]
        assert low < t["rate"] < high, (name, r["mean_rate_ci95"])
        ln = r["service"]["fits"]["lognormal"]
        assert r["service"]["chosen"] == "lognormal"
        assert ln["mean_s_ci95"][0] < t["aht_mean"] < ln["mean_s_ci95"][1], (name, ln["mean_s_ci95"])
        assert abs(ln["cv"] - t["aht_cv"]) < 0.15 * t["aht_cv"]
        ex = r["patience"]["fits"]["exponential"]
        assert ex["mean_s_ci95"][0] < t["patience"] < ex["mean_s_ci95"][1], (name, ex["mean_s_ci95"])
    assert cal.scenario["teams"]["agents"]["skills"] == ["priority", "regular"]
    assert cal.scenario["channels"]["priority"]["priority_credit_s"] == 90.0
    assert cal.scenario["channels"]["regular"]["priority_credit_s"] == 0.0
    import yaml

    again = sim.scenario_from_dict(yaml.safe_load(scenario_yaml(cal.scenario, "test", 48)))
    assert again.channels["priority"].priority_credit_s == 90.0 and again.teams is not None


def test_class_labels_pool_small_classes_and_name_their_rule() -> None:
    calls = pd.DataFrame({"priority": [2, 2, 0, 1, 1, 0], "call_type": ["PS", "PS", "NW", "NW", "NE", "PS"]})
    assert class_names(calls, "priority", 1) == ["regular", "priority"]
    names = class_names(calls, "priority-type", 2)
    assert names == ["priority:PS", "regular:NW", "other"]
    assert list(assign_classes(calls, "priority-type", names)) == ["priority:PS", "priority:PS", "regular:NW",
                                                                   "regular:NW", "other", "other"]
    assert rule_of_classes(names) == "priority-type"
    assert rule_of_classes(["regular", "priority"]) == "priority"
    assert rule_of_classes(["PS", "NW", "other"]) == "type"
    assert rule_of_classes(["phone"]) == "none"


def test_calls_of_unrecorded_priority_take_the_class_mix_of_their_interval() -> None:
    """Calls served without waiting carry no priority in the Technion logs: imputed from their interval, not all regular."""
    rows = []
    for k, (pri, reg) in enumerate([(30, 10), (5, 35)]):  # interval 0 mostly priority, interval 1 mostly regular
        rows += [{"priority": 2, "wait_s": 20.0} for _ in range(pri)] + [{"priority": 1, "wait_s": 20.0} for _ in range(reg)]
        rows += [{"priority": 0, "wait_s": 0.0} for _ in range(400)]
        for r in rows[len(rows) - pri - reg - 400:]:
            r["arrival_s"] = k * 1800.0 + 60.0
    log = pd.DataFrame(rows).assign(date="2024-01-07", outcome="served", call_type="PS")
    unknown = unrecorded_priority(log)
    assert unknown.sum() == 800
    labels = class_labels(log, "priority", ["regular", "priority"], 1800.0)
    assert list(labels[~unknown]) == list(assign_classes(log[~unknown], "priority", ["regular", "priority"]))
    first = (log["arrival_s"] < 1800).to_numpy() & unknown
    assert abs((labels[first] == "priority").mean() - 0.75) < 0.07
    assert abs((labels[~first & unknown] == "priority").mean() - 0.125) < 0.05
    assert list(class_labels(log, "priority", ["regular", "priority"], 1800.0)) == list(labels)  # fixed by the date
    assert (class_labels(log, "type", ["PS"], 1800.0) == "PS").all()  # a rule without priority imputes nothing
