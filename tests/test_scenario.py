"""The scenario loader: valid files load, every bad input is one clear ScenarioError."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.io.scenario_files import load_scenario
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict

from .conftest import SCENARIOS

GOOD = {
    "horizon": {"hours": 10, "warmup_hours": 1},
    "arrivals": {"phone": {"rate_per_hour": 100}},
    "channels": {"phone": {"agents": 10, "aht": {"dist": "lognormal", "mean_s": 300, "cv": 1.0}}},
}


def write(tmp_path: Path, data: object, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def error_for(tmp_path: Path, data: object, overrides: list[str] | None = None) -> ScenarioError:
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    assert str(path) in str(info.value), "the message must name the file"
    return info.value


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.yaml")))
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    assert isinstance(scenario, Scenario)
    assert scenario.name


@pytest.mark.parametrize(
    "override",
    [
        "arrivals.phone.rate_per_hour=900",
        "channels.phone.agents=60",
        "channels.phone.aht.mean_s=200",
        "channels.phone.patience.mean_s=240",
        "channels.phone.sl_threshold_s=30",
        "horizon.hours=50",
        "horizon.warmup_hours=2",
    ],
)
@pytest.mark.parametrize("name", ["erlang-c.yaml", "erlang-a.yaml"])
def test_documented_overrides_take_effect(name: str, override: str) -> None:
    key, value = override.split("=")
    scenario = load_scenario(SCENARIOS / name, [override])
    node: object = scenario
    for part in key.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    assert float(node) == float(value)


def test_patience_override_adds_exponential_patience_to_erlang_c() -> None:
    scenario = load_scenario(SCENARIOS / "erlang-c.yaml", {"channels.phone.patience.mean_s": 120})
    assert scenario.channels["phone"].patience.dist == "exponential"


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["channels"]["phone"]["agnets"] = 3
    err = error_for(tmp_path, data)
    assert err.key == "channels.phone.agnets"
    assert "did you mean 'agents'" in str(err)


def test_unknown_nested_distribution_key(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["channels"]["phone"]["aht"]["mean"] = 3
    err = error_for(tmp_path, data)
    assert err.key == "channels.phone.aht.mean"
    assert "did you mean 'mean_s'" in str(err)


@pytest.mark.parametrize(
    "override, key, words",
    [
        ("channels.phone.agents=ten", "channels.phone.agents", "valid integer"),
        ("horizon.hours=abc", "horizon.hours", "valid number"),
        ("arrivals.phone.rate_per_hour=-5", "arrivals.phone.rate_per_hour", "greater than or equal to 0"),
        ("channels.phone.aht.mean_s=-1", "channels.phone.aht.mean_s", "greater than 0"),
        ("channels.phone.sl_threshold_s=-20", "channels.phone.sl_threshold_s", "greater than or equal to 0"),
        ("channels.phone.sl_target=1.5", "channels.phone.sl_target", "less than or equal to 1"),
        ("channels.phone.sl_target=-0.1", "channels.phone.sl_target", "greater than or equal to 0"),
        ("channels.phone.agents=[3,-1]", "channels.phone.agents.1", "greater than or equal to 0"),
        ("channels.phone.aht.dist=pareto", "channels.phone.aht", "expected dist to be one of"),
        ("horizon.interval_minutes=20", "horizon.interval_minutes", "15, 30 or 60"),
        ("channels.phone.aht.cv=null", "channels.phone.aht.cv", "valid number"),
        ("horizon.hours=.inf", "horizon.hours", "finite number"),
        ("channels.phone.aht.mean_s=.nan", "channels.phone.aht.mean_s", "finite number"),
    ],
)
def test_bad_values_name_key_and_expectation(tmp_path: Path, override: str, key: str, words: str) -> None:
    err = error_for(tmp_path, GOOD, [override])
    assert err.key == key
    assert words in str(err)


def test_missing_required_key(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    del data["channels"]["phone"]["aht"]
    err = error_for(tmp_path, data)
    assert err.key == "channels.phone.aht" and "required" in str(err)


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in str(error_for(tmp_path, ""))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_malformed_yaml_reports_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, "horizon: {hours: 3\narrivals: [\n")
    assert "not valid YAML" in str(err) and "line" in str(err)


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    assert "mapping" in str(error_for(tmp_path, "- 1\n- 2\n"))


def test_warmup_must_be_shorter_than_horizon(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD, ["horizon.warmup_hours=10"])
    assert err.key == "horizon" and "warmup_hours" in str(err)


def test_arrivals_need_a_channel(tmp_path: Path) -> None:
    assert "arrivals.chat" in str(error_for(tmp_path, GOOD, ["arrivals.chat.rate_per_hour=3"]))


def test_bad_override_syntax(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD, ["channels.phone.agents"])
    assert "dotted.path=value" in str(err)


def test_override_through_a_scalar_is_refused(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD, ["horizon.hours.x=1"])
    assert err.key == "horizon.hours"


def test_empirical_from_csv_relative_to_scenario(tmp_path: Path) -> None:
    (tmp_path / "aht.csv").write_text("talk\n100\n200\n300\n")
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["channels"]["phone"]["aht"] = {"dist": "empirical", "csv": "aht.csv", "column": "talk"}
    scenario = load_scenario(write(tmp_path, data))
    assert scenario.channels["phone"].aht.values_s == [100.0, 200.0, 300.0]
    data["channels"]["phone"]["aht"]["column"] = "nope"
    err = error_for(tmp_path, data)
    assert err.key == "channels.phone.aht" and "column 'nope'" in str(err)


def test_apply_overrides_does_not_touch_input() -> None:
    data = {"a": {"b": 1}}
    out = apply_overrides(data, ["a.b=2", "a.c.d=[1, 2]"], "x")
    assert data == {"a": {"b": 1}} and out == {"a": {"b": 2, "c": {"d": [1, 2]}}}


# --- opening hours and the forum's placement ----------------------------------------

JOURNEY = {
    "issues": {"rate_per_hour": 10},
    "segments": {"all": {"share": 1, "channels": {"phone": 1}}},
    "issue_types": {"any": {"share": 1}},
}
FORUM_CHANNEL = {"aht": {"mean_s": 300}, "community": {"members": 100}}


@pytest.mark.parametrize(
    "value, hours, days",
    [("24/7", None, None), ("office", (8.0, 20.0), (0, 1, 2, 3, 4)), ("Office", (8.0, 20.0), (0, 1, 2, 3, 4)),
     ([9, 17.5], (9.0, 17.5), None), ((22, 6), (22.0, 6.0), None)],
)
def test_opening_hours_accepts_24_7_office_or_hours(tmp_path: Path, value: object, hours: object, days: object) -> None:
    data = mutate(GOOD, ["channels", "phone", "opening_hours"], list(value) if isinstance(value, tuple) else value)
    channel = load_scenario(write(tmp_path, data)).channels["phone"]
    assert channel.hours_open == hours and channel.days_open == days


def test_office_hours_and_days_are_the_scenarios(tmp_path: Path) -> None:
    data = mutate(GOOD, ["channels", "phone", "opening_hours"], "office")
    data.update(office_hours=[9, 17], office_days=[0, 1, 2, 3, 4, 5])
    channel = load_scenario(write(tmp_path, data)).channels["phone"]
    assert channel.hours_open == (9.0, 17.0) and channel.days_open == (0, 1, 2, 3, 4, 5)
    assert channel.open_at(5 * 86400 + 10 * 3600) and not channel.open_at(6 * 86400 + 10 * 3600)
    assert not channel.open_at(8.5 * 3600)


def test_open_hours_and_opening_hours_are_one_setting(tmp_path: Path) -> None:
    data = mutate(GOOD, ["channels", "phone", "open_hours"], [8, 20])
    data["channels"]["phone"]["opening_hours"] = "24/7"
    err = error_for(tmp_path, data)
    assert err.key == "channels.phone.opening_hours" and "not both" in str(err)
    assert load_scenario(write(tmp_path, data), ["channels.phone.opening_hours=office"]).channels["phone"].open_hours is None
    assert load_scenario(write(tmp_path, data), ["channels.phone.open_hours=[1, 2]"]).channels["phone"].hours_open == (1.0, 2.0)


@pytest.mark.parametrize(
    "override, key, words",
    [
        ("channels.phone.opening_hours=nights", "channels.phone.opening_hours",
         "expected 24/7, office or [start_hour, end_hour]"),
        ("channels.phone.opening_hours=[8, 24.5]", "channels.phone.opening_hours", "hours from 0 to 24"),
        ("channels.phone.opening_hours=[8, .nan]", "channels.phone.opening_hours", "hours from 0 to 24"),
        ("channels.phone.opening_hours={start: 8}", "channels.phone.opening_hours", "24/7, office"),
        ("office_hours=[8]", "office_hours.1", "required"),
        ("office_days=[7]", "office_days.0", "less than or equal to 6"),
        ("office_days=[]", "office_days", "at least 1 item"),
        ("forum.placement=before_login", "forum.placement", "needs a journey section"),
        ("channels.chat.opening_hours=office", "channels.chat.opening_hours", "no channel 'chat'"),
    ],
)
def test_bad_hours_and_forum_settings_name_the_key(tmp_path: Path, override: str, key: str, words: str) -> None:
    err = error_for(tmp_path, GOOD, [override])
    assert err.key == key
    assert words in str(err)


def test_forum_placement_is_the_self_service_placement(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["journey"] = yaml.safe_load(yaml.safe_dump(JOURNEY))
    data["channels"]["forum"] = FORUM_CHANNEL
    data["channels"]["forum"]["agents"] = 1
    data["forum"] = {"placement": "after_login"}
    path = write(tmp_path, data)
    assert load_scenario(path).journey.self_service.placement == "after_login"
    assert load_scenario(path, ["forum.placement=none"]).journey.self_service.placement == "none"
    assert load_scenario(path, ["journey.self_service.placement=before_login"]).journey.self_service.placement == "before_login"
    data["journey"]["self_service"] = {"placement": "before_login"}
    err = error_for(tmp_path, data)
    assert err.key == "forum.placement" and "give it once" in str(err)
    del data["channels"]["forum"]
    data["journey"]["self_service"] = {}
    err = error_for(tmp_path, data)
    assert err.key == "forum.placement" and "no forum channel" in str(err)


def test_overrides_of_one_spelling_replace_the_other() -> None:
    data = {"channels": {"social": {"open_hours": [8, 20]}}, "journey": {"self_service": {"placement": "none"}}}
    out = apply_overrides(data, ["channels.social.opening_hours=24/7", "forum.placement=before_login"], "x")
    assert out["channels"]["social"] == {"opening_hours": "24/7"}
    assert out["journey"]["self_service"] == {} and out["forum"] == {"placement": "before_login"}
    back = apply_overrides(out, {"channels.social.open_hours": [9, 17], "journey.self_service.placement": "none"}, "x")
    assert back["channels"]["social"] == {"open_hours": [9, 17]} and back["forum"] == {}


# --- property test: any generated mapping loads or raises ScenarioError -----------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 500), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "exponential", "lognormal", "abc", "24/7", "office", "phone", "before_login"]),
)
keys = st.sampled_from(
    ["horizon", "hours", "warmup_hours", "interval_minutes", "drain", "arrivals", "channels", "phone", "chat",
     "rate_per_hour", "profile", "agents", "aht", "patience", "dist", "mean_s", "cv", "k", "low_s", "high_s",
     "mode_s", "values_s", "sl_threshold_s", "sl_target", "seed", "replications", "name", "bogus",
     "opening_hours", "open_hours", "open_days", "office_hours", "office_days", "forum", "placement"]
)
trees = st.recursive(
    scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=25,
)


def mutate(base: dict, path: list[str], value: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(base))
    node = data
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, trees, max_size=6))
def test_generated_mappings_load_or_raise_scenario_error(data: dict) -> None:
    try:
        scenario_from_dict(data, source="gen.yaml")
    except ScenarioError as err:
        assert str(err).startswith("gen.yaml")


paths = st.sampled_from([
    ["horizon", "hours"], ["horizon", "warmup_hours"], ["horizon", "interval_minutes"], ["horizon", "drain"],
    ["arrivals", "phone", "rate_per_hour"], ["arrivals", "phone", "profile"], ["channels", "phone", "agents"],
    ["channels", "phone", "aht"], ["channels", "phone", "aht", "dist"], ["channels", "phone", "aht", "cv"],
    ["channels", "phone", "aht", "mean_s"], ["channels", "phone", "patience"], ["channels", "phone", "sl_target"],
    ["channels", "phone", "sl_threshold_s"], ["channels", "phone", "extra"], ["seed"], ["replications"],
    ["channels", "phone", "opening_hours"], ["channels", "phone", "open_hours"], ["office_hours"], ["office_days"],
    ["forum"], ["forum", "placement"],
])


@settings(max_examples=400, deadline=None)
@given(paths, trees)
def test_mutated_good_scenarios_load_or_raise_scenario_error(path: list[str], value: object) -> None:
    try:
        scenario = scenario_from_dict(mutate(GOOD, path, value), source="mut.yaml")
    except ScenarioError as err:
        assert str(err).startswith("mut.yaml") and "Traceback" not in str(err)
    else:
        assert scenario.horizon.warmup_hours < scenario.horizon.hours


_NAME = st.text(st.characters(whitelist_categories=("Ll", "Nd"), whitelist_characters="_"), min_size=1, max_size=8)


@given(st.lists(st.tuples(_NAME, st.lists(_NAME, min_size=1, max_size=3)), min_size=1, max_size=4))
def test_split_key_reads_plain_and_bracketed_parts(parts) -> None:
    from sim.spec.overrides import split_key

    # each part is a name, or (bracketed) a dotted path of names that stays one key
    pieces = [name if len(extra) == 1 else ".".join(extra) for name, extra in parts]
    key = ".".join(f"[{p}]" if "." in p else p for p in pieces)
    assert split_key(key) == pieces


@pytest.mark.parametrize("key", ["a[b", "a]b", "a[b]c", "a..b", ".a", "a."])
def test_malformed_override_keys_are_refused_with_the_key(key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        apply_overrides({}, [f"{key}=1"], "s.yaml")
    assert err.value.key in (key, f"{key}=1")


def test_an_existing_dotted_key_is_reached_by_its_plain_path() -> None:
    data = {"uncertain": {"costs.programme.setup_cost": {"dist": "uniform", "low": 1, "high": 2}}}
    out = apply_overrides(data, ["uncertain.costs.programme.setup_cost.high=5"], "s.yaml")
    assert out["uncertain"] == {"costs.programme.setup_cost": {"dist": "uniform", "low": 1, "high": 5}}
    assert data["uncertain"]["costs.programme.setup_cost"]["high"] == 2  # the input is not changed
