"""Preparing an ROI study from a scenario: its ``costs``, ``roi`` and ``uncertain`` sections validated together.

:func:`check_sections` validates the three sections for every command;
:func:`prepare_study` checks everything an ROI run needs before the first
replication (both arms valid scenarios, every uncertain input a number of
the scenario valid there over its whole range); :func:`with_inputs` sets drawn
inputs, and :func:`replication_inputs` draws them for one replication.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.analysis.costs import CostModel
from sim.errors import ScenarioError
from sim.random import Streams
from sim.spec.overrides import apply_overrides
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.uncertainty import InputDistribution, draw_inputs
from sim.spec.validation_errors import validation_to_error
from sim.studies.roi_arms import arm_scenario
from sim.studies.roi_settings import ARMS, PROGRAMME_KINDS, RoiSettings, RoiStudy


class _Sections(BaseModel):
    """The ROI-related sections of a scenario, validated together."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)
    costs: CostModel = CostModel()
    roi: RoiSettings = RoiSettings()
    uncertain: dict[str, InputDistribution] = Field(default_factory=dict)


def check_sections(scenario: Scenario, source: str = "<scenario>") -> RoiStudy:
    """Validate the ``costs``, ``roi`` and ``uncertain`` sections of any scenario (ScenarioError names the key).

    Every command that reads a scenario calls this, so a section is judged
    the same way whether the scenario is run, swept or studied for ROI: the
    three sections against their schemas, ``roi.programme_channels`` against
    the channels, and each uncertain input at its lowest, middle and highest
    values (the ends of its range, or its 1e-6 and 1 - 1e-6 quantiles where
    it has no given end) against the scenario, so that no replication draws a value
    the scenario refuses.
    """
    data = scenario.model_dump(mode="python", exclude_unset=True)
    sections = {k: data.get(k) or {} for k in ("costs", "roi", "uncertain")}
    try:
        parsed = _Sections.model_validate(sections)
    except ValidationError as exc:
        raise validation_to_error(exc, sections, _Sections, source, ScenarioError) from None
    settings = parsed.roi
    kinds = {name: ch.kind_for(name) for name, ch in scenario.channels.items()}
    if settings.programme_channels is None:
        programme = tuple(n for n, k in kinds.items() if k in PROGRAMME_KINDS)
    else:
        programme = tuple(settings.programme_channels)
        for i, name in enumerate(programme):
            if name not in kinds:
                raise ScenarioError(source, f"roi.programme_channels.{i}",
                                    f"'{name}' is not a channel; channels: {', '.join(kinds)}")
    study = RoiStudy(data, source, parsed.costs, settings, dict(parsed.uncertain), programme, kinds)
    for path, dist in study.inputs.items():
        for which, value in _checked_values(dist):
            _check_input_path(study, path, which, value)
    return study


def prepare_study(scenario: Scenario, source: str = "<scenario>") -> RoiStudy:
    """Validate the ``costs``, ``roi`` and ``uncertain`` sections and both arms (ScenarioError names the key)."""
    study = check_sections(scenario, source)
    settings = study.settings
    costs = study.data.get("costs") or {}
    if not study.programme_channels and not settings.programme and not settings.baseline and not costs.get("programme"):
        raise ScenarioError(source, "roi.programme_channels",
                            "the programme arm would be the baseline at no cost: name the programme's channels "
                            "(social, forum), give roi.programme settings or costs.programme, so the two arms differ")
    if not costs:
        raise ScenarioError(source, "costs", "an ROI study needs the costs section (personnel, channels, programme)")
    if study.programme_channels and scenario.journey is None:
        raise ScenarioError(source, "journey",
                            "an ROI study with programme channels needs the journey section (customers with issues)")
    for arm in ARMS:
        arm_scenario(study, study.data, arm, 1, None)
    return study


TAIL = 1e-6
"""An input without a given end is checked this far into its tail (one draw in 500,000 falls beyond either)."""


def _checked_values(dist: Any) -> list[tuple[str, float]]:
    """``(what, value)`` pairs an input is checked at: its median, then its lowest and highest values."""
    frozen = dist.frozen()
    checked = [("median", float(frozen.median()))]
    for end, quantile in (("low", TAIL), ("high", 1.0 - TAIL)):
        given = getattr(dist, end, None)  # the given end of its range
        if given is None:
            checked.append((f"{quantile:g} quantile", float(frozen.ppf(quantile))))
        else:
            checked.append((f"{'lowest' if end == 'low' else 'highest'} value", float(given)))
    return checked


def _check_input_path(study: RoiStudy, path: str, which: str, value: float) -> None:
    head = path.split(".")[0]
    if head in ("costs", "roi", "uncertain"):
        if head == "uncertain":
            raise ScenarioError(study.source, f"uncertain.{path}", "an uncertain input cannot point into the uncertain section")
        sections = apply_overrides({k: study.data.get(k) or {} for k in ("costs", "roi")}, {path: value}, study.source)
        try:
            _Sections.model_validate(sections)
        except ValidationError as exc:
            err = validation_to_error(exc, sections, _Sections, study.source, ScenarioError)
            raise ScenarioError(study.source, f"uncertain.{path}",
                                f"its {which} {value:g} is not valid there: {err.expected}") from None
        return
    if not _path_exists(study.data, path):
        raise ScenarioError(study.source, f"uncertain.{path}", "names no number of this scenario (check the dotted path)")
    try:
        scenario_from_dict(apply_overrides(study.data, {path: value}, study.source), study.source)
    except ScenarioError as exc:
        raise ScenarioError(study.source, f"uncertain.{path}",
                            f"its {which} {value:g} is not valid there: {exc.expected}") from None


def _path_exists(data: Any, path: str) -> bool:
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return isinstance(node, (int, float)) and not isinstance(node, bool)


def with_inputs(study: RoiStudy, values: Mapping[str, float]) -> RoiStudy:
    """The study with uncertain inputs set to ``values`` (costs and settings re-validated)."""
    if not values:
        return study
    data = apply_overrides(study.data, dict(values), study.source)
    sections = {k: data.get(k) or {} for k in ("costs", "roi")}
    parsed = _Sections.model_validate(sections)
    return RoiStudy(data, study.source, parsed.costs, parsed.roi, study.inputs, study.programme_channels, study.kinds)


def replication_inputs(study: RoiStudy, seed: int, replication: int) -> dict[str, float]:
    """The uncertain inputs' values in replication ``replication`` (one draw, used by both arms)."""
    return draw_inputs(study.inputs, Streams(seed, replication)("roi:uncertain"))
