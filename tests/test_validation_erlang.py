"""The engine against queueing theory: Erlang C (M/M/c) and Erlang A (M/M/c+M).

For each case the analytic value must lie inside the simulated 99 %
confidence interval over independent replications, for every KPI that the
formulas give. Cases span small, medium and large centers, loads up to
0.98 without abandonment and above 1.0 with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import sim
from sim.analysis.erlang_a import erlang_a_metrics
from sim.analysis.erlang_c import erlang_c_metrics

from .conftest import queue_scenario

AHT_S = 180.0


@dataclass(frozen=True)
class Case:
    """One validation queue and the simulation effort it needs."""

    name: str
    agents: int
    load: float
    patience_s: float | None
    hours: float
    replications: int = 20

    @property
    def rate_per_hour(self) -> float:
        return self.load * self.agents * 3600.0 / AHT_S


CASES = [
    Case("small M/M/3 load 0.7", 3, 0.7, None, hours=400),
    Case("medium M/M/50 load 0.9", 50, 0.9, None, hours=40),
    Case("large M/M/200 load 0.98", 200, 0.98, None, hours=30),
    Case("small M/M/5+M load 1.2", 5, 1.2, 120.0, hours=200),
    Case("medium M/M/50+M load 1.05", 50, 1.05, 300.0, hours=40),
    Case("large M/M/500+M load 1.1", 500, 1.1, 180.0, hours=6),
    Case("medium M/M/30+M load 0.8", 30, 0.8, 600.0, hours=60),
]


def analytic(case: Case, threshold_s: float) -> dict[str, float]:
    if case.patience_s is None:
        c = erlang_c_metrics(case.rate_per_hour, AHT_S, case.agents, threshold_s)
        return {"p_wait": c.p_wait, "asa_s": c.asa_s, "service_level": c.service_level, "occupancy": c.occupancy,
                "abandon_rate": 0.0}
    a = erlang_a_metrics(case.rate_per_hour, AHT_S, case.agents, case.patience_s, threshold_s)
    return {"p_wait": a.p_wait, "asa_s": a.asa_s, "service_level": a.service_level, "occupancy": a.occupancy,
            "abandon_rate": a.p_abandon, "mean_wait_s": a.mean_wait_s}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_simulation_agrees_with_erlang(case: Case) -> None:
    scenario = queue_scenario(case.rate_per_hour, AHT_S, case.agents, case.patience_s,
                              hours=case.hours, warmup_hours=case.hours / 10, interval_minutes=60)
    result = sim.simulate(scenario, replications=case.replications, seed=2024, workers=2)
    table = result.summary(0.99).set_index("kpi")
    misses = []
    for kpi, expected in analytic(case, scenario.channels["phone"].sl_threshold_s).items():
        row = table.loc[kpi]
        low, high = row["ci99_low"], row["ci99_high"]
        if kpi == "abandon_rate" and case.patience_s is None:
            assert row["mean"] == 0.0
            continue
        if not low <= expected <= high:
            misses.append(f"{kpi}: analytic {expected:.5g} outside simulated 99 % CI [{low:.5g}, {high:.5g}]")
    assert not misses, "; ".join(misses)


def test_no_caller_is_lost_and_the_drain_finishes_those_left_waiting() -> None:
    """Callers of the window are neither lost nor counted twice, whether the run drains or stops at the horizon.

    The two runs share their random numbers, so up to the horizon they are the
    same run: draining must settle exactly the callers the undrained run leaves
    in the system, each as answered or abandoned, and add no caller.
    """
    runs = {}
    for drain in (True, False):
        scenario = queue_scenario(1100, AHT_S, 50, 200.0, hours=5, warmup_hours=0.5, drain=drain)
        result = sim.simulate(scenario, replications=5, seed=1)
        runs[drain] = result.per_replication.pivot(index="replication", columns="kpi", values="value")
    drained, stopped = runs[True], runs[False]
    assert (stopped["in_system_at_end"] > 0).any(), "without draining some callers are still waiting at the end"
    assert (drained["in_system_at_end"] == 0).all()
    assert (drained["offered"] == stopped["offered"]).all()
    settled = drained["answered"] + drained["abandoned"]
    assert (settled == drained["offered"]).all()
    assert (settled == stopped["answered"] + stopped["abandoned"] + stopped["in_system_at_end"]).all()
    # offered counts the Poisson arrivals of the 4.5-hour window: 1100/h on average, within 4 standard deviations
    expected = 5 * 1100 * 4.5
    assert abs(drained["offered"].sum() - expected) < 4 * expected ** 0.5
