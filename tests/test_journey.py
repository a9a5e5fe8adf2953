"""The omnichannel journey: conservation, agreement with the queue engine and
queueing theory, chat concurrency, routing, and the direction of every effect."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.erlang_a import erlang_a_metrics
from sim.analysis.erlang_c import erlang_c_metrics
from sim.analysis.metrics import channel_kpis
from sim.engine.agents import ChannelRouting, Dispatcher, Work
from sim.engine.knowledge import KnowledgeBase
from sim.engine.records import ANSWERED, ISSUE_STATES, WAITING
from sim.spec.journey import Knowledge, Team
from sim.spec.scenario import ScenarioError, scenario_from_dict

from .conftest import SCENARIOS, queue_scenario


def base_journey(**changes: Any) -> dict[str, Any]:
    """A small four-channel journey (a few hours) to vary in tests."""
    data: dict[str, Any] = {
        "horizon": {"hours": 6, "interval_minutes": 30},
        "journey": {
            "issues": {"rate_per_hour": 300},
            "segments": {
                "digital": {"share": 0.5, "digital_ability": 0.9, "self_service": 0.8,
                            "channels": {"phone": 1, "chat": 2, "social": 1, "forum": 1}},
                "phone_only": {"share": 0.5, "digital_ability": 0.2, "self_service": 0.2, "channels": {"phone": 1}},
            },
            "issue_types": {
                "billing": {"share": 0.6, "fcr": 0.8, "knowledge_coverage": 0.4},
                "technical": {"share": 0.4, "aht_multiplier": 1.5, "fcr": 0.7, "knowledge_coverage": 0.2},
            },
            "self_service": {"placement": "before_login"},
            "behaviour": {"repeat_delay": {"mean_s": 1800}, "retry_delay": {"mean_s": 300}},
        },
        "channels": {
            "phone": {"aht": {"mean_s": 240}, "patience": {"mean_s": 120}, "lines": 40},
            "chat": {"aht": {"mean_s": 400}, "patience": {"mean_s": 180}, "concurrency": 2, "concurrency_stretch": 0.2},
            "social": {"aht": {"mean_s": 300}, "patience": {"mean_s": 3600}, "sl_threshold_s": 1800,
                       "response_coverage": 0.8, "escalation_probability": 0.6},
            "forum": {"aht": {"mean_s": 300}, "patience": {"mean_s": 7200}, "moderation_after_s": 1800,
                      "community": {"members": 20000, "active_share": 0.02, "answers_per_active_per_day": 0.02}},
        },
        "teams": {
            "voice": {"skills": ["phone"], "agents": 12, "shrinkage": 0.2},
            "digital": {"skills": ["chat", "social", "forum"], "agents": 6},
        },
    }
    for path, value in changes.items():
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return data


def journey_kpis(data: dict[str, Any], replications: int, seed: int = 3) -> dict[tuple[str, str], np.ndarray]:
    """Per-replication values of every (channel, kpi) on common random numbers."""
    scenario = scenario_from_dict(copy.deepcopy(data))
    result = sim.simulate(scenario, replications=replications, seed=seed)
    table = result.per_replication
    return {key: group.sort_values("replication")["value"].to_numpy() for key, group in table.groupby(["channel", "kpi"])}


def paired_lower_bound(a: np.ndarray, b: np.ndarray) -> float:
    """Lower end of the 95 % interval of mean(a - b) over paired replications."""
    return sim.analysis.metrics.confidence_interval(a - b, 0.95)[1]


# -- conservation -------------------------------------------------------------

@st.composite
def journeys(draw: st.DrawFn) -> dict[str, Any]:
    prob = st.floats(0, 1)
    switch = draw(prob)
    data = base_journey(**{
        "horizon.hours": draw(st.sampled_from([2, 3, 4])),
        "horizon.drain": draw(st.booleans()),
        "journey.issues.rate_per_hour": draw(st.floats(20, 400)),
        "journey.self_service.placement": draw(st.sampled_from(["before_login", "after_login", "none"])),
        "journey.behaviour.switch_probability": switch,
        "journey.behaviour.retry_probability": draw(st.floats(0, 1)) * (1 - switch),
        "journey.behaviour.max_contacts": draw(st.integers(1, 4)),
        "journey.issue_types.billing.fcr": draw(prob),
        "journey.issue_types.technical.knowledge_coverage": draw(prob),
        "channels.phone.lines": draw(st.integers(1, 30)),
        "channels.chat.concurrency": draw(st.integers(1, 4)),
        "channels.chat.open_hours": draw(st.sampled_from([None, [0, 1], [1, 3]])),
        "channels.social.response_coverage": draw(prob),
        "channels.social.open_hours": draw(st.sampled_from([None, [1, 2]])),
        "channels.forum.moderation_after_s": draw(st.floats(0, 7200)),
        "teams.voice.agents": draw(st.lists(st.integers(0, 15), min_size=1, max_size=4)),
        "teams.digital.agents": draw(st.integers(0, 8)),
        "teams.digital.shrinkage": draw(st.floats(0, 0.5)),
    })
    if draw(st.booleans()):
        del data["channels"]["social"]["patience"]  # posts that may wait forever
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=journeys(), seed=st.integers(0, 2**16))
def test_every_issue_ends_in_exactly_one_state(data: dict[str, Any], seed: int) -> None:
    scenario = scenario_from_dict(data)
    records = sim.run(scenario, seed=seed)
    j = records.journey
    n = len(j.issue_arrival_s)
    counts = np.bincount(j.issue_state, minlength=len(ISSUE_STATES))
    assert counts.sum() == n and len(counts) == len(ISSUE_STATES)
    assert (j.issue_contacts[j.issue_deflected] == 0).all()  # self-resolved: never contacted
    assert (j.issue_resolved == np.isin(j.issue_state, (1, 2))).all()
    # every contact is logged exactly once and belongs to its issue
    assert len(j.contact_issue) == j.issue_contacts.sum()
    assert (np.bincount(j.contact_issue, minlength=n) == j.issue_contacts).all()
    # an issue resolved by a contact has a resolving contact; others have none
    resolving = np.zeros(n, dtype=bool)
    resolving[j.contact_issue[j.contact_resolved]] = True
    assert (resolving == (j.issue_state == 2)).all()
    if scenario.horizon.drain and "patience" in data["channels"]["social"]:
        assert counts[0] == 0  # nothing can stay open after a drained run with finite patience
    for rec in records.channels.values():
        outcomes = np.bincount(rec.outcome, minlength=4)
        assert outcomes.sum() == len(rec.arrival_s)
        kpis = channel_kpis(rec, records.warmup_s, records.horizon_s)
        assert kpis["offered"] == kpis["answered"] + kpis["abandoned"] + kpis["in_system_at_end"] + kpis["blocked"]
    # knowledge shrinks only as it goes stale: by at most stale_per_day per day between snapshots
    stale = scenario.journey.knowledge.stale_per_day
    keep = (1.0 - stale) ** (np.diff(j.snap_t_s) / 86400.0)
    assert (j.snap_coverage[1:] >= j.snap_coverage[:-1] * keep[:, None] - 1e-12).all()


# -- agreement with the plain engine and queueing theory --------------------------

def phone_only_journey(rate: float, aht_s: float, agents: int, patience_s: float | None, hours: float) -> dict[str, Any]:
    channel: dict[str, Any] = {"aht": {"mean_s": aht_s}, "agents": agents}
    if patience_s is not None:
        channel["patience"] = {"mean_s": patience_s}
    return {
        "horizon": {"hours": hours, "warmup_hours": hours / 10, "interval_minutes": 60},
        "journey": {
            "issues": {"rate_per_hour": rate},
            "segments": {"all": {"share": 1, "self_service": 0, "channels": {"phone": 1}}},
            "issue_types": {"any": {"share": 1, "fcr": 1.0, "knowledge_coverage": 0.0}},
            "self_service": {"placement": "none"},
            "behaviour": {"switch_probability": 0, "retry_probability": 0},
        },
        "channels": {"phone": channel},
    }


@pytest.mark.parametrize(
    "rate, agents, patience_s",
    [(540.0, 30, None), (1050.0, 50, 300.0)],
    ids=["M/M/30 load 0.9", "M/M/50+M load 1.05"],
)
def test_journey_without_digital_channels_matches_queueing_theory(rate: float, agents: int, patience_s: float | None) -> None:
    aht_s = 180.0
    scenario = scenario_from_dict(phone_only_journey(rate, aht_s, agents, patience_s, hours=24))
    journey = sim.simulate(scenario, replications=10, seed=2024, workers=2).summary(0.99)
    journey = journey[journey["channel"] == "phone"].set_index("kpi")
    if patience_s is None:
        c = erlang_c_metrics(rate, aht_s, agents, 20.0)
        expected = {"p_wait": c.p_wait, "asa_s": c.asa_s, "service_level": c.service_level, "occupancy": c.occupancy}
    else:
        a = erlang_a_metrics(rate, aht_s, agents, patience_s, 20.0)
        expected = {"p_wait": a.p_wait, "asa_s": a.asa_s, "service_level": a.service_level, "abandon_rate": a.p_abandon}
    for kpi, value in expected.items():
        assert journey.loc[kpi, "ci99_low"] <= value <= journey.loc[kpi, "ci99_high"], kpi
    plain = sim.simulate(queue_scenario(rate, aht_s, agents, patience_s, hours=24, warmup_hours=2.4, interval_minutes=60),
                         replications=10, seed=2024).summary(0.99).set_index("kpi")
    for kpi in expected:  # the two engines' intervals overlap
        assert journey.loc[kpi, "ci99_low"] <= plain.loc[kpi, "ci99_high"]
        assert plain.loc[kpi, "ci99_low"] <= journey.loc[kpi, "ci99_high"]


def test_chat_with_concurrency_matches_erlang_c_with_k_times_n_servers() -> None:
    rate, aht_s, agents, k = 160.0, 300.0, 5, 3  # load 13.3 erlang on 15 chat slots
    data = phone_only_journey(rate, aht_s, agents, None, hours=100)
    data["channels"] = {"chat": {"aht": {"mean_s": aht_s}, "agents": agents, "concurrency": k, "sl_threshold_s": 60}}
    data["journey"]["segments"]["all"]["channels"] = {"chat": 1}
    simulated = sim.simulate(scenario_from_dict(data), replications=10, seed=5, workers=2)
    result = simulated.summary(0.99).set_index(["channel", "kpi"])
    c = erlang_c_metrics(rate, aht_s, agents * k, 60.0)
    for kpi, value in {"p_wait": c.p_wait, "asa_s": c.asa_s, "service_level": c.service_level}.items():
        low, high = result.loc[("chat", kpi), "ci99_low"], result.loc[("chat", kpi), "ci99_high"]
        assert low <= value <= high, f"{kpi}: {value} not in [{low}, {high}]"
    # 13.3 erlang of chats in the 90-hour window: the chats held on average are the offered load (Little's law),
    # and the agent-hours with at least one chat lie between the chat-hours over k and every agent's hours
    window_h = 90.0
    chat_hours = result.loc[("chat", "answered"), "mean"] * result.loc[("chat", "aht_s"), "mean"] / 3600.0
    assert chat_hours / window_h == pytest.approx(rate * aht_s / 3600.0, rel=0.02)
    busy_agent_hours = result.loc[("chat", "handled_hours"), "mean"]
    assert chat_hours / k <= busy_agent_hours <= agents * window_h + 1e-6


# -- routing, concurrency and knowledge units --------------------------------------

def dispatcher(skills: list[str], agents: int, concurrency: int = 1,
               stretch: float = 0.0) -> tuple[simpy.Environment, Dispatcher]:
    env = simpy.Environment()
    routing = {"phone": ChannelRouting("phone"), "social": ChannelRouting("social"),
               "chat": ChannelRouting("chat", concurrency, stretch)}
    d = Dispatcher(env, routing, {"team": Team(skills=skills, agents=agents)})
    d.set_agents(d.teams[0], agents)
    return env, d


def test_blended_agent_answers_calls_before_older_posts() -> None:
    env, d = dispatcher(["phone", "social"], 1)
    first = Work("phone", env.now, 100.0)
    d.submit(first)
    post = Work("social", env.now, 50.0)
    d.submit(post)  # waits: the only agent is on a call
    env.run(until=10)
    call = Work("phone", env.now, 30.0)
    d.submit(call)  # a later call
    env.run()
    assert call.start_s == pytest.approx(100.0)  # the call goes first although the post is older
    assert post.start_s == pytest.approx(130.0)


def test_chat_agent_holds_k_chats_with_stretched_handling() -> None:
    env, d = dispatcher(["chat"], 1, concurrency=2, stretch=0.5)
    chats = [Work("chat", env.now, 100.0) for _ in range(3)]
    for w in chats:
        d.submit(w)
    env.run()
    assert chats[0].start_s == 0 and chats[1].start_s == 0  # two at once
    assert chats[0].end_s == pytest.approx(100.0)  # started alone
    assert chats[1].end_s == pytest.approx(150.0)  # started as the second: x (1 + 0.5)
    assert chats[2].start_s == pytest.approx(100.0)  # takes the freed slot


def test_closed_channel_keeps_a_backlog_until_it_opens() -> None:
    env, d = dispatcher(["social"], 1)
    d.set_open("social", False)
    post = Work("social", env.now, 10.0)
    d.submit(post)
    env.run(until=50)
    assert post.state == 0 and d.waiting[d.channel_index["social"]] == 1
    d.set_open("social", True)
    env.run()
    assert post.start_s == pytest.approx(50.0)


def test_knowledge_closes_a_share_of_the_gap_per_answer() -> None:
    kb = KnowledgeBase(["a"], [0.5], Knowledge(gain_per_answer=0.1, ceiling=0.9))
    kb.add_answers(0)
    assert kb.coverage[0] == pytest.approx(0.5 + 0.1 * 0.4)
    kb.add_answers(0, 2.0)
    assert kb.coverage[0] == pytest.approx(0.9 - 0.4 * 0.9**3)


def test_shrinkage_lowers_agents_on_duty() -> None:
    assert Team(skills=["phone"], agents=10, shrinkage=0.3).on_duty(0) == 7
    kpis = journey_kpis(base_journey(**{"teams.voice.agents": 10, "teams.voice.shrinkage": 0.3}), 2)
    assert kpis[("team:voice", "agents")].mean() == pytest.approx(7.0, abs=0.05)
    assert kpis[("team:voice", "scheduled_hours")][0] == pytest.approx(60.0)


# -- directions of the effects (paired on common random numbers) ----------------------

def test_forum_before_login_deflects_more_than_after_login() -> None:
    before = journey_kpis(base_journey(), 6)
    after = journey_kpis(base_journey(**{"journey.self_service.placement": "after_login"}), 6)
    assert paired_lower_bound(before[("journey", "deflection_rate")], after[("journey", "deflection_rate")]) > 0
    assert paired_lower_bound(after[("phone", "offered")], before[("phone", "offered")]) > 0


def test_more_knowledge_coverage_means_fewer_phone_contacts() -> None:
    low = journey_kpis(base_journey(), 8)
    high = journey_kpis(base_journey(**{"journey.issue_types.billing.knowledge_coverage": 0.8,
                                         "journey.issue_types.technical.knowledge_coverage": 0.7}), 8)
    assert paired_lower_bound(low[("phone", "offered")], high[("phone", "offered")]) > 0
    assert paired_lower_bound(high[("journey", "deflected")], low[("journey", "deflected")]) > 0


def test_office_hours_social_answers_later_and_escalates_more() -> None:
    changes = {"horizon.hours": 24, "journey.issues.rate_per_hour": 80}
    always = journey_kpis(base_journey(**changes), 6)
    office = journey_kpis(base_journey(**changes, **{"channels.social.open_hours": [9, 17]}), 6)
    assert paired_lower_bound(office[("social", "mean_response_s")], always[("social", "mean_response_s")]) > 0
    assert paired_lower_bound(office[("social", "escalations")], always[("social", "escalations")]) > 0


def test_fewer_agents_more_abandonment() -> None:
    many = journey_kpis(base_journey(), 6)
    few = journey_kpis(base_journey(**{"teams.voice.agents": 8}), 6)
    assert paired_lower_bound(few[("phone", "abandon_rate")], many[("phone", "abandon_rate")]) > 0


def test_limited_lines_give_busy_signals() -> None:
    kpis = journey_kpis(base_journey(**{"channels.phone.lines": 3, "teams.voice.agents": 3}), 2)
    assert kpis[("phone", "blocked")].min() > 0
    none = journey_kpis(base_journey(**{"channels.phone.lines": 1000}), 2)
    assert none[("phone", "blocked")].max() == 0


def test_closed_chat_takes_no_new_chats() -> None:
    scenario = scenario_from_dict(base_journey(**{"channels.chat.open_hours": [2, 4]}))
    chat = sim.run(scenario, seed=1).channels["chat"]
    assert len(chat.arrival_s) > 0
    hours = chat.arrival_s / 3600.0
    assert ((hours >= 2) & (hours < 4)).all()


def test_forum_posts_go_to_moderators_when_peers_are_slow() -> None:
    quiet = {"channels.forum.community": {"members": 100, "active_share": 0.01, "super_users": 0}}
    kpis = journey_kpis(base_journey(**quiet), 2)
    assert kpis[("forum", "agent_answers")].min() > 0
    assert kpis[("forum", "peer_answer_rate")].max() < 0.2
    busy = journey_kpis(base_journey(), 2)
    assert busy[("forum", "peer_answer_rate")].min() > kpis[("forum", "peer_answer_rate")].max()


def test_answers_grow_knowledge_during_the_run() -> None:
    scenario = scenario_from_dict(base_journey(**{"journey.knowledge.gain_per_answer": 0.01}))
    j = sim.run(scenario, seed=2).journey
    assert j.knowledge_end["billing"] > 0.4 and j.knowledge_end["technical"] > 0.2
    assert j.snap_coverage[0, 0] == pytest.approx(0.4) and j.snap_coverage[-1, 0] <= j.knowledge_end["billing"] + 1e-12
    assert j.snap_coverage[-1, 0] > j.snap_coverage[0, 0]


# -- scenario errors ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "path, value, key",
    [
        ("channels.phone.concurrency", 3, "channels.phone.concurrency"),
        ("teams.voice.skills", ["phone", "fax"], "teams.voice.skills.1"),
        ("journey.segments.digital.channels", {"pigeon": 1}, "journey.segments.digital.channels.pigeon"),
        ("channels.forum.community", None, "channels.forum.community"),
        ("journey.behaviour.switch_probability", 1.5, "journey.behaviour.switch_probability"),
        ("journey.self_service.placement", "sideways", "journey.self_service.placement"),
    ],
)
def test_bad_journey_settings_name_the_key(path: str, value: Any, key: str) -> None:
    data = base_journey(**{path: value})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="j.yaml")
    assert err.value.key == key


def test_shipped_omnichannel_scenario_reports_every_family() -> None:
    scenario = sim.load_scenario(SCENARIOS / "omnichannel-day.yaml", ["horizon.hours=8"])
    result = sim.simulate(scenario, replications=2, seed=1)
    kpis = result.kpis
    channels = set(kpis["channel"])
    assert {"phone", "chat", "social", "forum", "journey", "knowledge", "team:voice", "team:digital"} <= channels
    journey = set(kpis[kpis["channel"] == "journey"]["kpi"])
    assert {"deflection_rate", "shifted_contacts", "fcr", "repeat_rate", "contacts_per_issue", "mean_resolution_s",
            "escalations", "sentiment_negative", "peer_answer_rate", "mean_first_peer_answer_s"} <= journey
    assert {"response_coverage", "mean_response_s", "backlog"} <= set(kpis[kpis["channel"] == "social"]["kpi"])
    assert set(result.days["channel"]) >= {"journey", "team:voice"}
    assert math.isfinite(result.kpi("journey", "deflection_rate")[0])
    mean = kpis.set_index(["channel", "kpi"])["mean"]
    assert 0 < mean[("journey", "deflected")] <= mean[("journey", "issues")]
    assert 0 < mean[("journey", "shifted_contacts")] <= mean[("journey", "contacts")]
    assert mean[("journey", "deflection_rate")] == pytest.approx(
        mean[("journey", "deflected")] / mean[("journey", "issues")], rel=0.1)


def test_cli_runs_an_omnichannel_scenario_with_a_roster_to_json(tmp_path, capsys) -> None:
    from sim.cli.main import main

    code = main(["run", str(SCENARIOS / "omnichannel-day.yaml"), "-r", "2", "--set", "horizon.hours=12", "--json", "--days",
                 "--roster", str(SCENARIOS.parent / "experiments" / "omnichannel" / "roster.csv")])
    assert code == 0
    import json

    payload = json.loads(capsys.readouterr().out)
    assert payload["kpis"]["journey"]["deflection_rate"]["ci95_low"] is not None
    assert payload["kpis"]["team:voice"]["agents"]["mean"] > 0
    assert {row["channel"] for row in payload["days"]} >= {"journey", "phone", "team:digital"}
    bad = tmp_path / "roster.csv"
    bad.write_text("team,start,length_min,breaks,headcount\nrobots,08:00,480,,3\n")
    assert main(["run", str(SCENARIOS / "omnichannel-day.yaml"), "--roster", str(bad), "-q"]) == 2
    assert "robots" in capsys.readouterr().err


journey_paths = st.sampled_from([
    ["journey", "issues", "rate_per_hour"], ["journey", "issues", "day_profile"], ["journey", "segments", "digital", "share"],
    ["journey", "segments", "digital", "channels"], ["journey", "segments", "digital", "channels", "phone"],
    ["journey", "issue_types", "billing", "fcr"], ["journey", "issue_types", "billing", "channels"],
    ["journey", "self_service", "placement"], ["journey", "self_service", "look_probability"],
    ["journey", "self_service", "time"], ["journey", "knowledge", "gain_per_answer"],
    ["journey", "behaviour", "max_contacts"], ["journey", "behaviour", "retry_delay"],
    ["channels", "chat", "concurrency"], ["channels", "chat", "open_hours"], ["channels", "chat", "open_days"],
    ["channels", "social", "sentiment"], ["channels", "social", "response_coverage"], ["channels", "forum", "community"],
    ["channels", "forum", "community", "members"], ["channels", "phone", "lines"], ["channels", "phone", "kind"],
    ["teams", "voice", "skills"], ["teams", "voice", "agents"], ["teams", "voice", "shrinkage"], ["teams"], ["journey"],
])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(journey_paths, json_values)
def test_mutated_journey_scenarios_load_or_raise_scenario_error(path: list[str], value: object) -> None:
    data = base_journey()
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    try:
        scenario = scenario_from_dict(data, source="mut.yaml")
    except ScenarioError as err:
        assert str(err).startswith("mut.yaml")
    else:
        assert scenario.journey is None or scenario.journey.segments


def test_reason_codes_agree_with_their_names() -> None:
    from sim.engine import records

    for code, name in enumerate(records.REASONS):
        assert getattr(records, f"REASON_{name.upper()}") == code


def test_a_draining_run_keeps_its_clock_posts_left_at_night_are_answered_next_morning() -> None:
    """Past the horizon, opening hours and staffing follow the schedule: the backlog is worked when social opens."""
    data = base_journey(**{
        "horizon.hours": 20, "horizon.drain": True,
        "channels.social.open_hours": [8, 17], "channels.social.patience": {"mean_s": 10 * 86400},
        "channels.social.response_coverage": 1.0,
        "teams.digital.agents": [0] * 16 + [6] * 18 + [0] * 14,  # digital agents on duty 08:00-17:00 only
    })
    records = sim.run(scenario_from_dict(data), seed=4)
    social = records.channels["social"]
    late = social.arrival_s >= 17 * 3600.0  # posted after the channel closed
    assert late.sum() > 20
    answered = late & (social.outcome == ANSWERED)
    start = social.arrival_s + social.wait_s
    # most are answered (patience of days), none before the next morning's opening
    assert answered.sum() >= 0.8 * late.sum()
    assert (start[answered] >= 32 * 3600.0 - 1e-6).all()
    # the run ended once the system was empty: no contact is left waiting
    assert not (social.outcome == WAITING).any()


def test_a_drain_stops_even_when_work_waits_for_agents_who_never_come() -> None:
    data = base_journey(**{"horizon.hours": 3, "horizon.drain": True, "teams.digital.agents": 0,
                           "channels.social.response_coverage": 1.0})
    del data["channels"]["social"]["patience"]  # posts wait for ever
    records = sim.run(scenario_from_dict(data), seed=2)
    social = records.channels["social"]
    assert (social.outcome == WAITING).sum() > 0  # left waiting, reported as such
    assert records.end_s <= records.horizon_s + 7 * 86400.0 + 2 * 1800.0
