"""Each ROI arm runs the staffing it pays for: the rule fitted by simulation, the months staffed by it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.model import run
from sim.studies.roi_horizon import live_horizon, study_rule
from sim.studies.roi_month import measure_month, month_seed
from sim.studies.roi_staffing import StaffedMonth, scaled_staffing, unit_loads
from sim.studies.roi_study import prepare_study
from sim.studies.staffing_units import own_staffing, staffing_units, with_unit_agents

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "roi-mid-size.yaml")
SHORT = ["roi.months=4", "roi.simulate_every=3", "roi.noise_pairs=0"]


def _lived(overrides: list[str], replication: int = 0, seed: int = 8
           ) -> tuple[pd.DataFrame, dict[tuple[str, int, int], StaffedMonth]]:
    study = prepare_study(sim.load_scenario(SCENARIO, SHORT + overrides), SCENARIO)
    staffed: dict[tuple[str, int, int], StaffedMonth] = {}
    months, _ = live_horizon(study, seed, replication, staffed_months=staffed)
    return months, staffed


def _value(months: pd.DataFrame, month: int, arm: str, channel: str, kpi: str) -> float:
    row = months[(months["month"] == month) & (months["arm"] == arm) & (months["channel"] == channel)
                 & (months["kpi"] == kpi)]
    assert len(row) == 1, (month, arm, channel, kpi)
    return float(row["value"].iloc[0])


def test_a_month_resimulated_with_the_staffing_it_paid_for_gives_the_kpis_the_study_reports() -> None:
    from sim.studies.roi_days import day_types
    from sim.studies.roi_horizon import _type_seed, combine_days

    seed, replication = 8, 0
    months, staffed = _lived([], replication, seed)
    study = prepare_study(sim.load_scenario(SCENARIO, SHORT), SCENARIO)
    types = day_types(study.data, study.settings)
    assert [t.days for t in types] == [(0, 1, 2, 3, 4), (5, 6)]
    for arm in ("baseline", "programme"):
        for month in (1, 4):
            parts = []
            for i, day in enumerate(types):
                got = staffed[(arm, month, i)]
                # the staffed scenario carries the staffing as agents on duty per team and interval
                again = run(with_unit_agents(got.base, staffing_units(got.base), got.staffing),
                            seed=_type_seed(month_seed(seed, replication, 0), i), replication=0)
                parts.append((day.weight, measure_month(again, got.base, study.costs)))
                assert (got.need["voice"] == got.staffing["voice"]).all()  # to_target pays exactly what it needs
            measured = combine_days(parts)
            for channel in ("phone", "chat"):
                assert _value(months, month, arm, channel, "service_level") == pytest.approx(
                    measured[f"{channel}.service_level"], rel=1e-12)
                assert _value(months, month, arm, channel, "offered") == pytest.approx(
                    measured[f"{channel}.offered"] * sum(t.weight for t in types), rel=1e-12)
            # the agents' FTE priced are the agent-hours simulated (voice and digital; webcare are moderators),
            # shrinkage (0.3) added back, over the days each type stands for
            hours = sum(day.weight * float(staffed[(arm, month, i)].staffing[team].sum()) * 0.5
                        for i, day in enumerate(types) for team in ("voice", "digital"))
            paid = hours / (1 - 0.3) / study.costs.personnel.hours_per_fte_month
            assert _value(months, month, arm, "fte", "agents") == pytest.approx(paid, rel=1e-12)


def test_to_target_months_meet_the_call_and_chat_targets_a_few_points_above_them() -> None:
    levels: dict[str, list[float]] = {"phone": [], "chat": []}
    for replication in range(3):
        months, _ = _lived([], replication, seed=31)
        simulated = months[months["simulated"] & months["kpi"].eq("service_level")]
        for channel in levels:
            values = simulated[simulated["channel"] == channel]["value"].to_numpy()
            assert len(values) == 4  # months 1 and 4 of both arms (weekday and weekend combined)
            levels[channel] += list(values)
    for channel, target in (("phone", 0.8), ("chat", 0.8)):
        values = np.array(levels[channel])
        assert (values >= target - 1e-12).all(), (channel, values)
        assert values.mean() <= target + 0.12, (channel, values)  # not the 96-100 % of staffing nobody ran


def test_fixed_staffing_puts_the_agents_it_keeps_on_duty() -> None:
    months, staffed = _lived(["roi.staffing=fixed", "roi.adoption.start=1"])
    programme = staffed[("programme", 4, 0)]
    # the programme needs fewer voice agents than the baseline had; fixed keeps them, so they are on duty
    assert programme.staffing["voice"].sum() > programme.need["voice"].sum()
    paid = _value(months, 4, "programme", "fte", "agents")
    need = _value(months, 4, "programme", "fte", "required_agents")
    assert paid > need
    assert _value(months, 4, "programme", "phone", "service_level") > _value(
        _lived(["roi.adoption.start=1"])[0], 4, "programme", "phone", "service_level")


def test_scaled_staffing_keeps_whole_agents_and_the_paid_total() -> None:
    agents = np.array([0, 3, 10, 7, 1])
    for factor in (1.0, 1.07, 1.5, 2.3):
        out = scaled_staffing(agents, factor)
        assert out.dtype.kind == "i"
        assert (out >= agents).all()
        assert out.sum() == int(np.ceil(agents.sum() * factor - 1e-9))
        assert (out[agents == 0] == 0).all()


def test_chat_load_does_not_depend_on_how_lean_the_probe_was_staffed() -> None:
    """A chat's handling time stretches with the chats held; the load is taken at full concurrency either way."""
    study = prepare_study(sim.load_scenario(SCENARIO, SHORT), SCENARIO)
    from sim.studies.roi_arms import arm_scenario

    scenario = arm_scenario(study, study.data, "baseline", 1, None)
    units = staffing_units(scenario)
    base = own_staffing(scenario, units)
    loads = []
    for factor in (1.0, 3.0):
        staffed = with_unit_agents(scenario, units, {u: np.ceil(a * factor).astype(int) for u, a in base.items()})
        loads.append(unit_loads(run(staffed, seed=4, replication=0), scenario, units, 0.85)["digital"].sum())
    # three times the agents: chats are barely stretched, yet the load moves by little
    assert loads[1] == pytest.approx(loads[0], rel=0.12)


def test_the_rule_is_fitted_once_per_study_and_seed() -> None:
    study = prepare_study(sim.load_scenario(SCENARIO, SHORT), SCENARIO)
    first = study_rule(study, 3)
    assert study_rule(study, 3) is first
    assert set(first.beta) == {"voice", "digital", "webcare"}
    assert first.beta["webcare"] == 0.0  # deferrable work: sized by occupancy


def test_the_first_replications_are_lived_under_all_three_policies() -> None:
    from sim.studies.roi import roi_command

    scenario = sim.load_scenario(SCENARIO, SHORT + ["roi.compare_policies=1", "roi.adoption.start=1"])
    results = roi_command(scenario, 8, 0)["results"]
    got = dict(zip(results["kpi"], results["value"]))
    assert got["to_target.npv"] == got["npv"]  # the study's own policy: the same horizon, not lived again
    # headcount that never falls saves nothing on agents; shrinking by leavers saves part of what to_target does
    assert got["fixed.npv"] < got["attrition.npv"] < got["to_target.npv"]
    assert got["fixed.fte_saved_last_month"] < got["attrition.fte_saved_last_month"] <= got["to_target.fte_saved_last_month"]
    later = roi_command(scenario, 8, 1)["results"]
    assert not (later["channel"] == "policy").any()  # only the first roi.compare_policies replications


def test_day_types_cover_the_week_with_their_weights_and_follow_opening_days() -> None:
    from sim.studies.roi_days import day_types

    study = prepare_study(sim.load_scenario(SCENARIO, SHORT), SCENARIO)
    settings = study.settings
    assert settings.day_sampling == "day_types"
    types = day_types(study.data, settings)
    profile = study.data["journey"]["issues"]["day_profile"]
    assert sum(t.weight for t in types) == pytest.approx(settings.days_per_month)
    assert types[0].profile == pytest.approx(sum(profile[:5]) / 5) and types[1].profile == pytest.approx(sum(profile[5:]) / 2)
    closed_sunday = {**study.data, "channels": {**study.data["channels"],
                                                "chat": {**study.data["channels"]["chat"], "open_days": [0, 1, 2, 3, 4, 5]}}}
    split = day_types(closed_sunday, settings)
    assert [t.days for t in split] == [(0, 1, 2, 3, 4), (5,), (6,)]
    fixed = day_types(study.data, settings.model_copy(update={"day_sampling": "fixed"}))
    assert len(fixed) == 1 and fixed[0].weight == pytest.approx(
        settings.days_per_month * (sum(profile) / 7) / profile[settings.start_day])


def test_the_community_carries_what_it_gained_by_itself_into_the_next_months() -> None:
    """Members won by answered posts (and lost by unanswered ones) are carried day by day, beside adoption."""
    from sim.studies.roi_settings import Adoption

    grow = ["channels.forum.community.members_per_accepted=5", "roi.adoption.start=1"]
    months, staffed = _lived(grow)
    first = staffed[("programme", 1, 0)].base.channels["forum"].community
    later = staffed[("programme", 4, 0)].base.channels["forum"].community
    assert first is not None and later is not None
    run_end = staffed[("programme", 1, 0)].records.journey
    assert run_end is not None and run_end.members_end["forum"] > first.members  # the month's own posts grew it
    assert Adoption(start=1).level(4) == 1.0
    assert later.members > first.members + 50  # three months of that growth, carried


def test_a_team_waiting_for_its_hires_runs_short_and_its_service_shows_it() -> None:
    growing = ["roi.demand_growth_per_month=0.1", "costs.personnel.attrition_per_year=0.0"]
    months, staffed = _lived(growing + ["roi.hiring_lead_months=3"])
    now, staffed_now = _lived(growing)
    short, same = staffed[("baseline", 4, 0)], staffed_now[("baseline", 4, 0)]
    # month 4 needs a third more than month 1; the hires decided since join in months 5 and later
    assert short.staffing["voice"].sum() < 0.85 * short.need["voice"].sum()
    assert (same.staffing["voice"] == same.need["voice"]).all()
    assert "voice" in short.missing
    for channel in ("phone", "chat"):
        assert _value(months, 4, "baseline", channel, "service_level") < _value(now, 4, "baseline", channel,
                                                                              "service_level") - 0.1
    assert _value(months, 4, "baseline", "fte", "agents") < 0.85 * _value(now, 4, "baseline", "fte", "agents")
