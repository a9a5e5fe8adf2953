"""The engine's public API: both event loops agree, and outside code can join a run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine.records import RunRecords
from sim.engine.simulation import Simulation

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
CHANNEL_FIELDS = ("arrival_s", "wait_s", "service_s", "outcome", "staff_t_s", "staff_n", "snap_t_s", "snap_queue", "snap_busy")
JOURNEY_FIELDS = ("contact_arrival_s", "contact_wait_s", "contact_service_s", "contact_outcome", "contact_channel",
                  "issue_state", "issue_resolution_s", "snap_coverage")


def assert_same_records(a: RunRecords, b: RunRecords) -> None:
    """Every per-contact, staffing and snapshot array the same, bit for bit."""
    assert a.end_s == b.end_s and a.channels.keys() == b.channels.keys()
    for name in a.channels:
        for field in CHANNEL_FIELDS:
            same = np.array_equal(getattr(a.channels[name], field), getattr(b.channels[name], field), equal_nan=True)
            assert same, (name, field)
    assert (a.journey is None) == (b.journey is None)
    if a.journey is not None and b.journey is not None:
        for field in JOURNEY_FIELDS:
            assert np.array_equal(getattr(a.journey, field), getattr(b.journey, field), equal_nan=True), field


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_simpy_environment_and_lean_loop_give_the_same_records(path: Path) -> None:
    scenario = sim.load_scenario(path, ["horizon.hours=12"] if "erlang" in path.stem else [])
    assert_same_records(sim.run(scenario, seed=3), Simulation(scenario, seed=3, use_simpy=True).run())


def test_a_listener_sees_every_answered_and_abandoned_call() -> None:
    scenario = sim.load_scenario(ROOT / "scenarios" / "erlang-a.yaml", ["horizon.hours=8"])
    simulation = Simulation(scenario, seed=2)
    seen = {"contact_completed": 0, "contact_abandoned": 0}
    simulation.on("contact_completed", lambda work: seen.__setitem__("contact_completed", seen["contact_completed"] + 1))
    simulation.on("contact_abandoned", lambda work: seen.__setitem__("contact_abandoned", seen["contact_abandoned"] + 1))
    records = simulation.run()
    phone = records.channels["phone"]
    finished = phone.wait_s + phone.service_s <= records.end_s
    assert seen["contact_abandoned"] == int((phone.outcome == 1).sum())
    assert seen["contact_completed"] == int(((phone.outcome == 0) & finished).sum())
    assert_same_records(records, sim.run(scenario, seed=2))  # listening changes nothing


def test_unknown_event_is_refused() -> None:
    simulation = Simulation(sim.load_scenario(ROOT / "scenarios" / "phone-day.yaml"), seed=1)
    with pytest.raises(ValueError, match="unknown event"):
        simulation.on("contact_teleported", print)


def _example(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_outage_raises_waits_in_that_hour_only() -> None:
    outage = _example("outage")
    path = ROOT / "scenarios" / "erlang-a.yaml"
    normal, broken = outage.mean_wait_by_hour(path, False), outage.mean_wait_by_hour(path, True)
    hour = int(outage.OUTAGE_START_H)
    assert broken[hour] > normal[hour] + 120.0  # an hour without agents: minutes of waiting
    assert all(broken[h] == normal[h] for h in normal if h < hour - 1)  # nothing changes before it


def test_example_routing_policy_changes_who_is_served_first() -> None:
    example = _example("longest_idle_routing")
    policy = example.EscalationsFirst()
    scenario = sim.load_scenario(example.SCENARIO)
    default = sim.run(scenario, seed=1)
    with_policy = Simulation(scenario, seed=1, routing=policy).run()
    assert policy.choices > 0  # escalated contacts were picked ahead of the default rule
    assert not np.array_equal(default.channels["phone"].wait_s, with_policy.channels["phone"].wait_s)


def test_example_callback_behaviour_appears_in_the_kpis() -> None:
    example = _example("callback")
    policy = example.VirtualHold()
    without, with_offer = example.kpis(None), example.kpis(policy)
    assert policy.accepted > 20  # the phone queue got long enough to offer call-backs
    assert without.loc["callback", "offered"] == 0
    assert with_offer.loc["callback", "offered"] > 20  # the new contact kind is counted like any channel
    assert with_offer.loc["callback", "abandon_rate"] == 0  # customers waiting for a call-back do not hang up
    assert with_offer.loc["phone", "abandoned"] < without.loc["phone", "abandoned"]
