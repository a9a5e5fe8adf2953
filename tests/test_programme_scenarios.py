"""The baseline and the three programme maturity levels: same customers, the
placement and opening-hours overrides, the JSON summary, and the ordering of
deflection by maturity (paired on common random numbers)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli.main import main
from sim.errors import ScenarioError
from sim.io.scenario_files import load_scenario
from sim.io.yaml_files import read_yaml_mapping
from sim.spec.scenario import scenario_from_dict

from .conftest import SCENARIOS

LEVELS = ["baseline.yaml", "programme-novice.yaml", "programme-intermediate.yaml", "programme-mature.yaml"]
PROGRAMMES = LEVELS[1:]
JOURNEY_KEYS = {"issues", "self_resolved", "deflection_rate", "direct_shift", "fcr", "repeat_contact_rate",
                "contacts_per_issue", "escalations"}
CI_KEYS = {"mean", "ci95_low", "ci95_high"}


def per_replication(name: str, overrides: list[str], replications: int = 3, seed: int = 1) -> dict[tuple[str, str], np.ndarray]:
    """Per-replication values of every (channel, kpi) of a shipped scenario."""
    result = sim.simulate(load_scenario(SCENARIOS / name, overrides), replications=replications, seed=seed)
    table = result.per_replication
    return {key: group.sort_values("replication")["value"].to_numpy() for key, group in table.groupby(["channel", "kpi"])}


def paired_lower_bound(a: np.ndarray, b: np.ndarray) -> float:
    """Lower end of the 95 % interval of mean(a - b) over paired replications."""
    return sim.analysis.metrics.confidence_interval(a - b, 0.95)[1]


# -- the files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", LEVELS)
def test_maturity_scenarios_load_as_one_weekday(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    assert scenario.name and scenario.horizon.hours == 24 and scenario.journey is not None
    assert {"phone", "chat"} <= set(scenario.channels)


def test_baseline_is_phone_and_chat_without_self_service() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    assert set(scenario.channels) == {"phone", "chat"}
    assert scenario.journey.self_service.placement == "none"


@pytest.mark.parametrize("name", PROGRAMMES)
def test_programmes_have_the_baseline_customers(name: str) -> None:
    base = load_scenario(SCENARIOS / "baseline.yaml")
    other = load_scenario(SCENARIOS / name)
    assert set(other.channels) == {"phone", "chat", "social", "forum"}
    assert other.journey.issues == base.journey.issues
    assert other.journey.behaviour == base.journey.behaviour
    assert other.journey.self_service.look_probability == base.journey.self_service.look_probability
    for seg_name, segment in base.journey.segments.items():
        theirs = other.journey.segments[seg_name]
        assert (theirs.share, theirs.digital_ability, theirs.self_service) == \
            (segment.share, segment.digital_ability, segment.self_service)
        assert {c: theirs.channels[c] for c in segment.channels} == segment.channels
    for type_name, issue_type in base.journey.issue_types.items():
        theirs = other.journey.issue_types[type_name]
        assert theirs.model_dump(exclude={"knowledge_coverage"}) == issue_type.model_dump(exclude={"knowledge_coverage"})
    assert other.channels["phone"] == base.channels["phone"] and other.channels["chat"] == base.channels["chat"]
    assert other.teams["voice"] == base.teams["voice"]
    assert other.teams["digital"].agents == base.teams["digital"].agents


def test_maturity_settings_follow_the_levels() -> None:
    novice, intermediate, mature = (load_scenario(SCENARIOS / n) for n in PROGRAMMES)
    assert novice.channels["social"].response_coverage == pytest.approx(0.4)
    assert novice.channels["social"].hours_open == (8.0, 20.0)
    assert mature.channels["social"].hours_open is None
    assert (novice.journey.self_service.placement, mature.journey.self_service.placement) == ("after_login", "before_login")
    rates = [s.channels["forum"].community.first_answer_rate_per_s() for s in (novice, intermediate, mature)]
    assert rates == sorted(rates) and rates[0] < rates[-1]
    gains = [s.journey.knowledge.gain_per_answer for s in (novice, intermediate, mature)]
    assert gains == sorted(gains) and gains[0] < gains[-1]


# -- the overrides ----------------------------------------------------------------------

@pytest.mark.parametrize("name", [*LEVELS, "omnichannel-day.yaml"])
@pytest.mark.parametrize("placement", ["before_login", "after_login", "none"])
def test_forum_placement_override_sets_the_self_service_placement(name: str, placement: str) -> None:
    if name == "baseline.yaml" and placement != "none":
        with pytest.raises(ScenarioError) as err:
            load_scenario(SCENARIOS / name, [f"forum.placement={placement}"])
        assert err.value.key == "forum.placement" and "no forum channel" in str(err.value)
        return
    scenario = load_scenario(SCENARIOS / name, [f"forum.placement={placement}"])
    assert scenario.journey.self_service.placement == placement
    assert scenario.forum is not None and scenario.forum.placement == placement


@pytest.mark.parametrize("name", [*PROGRAMMES, "omnichannel-day.yaml"])
@pytest.mark.parametrize("hours, expected", [("24/7", None), ("office", (8.0, 20.0)), ("[9, 17]", (9.0, 17.0))])
def test_social_opening_hours_override(name: str, hours: str, expected: tuple[float, float] | None) -> None:
    scenario = load_scenario(SCENARIOS / name, [f"channels.social.opening_hours={hours}"])
    social = scenario.channels["social"]
    assert social.hours_open == expected
    assert social.open_hours is None  # the older spelling in omnichannel-day.yaml gives way to the override
    assert social.open_at(3 * 3600.0) is (expected is None)
    assert social.open_at(10 * 3600.0)


def test_office_means_the_scenarios_office_hours_on_weekdays() -> None:
    scenario = load_scenario(SCENARIOS / "programme-novice.yaml", ["office_hours=[9, 17]"])
    social = scenario.channels["social"]
    assert social.hours_open == (9.0, 17.0) and social.days_open == (0, 1, 2, 3, 4)
    assert social.open_at(10 * 3600.0) and not social.open_at(5 * 86400.0 + 10 * 3600.0)  # a Saturday


@pytest.mark.parametrize(
    "name, override, key, words",
    [
        ("programme-novice.yaml", "channels.social.opening_hours=weekends", "channels.social.opening_hours",
         "24/7, office or [start_hour, end_hour]"),
        ("programme-novice.yaml", "channels.social.opening_hours=[8, 25]", "channels.social.opening_hours", "hours from 0 to 24"),
        ("programme-novice.yaml", "channels.social.opening_hours=[8]", "channels.social.opening_hours", "24/7, office"),
        ("programme-novice.yaml", "channels.social.opening_hours=12", "channels.social.opening_hours", "24/7, office"),
        ("programme-novice.yaml", "forum.placement=sideways", "forum.placement", "'before_login', 'after_login' or 'none'"),
        ("programme-novice.yaml", "forum.placment=none", "forum.placment", "did you mean 'placement'"),
        ("programme-novice.yaml", "office_hours=[8, 30]", "office_hours.1", "less than or equal to 24"),
        ("baseline.yaml", "channels.social.opening_hours=24/7", "channels.social.opening_hours", "no channel 'social'"),
        ("baseline.yaml", "forum.placement=before_login", "forum.placement", "no forum channel"),
    ],
)
def test_bad_override_values_name_the_dotted_key(name: str, override: str, key: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(SCENARIOS / name, [override])
    assert err.value.key == key
    assert words in str(err.value) and str(SCENARIOS / name) in str(err.value)


def test_cli_reports_a_bad_override_in_one_line_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    for name, override in [("baseline.yaml", "channels.social.opening_hours=24/7"),
                           ("programme-mature.yaml", "forum.placement=sideways")]:
        assert main(["run", str(SCENARIOS / name), "--set", override, "-q"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ccsim: error: ") and override.split("=")[0] in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1


# -- behaviour ---------------------------------------------------------------------------

def test_forum_before_login_deflects_more_than_after_login() -> None:
    short = ["horizon.hours=12"]
    before = per_replication("programme-intermediate.yaml", [*short, "forum.placement=before_login"])
    after = per_replication("programme-intermediate.yaml", [*short, "forum.placement=after_login"])
    assert paired_lower_bound(before[("journey", "deflection_rate")], after[("journey", "deflection_rate")]) > 0
    assert paired_lower_bound(after[("phone", "offered")], before[("phone", "offered")]) > 0


def test_office_hours_social_answers_later_than_24_7() -> None:
    short = ["horizon.hours=12"]  # the night and the first office hours
    always = per_replication("programme-mature.yaml", [*short, "channels.social.opening_hours=24/7"])
    office = per_replication("programme-mature.yaml", [*short, "channels.social.opening_hours=office"])
    assert paired_lower_bound(office[("social", "mean_response_s")], always[("social", "mean_response_s")]) > 0
    assert paired_lower_bound(always[("social", "response_coverage")], office[("social", "response_coverage")]) > 0


def test_maturity_levels_deflect_in_order() -> None:
    short = ["horizon.hours=12"]
    names = ("baseline.yaml", "programme-novice.yaml", "programme-mature.yaml")
    base, novice, mature = (per_replication(n, short) for n in names)
    key = ("journey", "deflection_rate")
    assert np.all(base[key] == 0.0)
    assert np.array_equal(base[("journey", "issues")], mature[("journey", "issues")])  # the same customers
    assert paired_lower_bound(novice[key], base[key]) > 0
    assert paired_lower_bound(mature[key], novice[key]) > 0
    assert paired_lower_bound(base[("phone", "offered")], mature[("phone", "offered")]) > 0


# -- JSON -----------------------------------------------------------------------------

def test_json_has_the_journey_summary_and_post_response_times(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(SCENARIOS / "programme-mature.yaml"), "-r", "2", "--set", "horizon.hours=10", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["journey"]) == JOURNEY_KEYS
    assert all(set(value) == CI_KEYS for value in payload["journey"].values())
    kpis = payload["kpis"]
    assert {"phone", "chat", "social", "forum", "journey"} <= set(kpis)
    for channel in ("social", "forum"):
        assert {"response_time_s", "response_coverage"} <= set(kpis[channel])
        assert set(kpis[channel]["response_time_s"]) == CI_KEYS
        assert kpis[channel]["response_time_s"] == kpis[channel]["mean_response_s"]
    for name, kpi in [("self_resolved", "deflected"), ("direct_shift", "shifted_contacts"),
                      ("repeat_contact_rate", "repeat_rate"), ("deflection_rate", "deflection_rate")]:
        assert payload["journey"][name] == kpis["journey"][kpi]  # the existing keys stay
    assert payload["journey"]["issues"]["mean"] > 0 and payload["journey"]["deflection_rate"]["ci95_low"] is not None


def test_json_of_the_baseline_has_no_post_channels(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "-r", "2", "--set", "horizon.hours=6", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["journey"]) == JOURNEY_KEYS and payload["journey"]["deflection_rate"]["mean"] == 0.0
    assert {"phone", "chat"} <= set(payload["kpis"]) and not {"social", "forum"} & set(payload["kpis"])


# -- generated settings: load or one scenario error ----------------------------------------

NOVICE = read_yaml_mapping(SCENARIOS / "programme-novice.yaml")
paths = st.sampled_from([
    ["forum"], ["forum", "placement"], ["forum", "other"], ["office_hours"], ["office_days"],
    ["channels", "social", "opening_hours"], ["channels", "social", "open_hours"], ["channels", "forum", "opening_hours"],
    ["channels", "chat", "opening_hours"], ["channels", "social", "open_days"],
    ["journey", "self_service", "placement"], ["journey"],
])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 30) | st.floats(allow_nan=True)
    | st.sampled_from(["24/7", "office", "before_login", "after_login", "none", "Office", "8-20"]) | st.text(max_size=6),
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(st.sampled_from(["placement", "x", "0"]), children, max_size=2)),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths, values)
def test_generated_forum_and_hours_settings_load_or_raise_scenario_error(path: list[str], value: Any) -> None:
    data = json.loads(json.dumps(NOVICE))
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    try:
        scenario = scenario_from_dict(data, source="gen.yaml")
    except ScenarioError as err:
        assert str(err).startswith("gen.yaml") and "Traceback" not in str(err)
    else:
        for channel in scenario.channels.values():
            hours = channel.hours_open
            assert hours is None or all(0.0 <= h <= 24.0 for h in hours)
            channel.open_at(12 * 3600.0)
        if scenario.forum is not None and scenario.forum.placement is not None:
            assert scenario.journey.self_service.placement == scenario.forum.placement
