"""Invariants of the discrete-event engine: conservation, Little's law, FCFS, reproducibility."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.integrals import busy_integral, staffed_integral
from sim.analysis.metrics import channel_kpis
from sim.engine.records import ABANDONED, ANSWERED, WAITING, RunRecords

from .conftest import queue_scenario

ROOT = Path(__file__).resolve().parent.parent


def kpis_of(records):
    return channel_kpis(records.channels["phone"], records.warmup_s, records.horizon_s)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(10, 600),
    aht=st.floats(30, 600),
    agents=st.one_of(st.integers(0, 30), st.lists(st.integers(0, 30), min_size=1, max_size=6)),
    patience=st.one_of(st.none(), st.floats(5, 900)),
    drain=st.booleans(),
    hours=st.floats(0.5, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_contact_has_exactly_one_consistent_outcome(rate, aht, agents, patience, drain, hours, seed) -> None:
    scenario = queue_scenario(rate, aht, agents, patience, hours=hours, interval_minutes=15, drain=drain)
    records = sim.run(scenario, seed=seed)
    rec = records.channels["phone"]
    k = kpis_of(records)
    # conservation: offered = answered + abandoned + still in system
    assert k["offered"] == k["answered"] + k["abandoned"] + k["in_system_at_end"]
    assert np.isin(rec.outcome, [ANSWERED, ABANDONED, WAITING]).all()
    assert (rec.wait_s >= 0).all()
    if patience is None:
        assert not (rec.outcome == ABANDONED).any()
    abandoned = rec.outcome == ABANDONED
    answered = rec.outcome == ANSWERED
    # the same seed gives the same callers and the same waits
    assert np.array_equal(sim.run(scenario, seed=seed).channels["phone"].wait_s, rec.wait_s)
    # FCFS: among answered callers, service starts in arrival order
    starts = rec.arrival_s[answered] + rec.wait_s[answered]
    assert (np.diff(starts) >= -1e-9).all()
    # never more agents busy than were ever on duty (event sweep, ends before starts at ties)
    ends = starts + rec.service_s[answered]
    times = np.concatenate((starts, ends - 1e-7))
    steps = np.concatenate((np.ones(len(starts)), -np.ones(len(ends))))
    concurrency = np.cumsum(steps[np.argsort(times, kind="stable")])
    assert concurrency.max(initial=0) <= rec.staff_n.max()
    # with draining and agents at the end, nobody is left waiting
    if isinstance(agents, list):
        last_agents = agents[(len(records.channels) and int(math.ceil(hours * 4)) - 1) % len(agents)]
    else:
        last_agents = agents
    if drain and last_agents > 0:
        assert k["in_system_at_end"] == 0
    if abandoned.any():
        assert (rec.wait_s[abandoned] > 0).all()


@settings(max_examples=25, deadline=None)
@given(patience=st.floats(5, 600), agents=st.integers(1, 20), seed=st.integers(0, 2**32 - 1), drain=st.booleans())
def test_an_abandoned_caller_waited_exactly_their_patience_and_an_answered_one_no_longer(
    patience: float, agents: int, seed: int, drain: bool,
) -> None:
    from sim.spec.scenario import scenario_from_dict

    scenario = scenario_from_dict({  # every caller has the same patience, so each wait can be checked against it
        "horizon": {"hours": 2, "drain": drain},
        "arrivals": {"phone": {"rate_per_hour": 40.0 * agents}},  # overloaded: callers do abandon
        "channels": {"phone": {"agents": agents, "aht": {"mean_s": 120},
                               "patience": {"dist": "deterministic", "mean_s": patience}}},
    })
    rec = sim.run(scenario, seed=seed).channels["phone"]
    abandoned, answered = rec.outcome == ABANDONED, rec.outcome == ANSWERED
    assert abandoned.any()
    np.testing.assert_allclose(rec.wait_s[abandoned], patience, rtol=1e-9, atol=1e-6)
    assert (rec.wait_s[answered] <= patience + 1e-6).all()



def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    scenario = queue_scenario(300, 180, 16, 200, hours=3)
    a = sim.run(scenario, seed=5).channels["phone"]
    b = sim.run(scenario, seed=5).channels["phone"]
    c = sim.run(scenario, seed=6).channels["phone"]
    assert np.array_equal(a.arrival_s, b.arrival_s) and np.array_equal(a.wait_s, b.wait_s)
    assert not np.array_equal(a.arrival_s[:50], c.arrival_s[:50])


def test_replications_are_independent_streams() -> None:
    scenario = queue_scenario(300, 180, 16, 200, hours=3)
    a = sim.run(scenario, seed=5, replication=0).channels["phone"]
    b = sim.run(scenario, seed=5, replication=1).channels["phone"]
    assert not np.array_equal(a.arrival_s[:50], b.arrival_s[:50])


def test_common_random_numbers_across_staffing() -> None:
    """Runs that differ only in agents see the same customers."""
    few = sim.run(queue_scenario(300, 180, 14, 200, hours=3), seed=3).channels["phone"]
    many = sim.run(queue_scenario(300, 180, 18, 200, hours=3), seed=3).channels["phone"]
    assert np.array_equal(few.arrival_s, many.arrival_s) and np.array_equal(few.service_s, many.service_s)
    assert many.wait_s.mean() < few.wait_s.mean()


def test_results_do_not_depend_on_worker_count() -> None:
    scenario = queue_scenario(300, 180, 16, 200, hours=2)
    one = sim.simulate(scenario, replications=4, seed=9, workers=1)
    two = sim.simulate(scenario, replications=4, seed=9, workers=2)
    assert one.per_replication.equals(two.per_replication)
    assert one.intervals.equals(two.intervals)


def test_littles_law_for_queue_and_agents() -> None:
    """Time-average queue length (sampled state) = arrival rate x mean wait; same for busy agents."""
    scenario = queue_scenario(1000, 180, 50, 300, hours=60, warmup_hours=2)
    lq, lam_w, ls, lam_s = [], [], [], []
    for r in range(4):
        records = sim.run(scenario, seed=11, replication=r, snapshot_s=20.0)
        rec = records.channels["phone"]
        window = (rec.arrival_s >= records.warmup_s) & (rec.arrival_s < records.horizon_s)
        span_h = (records.horizon_s - records.warmup_s) / 3600
        snaps = rec.snap_t_s >= records.warmup_s
        lam = window.sum() / (records.horizon_s - records.warmup_s)
        lq.append(rec.snap_queue[snaps].mean())
        lam_w.append(lam * rec.wait_s[window].mean())
        answered = window & (rec.outcome == ANSWERED)
        ls.append(rec.snap_busy[snaps].mean())
        lam_s.append(answered.sum() / (span_h * 3600) * rec.service_s[answered].mean())
    assert np.mean(lq) == pytest.approx(np.mean(lam_w), rel=0.04)
    assert np.mean(ls) == pytest.approx(np.mean(lam_s), rel=0.01)


def test_staffing_follows_the_interval_plan() -> None:
    plan = [5, 10, 2, 0]
    scenario = queue_scenario(60, 300, plan, None, hours=4, interval_minutes=60, drain=False)
    rec = sim.run(scenario, seed=1).channels["phone"]
    edges = np.arange(5) * 3600.0
    staffed = np.diff(staffed_integral(rec.staff_t_s, rec.staff_n, edges)) / 3600
    # agents leaving finish their call first, so staffed time is at least the plan, close to it
    assert (staffed >= np.array(plan) - 1e-9).all()
    assert staffed == pytest.approx(plan, abs=0.5)
    assert staffed[:3] == pytest.approx(plan[:3], abs=0.2)
    assert rec.staff_n[-1] == 0, "everyone leaves once their last call ends"


def test_no_agents_means_nobody_answered() -> None:
    scenario = queue_scenario(120, 180, 0, 60, hours=1)
    k = kpis_of(sim.run(scenario, seed=2))
    assert k["answered"] == 0 and k["abandoned"] == k["offered"] > 0 and k["abandon_rate"] == 1.0
    assert math.isnan(k["occupancy"])


def test_busy_integral_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    start = rng.uniform(0, 100, 50)
    end = start + rng.uniform(0, 20, 50)
    at = np.array([0.0, 10.0, 55.5, 99.0, 130.0])
    brute = [np.clip(np.minimum(end, t) - start, 0, None).sum() for t in at]
    assert busy_integral(start, end, at) == pytest.approx(brute)


def test_staffed_integral_of_step_function() -> None:
    t = np.array([0.0, 0.0, 10.0, 10.0, 25.0])
    n = np.array([0, 3, 3, 5, 1])
    at = np.array([0.0, 5.0, 10.0, 20.0, 30.0])
    assert staffed_integral(t, n, at) == pytest.approx([0, 15, 30, 80, 30 + 5 * 15 + 1 * 5])


@settings(max_examples=15, deadline=None)
@given(
    rate=st.floats(20, 400),
    agents=st.integers(1, 20),
    patience=st.one_of(st.none(), st.floats(20, 600)),
    warmup=st.sampled_from([0.0, 0.5]),
    seed=st.integers(0, 2**32 - 1),
)
def test_interval_kpis_match_a_direct_count_of_each_interval(rate, agents, patience, warmup, seed) -> None:
    from sim.analysis.metrics import interval_kpis

    records = sim.run(queue_scenario(rate, 180.0, agents, patience, hours=3, interval_minutes=15), seed=seed)
    rec = records.channels["phone"]
    table = interval_kpis(rec, 900.0, warmup * 3600.0, records.horizon_s)
    for row in table.itertuples():
        start, end = max(row.interval_start_s, warmup * 3600.0), min(row.interval_start_s + 900.0, records.horizon_s)
        mine = (rec.arrival_s >= start) & (rec.arrival_s < end)
        outcome, wait, service = rec.outcome[mine], rec.wait_s[mine], rec.service_s[mine]
        answered = outcome == ANSWERED
        assert row.offered == mine.sum() and row.answered == answered.sum()
        assert row.abandoned == (outcome == ABANDONED).sum() and row.in_system_at_end == (outcome == WAITING).sum()
        if mine.any():
            assert row.service_level == pytest.approx((answered & (wait <= rec.sl_threshold_s)).mean())
            assert row.p_wait == pytest.approx((wait > 0).mean())
        else:
            assert math.isnan(row.service_level) and math.isnan(row.abandon_rate)
        if answered.any():
            assert row.asa_s == pytest.approx(wait[answered].mean()) and row.aht_s == pytest.approx(service[answered].mean())
        else:
            assert math.isnan(row.asa_s) and math.isnan(row.aht_s)
    assert table["offered"].sum() == ((rec.arrival_s >= warmup * 3600.0) & (rec.arrival_s < records.horizon_s)).sum()


def _records_equal(a: RunRecords, b: RunRecords) -> bool:
    """Whether two runs left the same per-contact records in every channel, bit for bit."""
    if a.channels.keys() != b.channels.keys() or a.end_s != b.end_s:
        return False
    fields = ("arrival_s", "wait_s", "service_s", "outcome", "staff_t_s", "staff_n", "snap_queue", "snap_busy")
    return all(
        np.array_equal(getattr(a.channels[c], f), getattr(b.channels[c], f)) for c in a.channels for f in fields
    )


@pytest.mark.parametrize(
    "spelled_out",
    [
        ["channels.phone.kind=phone"],
        ["channels.phone.kind=phone", "channels.phone.opening_hours=24/7", "channels.phone.fcr_multiplier=1.0"],
        ["channels.phone.agents=null", "teams={phone: {skills: [phone], agents: 50}}"],
    ],
    ids=["kind", "kind, hours and FCR", "a team instead of channel agents"],
)
def test_spelling_out_a_default_changes_nothing(spelled_out: list[str]) -> None:
    """One engine: the records of a scenario do not depend on which optional fields it spells out."""
    plain = sim.load_scenario(ROOT / "scenarios" / "erlang-a.yaml", ["horizon.hours=6"])
    explicit = sim.load_scenario(ROOT / "scenarios" / "erlang-a.yaml", ["horizon.hours=6", *spelled_out])
    assert _records_equal(sim.run(plain, seed=1), sim.run(explicit, seed=1))
    kpis = sim.simulate(plain, replications=2, seed=1).kpis
    kpis_explicit = sim.simulate(explicit, replications=2, seed=1).kpis
    phone = kpis[kpis["channel"] == "phone"].reset_index(drop=True)
    assert phone.equals(kpis_explicit[kpis_explicit["channel"] == "phone"].reset_index(drop=True))
