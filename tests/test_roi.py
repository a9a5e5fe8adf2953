"""ROI study: cost lines and financial formulas by hand, arms on common random numbers, the CLI."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.costs import CostModel, MonthWorkload, amortisation, monthly_costs, npv, payback_month, roi
from sim.cli.main import main
from sim.errors import ScenarioError
from sim.spec.uncertainty import INPUTS_ADAPTER, PertInput, draw_inputs
from sim.studies.roi import roi_command
from sim.studies.roi_horizon import advance_knowledge, daily_gap_ratio, live_horizon
from sim.studies.roi_settings import Adoption
from sim.studies.roi_study import prepare_study
from sim.studies.roi_summary import quantiles, summarise_outcomes, uncertainty_split
from tests.conftest import SCENARIOS

SCENARIO = str(SCENARIOS / "roi-mid-size.yaml")  # absolute: the tests pass from any working directory
FAST = ["roi.months=3", "roi.simulate_every=1", "roi.noise_pairs=0", "journey.issues.rate_per_hour=120"]


def _outcomes(overrides: list[str], replication: int = 0, seed: int = 5) -> dict[str, float]:
    scenario = sim.load_scenario(SCENARIO, FAST + overrides)
    results = roi_command(scenario, seed, replication)["results"]
    rows = results[results["channel"] == "roi"]
    return dict(zip(rows["kpi"], rows["value"]))


# -- financial formulas, by hand ---------------------------------------------------------

def test_npv_discounts_each_month_at_the_annual_rate() -> None:
    by_hand = 100 / 1.12 ** (1 / 12) + 100 / 1.12 ** (2 / 12) - 50 / 1.12 ** (3 / 12)
    assert npv([100, 100, -50], 0.12) == pytest.approx(by_hand, rel=1e-12)
    assert npv([100, 200], 0.0) == pytest.approx(300.0)
    assert npv([0.0] * 11 + [1.0], 0.10) == pytest.approx(1 / 1.10)


def test_payback_is_the_first_month_cumulative_net_covers_costs() -> None:
    assert payback_month([-100, 30, 30, 50]) == 4
    assert payback_month([-100, 50, 50]) == 3
    assert payback_month([5, -10, 20]) == 1
    assert payback_month([-1, -1, -1]) is None
    assert payback_month([]) is None


def test_amortisation_is_straight_line_within_its_period() -> None:
    assert [amortisation(1200, 12, m) for m in (0, 1, 6, 12, 13)] == [0.0, 100.0, 100.0, 100.0, 0.0]
    with pytest.raises(ValueError):
        amortisation(1, 0, 1)


def test_roi_is_net_over_cost() -> None:
    assert roi(50.0, 100.0) == pytest.approx(0.5)
    assert roi(-100.0, 100.0) == pytest.approx(-1.0)
    assert math.isnan(roi(10.0, 0.0))


def test_monthly_cost_lines_by_hand() -> None:
    costs = CostModel.model_validate({
        "personnel": {"agent_annual_salary": 12000, "supervisor_annual_salary": 24000, "agents_per_supervisor": 10,
                      "fixed_fte": 2, "fixed_annual_salary": 36000, "benefits_share": 0.1, "payroll_tax_share": 0.15,
                      "hiring_cost_per_hire": 100, "training_cost_per_hire": 200},
        "technology": {"investment": 6000, "amortisation_months": 6, "months_already_amortised": 2, "support_per_month": 50},
        "facilities": {"cost_per_seat_per_month": 300, "seats_per_fte": 0.5},
        "telecom": {"cost_per_minute": 0.01, "fixed_per_month": 40},
        "other": {"per_month": 500, "share_of_personnel": 0.1},
        "self_service": {"cost_per_resolution": 0.15},
        "programme": {"setup_cost": 5000, "staff": {"community_managers_fte": 1, "annual_salary": 24000,
                                                    "moderator_annual_salary": 12000},
                      "technology": {"monitoring_tool_per_month": 70, "integration_investment": 2400,
                                     "integration_amortisation_months": 24}},
    })
    work = MonthWorkload(agent_fte=20, moderator_fte=2, hires=3, line_minutes=10000, self_resolved=1000, programme_active=True)
    lines = monthly_costs(costs, 1, work)
    loaded = 1.25 / 12  # benefits and taxes on top, per month
    assert lines["personnel_agents"] == pytest.approx(20 * 12000 * loaded)
    assert lines["personnel_supervisors"] == pytest.approx(2 * 24000 * loaded)
    assert lines["personnel_fixed"] == pytest.approx(2 * 36000 * loaded)
    assert lines["hiring_training"] == pytest.approx(900)
    assert lines["technology"] == pytest.approx(1000 + 50)  # month 1 is the third month of a 6-month write-off
    assert monthly_costs(costs, 5, work)["technology"] == pytest.approx(50)  # written off after month 4
    assert lines["facilities"] == pytest.approx(20 * 0.5 * 300)
    assert lines["telecom"] == pytest.approx(100 + 40)
    personnel = (20 * 12000 + 2 * 24000 + 2 * 36000) * loaded + 900
    assert lines["other"] == pytest.approx(500 + 0.1 * personnel)
    assert lines["self_service"] == pytest.approx(150)
    moderators = 2 * 12000 * loaded + 2 / 10 * 24000 * loaded + 1 * 24000 * loaded + 3 * 0.5 * 300
    assert lines["programme_staff"] == pytest.approx(moderators)
    assert lines["programme_technology"] == pytest.approx(70 + 100)
    assert lines["programme_setup"] == 5000
    assert monthly_costs(costs, 2, work)["programme_setup"] == 0
    baseline = monthly_costs(costs, 1, MonthWorkload(20, 0, 3, 10000, 1000, programme_active=False))
    assert all(baseline[k] == 0 for k in ("programme_staff", "programme_technology", "programme_setup"))


# -- building blocks ---------------------------------------------------------------------

def test_adoption_ramps_from_start_to_full() -> None:
    linear = Adoption(start=0.2, months_to_full=5)
    assert [linear.level(m) for m in (1, 3, 5, 9)] == pytest.approx([0.2, 0.6, 1.0, 1.0])
    s_curve = Adoption(start=0.0, months_to_full=11, shape="logistic")
    levels = [s_curve.level(m) for m in range(1, 12)]
    assert levels[0] == pytest.approx(0.0) and levels[-1] == pytest.approx(1.0)
    assert all(b >= a for a, b in zip(levels, levels[1:]))


def test_knowledge_gap_closes_geometrically_between_months() -> None:
    start = {"a": 0.5, "b": 0.9}
    out = advance_knowledge(start, daily_gap_ratio(start, {"a": 0.6, "b": 0.9}, 0.9, sample_days=1), 0.9, days=3)
    assert out["a"] == pytest.approx(0.9 - 0.4 * (0.3 / 0.4) ** 3)
    assert out["b"] == pytest.approx(0.9)


def test_pert_and_draws() -> None:
    pert = PertInput(dist="pert", low=10, mode=20, high=60)
    assert pert.frozen().mean() == pytest.approx((10 + 4 * 20 + 60) / 6)
    inputs = INPUTS_ADAPTER.validate_python({"a": [0, 1], "b": {"dist": "beta", "a": 2, "b": 3, "low": 5, "high": 7}})
    rng = np.random.default_rng(3)
    draws = [draw_inputs(inputs, rng) for _ in range(4000)]
    a = np.array([d["a"] for d in draws])
    b = np.array([d["b"] for d in draws])
    # [0, 1] is short for uniform: mean 1/2, variance 1/12; beta(2, 3) on [5, 7]: mean 5 + 2 * 2/5, sd 2 * 0.2
    assert a.mean() == pytest.approx(0.5, abs=0.015) and a.var() == pytest.approx(1 / 12, rel=0.06)
    assert b.mean() == pytest.approx(5.8, abs=0.015) and b.std() == pytest.approx(0.4, rel=0.05)
    assert a.min() >= 0 and a.max() <= 1 and b.min() >= 5 and b.max() <= 7
    assert draw_inputs(inputs, np.random.default_rng(3)) == draws[0]  # the same generator state, the same draw


def test_uncertainty_split_recovers_known_variances() -> None:
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 3.0, 4000)  # parameter effect, sd 3
    a, b = theta + rng.normal(0, 1.0, 4000), theta + rng.normal(0, 1.0, 4000)  # noise sd 1
    split = uncertainty_split(a, a[:2000], b[:2000])
    assert split["simulation_sd"] == pytest.approx(1.0, rel=0.08)
    assert split["parameter_sd"] == pytest.approx(3.0, rel=0.08)
    assert split["simulation_share_of_variance"] == pytest.approx(0.1, abs=0.02)


def test_quantiles_ignore_nan() -> None:
    assert quantiles(np.array([1.0, np.nan, 3.0]))["p50"] == pytest.approx(2.0)


# -- the two arms ------------------------------------------------------------------------

def test_programme_that_changes_nothing_but_costs_never_pays_back() -> None:
    out = _outcomes(["roi.programme_channels=[]", "uncertain={}", "costs.programme.setup_cost=10000"])
    assert out["roi"] < 0
    assert out["paid_back"] == 0 and out["payback_month"] == 4  # beyond the 3-month horizon
    # same customers, same agents: the arms differ by the programme's own costs only
    assert out["savings_total"] == pytest.approx(0.0, abs=1e-6)
    assert out["net_benefit_total"] == pytest.approx(-out["programme_cost_total"])


def test_free_programme_that_deflects_pays_back_in_month_one() -> None:
    out = _outcomes([
        "uncertain={}", "roi.programme_channels=[forum]", "teams.webcare.skills=[social]", "forum.placement=before_login",
        "roi.adoption.start=1", "costs.programme.setup_cost=0", "costs.programme.staff.community_managers_fte=0",
        "costs.programme.staff.analysts_fte=0", "costs.programme.staff.technical_support_fte=0",
        "costs.programme.technology={}",
    ])
    assert out["programme_cost_total"] == pytest.approx(0.0)
    assert out["deflected_contacts"] > 0
    assert out["payback_month"] == 1 and out["paid_back"] == 1


def test_common_random_numbers_make_the_difference_far_steadier_than_each_arm() -> None:
    """Same inputs, 16 simulation seeds: the paired difference varies far less than an unpaired one."""
    scenario = sim.load_scenario(SCENARIO, FAST + ["roi.months=1"])
    study = prepare_study(scenario, SCENARIO)
    base, prog = [], []
    for r in range(16):
        months, _ = live_horizon(study, seed=100, replication=r)
        totals = months[(months["channel"] == "cost") & (months["kpi"] == "total")]
        by_arm = dict(zip(totals["arm"], totals["value"]))
        base.append(by_arm["baseline"])
        prog.append(by_arm["programme"])
    base_a, prog_a = np.array(base), np.array(prog)
    paired = np.std(prog_a - base_a, ddof=1)
    # arms on independent random numbers: the difference's spread is that of both arms together
    # (estimated from all 16 runs of each, steadier than eight unpaired differences)
    unpaired = np.sqrt(np.var(base_a, ddof=1) + np.var(prog_a, ddof=1))
    # each arm is staffed by simulation (whole agents, shared raises), so the arms part a little more
    # than when an analytic formula priced them: 0.42 of the unpaired spread here (0.45 before)
    assert paired < 0.5 * unpaired


def test_bad_roi_settings_name_the_key() -> None:
    scenario = sim.load_scenario(SCENARIO, ["roi.staffing=sometimes"])
    with pytest.raises(ScenarioError) as err:
        prepare_study(scenario, SCENARIO)
    assert err.value.key == "roi.staffing" and "fixed" in err.value.expected
    data = yaml.safe_load(open(SCENARIO, encoding="utf-8"))
    data["uncertain"] = {"channels.phone.nothing_here": {"dist": "uniform", "low": 1, "high": 2}}
    with pytest.raises(ScenarioError) as err:
        prepare_study(sim.scenario_from_dict(data, SCENARIO), SCENARIO)
    assert err.value.key == "uncertain.channels.phone.nothing_here"
    data["uncertain"] = {"costs.programme.setup_cost": {"dist": "pert", "low": 9, "mode": 5, "high": 1}}
    with pytest.raises(ScenarioError) as err:
        prepare_study(sim.scenario_from_dict(data, SCENARIO), SCENARIO)
    assert err.value.key.startswith("uncertain.costs.programme.setup_cost")
    scenario = sim.load_scenario(SCENARIO, ["roi.programme_channels=[fax]"])
    with pytest.raises(ScenarioError) as err:
        prepare_study(scenario, SCENARIO)
    assert err.value.key == "roi.programme_channels.0"


# -- the command -------------------------------------------------------------------------

def _cli(tmp_path, name: str, workers: int, *extra: str) -> tuple[int, pd.DataFrame, dict]:
    out = tmp_path / name
    args = ["roi", SCENARIO, "--replications", "3", "--months", "2", "--seed", "9", "--out", str(out),
            "--workers", str(workers), "--quiet", "--set", "roi.simulate_every=1", "--set", "roi.noise_pairs=1",
            "--set", "journey.issues.rate_per_hour=120", *extra]
    code = main(args)
    return code, pd.read_parquet(out / "results.parquet"), json.loads((out / "summary.json").read_text())


def test_cli_writes_tables_summary_and_is_worker_independent(tmp_path, capsys) -> None:
    code, one, summary = _cli(tmp_path, "one", 1)
    assert code == 0
    from sim.report.roi_text import month_text

    payback_row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("payback "))
    cells = re.split(r"\s{2,}", payback_row.strip())  # table cells are at least two spaces apart
    assert cells[1:] == [month_text(summary["payback_month"][k]) for k in ("p5", "p50", "p95")]  # as the report reads them
    for key in ("roi", "npv", "payback_month"):
        assert set(summary[key]) == {"p5", "p50", "p95"}
    for key in ("p_never", "p_payback_12m", "p_payback_horizon", "deflected_contacts", "shifted_contacts",
                "replications", "months", "simulated_contacts"):
        assert key in summary
    assert summary["replications"] == 3 and summary["months"] == 2 and summary["simulated_contacts"] > 0
    assert {"replication", "month", "arm", "channel", "kpi", "value"} <= set(one.columns)
    assert set(one["arm"]) == {"baseline", "programme", "net"}
    assert sorted(one["replication"].unique()) == [0, 1, 2]
    code, two, summary_two = _cli(tmp_path, "two", 2)
    assert code == 0
    pd.testing.assert_frame_equal(one, two)
    assert summary_two["npv"] == summary["npv"]
    assert (tmp_path / "one" / "report.html").exists()


def test_cli_resume_reuses_finished_replications(tmp_path, capsys) -> None:
    _, first, _ = _cli(tmp_path, "run", 1)
    capsys.readouterr()
    code, again, _ = _cli(tmp_path, "run", 1, "--resume")
    assert code == 0
    assert "kept 3, computed 0" in capsys.readouterr().out
    pd.testing.assert_frame_equal(first, again)


def test_cli_bad_scenario_value_exits_2_with_the_key(tmp_path, capsys) -> None:
    code = main(["roi", SCENARIO, "--out", str(tmp_path / "x"), "--quiet", "--set", "costs.personnel.shrinkage=2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "costs.personnel.shrinkage" in err and "Traceback" not in err


def test_roi_examples_plan_and_a_roi_sweep_runs(tmp_path) -> None:
    from sim.studies.executors import SerialExecutor
    from sim.studies.plan import plan_sweep
    from sim.studies.sensitivity import plan_sensitivity
    from sim.studies.sweep import run_plan

    grid = plan_sweep("experiments/roi-deflection-cost.yaml")
    assert len(grid.points) == 16 and grid.command == "roi"
    assert len(plan_sensitivity("experiments/sensitivity-payback.yaml").plan.points) > 8
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"scenario: {(__import__('pathlib').Path(SCENARIO).resolve())}\n"
        "command: roi\nreplications: 1\nseed: 4\n"
        "overrides: {uncertain: {}, roi.noise_pairs: 0, roi.months: 2, roi.simulate_every: 1, "
        "journey.issues.rate_per_hour: 120}\n"
        "factors: {costs.programme.setup_cost: [0, 1000000]}\n", encoding="utf-8")
    run = run_plan(plan_sweep(spec), tmp_path / "out", SerialExecutor())
    npv = run.summary[(run.summary["channel"] == "roi") & (run.summary["kpi"] == "npv")]["mean"].to_numpy()
    assert npv[0] - npv[1] == pytest.approx(1_000_000 / 1.08 ** (1 / 12), rel=1e-9)  # set-up paid in month 1
    assert (tmp_path / "out" / "months.parquet").exists()


def test_python_api_matches_the_command(tmp_path) -> None:
    from sim.studies.roi import simulate_roi

    _, months, summary = _cli(tmp_path, "cmd", 1)
    scenario = sim.load_scenario(SCENARIO, ["roi.months=2", "roi.simulate_every=1", "roi.noise_pairs=1",
                                            "journey.issues.rate_per_hour=120"])
    result = simulate_roi(scenario, replications=3, seed=9, workers=2)
    assert result.summary["npv"] == summary["npv"]
    api = result.months.sort_values(["replication", "month", "arm", "channel", "kpi"]).reset_index(drop=True)
    cmd = months.sort_values(["replication", "month", "arm", "channel", "kpi"]).reset_index(drop=True)
    pd.testing.assert_series_equal(api["value"], cmd["value"])


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.floats(-2, 2e5, allow_nan=False),
                    st.text(max_size=6), st.lists(st.integers(-1, 3), max_size=3))
_KEYS = st.sampled_from([
    "roi.months", "roi.staffing", "roi.discount_rate_annual", "roi.adoption.start", "roi.adoption.shape",
    "roi.programme_channels", "roi.sample_days", "roi.simulate_every", "roi.noise_pairs", "roi.bogus",
    "costs.currency", "costs.personnel.agent_annual_salary", "costs.personnel.shrinkage", "costs.technology.investment",
    "costs.programme.setup_cost", "costs.programme.staff.analysts_fte", "costs.nothing",
    "uncertain.costs.programme.setup_cost", "uncertain.roi.demand_growth_per_month",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, max_size=3))
def test_generated_roi_sections_prepare_or_raise_scenario_error(changes) -> None:
    data = yaml.safe_load(open(SCENARIO, encoding="utf-8"))
    for key, value in changes.items():
        section, _, path = key.partition(".")
        if section == "uncertain":
            data["uncertain"][path] = value
        else:
            node = data[section]
            *parents, last = path.split(".")
            for part in parents:
                node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
            node[last] = value
    try:
        study = prepare_study(sim.scenario_from_dict(data, SCENARIO), SCENARIO)
    except ScenarioError as exc:
        assert exc.key is None or isinstance(exc.key, str)
        return
    assert study.settings.months >= 1


def test_staffing_policies_by_hand() -> None:
    from sim.studies.roi_headcount import paid_fte

    leavers = 0.02
    # requirement falls from 100 to 90 FTE
    # to_target: ten go (two leave, eight are let go) and nobody is hired for them
    assert paid_fte("to_target", leavers, 100.0, 90.0)[:2] == pytest.approx((90.0, 0.0))
    assert paid_fte("fixed", leavers, 100.0, 90.0)[:2] == pytest.approx((100.0, 2.0))  # the two who leave are replaced
    # attrition: two leave and are not replaced
    assert paid_fte("attrition", leavers, 100.0, 90.0)[:2] == pytest.approx((98.0, 0.0))
    # a team whose requirement stays replaces its leavers under every policy
    assert paid_fte("to_target", leavers, 4.0, 4.0)[:2] == pytest.approx((4.0, 0.08))
    # requirement rises: every policy hires up to it
    assert paid_fte("attrition", leavers, 100.0, 105.0)[:2] == pytest.approx((105.0, 7.0))
    assert paid_fte("to_target", leavers, 100.0, 105.0)[:2] == pytest.approx((105.0, 7.0))


def test_months_between_simulated_ones_follow_the_policy_on_interpolated_needs() -> None:
    from sim.studies.roi_headcount import HeadcountPath

    path = HeadcountPath("fixed", 0.0, None)
    path.record(1, {"voice": 100.0})
    assert path.propose(4, {"voice": 70.0}) == {"voice": 100.0}  # fixed: headcount never falls
    path.record(4, {"voice": 130.0})
    assert [path.month(m)["voice"].need for m in (2, 3)] == pytest.approx([110.0, 120.0])
    assert [path.month(m)["voice"].paid for m in (1, 2, 3, 4)] == pytest.approx([100.0, 110.0, 120.0, 130.0])


ATTRITION = 0.06
"""Leavers per year in the attrition test: few, so the work the programme removes outpaces them."""


def test_attrition_staffing_lets_headcount_fall_only_as_fast_as_people_leave() -> None:
    def agents(policy: str) -> pd.DataFrame:
        scenario = sim.load_scenario(SCENARIO, FAST + ["roi.months=6", f"roi.staffing={policy}", "roi.adoption.start=1",
                                                       f"costs.personnel.attrition_per_year={ATTRITION}"])
        table = roi_command(scenario, 5, 0)["months"]
        fte = table[(table["channel"] == "fte") & (table["arm"] == "programme")]
        return fte.pivot(index="month", columns="kpi", values="value")

    slow, fast = agents("attrition"), agents("to_target")
    leavers = ATTRITION / 12.0
    assert (slow["agents"] >= slow["required_agents"] - 1e-9).all()
    assert (slow["agents"].iloc[1:].to_numpy() >= (1 - leavers) * slow["agents"].iloc[:-1].to_numpy() - 1e-9).all()
    assert (fast["agents"] == fast["required_agents"]).all()
    assert (slow["agents"] >= fast["agents"] - 1e-9).all()
    # the programme removes work, so under attrition the team is larger than needed for a while
    assert (slow["agents"] > slow["required_agents"] + 0.5).any()


def test_uncertain_inputs_can_be_changed_and_added_from_the_command_line() -> None:
    """The keys of ``uncertain`` are dotted paths; ``--set`` reaches them whole, or in [brackets]."""
    base = prepare_study(sim.load_scenario(SCENARIO), SCENARIO).inputs
    changed = prepare_study(sim.load_scenario(SCENARIO, [
        "uncertain.costs.programme.setup_cost.high=240000",
        "uncertain[costs.personnel.hiring_cost_per_hire]={dist: uniform, low: 2000, high: 4000}",
        "uncertain.channels.social.response_coverage={dist: uniform, low: 0.5, high: 0.7}",
    ]), SCENARIO).inputs
    assert base["costs.programme.setup_cost"].high == 160000
    assert changed["costs.programme.setup_cost"].high == 240000 and changed["costs.programme.setup_cost"].mode == 80000
    assert changed["costs.personnel.hiring_cost_per_hire"].low == 2000
    assert changed["channels.social.response_coverage"].high == 0.7
    assert set(changed) == set(base) | {"costs.personnel.hiring_cost_per_hire"}


def test_a_malformed_bracket_key_is_a_clear_error(tmp_path, capsys) -> None:
    code = main(["roi", SCENARIO, "--set", "uncertain[costs.programme.setup_cost.high=1", "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "uncertain[costs.programme.setup_cost.high" in err and "Traceback" not in err


def test_payback_quantiles_are_months_that_occurred_and_chances_carry_their_interval() -> None:
    rows = [{"replication": r, "channel": "roi", "kpi": "payback_month", "value": float(v)}
            for r, v in enumerate([5, 6, 6, 7, 7, 7, 8, 9, 25, 25])]
    summary = summarise_outcomes(pd.DataFrame(rows), months=24)
    observed = {5, 6, 7, 8, 9}
    assert all(summary["payback_month"][k] in observed or summary["payback_month"][k] is None for k in ("p5", "p50", "p95"))
    assert summary["payback_month"]["p95"] is None  # the 95th percentile future never paid back
    low, high = summary["p_payback_12m_interval"]
    assert summary["p_payback_12m"] == 0.8 and 0.44 < low < 0.8 < high < 0.97  # Wilson, 10 futures
    all_paid = summarise_outcomes(pd.DataFrame([{**row, "value": 3.0} for row in rows]), months=24)
    assert all_paid["p_payback_12m"] == 1.0 and all_paid["p_payback_12m_interval"][0] < 0.75  # 100 % of 10 is not certainty


def test_a_study_whose_arms_cannot_differ_is_an_input_error(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["roi", "scenarios/erlang-a.yaml", "-r", "2", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "programme arm would be the baseline" in err and "Traceback" not in err


def test_hires_join_after_the_lead_time_and_the_team_runs_short_until_then() -> None:
    from sim.studies.roi_headcount import HeadcountPath

    path = HeadcountPath("to_target", 0.0, None, lead_months=2)
    for month, need in [(1, 10.0), (2, 10.0), (3, 14.0), (4, 14.0), (5, 14.0), (6, 12.0)]:
        path.record(month, {"voice": need})
    paid = [path.month(m)["voice"].paid for m in range(1, 7)]
    hires = [path.month(m)["voice"].hires for m in range(1, 7)]
    # ordered in month 3, the four hires take contacts in month 5; to_target lets two go when the need falls
    assert paid == pytest.approx([10.0, 10.0, 10.0, 10.0, 14.0, 12.0])
    assert hires == pytest.approx([0.0, 0.0, 0.0, 0.0, 4.0, 0.0])
    assert path.month(4)["voice"].ordered == pytest.approx(0.0)  # the four pending hires are not ordered twice
    # without a lead time the same needs are paid the month they arise
    now = HeadcountPath("to_target", 0.0, None)
    for month, need in [(1, 10.0), (2, 10.0), (3, 14.0)]:
        now.record(month, {"voice": need})
    assert now.month(3)["voice"].paid == pytest.approx(14.0) and now.month(3)["voice"].hires == pytest.approx(4.0)
    # attrition with leavers: the ones who leave during the lead time are ordered for too
    leaving = HeadcountPath("attrition", 0.1, None, lead_months=1)
    leaving.record(1, {"voice": 10.0})
    leaving.record(2, {"voice": 10.0})
    assert leaving.month(1)["voice"].ordered == pytest.approx(10.0 - 9.0 * 0.9)
    assert leaving.month(1)["voice"].paid == pytest.approx(9.0)  # the leaver's replacement is still in training
    assert leaving.month(2)["voice"].paid == pytest.approx(10.0)  # 8.1 stayed, 1.9 joined: the need again
