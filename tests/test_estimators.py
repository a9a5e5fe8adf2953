"""Estimators recover known parameters from logs the engine itself generated."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.analysis.estimators import fit_gamma, fit_lognormal, poisson_rates, shrunk_means
from sim.analysis.survival import censored_mean_cv_fit, exponential_censored, hazard_estimate, kaplan_meier, weibull_censored
from sim.io.calllog import CLEAN_COLUMNS, queue_calls
from sim.studies.calibrate import CalibrationOptions, calibrate
from sim.studies.call_log_tables import DutyRule, agents_on_duty, interval_counts, log_from_records

RATE_PER_HOUR = 240.0
AHT_MEAN_S, AHT_CV = 180.0, 0.8
DAY_PROFILE = [0.25] * 16 + [1.0] * 16 + [0.5] * 16  # 48 half hours: night, day, evening


def _engine_log(patience_s: float, agents: int, days: int = 3, seed: int = 11):
    scenario = sim.scenario_from_dict({
        "horizon": {"hours": 24 * days, "interval_minutes": 30},
        "arrivals": {"phone": {"rate_per_hour": RATE_PER_HOUR, "profile": DAY_PROFILE}},
        "channels": {"phone": {"agents": agents,
                               "aht": {"dist": "lognormal", "mean_s": AHT_MEAN_S, "cv": AHT_CV},
                               "patience": {"dist": "exponential", "mean_s": patience_s}}},
    })
    return log_from_records(sim.run(scenario, seed=seed))


@pytest.fixture(scope="module")
def busy_log():
    """Three days, 12 agents for up to 12 erlangs: many abandonments."""
    return _engine_log(patience_s=200.0, agents=12)


@pytest.fixture(scope="module")
def calm_log():
    """Heavy censoring: patient callers (mean 3000 s) and waits of seconds."""
    return _engine_log(patience_s=3000.0, agents=14, seed=5)


def test_engine_log_has_the_clean_layout(busy_log):
    assert list(busy_log.columns) == list(CLEAN_COLUMNS)
    assert set(busy_log["outcome"]) == {"served", "abandoned"}
    assert busy_log["date"].nunique() == 3 and busy_log["weekday"].iloc[0] == 0  # 2024-01-07 is a Sunday


def test_arrival_rates_recovered_within_their_confidence_intervals(busy_log):
    counts = interval_counts(busy_log, 1800.0).to_numpy()
    est = poisson_rates(counts, 1800.0)
    truth = RATE_PER_HOUR * np.asarray(DAY_PROFILE)
    covered = (est.ci_low <= truth) & (truth <= est.ci_high)
    assert covered.mean() >= 0.9  # 95 % intervals: a few misses among 48 are expected
    assert abs(est.rate_per_hour.sum() / truth.sum() - 1) < 0.03
    assert 0.7 < est.dispersion_index < 1.35 and est.dispersion_p_value > 0.001  # Poisson by construction


def test_dispersion_index_flags_overdispersed_counts():
    rng = np.random.default_rng(3)
    day_level = rng.gamma(4.0, 25.0, size=(20, 1))  # a random daily level: not Poisson across days
    est = poisson_rates(rng.poisson(day_level * np.ones((1, 10))), 3600.0)
    assert est.dispersion_index > 3 and est.dispersion_p_value < 1e-6


def test_lognormal_service_parameters_recovered(busy_log):
    service = busy_log["service_s"].dropna().to_numpy()
    fit = fit_lognormal(service)
    sigma2 = math.log1p(AHT_CV**2)
    true_mu, true_sigma = math.log(AHT_MEAN_S) - sigma2 / 2, math.sqrt(sigma2)
    assert fit.ci["mu"][0] <= true_mu <= fit.ci["mu"][1]
    assert fit.ci["sigma"][0] <= true_sigma <= fit.ci["sigma"][1]
    assert fit.mean_ci[0] <= AHT_MEAN_S <= fit.mean_ci[1]
    gamma = fit_gamma(service)
    assert fit.aic < gamma.aic and fit.ks < gamma.ks  # the right family wins


def test_gamma_fit_recovers_shape_and_scale():
    x = np.random.default_rng(8).gamma(2.5, 80.0, 5000)
    fit = fit_gamma(x)
    assert fit.ci["shape"][0] <= 2.5 <= fit.ci["shape"][1]
    assert fit.ci["scale_s"][0] <= 80.0 <= fit.ci["scale_s"][1]
    assert fit.aic < fit_lognormal(x).aic


@pytest.mark.parametrize("which, patience_s", [("busy_log", 200.0), ("calm_log", 3000.0)])
def test_exponential_patience_recovered_under_censoring(request, which, patience_s):
    log = request.getfixturevalue(which)
    time_s = log["wait_s"].to_numpy()
    event = (log["outcome"] == "abandoned").to_numpy()
    fit = exponential_censored(time_s, event)
    assert fit.ci["rate_per_s"][0] <= 1 / patience_s <= fit.ci["rate_per_s"][1]
    assert fit.mean_ci[0] <= patience_s <= fit.mean_ci[1]
    weibull = weibull_censored(time_s, event)
    assert weibull.ci["shape"][0] <= 1.0 <= weibull.ci["shape"][1]  # exponential = Weibull with shape 1
    naive = float(time_s[event].mean())  # ignoring censoring
    assert naive < 0.5 * patience_s


def test_heavy_censoring_case_is_really_censored(calm_log):
    event = (calm_log["outcome"] == "abandoned").to_numpy()
    assert 0 < event.mean() < 0.05  # few abandonments: almost every patience is censored


def test_kaplan_meier_and_hazard_follow_the_true_exponential(busy_log):
    time_s = busy_log["wait_s"].to_numpy()
    event = (busy_log["outcome"] == "abandoned").to_numpy()
    km = kaplan_meier(time_s, event)
    for t in (30.0, 60.0, 120.0):
        i = np.searchsorted(km.time_s, t, side="right") - 1
        assert km.ci_low[i] - 0.02 <= math.exp(-t / 200.0) <= km.ci_high[i] + 0.02
    hz = hazard_estimate(time_s, event, np.array([0.0, 30.0, 60.0, 120.0]))
    assert np.all((hz.ci_low <= 1 / 200.0) & (1 / 200.0 <= hz.ci_high))


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    t = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    km = kaplan_meier(t, np.ones(5, dtype=bool))
    assert km.time_s.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert np.allclose(km.survival, [0.8, 0.4, 0.2, 0.0])
    km_c = kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([True, False, True]))
    assert np.allclose(km_c.survival, [2 / 3, 0.0])  # the censored one leaves the risk set


def test_censored_gamma_patience_recovers_mean_and_cv():
    rng = np.random.default_rng(4)
    patience = rng.gamma(0.8, 400.0 / 0.8, 6000)
    wait = rng.exponential(250.0, 6000)  # censoring by service
    fit = censored_mean_cv_fit(np.minimum(patience, wait), patience <= wait, "gamma")
    assert fit.ci["mean_s"][0] <= 400.0 <= fit.ci["mean_s"][1]
    assert fit.ci["cv"][0] <= 1 / math.sqrt(0.8) <= fit.ci["cv"][1]


def test_calibrate_recovers_engine_parameters(busy_log):
    cal = calibrate(busy_log, CalibrationOptions(short_service_s=0.0))
    channel = cal.scenario["channels"]["phone"]
    assert channel["aht"]["dist"] == "lognormal"
    assert abs(channel["aht"]["mean_s"] / AHT_MEAN_S - 1) < 0.05
    assert abs(channel["aht"]["cv"] - AHT_CV) < 0.06
    patience = cal.report["patience"]["fits"]["exponential"]
    assert patience["mean_s_ci95"][0] <= 200.0 <= patience["mean_s_ci95"][1]
    assert len(cal.scenario["arrivals"]["phone"]["profile"]) == 7 * 48
    assert len(queue_calls(busy_log)) == cal.report["calls"]["asked_for_agent"]
    sim.scenario_from_dict(cal.scenario)


def _with_agent_names(log, agents: int):
    """Name the agent of each served call: FCFS with ``agents`` agents, the longest idle one takes the call."""
    log = log.reset_index(drop=True)
    free_at = np.zeros(agents)
    names = np.full(len(log), None, dtype=object)
    served = log.index[log["outcome"] == "served"]
    order = served[np.argsort((log.loc[served, "day"] * 86400.0 + log.loc[served, "service_start_s"]).to_numpy(), kind="stable")]
    for i in order:
        start = log.at[i, "day"] * 86400.0 + log.at[i, "service_start_s"]
        k = int(np.argmin(free_at))
        assert free_at[k] <= start + 1e-6  # the engine never serves with every agent busy
        free_at[k] = start + log.at[i, "service_s"]
        names[i] = f"agent{k}"
    log["agent"] = names
    return log


def test_queue_duty_rule_recovers_a_constant_staffing(calm_log):
    # 14 agents all day; at night (0.25 x 240/h x 180 s = 3 erlangs) each agent idles ~10 minutes between calls.
    log = _with_agent_names(calm_log[calm_log["day"] == 1], 14)
    queue, _ = agents_on_duty(log, 1800.0, DutyRule())
    gap, _ = agents_on_duty(log, 1800.0, DutyRule(kind="gap", gap_s=300))
    middle = queue.iloc[0, 2:46].to_numpy()  # away from midnight, where gaps are cut
    assert np.abs(middle - 14).max() < 1.0 and abs(middle.mean() - 14) < 0.3
    night = slice(2, 16)
    assert gap.iloc[0, night].mean() < 12 < queue.iloc[0, night].mean()


def test_shrunk_means_keep_large_groups_and_pull_small_ones_to_their_prior():
    rng = np.random.default_rng(3)
    truth = np.array([100.0, 150.0, 200.0, 250.0])
    sizes = [5000, 5000, 5000, 3]
    groups = np.repeat(np.arange(4), sizes)
    values = rng.exponential(truth[groups])
    est = shrunk_means(values, groups, 5)
    assert np.all(np.abs(est.means[:3] - truth[:3]) < 4 * truth[:3] / np.sqrt(5000))
    assert est.weight[3] < 0.5 and est.means[4] == pytest.approx(values.mean())  # few values; none at all
    assert abs(est.means[3] - est.prior[3]) < abs(est.raw[3] - est.prior[3])
    assert 30 < math.sqrt(est.between_var) < 80 and est.within_var > 0
    flat = shrunk_means(rng.exponential(100.0, 4000), rng.integers(0, 8, 4000), 8)
    assert np.all(np.abs(flat.means - 100.0) < 8)  # no real differences: close to the common mean
    with pytest.raises(ValueError, match="groups"):
        shrunk_means(np.ones(3), np.array([0, 1, 5]), 2)


def test_kaplan_meier_counts_a_censored_tie_as_still_at_risk():
    km = kaplan_meier(np.array([1.0, 2.0, 2.0, 3.0, 4.0]), np.array([True, True, False, True, False]))
    assert list(km.time_s) == [1.0, 2.0, 3.0]
    assert km.survival == pytest.approx([0.8, 0.6, 0.3])
    assert list(km.at_risk) == [5.0, 4.0, 2.0] and list(km.events) == [1.0, 1.0, 1.0]
    assert np.all(km.ci_low <= km.survival) and np.all(km.survival <= km.ci_high)
