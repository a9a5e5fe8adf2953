"""The scenario: a typed, validated description of one contact center.

:class:`Scenario` and its sections are pydantic models; :func:`scenario_from_dict`
validates plain data into one and adds the cross-checks pydantic cannot
express (names that must refer to channels, kind-specific settings). Every
problem becomes one :class:`~sim.errors.ScenarioError` naming the source, the
dotted key and what is expected (:mod:`sim.spec.validation_errors`); unknown
keys get a "did you mean" suggestion. Reading scenario files is
:mod:`sim.io.scenario_files`; dotted overrides are :mod:`sim.spec.overrides`.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator

from sim.errors import ScenarioError
from sim.spec.distributions import Distribution, default_exponential
from sim.spec.journey import CHANNEL_KINDS, Community, Journey, Placement, Sentiment, Team
from sim.spec.models import SpecModel
from sim.spec.validation_errors import validation_to_error

Probability = typing.Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = typing.Annotated[float, Field(ge=0.0)]
TimeDist = typing.Annotated[Distribution, BeforeValidator(default_exponential)]
Hour = typing.Annotated[float, Field(ge=0, le=24)]
Weekday = typing.Annotated[int, Field(ge=0, le=6)]

DEFAULT_OFFICE_HOURS: tuple[float, float] = (8.0, 20.0)
"""Office hours when a scenario does not set ``office_hours``: 08:00 to 20:00."""
DEFAULT_OFFICE_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
"""Office days when a scenario does not set ``office_days``: Monday to Friday."""
_OPENING_EXPECTED = "expected 24/7, office or [start_hour, end_hour] with hours from 0 to 24"


def _opening_hours(value: Any) -> Any:
    """Normalise a channel's ``opening_hours``: ``24/7``, ``office`` or ``[start_hour, end_hour]``."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("24/7", "office"):
            return text
        raise ValueError(_OPENING_EXPECTED)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(h, (int, float)) and not isinstance(h, bool) for h in value
    ):
        hours = (float(value[0]), float(value[1]))
        if all(math.isfinite(h) and 0.0 <= h <= 24.0 for h in hours):
            return hours
    raise ValueError(f"{_OPENING_EXPECTED} (got {value!r})" if isinstance(value, (list, tuple)) else _OPENING_EXPECTED)


OpeningHours = typing.Annotated[Literal["24/7", "office"] | tuple[float, float], BeforeValidator(_opening_hours)]
"""``24/7`` (around the clock), ``office`` (the scenario's office hours) or ``[start_hour, end_hour]``."""


class _Model(SpecModel):
    """Unknown keys, NaN, infinities and true/false for numbers are refused."""


class Horizon(_Model):
    """How long to simulate, what to discard, and the planning interval."""

    hours: float = Field(24.0, gt=0, description="simulated time after which no new contact arrives")
    warmup_hours: NonNegative = Field(0.0, description="initial period whose contacts are not counted")
    interval_minutes: Literal[15, 30, 60] = Field(30, description="planning interval for rates, staffing and KPIs")
    drain: bool = Field(True, description="keep serving after the horizon until every counted contact has an outcome")

    @model_validator(mode="after")
    def _warmup_inside(self) -> Horizon:
        if self.warmup_hours >= self.hours:
            raise ValueError(f"warmup_hours ({self.warmup_hours}) must be less than hours ({self.hours})")
        return self

    @property
    def interval_s(self) -> float:
        """Length of one planning interval in seconds."""
        return self.interval_minutes * 60.0


class ArrivalLevel(_Model):
    """A random level of an arrival stream's rate: Poisson-gamma (negative binomial) counts.

    The rate of every interval is multiplied by a gamma draw of mean 1 and
    coefficient of variation ``cv``: one draw per day of the horizon
    (``per: day``, a busy or quiet day as a whole) or one per planning
    interval (``per: interval``). Counts are then over-dispersed: an interval
    expecting ``m`` contacts has variance ``m + m**2 * cv**2``, a
    variance/mean ratio of ``1 + m * cv**2`` instead of Poisson's 1.
    """

    cv: typing.Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        description="coefficient of variation of the rate's random level")
    per: Literal["day", "interval"] = Field("day", description="one level per day or per planning interval")


class ArrivalStream(_Model):
    """Poisson arrivals of contacts to one channel, piecewise constant per interval.

    The rate in interval ``k`` is ``rate_per_hour * profile[k % len(profile)]``:
    ``profile`` is a list of multipliers (for instance 48 values for a day of
    30-minute intervals) that repeats over the horizon. ``aht_s``, if given,
    is the mean handling time of the stream's contacts per interval (also
    repeating): the channel's distribution keeps its shape and is scaled to
    that mean in each interval (a planner's forecast of volume and AHT per
    interval, see ``--forecast``). ``level``, if given, makes the rate
    random (:class:`ArrivalLevel`): arrivals over-dispersed as real logs show.
    """

    rate_per_hour: NonNegative
    profile: list[NonNegative] | None = Field(None, min_length=1)
    aht_s: list[typing.Annotated[float, Field(gt=0.0, allow_inf_nan=False)]] | None = Field(
        None, min_length=1, description="mean handling time per interval (s), repeating")
    level: ArrivalLevel | None = Field(None, description="random level of the rate (over-dispersed counts); absent = Poisson")


_KIND_FIELDS = {
    "lines": "phone",
    "concurrency": "chat",
    "concurrency_stretch": "chat",
    "response_coverage": "social",
    "sentiment": "social",
    "escalation_probability": "social",
    "community": "forum",
    "moderation_after_s": "forum",
}


class Channel(_Model):
    """One channel: its queue, handling time, patience, hours and service target.

    ``kind`` says how contacts behave (phone and chat queue and abandon, social
    posts are public and may escalate, forum posts are answered by peers first);
    it defaults to the channel's name when that is a known kind, else ``phone``.
    Kind-specific settings are refused on other kinds.

    Customer classes are channels served by one team. By default a free agent
    takes the oldest contact of the first of the team's ``skills`` that has one
    (strict non-preemptive priority in skill order). Once any channel sets
    ``priority_credit_s``, agents instead take the waiting contact with the
    longest wait plus its channel's credit (0 where not set): first-come
    first-served within equal credits, a class credited ``c`` seconds ahead of
    one credited 0 (a lower class is served first once it has waited ``c``
    seconds longer), and a very large credit is strict priority.
    """

    kind: Literal["phone", "chat", "social", "forum"] | None = Field(None, description="phone, chat, social or forum")
    agents: typing.Annotated[int, Field(ge=0)] | list[typing.Annotated[int, Field(ge=0)]] | None = Field(
        None, description="agents on duty: one number, or one per interval (repeats); or use teams"
    )
    aht: TimeDist = Field(description="handling time distribution")
    patience: TimeDist | None = Field(None, description="time a waiting customer stays before abandoning; absent = infinite")
    sl_threshold_s: NonNegative = Field(20.0, description="service level counts contacts answered within this many seconds")
    sl_target: Probability = Field(0.8, description="service level the center aims for (reporting only)")
    open_hours: tuple[Hour, Hour] | None = Field(
        None, description="[start_hour, end_hour) each open day; absent = around the clock (older spelling of opening_hours)"
    )
    open_days: list[Weekday] | None = Field(
        None, description="open weekdays, 0 = Monday (day 0 of the horizon); absent = every day (office: office_days)"
    )
    opening_hours: OpeningHours | None = Field(
        None, description="24/7, office (the scenario's office_hours on office_days) or [start_hour, end_hour]"
    )
    priority_credit_s: NonNegative | None = Field(
        None, description="customer class priority: seconds of waiting credited to this channel's contacts when an "
                          "agent serving several channels picks the next one (see Channel)")
    fcr_multiplier: typing.Annotated[float, Field(ge=0.0)] = Field(1.0, description="scales the issue type's FCR here")
    lines: typing.Annotated[int, Field(ge=1)] | None = Field(None, description="phone: lines; callers beyond get a busy signal")
    concurrency: typing.Annotated[int, Field(ge=1)] = Field(1, description="chat: chats one agent holds at once")
    concurrency_stretch: NonNegative = Field(
        0.0, description="chat: handling time x (1 + stretch x (chats held - 1))"
    )
    response_coverage: Probability = Field(1.0, description="social: share of posts the center answers at all")
    sentiment: Sentiment = Field(default_factory=Sentiment, description="social: shares of post sentiment")
    escalation_probability: Probability = Field(
        0.5, description="social: a negative post unanswered past the customer's patience becomes a phone call"
    )
    community: Community | None = Field(None, description="forum: the peers who answer posts")
    moderation_after_s: NonNegative = Field(86400.0, description="forum: a post no peer answered goes to moderators")
    _office_hours: tuple[float, float] = PrivateAttr(DEFAULT_OFFICE_HOURS)
    _office_days: tuple[int, ...] = PrivateAttr(DEFAULT_OFFICE_DAYS)

    @field_validator("open_hours", mode="before")
    @classmethod
    def _hours_only(cls, value: Any) -> Any:
        if isinstance(value, str):  # 24/7 and office belong to the newer spelling
            raise ValueError(f"open_hours takes [start_hour, end_hour]; for 24/7 or office write opening_hours: "
                             f"{value.strip()}")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _one_spelling(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("open_hours") is not None:
            raise ValueError("give either opening_hours or open_hours (its older spelling), not both")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Channel:
        if isinstance(self.agents, list) and not self.agents:
            raise ValueError("agents list must not be empty")
        return self

    def with_office(self, hours: tuple[float, float], days: Sequence[int]) -> Channel:
        """This channel with ``opening_hours: office`` meaning ``hours`` on weekdays ``days``."""
        channel = self.model_copy()
        channel._office_hours = (float(hours[0]), float(hours[1]))
        channel._office_days = tuple(int(d) for d in days)
        return channel

    @property
    def hours_open(self) -> tuple[float, float] | None:
        """Daily opening hours ``(start_hour, end_hour)`` in force; None = around the clock."""
        if self.opening_hours is None:
            return self.open_hours
        if self.opening_hours == "24/7":
            return None
        if self.opening_hours == "office":
            return self._office_hours
        return self.opening_hours

    @property
    def days_open(self) -> tuple[int, ...] | None:
        """Open weekdays (0 = Monday); None = every day. ``open_days`` decides when given."""
        if self.open_days is not None:
            return tuple(self.open_days)
        if self.opening_hours == "office":
            return self._office_days
        return None

    def kind_for(self, name: str) -> str:
        """The channel kind, defaulting to the name when it is a known kind."""
        if self.kind is not None:
            return self.kind
        return name if name in CHANNEL_KINDS else "phone"

    def agents_in_interval(self, k: int) -> int:
        """Agents on duty in interval ``k`` (0 when the channel uses teams)."""
        if isinstance(self.agents, list):
            return self.agents[k % len(self.agents)]
        return self.agents or 0

    def open_at(self, t_s: float) -> bool:
        """Whether the channel is open at time ``t_s`` (day 0 is a Monday)."""
        day = int(t_s // 86400.0)
        days = self.days_open
        if days is not None and day % 7 not in days:
            return False
        hours = self.hours_open
        if hours is None:
            return True
        hour = (t_s - day * 86400.0) / 3600.0
        start, end = hours
        return start <= hour < end if start <= end else (hour >= start or hour < end)


class Forum(_Model):
    """Where the community forum sits in the customer journey.

    ``placement`` is the same setting as ``journey.self_service.placement``
    (give it once): ``before_login`` (public, found by search engines and the
    help pages), ``after_login`` (in the customer's account) or ``none``.
    """

    placement: Placement | None = Field(None, description="before_login, after_login or none")


class Scenario(_Model):
    """A whole contact center: horizon, arrival streams and channels."""

    name: str = ""
    description: str = ""
    seed: int = Field(1, ge=0, description="default seed for replications")
    replications: int = Field(10, ge=1, description="default number of independent replications")
    horizon: Horizon = Horizon()
    arrivals: dict[str, ArrivalStream] = Field(default_factory=dict, description="contacts arriving straight to a channel")
    channels: dict[str, Channel]
    office_hours: tuple[Hour, Hour] = Field(
        DEFAULT_OFFICE_HOURS, description="[start_hour, end_hour) of channels with opening_hours: office"
    )
    office_days: list[Weekday] = Field(
        list(DEFAULT_OFFICE_DAYS), min_length=1, description="weekdays (0 = Monday) of channels with opening_hours: office"
    )
    journey: Journey | None = Field(None, description="customer issues, segments, self-service (omnichannel model)")
    teams: dict[str, Team] | None = Field(None, description="agents with skills; replaces per-channel agents")
    forum: Forum | None = Field(None, description="the forum's placement (same as journey.self_service.placement)")
    costs: dict[str, Any] | None = Field(None, description="cost model; validated by the ROI study (sim.analysis.costs)")
    roi: dict[str, Any] | None = Field(None, description="ROI horizon and arms; validated by the ROI study (sim.studies.roi)")
    uncertain: dict[str, Any] | None = Field(
        None, description="dotted scenario path -> distribution of that number; validated by sim.spec.uncertainty"
    )

    @model_validator(mode="after")
    def _streams_match_channels(self) -> Scenario:
        for name in self.arrivals:
            if name not in self.channels:
                raise ValueError(f"arrivals.{name} has no channel; channels are: {', '.join(self.channels) or 'none'}")
        if not self.channels:
            raise ValueError("at least one channel is needed")
        return self

    @model_validator(mode="after")
    def _resolve_office_and_forum(self) -> Scenario:
        """Give ``office`` channels the scenario's office hours; apply ``forum.placement`` to the journey."""
        for name, channel in self.channels.items():
            if channel.opening_hours == "office":
                self.channels[name] = channel.with_office(self.office_hours, self.office_days)
        placement = self.forum.placement if self.forum is not None else None
        if placement is not None and self.journey is not None and self.journey.self_service.placement != placement:
            self_service = self.journey.self_service.model_copy(update={"placement": placement})
            self.journey = self.journey.model_copy(update={"self_service": self_service})
        return self


# ---------------------------------------------------------------------------
# Validation and cross-checks


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain mapping into a :class:`Scenario` (raises ScenarioError naming ``source`` and the dotted key).

    The mapping is data only: an empirical distribution gives its observed
    times as ``values_s``. A scenario *file* may name a CSV column instead;
    :func:`sim.io.scenario_files.load_scenario` reads it before validating.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(source, None, f"expected a mapping at the top level, found {type(data).__name__}")
    _check_one_placement(data, source)
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise validation_to_error(exc, data, Scenario, source, ScenarioError) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise ScenarioError(source, None, f"cannot be read as a scenario ({exc})") from None
    check_references(scenario, source)
    return scenario


def _check_one_placement(data: Mapping[str, Any], source: str) -> None:
    """``forum.placement`` and ``journey.self_service.placement`` are one setting: refuse two different values."""
    forum, journey = data.get("forum"), data.get("journey")
    self_service = journey.get("self_service") if isinstance(journey, Mapping) else None
    if not isinstance(forum, Mapping) or not isinstance(self_service, Mapping):
        return
    short, long = forum.get("placement"), self_service.get("placement")
    if short is not None and long is not None and short != long:
        raise ScenarioError(
            source, "forum.placement",
            f"is {short!r} but journey.self_service.placement is {long!r}; they are the same setting, give it once",
        )


def check_references(scenario: Scenario, source: str) -> None:
    """Cross-checks pydantic cannot express: names that must refer to channels, kinds, agents."""
    channels = scenario.channels
    known = ", ".join(channels)
    for name, channel in channels.items():
        kind = channel.kind_for(name)
        for field in sorted(channel.model_fields_set):
            wanted = _KIND_FIELDS.get(field)
            if wanted is not None and wanted != kind:
                raise ScenarioError(source, f"channels.{name}.{field}",
                                    f"applies to {wanted} channels only; this channel is {kind}")
        if kind == "forum" and channel.community is None:
            raise ScenarioError(source, f"channels.{name}.community", "a forum needs its community (members, active_share, ...)")
    served = {skill for team in (scenario.teams or {}).values() for skill in team.skills}
    for team_name, team in (scenario.teams or {}).items():
        for i, skill in enumerate(team.skills):
            if skill not in channels:
                raise ScenarioError(source, f"teams.{team_name}.skills.{i}", f"'{skill}' is not a channel; channels are: {known}")
    for name, channel in channels.items():
        if channel.agents is None and name not in served and channel.kind_for(name) != "forum":
            raise ScenarioError(source, f"channels.{name}.agents", "is required (or give the channel to a team under teams)")
    placement = scenario.forum.placement if scenario.forum is not None else None
    if placement is not None and scenario.journey is None:
        raise ScenarioError(source, "forum.placement",
                            "needs a journey section: the forum is where customers with issues search first")
    key = "forum.placement"
    if placement is None and scenario.journey is not None:
        self_service = scenario.journey.self_service  # the same setting, spelt inside the journey
        if "placement" in self_service.model_fields_set:
            placement, key = self_service.placement, "journey.self_service.placement"
    if placement not in (None, "none") and not any(c.kind_for(n) == "forum" for n, c in channels.items()):
        raise ScenarioError(
            source, key,
            f"is {placement!r} but the scenario has no forum channel (channels are: {known}); "
            "add one with kind: forum, or use none",
        )
    if scenario.journey is not None:
        for section in ("segments", "issue_types"):
            for entry_name, entry in getattr(scenario.journey, section).items():
                for channel_name in entry.channels:
                    if channel_name not in channels:
                        raise ScenarioError(
                            source, f"journey.{section}.{entry_name}.channels.{channel_name}",
                            f"is not a channel; channels are: {known}",
                        )


def interval_count(horizon_s: float, interval_s: float) -> int:
    """Number of (possibly partial) planning intervals covering ``horizon_s``."""
    return max(1, math.ceil(horizon_s / interval_s - 1e-9))
