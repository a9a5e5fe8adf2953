"""Scenario sections of the omnichannel customer journey and of agent teams.

A scenario with a ``journey`` section generates customer *issues* instead of
contacts: each issue belongs to a segment and an issue type, may be solved by
self-service (forum and knowledge base), and otherwise causes one or more
contacts in the channels the customer picks. ``teams`` describes agents with
skills, staffing per interval, shrinkage and routing priorities.
"""

from __future__ import annotations

import typing
from typing import Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.spec.distributions import Distribution, Exponential, default_exponential
from sim.spec.models import SpecModel

Probability = typing.Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = typing.Annotated[float, Field(ge=0.0)]
TimeDist = typing.Annotated[Distribution, BeforeValidator(default_exponential)]
Placement = Literal["before_login", "after_login", "none"]
CHANNEL_KINDS = ("phone", "chat", "social", "forum")
"""Kinds of channel the journey knows; ``phone`` is also the plain queue."""


class _Model(SpecModel):
    """Unknown keys, NaN, infinities and true/false for numbers are refused."""


class IssueArrivals(_Model):
    """Poisson arrivals of issues: peak rate times intraday and day-of-week profiles.

    The rate in interval ``k`` of day ``d`` (day 0 is a Monday) is
    ``rate_per_hour * profile[k % len(profile)] * day_profile[d % 7]``.
    """

    rate_per_hour: NonNegative
    profile: list[NonNegative] | None = Field(None, min_length=1, description="multipliers per interval, repeating")
    day_profile: list[NonNegative] | None = Field(
        None, min_length=7, max_length=7, description="seven multipliers, Monday to Sunday"
    )


class Segment(_Model):
    """A group of customers with the same channel preferences and digital ability."""

    share: NonNegative = Field(description="relative weight of this segment among issues")
    digital_ability: Probability = Field(0.5, description="chance a customer who finds a covering answer can use it")
    self_service: Probability = Field(0.5, description="propensity to look in the forum/knowledge base first")
    channels: dict[str, NonNegative] = Field(description="relative preference for each channel")

    @model_validator(mode="after")
    def _some_channel(self) -> Segment:
        if not any(w > 0 for w in self.channels.values()):
            raise ValueError("at least one channel needs a positive preference")
        return self


class IssueType(_Model):
    """A kind of problem with its own handling time, resolution and knowledge."""

    share: NonNegative = Field(description="relative weight of this issue type")
    aht_multiplier: typing.Annotated[float, Field(gt=0.0)] = Field(1.0, description="scales every channel's handling time")
    fcr: Probability = Field(0.8, description="chance one handled contact resolves the issue")
    knowledge_coverage: Probability = Field(0.3, description="share of these issues the public knowledge answers (start value)")
    channels: dict[str, NonNegative] = Field(default_factory=dict, description="multipliers on segment preferences")


def _look_probability() -> dict[Placement, float]:
    """Default chance to look at the forum, per placement."""
    return {"before_login": 0.6, "after_login": 0.25, "none": 0.0}


class SelfService(_Model):
    """The community forum and knowledge base a customer may search first."""

    placement: Placement = Field("before_login", description="where the forum is: before_login, after_login or none")
    look_probability: dict[Placement, Probability] = Field(
        default_factory=_look_probability,
        description="chance to look, per placement, before the segment's propensity",
    )
    time: TimeDist = Field(default_factory=lambda: Exponential(mean_s=300.0), description="time spent searching")
    patience_after_failed_search: Probability = Field(
        0.9, description="a customer who searched in vain waits this share of their patience on the contact that "
                         "follows (1: off)")


class Knowledge(_Model):
    """How answers feed the public knowledge (the flywheel)."""

    gain_per_answer: Probability = Field(0.002, description="each public answer closes this share of the gap to the ceiling")
    ceiling: Probability = Field(0.9, description="coverage never exceeds this")
    articles_per_day: NonNegative = Field(0.0, description="knowledge-base articles published per day per issue type")
    gain_per_article: Probability = Field(0.01, description="each article closes this share of the gap to the ceiling")
    agent_aht_saving: Probability = Field(
        0.1, description="agents' handling time falls by this share at full coverage of the issue's type (0: off)")
    agent_fcr_gain: Probability = Field(
        0.2, description="share of the first-contact-resolution gap agents close at full coverage (0: off)")
    stale_per_day: Probability = Field(
        0.001, description="share of the coverage that goes stale each day: answers and articles age unless renewed "
                           "(0: off; 0.001 loses about 30 % of it in a year)")


class Behaviour(_Model):
    """What customers do when a contact fails or does not solve the issue."""

    switch_probability: Probability = Field(0.3, description="after abandoning, a busy signal or no answer: try another channel")
    retry_probability: Probability = Field(0.4, description="otherwise: try the same channel again after retry_delay")
    retry_delay: TimeDist = Field(default_factory=lambda: Exponential(mean_s=900.0))
    repeat_delay: TimeDist = Field(
        default_factory=lambda: Exponential(mean_s=86400.0), description="unresolved: when the customer comes back"
    )
    max_contacts: typing.Annotated[int, Field(ge=1)] = Field(5, description="contacts after which the customer gives up")
    wait_aversion_per_min: NonNegative = Field(
        0.05, description="a channel's choice weight is multiplied by exp(-this x its announced wait in minutes) (0: off)")
    after_abandon_weight: Probability = Field(
        0.5, description="a customer's weight for a channel they abandoned or were refused, on their next choices (1: off)")

    @model_validator(mode="after")
    def _probabilities_sum(self) -> Behaviour:
        if self.switch_probability + self.retry_probability > 1.0 + 1e-9:
            raise ValueError("switch_probability + retry_probability must be at most 1")
        return self


class Journey(_Model):
    """Issues, customers and self-service: the demand side of an omnichannel center."""

    issues: IssueArrivals
    segments: dict[str, Segment] = Field(min_length=1)
    issue_types: dict[str, IssueType] = Field(min_length=1)
    self_service: SelfService = SelfService()
    knowledge: Knowledge = Knowledge()
    behaviour: Behaviour = Behaviour()


class Team(_Model):
    """Agents sharing skills; the order of ``skills`` is their routing priority.

    An agent free for work takes the oldest waiting contact of the first skill
    in the list that has one, so listing deferrable work (social, forum) after
    the phone makes it fill the idle time between calls (blending).
    """

    skills: list[str] = Field(min_length=1, description="channels this team serves, highest priority first")
    agents: typing.Annotated[int, Field(ge=0)] | list[typing.Annotated[int, Field(ge=0)]] = Field(
        description="agents scheduled: one number, or one per interval (repeating)"
    )
    shrinkage: typing.Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.0, description="share of scheduled time lost to breaks, training, absence"
    )

    @model_validator(mode="after")
    def _agents_not_empty(self) -> Team:
        if isinstance(self.agents, list) and not self.agents:
            raise ValueError("agents list must not be empty")
        if len(set(self.skills)) != len(self.skills):
            raise ValueError("skills must not repeat")
        return self

    def on_duty(self, k: int) -> int:
        """Agents really available in interval ``k``: scheduled times (1 - shrinkage), rounded."""
        scheduled = self.agents[k % len(self.agents)] if isinstance(self.agents, list) else self.agents
        return int(scheduled * (1.0 - self.shrinkage) + 0.5)

    def scheduled(self, k: int) -> int:
        """Agents scheduled in interval ``k`` before shrinkage."""
        return self.agents[k % len(self.agents)] if isinstance(self.agents, list) else self.agents


class Sentiment(_Model):
    """Shares of positive, neutral and negative public posts."""

    positive: Probability = 0.2
    neutral: Probability = 0.5
    negative: Probability = 0.3
    sour_after_s: typing.Annotated[float, Field(gt=0.0)] | None = Field(
        14400.0, description="mean wait after which a waiting author turns negative (exponential); null: never")
    delight_probability: Probability = Field(
        0.1, description="an answered, resolved post turns positive with this probability")

    @model_validator(mode="after")
    def _sum_to_one(self) -> Sentiment:
        total = self.positive + self.neutral + self.negative
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"positive + neutral + negative must be 1 (got {total:g})")
        return self


class Community(_Model):
    """The peers of a forum: who answers, and how fast."""

    members: NonNegative = Field(5000, description="registered members")
    active_share: Probability = Field(0.05, description="share of members who answer questions")
    super_users: NonNegative = Field(10, description="very active members")
    super_user_weight: NonNegative = Field(20.0, description="a super-user answers like this many active members")
    answers_per_active_per_day: NonNegative = Field(
        0.02, description="rate at which one active member gives a first answer to a given open post, per day"
    )
    accept_probability: Probability = Field(0.7, description="chance a peer answer solves the issue")
    open_posts_capacity: typing.Annotated[float, Field(gt=0.0)] | None = Field(
        50.0, description="open posts the peers answer at full speed; beyond, each post's answer rate is shared "
                          "(x capacity / open posts); null: unlimited")
    members_per_accepted: NonNegative = Field(
        0.5, description="members who join for each accepted peer answer (satisfied askers, their friends)")
    members_per_unanswered: NonNegative = Field(
        1.0, description="members who leave for each forum post that got no answer at all")

    def first_answer_rate_per_s(self, members: float | None = None) -> float:
        """Rate of the first peer answer to one post (exponential time to first answer), at ``members`` if given."""
        active = (self.members if members is None else members) * self.active_share + self.super_users * self.super_user_weight
        return active * self.answers_per_active_per_day / 86400.0
