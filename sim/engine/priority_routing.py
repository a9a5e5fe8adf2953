"""Customer classes served by credited waiting time: the routing policy behind ``priority_credit_s``.

A channel's ``priority_credit_s`` (see :class:`sim.spec.scenario.Channel`)
is a head start in the queue: a free agent takes, among the waiting
contacts of the channels it serves, the one with the longest wait plus its
channel's credit. Equal credits give first-come first-served across
channels; a class credited ``c`` seconds is overtaken by another once that
one has waited ``c`` seconds longer; a very large credit is strict priority.
This is how the Anonymous Bank served its priority callers (1.5 minutes of
credited queue time). The policy is an ordinary
:class:`~sim.engine.agents.RoutingPolicy`, passed to the model, so the
compiled dispatcher is unchanged.
"""

from __future__ import annotations

from sim.engine.agents import Agent, Work
from sim.spec.scenario import Scenario


def uses_credit(scenario: Scenario) -> bool:
    """Whether any channel of ``scenario`` sets ``priority_credit_s``."""
    return any(c.priority_credit_s is not None for c in scenario.channels.values())


class CreditedWaitRouting:
    """Longest credited wait first (non-preemptive); the agent choice is left to the dispatcher."""

    def __init__(self, credit_s: dict[str, float]) -> None:
        self.credit_s = dict(credit_s)

    @classmethod
    def for_scenario(cls, scenario: Scenario) -> CreditedWaitRouting:
        """The policy with each channel's credit (0 where not set)."""
        return cls({name: float(c.priority_credit_s or 0.0) for name, c in scenario.channels.items()})

    def choose_agent(self, work: Work, idle: list[Agent]) -> Agent | None:
        """None: an idle agent takes a new contact as the dispatcher decides (no one is waiting)."""
        return None

    def choose_work(self, agent: Agent, waiting: list[Work]) -> Work | None:
        """The waiting contact that arrived earliest once its channel's credit is subtracted."""
        credit = self.credit_s
        return min(waiting, key=lambda work: work.arrival_s - credit.get(work.channel, 0.0))
