"""Customer classes with priorities: the engine against the non-preemptive priority M/M/c formula."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.analysis.erlang_c import erlang_c_metrics
from sim.analysis.priority import priority_waits_s


def test_formula_reduces_to_erlang_c_and_orders_the_classes() -> None:
    one = priority_waits_s([600], 240, 46)[0]
    assert one == pytest.approx(erlang_c_metrics(600, 240, 46, 20).asa_s, rel=1e-9)
    high, low = priority_waits_s([200, 400], 240, 46)
    assert high < one < low
    assert (200 * high + 400 * low) / 600 == pytest.approx(erlang_c_metrics(600, 240, 46, 20).asa_s, rel=1e-9)
    assert priority_waits_s([500, 600], 240, 46)[1] == float("inf")


def _two_classes(hours: float = 25.0) -> sim.Scenario:
    exp = {"dist": "exponential", "mean_s": 240}
    return sim.scenario_from_dict({
        "horizon": {"hours": hours, "warmup_hours": 1, "interval_minutes": 60},
        "arrivals": {"gold": {"rate_per_hour": 200}, "standard": {"rate_per_hour": 400}},
        "channels": {"gold": {"kind": "phone", "aht": exp}, "standard": {"kind": "phone", "aht": exp}},
        "teams": {"agents": {"skills": ["gold", "standard"], "agents": 42}},  # gold first: non-preemptive priority
    })


def test_the_engine_serves_classes_by_priority_as_the_formula_says() -> None:
    scenario = _two_classes()
    expected = priority_waits_s([200, 400], 240, 42)
    means: dict[str, list[float]] = {"gold": [], "standard": []}
    for r in range(12):
        records = sim.run(scenario, seed=8, replication=r)
        for name in means:
            rec = records.channels[name]
            window = (rec.arrival_s >= 3600) & (rec.arrival_s < 25 * 3600) & (rec.outcome == 0)
            means[name].append(float(rec.wait_s[window].mean()))
    for (name, values), want in zip(means.items(), expected):
        mean, half = np.mean(values), 2.8 * np.std(values, ddof=1) / np.sqrt(len(values))  # 99 % (t, 11 df)
        assert abs(mean - want) < half + 0.03 * want, (name, mean, half, want)
    assert np.mean(means["gold"]) < np.mean(means["standard"]) / 3
