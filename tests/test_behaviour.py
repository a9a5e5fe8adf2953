"""Customers who respond to service: sentiment from waiting, choice from announced waits, knowledge that helps agents."""

from __future__ import annotations

import pandas as pd

import sim
from sim.analysis.metrics import run_kpis
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "programme-mature.yaml"


def _kpis(overrides: list[str], seed: int = 3, replications: int = 4) -> pd.Series:
    """Mean run KPIs (channel, kpi) over a few replications of the same seeds."""
    runs = [run_kpis(sim.run(sim.load_scenario(SCENARIO, overrides), seed=seed, replication=r)) for r in range(replications)]
    return pd.concat(runs).groupby(["channel", "kpi"])["value"].mean()


def _negative_share(k: pd.Series) -> float:
    s = k.loc["social"]
    return float(s["sentiment_negative"] / (s["sentiment_negative"] + s["sentiment_neutral"] + s["sentiment_positive"]))


def test_fewer_webcare_agents_mean_later_answers_more_negative_posts_and_more_escalations() -> None:
    base, thin = _kpis([]), _kpis(["teams.community.agents=1"])
    assert thin[("social", "mean_response_s")] > 5 * base[("social", "mean_response_s")]
    assert _negative_share(thin) > _negative_share(base) + 0.10  # several points, measured ~41 % -> ~69 %
    assert thin[("social", "escalations")] > 3 * base[("social", "escalations")]
    # with souring switched off, sentiment is what was typed: staffing no longer moves it much
    off = ["channels.social.sentiment.sour_after_s=null", "channels.social.sentiment.delight_probability=0"]
    assert abs(_negative_share(_kpis(off + ["teams.community.agents=1"])) - _negative_share(_kpis(off))) < 0.03


def test_a_thin_chat_team_moves_customers_to_the_phone() -> None:
    base, thin = _kpis([]), _kpis(["teams.digital.agents=2"])
    assert thin[("chat", "mean_wait_s")] > base[("chat", "mean_wait_s")] + 60
    assert thin[("chat", "offered")] < 0.8 * base[("chat", "offered")]  # announced waits steer choice away
    assert thin[("phone", "offered")] > 1.08 * base[("phone", "offered")]
    # customers blind to waits and to their own bad experiences keep choosing chat
    blind = ["journey.behaviour.wait_aversion_per_min=0", "journey.behaviour.after_abandon_weight=1"]
    blind_thin = _kpis(blind + ["teams.digital.agents=2"])
    assert blind_thin[("chat", "offered")] > thin[("chat", "offered")]


def test_knowledge_shortens_handling_and_raises_first_contact_resolution() -> None:
    low = ["journey.issue_types.billing.knowledge_coverage=0.05", "journey.issue_types.technical.knowledge_coverage=0.05",
           "journey.issue_types.information.knowledge_coverage=0.05"]
    high = [o.replace("0.05", "0.8") for o in low]
    fixed = ["journey.self_service.placement=none"]  # the same callers either way: nobody deflected by the forum
    k_low, k_high = _kpis(fixed + low), _kpis(fixed + high)
    assert k_high[("phone", "aht_s")] < 0.97 * k_low[("phone", "aht_s")]
    assert k_high[("journey", "fcr")] > k_low[("journey", "fcr")] + 0.01
    off = ["journey.knowledge.agent_aht_saving=0", "journey.knowledge.agent_fcr_gain=0"]
    o_low, o_high = _kpis(fixed + off + low), _kpis(fixed + off + high)
    assert abs(o_high[("phone", "aht_s")] - o_low[("phone", "aht_s")]) < 0.01 * o_low[("phone", "aht_s")]
