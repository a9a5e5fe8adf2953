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


def test_peers_have_a_capacity_and_the_community_grows_with_answered_posts() -> None:
    from sim.engine.journey import JourneyModel, run_model
    from sim.random import Streams

    def forum(overrides: list[str]) -> tuple[float, float]:
        """Mean time to a peer's first answer (s) and the members at the end of one day."""
        scenario = sim.load_scenario(SCENARIO, overrides)
        model = JourneyModel(scenario, Streams(5, 0), scenario.horizon.interval_s)
        records = run_model(model, 0)
        k = run_kpis(records).set_index(["channel", "kpi"])["value"]
        return float(k[("journey", "mean_first_peer_answer_s")]), model.members[model.index["forum"]]

    calm, members_calm = forum([])
    busy, _ = forum(["journey.issues.rate_per_hour=1500"])  # three times the posts share the same peers
    unlimited, _ = forum(["journey.issues.rate_per_hour=1500", "channels.forum.community.open_posts_capacity=null"])
    assert busy > 1.3 * calm and unlimited < busy  # the time to an answer is an outcome of load
    assert members_calm > 60000  # more members join from accepted answers than leave unanswered
    _, shrinking = forum(["channels.forum.community.accept_probability=0.05"])  # peers rarely help
    assert shrinking < members_calm
