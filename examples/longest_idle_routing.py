"""A routing policy from outside the package: escalated posts first, then the oldest work.

The blended team of ``omnichannel-day.yaml`` answers calls before posts by
skill order. This policy makes a free agent take escalated contacts (posts
turned into calls) first, and gives arriving work to the agent idle longest.
Run: python examples/longest_idle_routing.py
"""

from __future__ import annotations

from pathlib import Path

import sim
from sim.engine.agents import Agent, Work
from sim.engine.records import REASON_ESCALATION
from sim.engine.simulation import Simulation

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "omnichannel-day.yaml"


class EscalationsFirst:
    """Routing policy: escalations before anything else, the longest-idle agent takes arriving work."""

    def __init__(self) -> None:
        self.choices = 0

    def choose_agent(self, work: Work, idle: list[Agent]) -> Agent | None:
        """The first of ``idle``: each team lists its agents from the longest idle."""
        return idle[0]

    def choose_work(self, agent: Agent, waiting: list[Work]) -> Work | None:
        """The oldest escalated contact if any waits; otherwise the dispatcher's own rule."""
        escalated = [work for work in waiting if work.reason == REASON_ESCALATION]
        if not escalated:
            return None
        self.choices += 1
        return min(escalated, key=lambda work: work.arrival_s)


def escalation_waits(policy: EscalationsFirst | None, seed: int = 1) -> float:
    """Mean wait (s) of escalated calls in one replication, with or without the policy."""
    scenario = sim.load_scenario(SCENARIO)
    records = Simulation(scenario, seed=seed, routing=policy).run()
    journey = records.journey
    assert journey is not None
    escalated = (journey.contact_reason == REASON_ESCALATION) & (journey.contact_outcome == 0)
    return float(journey.contact_wait_s[escalated].mean()) if escalated.any() else float("nan")


def main() -> None:
    """Print the escalated calls' mean wait under the default rule and under the policy."""
    policy = EscalationsFirst()
    print(f"escalated calls, mean wait: default {escalation_waits(None):.1f} s, "
          f"escalations first {escalation_waits(policy):.1f} s ({policy.choices} picks by the policy)")


if __name__ == "__main__":
    main()
