"""The scenario loader: valid files load, every bad input is one clear ScenarioError."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import Scenario, apply_overrides, load_scenario, scenario_from_dict

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
        ("channels.phone.aht.dist=weibull", "channels.phone.aht", "expected dist to be one of"),
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


# --- property test: any generated mapping loads or raises ScenarioError -----------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 500), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "exponential", "lognormal", "abc", "24/7", "phone"]),
)
keys = st.sampled_from(
    ["horizon", "hours", "warmup_hours", "interval_minutes", "drain", "arrivals", "channels", "phone", "chat",
     "rate_per_hour", "profile", "agents", "aht", "patience", "dist", "mean_s", "cv", "k", "low_s", "high_s",
     "mode_s", "values_s", "sl_threshold_s", "sl_target", "seed", "replications", "name", "bogus"]
)
trees = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)), max_leaves=25)


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
