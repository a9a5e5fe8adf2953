"""Customers who respond to service: sentiment from waiting, choice from announced waits, knowledge that helps agents."""

from __future__ import annotations

import pandas as pd
import pytest

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


def test_knowledge_goes_stale_unless_answers_renew_it() -> None:
    """With no public answers or articles, coverage falls by (1 - stale_per_day) per day; with them it rises."""
    quiet = ["journey.knowledge.gain_per_answer=0", "journey.knowledge.articles_per_day=0",
             "journey.knowledge.stale_per_day=0.01", "horizon.hours=48", "horizon.warmup_hours=0"]
    scenario = sim.load_scenario(SCENARIO, quiet)
    assert scenario.journey is not None
    start = {n: t.knowledge_coverage for n, t in scenario.journey.issue_types.items()}
    records = sim.run(scenario, seed=3, replication=0).journey
    assert records is not None
    end = records.knowledge_end
    for name, c0 in start.items():
        # aged at every interval's tick: two days less the first interval (15 minutes, 1e-4 of the coverage)
        assert end[name] == pytest.approx(c0 * 0.99 ** 2, rel=3e-4)
        assert end[name] < c0 * 0.99 ** 1.9
    def end_of(overrides: list[str]) -> dict[str, float]:
        j = sim.run(sim.load_scenario(SCENARIO, ["horizon.hours=48"] + overrides), seed=3, replication=0).journey
        assert j is not None
        return j.knowledge_end

    fresh, kept = end_of([]), end_of(["journey.knowledge.stale_per_day=0"])
    assert all(fresh[n] < kept[n] for n in kept)  # ageing slows the flywheel


def test_a_failed_search_costs_patience_on_the_contact_that_follows() -> None:
    """Searched in vain first: those customers hang up sooner, so the phone loses more of them."""
    def searched_abandon(factor: float) -> float:
        scenario = sim.load_scenario(SCENARIO, [f"journey.self_service.patience_after_failed_search={factor}",
                                                "teams.voice.agents=12"])
        from sim.engine.records import ABANDONED, REASON_FIRST

        rates = []
        for r in range(3):
            j = sim.run(scenario, seed=5, replication=r).journey
            assert j is not None
            phone = j.channels.index("phone")
            first = (j.contact_reason == REASON_FIRST) & (j.contact_channel == phone) & (j.contact_issue >= 0)
            looked = j.issue_looked[j.contact_issue[first]]
            abandoned = j.contact_outcome[first] == ABANDONED
            rates.append(abandoned[looked].mean() - abandoned[~looked].mean())
        return float(sum(rates) / len(rates))

    # the gap between searchers and the others widens as a failed search eats more of the patience
    assert searched_abandon(0.5) > searched_abandon(1.0) + 0.02
