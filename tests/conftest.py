"""Shared fixtures: paths and small scenario builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.spec.scenario import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def queue_scenario(
    rate_per_hour: float,
    aht_s: float,
    agents: int | list[int],
    patience_s: float | None = None,
    hours: float = 10.0,
    warmup_hours: float = 0.0,
    **horizon: Any,
) -> Scenario:
    """A one-channel M/M/c(+M) scenario built in memory."""
    channel: dict[str, Any] = {"agents": agents, "aht": {"dist": "exponential", "mean_s": aht_s}}
    if patience_s is not None:
        channel["patience"] = {"dist": "exponential", "mean_s": patience_s}
    return scenario_from_dict({
        "horizon": {"hours": hours, "warmup_hours": warmup_hours, **horizon},
        "arrivals": {"phone": {"rate_per_hour": rate_per_hour}},
        "channels": {"phone": channel},
    })


@pytest.fixture
def scenarios_dir() -> Path:
    """The shipped scenarios folder."""
    return SCENARIOS
