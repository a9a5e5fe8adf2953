"""A new customer behaviour from outside the package: call-back (virtual hold) when the phone queue is long.

A customer about to call hears the announced wait. Above a threshold, a
share of them accept a call-back instead of holding: they join a
``callback`` channel that the voice team serves after the live calls (its
skill comes second), and they do not hang up while waiting for it. The
behaviour is a channel choice policy written here; the scenario gets the
channel from its YAML plus a few keys; the engine is not edited.

Run: python examples/callback.py
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.analysis.metrics import run_kpis
from sim.engine.simulation import Simulation
from sim.spec.scenario import Scenario, scenario_from_dict

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "omnichannel-day.yaml"


def with_callback_channel(data: dict[str, Any], team: str = "voice", sl_threshold_s: float = 1800.0) -> dict[str, Any]:
    """The scenario mapping plus a ``callback`` channel: phone handling times, no patience, served by ``team`` after phone."""
    data = copy.deepcopy(data)
    phone = data["channels"]["phone"]
    data["channels"]["callback"] = {"kind": "phone", "aht": phone["aht"], "sl_threshold_s": sl_threshold_s,
                                    "sl_target": 0.8}
    data["teams"][team]["skills"] = [*data["teams"][team]["skills"], "callback"]
    return data


class VirtualHold:
    """Channel choice: offer a call-back when the phone's announced wait is above ``threshold_s``.

    A customer whose preference draw picks the phone accepts the offer with
    probability ``accept_share``, decided on the customer's own keyed
    uniform (``Simulation.uniform``): adding this behaviour leaves every
    other random number of the run where it was.
    """

    def __init__(self, threshold_s: float = 120.0, accept_share: float = 0.6) -> None:
        self.threshold_s = threshold_s
        self.accept_share = accept_share
        self.simulation: Simulation | None = None
        self.offers = 0
        self.accepted = 0

    def choose_channel(self, issue: int, options: list[tuple[str, float]], u: float) -> str | None:
        """``"callback"`` for customers who take the offer; None (the preference draw) for everyone else."""
        simulation = self.simulation
        if simulation is None or _preferred(options, u) != "phone":
            return None
        if simulation.expected_wait_s("phone") <= self.threshold_s:
            return None
        self.offers += 1
        if simulation.uniform(issue, "accepts-callback") >= self.accept_share:
            return None
        self.accepted += 1
        return "callback"


def _preferred(options: list[tuple[str, float]], u: float) -> str | None:
    """The channel the preference draw ``u`` picks among ``options`` (as the engine does)."""
    x = u * sum(weight for _, weight in options)
    for channel, weight in options:
        x -= weight
        if x < 0:
            return channel
    return options[-1][0] if options else None


def scenario(with_channel: bool = True) -> Scenario:
    """The shipped omnichannel day, with the call-back channel added if asked."""
    data = yaml.safe_load(SCENARIO.read_text())
    return scenario_from_dict(with_callback_channel(data) if with_channel else data, str(SCENARIO))


def kpis(policy: VirtualHold | None, seed: int = 1) -> pd.DataFrame:
    """Run KPIs (a row per channel, a column per KPI) of one replication, with the call-back channel and, if given, the policy."""
    simulation = Simulation(scenario(), seed=seed, choice=policy)
    if policy is not None:
        policy.simulation = simulation
    long = run_kpis(simulation.run())
    return long.pivot_table(index="channel", columns="kpi", values="value")


def main() -> None:
    """Print phone and call-back KPIs without and with the offer."""
    policy = VirtualHold()
    before, after = kpis(None), kpis(policy)
    columns = ["offered", "abandon_rate", "service_level", "mean_wait_s"]
    print(f"call-back offered {policy.offers} times, accepted {policy.accepted} times")
    print("without the offer:\n", before.loc[["phone", "callback"], columns].round(3).to_string())
    print("with the offer:\n", after.loc[["phone", "callback"], columns].round(3).to_string())


if __name__ == "__main__":
    main()
