"""The omnichannel engine: customers with issues, self-service, channels, agents.

Each issue is a discrete-event process, written as a chain of callbacks that
reads like the customer's story::

    arrive -> maybe search the forum/knowledge base (resolved: deflected)
           -> pick a channel open now -> contact (queue, post, forum)
           -> resolved? done : repeat later / retry / switch / escalate / give up

Every effect in the outputs (deflection, direct shift to digital channels,
repeat contacts, escalations, knowledge growth) comes out of these simulated
customers and the agents that serve them, never out of a fixed percentage.

Event loop: the model is a SimPy model in structure (timed callbacks, the
clock as a process of moments, SimPy's ordering of simultaneous events), but
it runs on :class:`sim.engine.agents.EventLoop`, a heap of ``(time, seq, callback,
arg)`` tuples, rather than on ``simpy.Environment``. Omnichannel studies run
this engine thousands of times (Monte Carlo over scenarios and seeds), and a
SimPy ``Timeout`` per event (an object, its callback list, a closure, the
environment's step) was the largest single cost of a run. The lean loop
schedules and orders events exactly as SimPy did: same times (``now +
delay``), ties in scheduling order, nothing run at the horizon itself unless
the run drains, so the records are the same, bit for bit.

Compiled: this module, :mod:`sim.engine.agents` and :mod:`sim.engine.knowledge` are compiled
with mypyc when the package is installed (see :mod:`sim.engine_build`), which
is why the hot paths use precisely typed lists indexed by channel and issue
numbers, ``Final`` constants and callbacks bound once per run. The code stays
plain Python and runs as such, with the same results, where it is not compiled.

Random numbers: the attributes of each issue (segment, type, the decisions of
its first contact, handling time and patience in every channel) are drawn up
front per issue from their own streams, so two runs that differ in, say, the
forum's placement still see the same customers with the same problems
(common random numbers). Later contacts draw from separate streams in blocks.
"""

from __future__ import annotations

import gc
import itertools
import math
from contextlib import contextmanager
from typing import Callable, Final, Iterator, Protocol

import numpy as np

from sim.engine.agents import SERVING, UNQUEUED, WAITING, ChannelRouting, Dispatcher, RoutingPolicy, Work
from sim.engine.loop import EventLoop
from sim.engine.demand import poisson_arrivals, rates_per_hour
from sim.spec.distributions import Distribution, sample
from sim.spec.journey import Journey, Team
from sim.engine.knowledge import KnowledgeBase
from sim.random import Streams
from sim.engine.records import (
    ABANDONED,
    ANSWERED,
    BLOCKED,
    BY_AGENT,
    BY_NONE,
    BY_PEER,
    REASON_DIRECT,
    REASON_ESCALATION,
    REASON_FIRST,
    REASON_REPEAT,
    REASON_RETRY,
    REASON_SWITCH,
    WAITING as OUTCOME_WAITING,
    ChannelRecords,
    JourneyRecords,
    RunRecords,
    TeamRecords,
)
from sim.spec.scenario import Scenario, interval_count

OPEN: Final = 0
SELF_RESOLVED: Final = 1
RESOLVED_STATE: Final = 2
GAVE_UP: Final = 3
"""Issue states, as in :data:`sim.engine.records.ISSUE_STATES` (``Final``: compiled as constants)."""
_DRAIN_LIMIT_S: Final = 7 * 86400.0
"""How long past the horizon a draining run keeps its clock going for work still waiting."""
_BLOCK: Final = 512
_LATER_COLUMNS: Final = 16
_QUEUED: Final = 0
_SOCIAL: Final = 1
_FORUM: Final = 2
"""How a channel takes a contact: a queue (phone, chat), a public post, a forum post."""
_POST_KINDS = {"social": _SOCIAL, "forum": _FORUM}


def _unpack_codes(codes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Channel, reason, outcome, who answered, resolved, sentiment and escalated, from :meth:`JourneyModel._log`'s codes."""
    return (
        codes & 0xFFFF,
        ((codes >> 16) & 0xF).astype(np.int8),
        ((codes >> 20) & 0xF).astype(np.int8),
        (((codes >> 24) & 0x3) - 1).astype(np.int8),
        ((codes >> 26) & 0x1).astype(bool),
        (((codes >> 27) & 0x3) - 1).astype(np.int8),
        ((codes >> 29) & 0x1).astype(bool),
    )


def _mean_s(dist: object) -> float:
    """The mean of a time distribution (a method on most, a field on some)."""
    mean = getattr(dist, "mean")
    return float(mean() if callable(mean) else mean)


def _ignore(_arg: object) -> None:
    """A callback that does nothing (in place of the model's own once a run is over)."""


def _draw_unit_exponential(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.exponential(1.0, n)


def _sampler(dist: Distribution) -> Callable[[np.random.Generator, int], np.ndarray]:
    """Draws of ``n`` values from ``dist``, for a :class:`_Block`."""
    return lambda rng, n: sample(dist, rng, n)


class _Block:
    """Values drawn ``_BLOCK`` at a time from a stream, handed out one by one."""

    def __init__(self, draw: Callable[[int], np.ndarray]) -> None:
        self.draw = draw
        self.values: list[float] = []
        self.position = 0

    def __call__(self) -> float:
        if self.position >= len(self.values):
            self.values = self.draw(_BLOCK).tolist()
            self.position = 0
        value = self.values[self.position]
        self.position += 1
        return value


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it is on) while a run builds and simulates.

    A run allocates hundreds of thousands of short-lived objects (contacts,
    events, callbacks); reference counting frees them at once, but their
    allocation keeps triggering the cyclic collector, which then scans the
    run's live objects again and again (5-10 % of the run time). The few
    cycles a run leaves behind are collected after it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def issue_rates_per_hour(journey: Journey, interval_s: float, n_intervals: int) -> np.ndarray:
    """Issue arrival rate in each interval: peak rate x intraday x day-of-week multipliers."""
    issues = journey.issues
    rates = np.full(n_intervals, float(issues.rate_per_hour))
    if issues.profile is not None:
        rates *= np.resize(np.asarray(issues.profile, dtype=float), n_intervals)
    if issues.day_profile is not None:
        day = (np.arange(n_intervals) * interval_s // 86400.0).astype(int) % 7
        rates *= np.asarray(issues.day_profile, dtype=float)[day]
    return rates


def implicit_teams(scenario: Scenario) -> dict[str, Team]:
    """Scenario teams plus one team per channel that has its own ``agents``."""
    teams = dict(scenario.teams or {})
    for name, channel in scenario.channels.items():
        if channel.agents is not None:
            teams.setdefault(name, Team(skills=[name], agents=channel.agents, shrinkage=0.0))
    return teams


EVENTS: Final = ("contact_arrived", "contact_answered", "contact_abandoned", "contact_completed", "post_answered",
                 "issue_resolved")
"""What listeners can subscribe to (:meth:`JourneyModel.subscribe`). Contact events pass the
:class:`~sim.engine.agents.Work`; ``issue_resolved`` passes the issue's number. ``contact_answered``:
an agent takes the contact; ``contact_completed``: an agent finished a call or chat; ``post_answered``:
a public post got its answer (agent or peer)."""


class ChannelChoice(Protocol):
    """Chooses the channel an issue's customer contacts; the preference draw applies where it returns None.

    ``options`` are the channels open to this customer now, with their
    preference weights (segment x issue type); ``u`` is the customer's own
    uniform for this decision (common random numbers: pass it on rather
    than drawing another).
    """

    def choose_channel(self, issue: int, options: list[tuple[str, float]], u: float) -> str | None:
        """The name of one of ``options``, or None for the preference draw."""
        ...


class JourneyModel:
    """Builds and runs one replication of an omnichannel scenario.

    Public methods (no underscore) are the engine's API for code outside the
    model's own events: SimPy processes, listeners and policies (see
    :class:`sim.engine.simulation.Simulation`, which wraps them).
    """

    def __init__(self, scenario: Scenario, streams: Streams, snapshot_s: float, loop: EventLoop | None = None,
                 routing: RoutingPolicy | None = None, choice: ChannelChoice | None = None) -> None:
        self.scenario = scenario
        self.streams = streams
        self.loop = EventLoop() if loop is None else loop
        self.choice = choice
        self.listeners: dict[str, list[Callable[[object], None]]] = {name: [] for name in EVENTS}
        self._listening = False
        self.horizon_s = scenario.horizon.hours * 3600.0
        self.interval_s = scenario.horizon.interval_s
        self.snapshot_s = snapshot_s
        self.names = list(scenario.channels)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.kinds = {name: ch.kind_for(name) for name, ch in scenario.channels.items()}
        self.teams = implicit_teams(scenario)
        routes = {
            name: ChannelRouting(self.kinds[name], ch.concurrency, ch.concurrency_stretch) for name, ch in scenario.channels.items()
        }
        self.dispatcher = Dispatcher(self.loop, routes, self.teams, routing)
        self.team_index = {name: k for k, name in enumerate(self.teams)}
        self.held_until = [-math.inf] * len(self.teams)  # agents set from outside until then (see hold_agents)
        self.served_s = [0.0] * len(scenario.channels)  # handling time and count of finished work, per channel
        self.served_n = [0] * len(scenario.channels)
        # per channel, by position in ``names`` (which is also the dispatcher's numbering)
        self.specs = list(scenario.channels.values())
        staffed = {name for team in self.teams.values() for name in team.skills}
        self.staffed = [name in staffed for name in self.names]
        self._post_kind = [_POST_KINDS.get(self.kinds[name], _QUEUED) for name in self.names]
        self._peer_rate = [ch.community.first_answer_rate_per_s() if ch.community else 0.0 for ch in self.specs]
        self._accept_p = [ch.community.accept_probability if ch.community else 0.0 for ch in self.specs]
        self.escalation_channel = next((c for c, n in enumerate(self.names) if self.kinds[n] == "phone"), -1)
        self.lines = [-1 if ch.lines is None else ch.lines for ch in self.specs]  # -1: no limit
        self.fcr_mult = [ch.fcr_multiplier for ch in self.specs]
        self.customer_open = [True] * len(self.names)
        self.contacts: list[tuple] = []
        self.started: list[Work] = []  # contacts that went into progress, in order; ``closed`` once logged
        self.snaps: list[tuple[float, list[int], list[float], list[float]]] = []
        self.moments: list[float] = []
        # the callbacks of the customer's story, bound once (binding a method per event costs an allocation)
        self._on_searched: Callable[[int], None] = self._searched
        self._on_queued_patience: Callable[[Work], None] = self._queued_patience
        self._on_post_patience: Callable[[Work], None] = self._post_patience
        self._on_peer_answer: Callable[[Work], None] = self._peer_answer
        self._on_moderate: Callable[[Work], None] = self._moderate
        self._on_repeat: Callable[[int], None] = self._repeat
        self._on_retry: Callable[[tuple[int, int]], None] = self._retry
        self._on_queued_done: Callable[[Work], None] = self._queued_done
        self._on_post_answered: Callable[[Work], None] = self._post_answered
        self._on_drain_interval: Callable[[int], None] = self._drain_interval
        with _collector_paused():
            self._setup_issues()

    # -- random numbers -----------------------------------------------------
    def _later_block(self, purpose: str, make: Callable[[np.random.Generator, int], np.ndarray]) -> _Block:
        """Values for later contacts from stream ``purpose``, drawn in blocks when first needed."""
        streams = self.streams
        return _Block(lambda n: make(streams(purpose), n))

    def _uniform(self, issue: int) -> float:
        """The next decision uniform of ``issue``: its own pre-drawn column while they last.

        Giving every issue its own sequence keeps two runs of the same
        customers in step even where their paths differ (common random numbers).
        """
        if issue >= 0:
            k = self.u_used[issue]
            if k < _LATER_COLUMNS:
                self.u_used[issue] = k + 1
                return self.u_later[issue * _LATER_COLUMNS + k]
        return self._later_u()

    def _service(self, c: int, issue: int, first: bool) -> float:
        if first:
            return self.first_service[c][issue]  # already scaled by the issue type
        base = self._aht_later[c]()
        return base * self.aht_mult[self.typ[issue]] if issue >= 0 else base

    def _patience(self, c: int, issue: int, first: bool) -> float:
        if first:
            return self.first_patience[c][issue]
        block = self._patience_later[c]
        return math.inf if block is None else block()

    # -- set-up ---------------------------------------------------------------
    def _setup_issues(self) -> None:
        scenario, streams = self.scenario, self.streams
        journey = scenario.journey
        n_int = interval_count(self.horizon_s, self.interval_s)
        self.segments: list[str] = []
        self.types: list[str] = []
        if journey is None:
            self.issue_arrival = np.empty(0)
        else:
            rates = issue_rates_per_hour(journey, self.interval_s, n_int)
            self.issue_arrival = poisson_arrivals(rates, self.interval_s, self.horizon_s, streams("arrivals:issues"))
            self.segments, self.types = list(journey.segments), list(journey.issue_types)
        n = len(self.issue_arrival)
        u = streams("journey:issue-u").random((n, 8))
        # one Python list per column (lists of lists would be slow to build and to collect)
        self.u_look: list[float] = u[:, 2].tolist()
        self.u_search: list[float] = u[:, 3].tolist()
        self.u_choose: list[float] = u[:, 4].tolist()
        self.u_sentiment: list[float] = u[:, 5].tolist()
        self.u_resolve: list[float] = u[:, 6].tolist()
        self.u_scope: list[float] = u[:, 7].tolist()
        # later uniforms: few of them are used, so they stay in one flat array (row = issue)
        self.u_later = streams("journey:issue-later-u").random((n, _LATER_COLUMNS)).ravel()
        self._later_u = self._later_block("journey:later-u", lambda rng, k: rng.random(k))
        self.u_used: list[int] = [0] * n
        self.search_s: list[float] = []
        self.look_p: list[float] = []
        self.ability: list[float] = []
        self.aht_mult: list[float] = []
        self.fcr: list[float] = []
        self.options: list[list[tuple[int, float]]] = []  # per segment x issue type: (channel, weight)
        if journey is not None:
            seg_share = np.array([s.share for s in journey.segments.values()], dtype=float)
            type_share = np.array([t.share for t in journey.issue_types.values()], dtype=float)
            self.segment = np.minimum(np.searchsorted(np.cumsum(seg_share) / seg_share.sum(), u[:, 0], side="right"), len(seg_share) - 1)
            self.itype = np.minimum(np.searchsorted(np.cumsum(type_share) / type_share.sum(), u[:, 1], side="right"), len(type_share) - 1)
            self.search_s = sample(journey.self_service.time, streams("journey:search"), n).tolist()
            place = journey.self_service.placement
            look = journey.self_service.look_probability.get(place, 0.0)
            self.look_p = [look * s.self_service for s in journey.segments.values()]
            self.ability = [s.digital_ability for s in journey.segments.values()]
            self.aht_mult = [t.aht_multiplier for t in journey.issue_types.values()]
            self.fcr = [t.fcr for t in journey.issue_types.values()]
            weights = [
                [seg.channels.get(c, 0.0) * t.channels.get(c, 1.0) for c in self.names]
                for seg in journey.segments.values()
                for t in journey.issue_types.values()
            ]
            self.options = [[(c, w) for c, w in enumerate(row) if w > 0] for row in weights]
            behaviour = journey.behaviour
            self.max_contacts = behaviour.max_contacts
            self.switch_p = behaviour.switch_probability
            self.retry_p = behaviour.retry_probability
            self._repeat_delay = self._later_block("journey:repeat", _sampler(behaviour.repeat_delay))
            self._retry_delay = self._later_block("journey:retry", _sampler(behaviour.retry_delay))
            coverage = [t.knowledge_coverage for t in journey.issue_types.values()]
            self.knowledge = KnowledgeBase(self.types, coverage, journey.knowledge)
        else:
            self.segment = self.itype = np.zeros(0, dtype=int)
            self.max_contacts, self.switch_p, self.retry_p = 1, 0.0, 0.0
            self.knowledge = KnowledgeBase([], [], Journey.model_fields["knowledge"].default)
        self.first_service: list[list[float]] = []  # per channel and issue, x the issue type's multiplier
        type_mult = np.asarray(self.aht_mult, dtype=float)[self.itype] if journey is not None else np.empty(0)
        self.first_patience: list[list[float]] = []
        self._aht_later: list[_Block] = []
        self._patience_later: list[_Block | None] = []
        for name, ch in scenario.channels.items():
            self.first_service.append((sample(ch.aht, streams(f"aht:{name}"), n) * type_mult).tolist())
            self._aht_later.append(self._later_block(f"aht-later:{name}", _sampler(ch.aht)))
            if ch.patience is not None:
                self.first_patience.append(sample(ch.patience, streams(f"patience:{name}"), n).tolist())
                self._patience_later.append(self._later_block(f"patience-later:{name}", _sampler(ch.patience)))
            else:
                self.first_patience.append([math.inf] * n)
                self._patience_later.append(None)
        self.first_peer: list[float] = streams("forum:peer").exponential(1.0, n).tolist()
        self._peer_later = self._later_block("forum:peer-later", _draw_unit_exponential)
        self.issue_looked: list[bool] = [False] * n
        self.n_types = len(self.types)
        self.issue_start: list[float] = [0.0] * n
        self.issue_state: list[int] = [OPEN] * n
        self.issue_resolution: list[float] = [math.nan] * n
        self.issue_contacts: list[int] = [0] * n
        self.seg: list[int] = self.segment.tolist()  # Python lists: numpy scalar indexing is slow per event
        self.typ: list[int] = self.itype.tolist()
        self.group: list[int] = (self.segment * self.n_types + self.itype).tolist()  # index into self.options
        self._open_options: list[tuple[float, list[tuple[int, float]]] | None] = [None] * len(self.options)

    # -- channel availability and choice --------------------------------------
    def _choose(self, issue: int, u: float, exclude: int = -1) -> int:
        """A channel open now (-1: none), drawn with the segment x issue-type preference weights."""
        group = self.group[issue]
        if self.choice is not None:
            return self._policy_choice(issue, u, group, exclude)
        if exclude < 0:
            # the open channels of a group change only with the interval: computed once per interval
            cached = self._open_options[group]
            if cached is None:
                cached = self._open_options[group] = self._options_open(group, -1)
            total, options = cached
        else:
            total, options = self._options_open(group, exclude)
        if total <= 0:
            return -1
        x = u * total
        chosen = -1
        for channel, weight in options:
            chosen = channel
            x -= weight
            if x < 0:
                break
        return chosen

    def _policy_choice(self, issue: int, u: float, group: int, exclude: int) -> int:
        """The channel choice policy's pick among the open channels; the preference draw where it returns None."""
        total, options = self._options_open(group, exclude)
        if total <= 0 or self.choice is None:
            return -1
        picked = self.choice.choose_channel(issue, [(self.names[c], w) for c, w in options], u)
        if picked is not None:
            return self.index[picked]
        x = u * total
        chosen = -1
        for channel, weight in options:
            chosen = channel
            x -= weight
            if x < 0:
                break
        return chosen

    def _options_open(self, group: int, exclude: int) -> tuple[float, list[tuple[int, float]]]:
        """The channels of ``group`` open now (but ``exclude``) with their weights, and the weights' sum."""
        is_open = self.customer_open
        options = [(channel, weight) for channel, weight in self.options[group] if is_open[channel] and channel != exclude]
        total = 0.0
        for _channel, weight in options:
            total += weight
        return total, options

    def _until_open(self, issue: int) -> float:
        """Seconds until one of the issue's channels opens (inf if none within a week)."""
        wanted = [self.specs[c] for c, _ in self.options[self.group[issue]]]
        step = self.interval_s
        t = (math.floor(self.loop.now / step + 1e-9) + 1) * step
        for _ in range(int(7 * 86400 / step) + 1):
            if any(ch.open_at(t) for ch in wanted):
                return t - self.loop.now
            t += step
        return math.inf

    # -- logging -------------------------------------------------------------
    def _log(self, work: Work, wait_s: float, service_s: float, outcome: int, by: int, resolved: bool,
             escalated: bool = False) -> None:
        """Log what became of a contact: five numbers, its small codes packed into one (see :func:`_unpack_codes`)."""
        codes = (work.ch | work.reason << 16 | outcome << 20 | (by + 1) << 24 | resolved << 26
                 | (work.sentiment + 1) << 27 | escalated << 29)
        self.contacts.append((work.issue, codes, work.arrival_s, wait_s, service_s))

    def _resolves(self, work: Work) -> bool:
        issue = work.issue
        if issue < 0:
            return True
        u = self.u_resolve[issue] if work.first else self._uniform(issue)
        return u < self.fcr[self.typ[issue]] * self.fcr_mult[work.ch]

    # -- the customer's story --------------------------------------------------
    # arrive -> (search) -> contact -> handled: resolved | repeat later
    #                               -> failed: escalate | switch | retry later | give up
    def _arrive(self, i: int) -> None:
        """Issue ``i`` arrives: search the forum/knowledge base first, or contact the center.

        Issues arrive through the event loop's feed, in order.
        """
        loop = self.loop
        self.issue_start[i] = loop.now
        if self.u_look[i] < self.look_p[self.seg[i]]:
            self.issue_looked[i] = True
            loop.after(self.search_s[i], self._on_searched, i)
        else:
            self._try(i, self._choose(i, self.u_choose[i]), REASON_FIRST)

    def _searched(self, i: int) -> None:
        if self.u_search[i] < self.knowledge.coverage[self.typ[i]] * self.ability[self.seg[i]]:
            self._end(i, SELF_RESOLVED)
        else:
            self._try(i, self._choose(i, self.u_choose[i]), REASON_FIRST)

    def _try(self, i: int, c: int, reason: int) -> None:
        """Contact channel ``c`` now (or, if -1, wait until a wanted channel opens)."""
        if c < 0:
            wait = self._until_open(i)
            if math.isinf(wait):
                self._end(i, GAVE_UP)
            else:
                self.loop.after(wait, lambda _i: self._try(i, self._choose(i, self._uniform(i)), reason), i)
            return
        first = False
        if i >= 0:
            contacts = self.issue_contacts[i]
            first = contacts == 0
            self.issue_contacts[i] = contacts + 1
        kind = self._post_kind[c]
        if kind == _QUEUED:
            if first:
                self._queued(i, c, reason, first, self.first_service[c][i], self.first_patience[c][i])
            else:
                self._queued(i, c, reason, first, self._service(c, i, first), self._patience(c, i, first))
        elif kind == _SOCIAL:
            self._social_post(i, c, reason, first)
        else:
            self._forum_post(i, c, reason, first)

    def _handled(self, work: Work, resolved: bool) -> None:
        """A contact was answered: the issue is resolved, or the customer comes back later."""
        i = work.issue
        if i < 0:
            return
        if resolved:
            self.issue_state[i] = RESOLVED_STATE
            self.issue_resolution[i] = self.loop.now - self.issue_start[i]
            if self._listening:
                self._emit("issue_resolved", i)
        elif self.issue_contacts[i] >= self.max_contacts:
            self._end(i, GAVE_UP)
        else:
            self.loop.after(self._repeat_delay(), self._on_repeat, i)

    def _repeat(self, i: int) -> None:
        self._try(i, self._choose(i, self._uniform(i)), REASON_REPEAT)

    def _failed(self, work: Work, escalate: bool = False) -> None:
        """A contact got no answer (abandoned, busy signal, unanswered post): what next."""
        i = work.issue
        if i < 0:
            return
        if self.issue_contacts[i] >= self.max_contacts:
            self._end(i, GAVE_UP)
            return
        if escalate:
            self._try(i, self.escalation_channel, REASON_ESCALATION)
            return
        u = self._uniform(i)
        if u < self.switch_p:
            other = self._choose(i, self._uniform(i), exclude=work.ch)
            if other >= 0:
                self._try(i, other, REASON_SWITCH)
                return
        if u < self.switch_p + self.retry_p:
            self.loop.after(self._retry_delay(), self._on_retry, (i, work.ch))
            return
        self._end(i, GAVE_UP)

    def _retry(self, arg: tuple[int, int]) -> None:
        i, c = arg
        self._try(i, c if self.customer_open[c] else self._choose(i, self._uniform(i)), REASON_RETRY)

    def _end(self, i: int, state: int) -> None:
        self.issue_state[i] = state
        if state in (SELF_RESOLVED, RESOLVED_STATE):
            self.issue_resolution[i] = self.loop.now - self.issue_start[i]
            if self._listening:
                self._emit("issue_resolved", i)

    # -- phone and chat: queue, patience, lines -----------------------------------
    def _queued(self, i: int, c: int, reason: int, first: bool, service_s: float, patience_s: float) -> None:
        """A call or chat arrives at queue ``c``: refused when every line is busy, else queued until served or patience ends."""
        work = Work(self.names[c], self.loop.now, service_s, i, reason, first, c)
        lines = self.lines[c]
        dispatcher = self.dispatcher
        if lines >= 0 and dispatcher.in_system[c] >= lines:
            self._log(work, 0.0, work.service_s, BLOCKED, BY_NONE, False)
            self._failed(work)
            return
        work.on_done = self._on_queued_done
        self.started.append(work)
        dispatcher.submit(work)
        if work.state == WAITING and patience_s < math.inf:
            self.loop.after(patience_s, self._on_queued_patience, work)
        if self._listening:
            self._emit("contact_arrived", work)

    def _queued_patience(self, work: Work) -> None:
        if self.dispatcher.withdraw(work):
            work.closed = True
            self._log(work, self.loop.now - work.arrival_s, work.service_s, ABANDONED, BY_NONE, False)
            if self._listening:
                self._emit("contact_abandoned", work)
            self._failed(work)

    def _queued_done(self, work: Work) -> None:
        work.closed = True
        i = work.issue
        if i < 0:
            resolved = True
        else:  # as _resolves
            u = self.u_resolve[i] if work.first else self._uniform(i)
            resolved = u < self.fcr[self.typ[i]] * self.fcr_mult[work.ch]
        self._log(work, work.start_s - work.arrival_s, work.service_s, ANSWERED, BY_AGENT, resolved)
        self.served_s[work.ch] += work.service_s
        self.served_n[work.ch] += 1
        if self._listening:
            self._emit("contact_completed", work)
        self._handled(work, resolved)

    # -- public posts: social and forum ------------------------------------------------
    def _social_post(self, i: int, c: int, reason: int, first: bool) -> None:
        ch = self.specs[c]
        work = Work(self.names[c], self.loop.now, self._service(c, i, first), i, reason, first, c)
        u_sent = self.u_sentiment[i] if first else self._uniform(i)
        s = ch.sentiment
        work.sentiment = 0 if u_sent < s.positive else (1 if u_sent < s.positive + s.neutral else 2)
        in_scope = (self.u_scope[i] if first else self._uniform(i)) < ch.response_coverage and self.staffed[c]
        patience = self._patience(c, i, first)
        self.started.append(work)
        work.on_done = self._on_post_answered
        if in_scope:
            self.dispatcher.submit(work)
        else:
            work.state = UNQUEUED
        if work.state in (WAITING, UNQUEUED) and not math.isinf(patience):
            self.loop.after(patience, self._on_post_patience, work)
        if self._listening:
            self._emit("contact_arrived", work)

    def _post_patience(self, work: Work) -> None:
        """The author of a post stops waiting; a negative social post may escalate to the phone."""
        if work.state == WAITING:
            self.dispatcher.withdraw(work)
        elif work.state != UNQUEUED:
            return  # an agent is already answering it
        work.closed = True
        escalate = (
            work.sentiment == 2 and work.issue >= 0 and self.escalation_channel >= 0
            and self._uniform(work.issue) < self.specs[work.ch].escalation_probability
        )
        self._log(work, self.loop.now - work.arrival_s, work.service_s, ABANDONED, BY_NONE, False, escalate)
        if self._listening:
            self._emit("contact_abandoned", work)
        self._failed(work, escalate)

    def _post_answered(self, work: Work) -> None:
        """An agent answered a public post: the answer also adds to the public knowledge."""
        work.closed = True
        if work.issue >= 0 and self.n_types:
            self.knowledge.add_answers(self.typ[work.issue])
        resolved = self._resolves(work)
        self._log(work, work.end_s - work.arrival_s, work.end_s - work.start_s, ANSWERED, BY_AGENT, resolved)
        self.served_s[work.ch] += work.end_s - work.start_s
        self.served_n[work.ch] += 1
        if self._listening:
            self._emit("post_answered", work)
        self._handled(work, resolved)

    def _forum_post(self, i: int, c: int, reason: int, first: bool) -> None:
        work = Work(self.names[c], self.loop.now, 0.0, i, reason, first, c)
        rate = self._peer_rate[c]
        unit = self.first_peer[i] if first else self._peer_later()
        peer_s = unit / rate if rate > 0 else math.inf
        patience = self._patience(c, i, first)
        deadline = self.specs[c].moderation_after_s if self.staffed[c] else math.inf
        work.state = UNQUEUED
        self.started.append(work)
        if peer_s <= deadline and peer_s <= patience:
            self.loop.after(peer_s, self._on_peer_answer, work)
        elif patience <= deadline:
            if not math.isinf(patience):
                self.loop.after(patience, self._on_post_patience, work)
        else:
            work.end_s = patience  # remembered until moderation starts
            self.loop.after(deadline, self._on_moderate, work)
        if self._listening:
            self._emit("contact_arrived", work)

    def _peer_answer(self, work: Work) -> None:
        work.closed = True
        accepted = self._uniform(work.issue) < self._accept_p[work.ch]
        if accepted and work.issue >= 0 and self.n_types:
            self.knowledge.add_answers(self.typ[work.issue])
        self._log(work, self.loop.now - work.arrival_s, 0.0, ANSWERED, BY_PEER, accepted)
        if self._listening:
            self._emit("post_answered", work)
        self._handled(work, accepted)

    def _moderate(self, work: Work) -> None:
        """No peer answered in time: the post joins the moderators' queue."""
        patience = work.end_s
        work.end_s = math.nan
        work.state = WAITING
        work.service_s = self._service(work.ch, work.issue, work.first)
        work.on_done = self._on_post_answered
        self.dispatcher.submit(work)
        remaining = patience - (self.loop.now - work.arrival_s)
        if work.state == WAITING and not math.isinf(remaining):
            self.loop.after(remaining, self._on_post_patience, work)

    def _log_pending(self, end_s: float) -> None:
        """Contacts still in progress when the run stops: in service (answered) or still waiting."""
        for work in self.started:
            if work.closed:
                continue
            if work.state == SERVING:
                self._log(work, work.start_s - work.arrival_s, work.service_s, ANSWERED, BY_AGENT, False)
            else:
                self._log(work, end_s - work.arrival_s, work.service_s, OUTCOME_WAITING, BY_NONE, False)

    # -- clock: staffing, opening hours, articles, snapshots --------------------
    def _interval(self, k: int, publish: bool = True) -> None:
        """A new interval: staffing, opening hours (to agents for posts, to customers for calls and chats).

        ``publish``: the knowledge base also gains the articles written in
        the interval that ended (not past the horizon: see :meth:`_drain_interval`).
        """
        now = k * self.interval_s
        for team in self.dispatcher.teams:
            if self.held_until[team.index] <= now:
                self.dispatcher.set_agents(team, self.teams[team.name].on_duty(k))
        for c, (name, ch) in enumerate(self.scenario.channels.items()):
            if self.kinds[name] in ("social", "forum"):
                self.dispatcher.set_open(name, ch.open_at(now))
            else:
                self.customer_open[c] = ch.open_at(now)
        self._open_options = [None] * len(self.options)
        if k > 0 and publish:
            self.knowledge.publish_articles(self.interval_s)

    def _snapshot(self) -> None:
        dispatcher = self.dispatcher
        backlog = list(dispatcher.waiting)  # channels in the order of ``names``
        in_service = [float(s - w) for s, w in zip(dispatcher.in_system, dispatcher.waiting)]
        self.snaps.append((self.loop.now, backlog, in_service, self.knowledge.snapshot()))

    def _clock_moments(self) -> list[float]:
        """Times of the interval starts and the snapshots, sorted."""
        return sorted(
            {round(k * self.interval_s, 6) for k in range(interval_count(self.horizon_s, self.interval_s))}
            | {round(j * self.snapshot_s, 6) for j in range(int(math.ceil(self.horizon_s / self.snapshot_s)))}
        )

    def _tick(self, position: int) -> None:
        """Handle the clock moments from ``position`` that are due now, then wait for the next one."""
        moments, loop = self.moments, self.loop
        while position < len(moments):
            t = moments[position]
            if t > loop.now:
                loop.after(t - loop.now, self._tick_due, position)
                return
            self._moment(t)
            position += 1
        loop.after(self.horizon_s - loop.now, self._final_snapshot, None)

    def _tick_due(self, position: int) -> None:
        self._moment(self.moments[position])
        self._tick(position + 1)

    def _moment(self, t: float) -> None:
        """Clock moment ``t``: a new interval, a snapshot, or both."""
        k = t / self.interval_s
        if abs(k - round(k)) < 1e-9:
            self._interval(int(round(k)))
        if abs(t / self.snapshot_s - round(t / self.snapshot_s)) < 1e-9:
            self._snapshot()

    def _final_snapshot(self, _arg: None) -> None:
        self._snapshot()
        if self.scenario.horizon.drain:
            k = interval_count(self.horizon_s, self.interval_s)  # the first interval from the horizon on
            self.loop.after(k * self.interval_s - self.loop.now, self._on_drain_interval, k)

    def _drain_interval(self, k: int) -> None:
        """Past the horizon, while the run drains: staffing and opening hours go on as scheduled.

        Contacts in the system at the horizon (and the repeats and retries
        they lead to) meet the agents and opening hours of the hours they
        happen in: a post left at night is answered when the channel opens.
        The clock stops once nothing is due and nothing waits (or a week
        past the horizon, for work that no agent will ever take). Articles
        are not published past the horizon, so the knowledge a run ends with
        does not depend on how long its drain lasts.
        """
        waiting = any(self.dispatcher.waiting)
        if not (self.loop.pending() or waiting) or self.loop.now >= self.horizon_s + _DRAIN_LIMIT_S:
            return
        self._interval(k, publish=False)
        self.loop.after((k + 1) * self.interval_s - self.loop.now, self._on_drain_interval, k + 1)

    def _setup_direct(self) -> None:
        """Contacts that arrive straight to a channel (``arrivals`` streams, no issue behind them).

        Each stream's arrival times, handling times and patience are drawn up
        front from streams named after the channel and the purpose, so a
        contact keeps its numbers whatever else the model draws.
        """
        n_int = interval_count(self.horizon_s, self.interval_s)
        self.direct_ch: list[int] = []
        self.direct_service: list[float] = []
        self.direct_patience: list[float] = []
        times: list[np.ndarray] = [self.issue_arrival]
        for name, stream in self.scenario.arrivals.items():
            at = poisson_arrivals(rates_per_hour(stream, n_int), self.interval_s, self.horizon_s, self.streams(f"arrivals:{name}"))
            n = len(at)
            ch = self.scenario.channels[name]
            times.append(at)
            self.direct_ch += [self.index[name]] * n
            self.direct_service += sample(ch.aht, self.streams(f"direct-aht:{name}"), n).tolist()
            if ch.patience is None:
                self.direct_patience += [math.inf] * n
            else:
                self.direct_patience += sample(ch.patience, self.streams(f"direct-patience:{name}"), n).tolist()
        # one stream of arrivals for the event loop's feed: issues by number, direct contacts as -1 - j
        n_issues = len(self.issue_arrival)
        who = np.concatenate([np.arange(n_issues), -1 - np.arange(len(self.direct_ch))]).astype(np.int64)
        at_all = np.concatenate(times)
        order = np.argsort(at_all, kind="stable")
        self.feed_at: list[float] = at_all[order].tolist()
        self.feed_who: list[int] = who[order].tolist()

    def _arrival(self, k: int) -> None:
        """Arrival ``k`` of the feed: an issue, or a contact straight to a channel."""
        who = self.feed_who[k]
        if who >= 0:
            self._arrive(who)
            return
        j = -1 - who
        c = self.direct_ch[j]
        kind = self._post_kind[c]
        if kind == _QUEUED:
            self._queued(-1, c, REASON_DIRECT, False, self.direct_service[j], self.direct_patience[j])
        elif kind == _SOCIAL:
            self._social_post(-1, c, REASON_DIRECT, False)
        else:
            self._forum_post(-1, c, REASON_DIRECT, False)

    # -- public API: what code outside the model may do during a run -----------------
    def subscribe(self, event: str, listener: Callable[[object], None]) -> None:
        """Call ``listener`` on every ``event`` (one of :data:`EVENTS`) from now on."""
        if event not in self.listeners:
            raise ValueError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
        self.listeners[event].append(listener)
        self._listening = True
        if event == "contact_answered":
            self.dispatcher.on_start = self._on_start

    def _on_start(self, work: Work) -> None:
        self._emit("contact_answered", work)

    def _emit(self, event: str, what: object) -> None:
        for listener in self.listeners[event]:
            listener(what)

    def submit(self, channel: str, service_s: float | None = None, patience_s: float | None = None) -> Work:
        """A contact with no issue behind it arrives at ``channel`` now (phone or chat kinds).

        Handling time and patience are drawn from the channel's
        distributions where not given. The contact is logged and counted in
        the channel's KPIs like any other.
        """
        self.loop.sync()
        c = self.index[channel]
        if self._post_kind[c] != _QUEUED:
            raise ValueError(f"channel {channel!r} takes posts: submit contacts to phone or chat channels")
        service = self._aht_later[c]() if service_s is None else float(service_s)
        patience = self._patience(c, -1, False) if patience_s is None else float(patience_s)
        before = len(self.started)
        self._queued(-1, c, REASON_DIRECT, False, service, patience)
        if len(self.started) > before:
            return self.started[-1]
        return Work(channel, self.loop.now, service, -1, REASON_DIRECT, False, c)  # refused: every line busy

    def hold_agents(self, team: str, agents: int, until_s: float | None = None) -> None:
        """Put ``agents`` of ``team`` on duty now, in place of the roster until ``until_s``.

        Without ``until_s`` the roster takes over again at the next interval
        start. Agents sent away finish the work in hand first.
        """
        self.loop.sync()
        t = self.team_index[team]
        state = self.dispatcher.teams[t]
        now = self.loop.now
        self.dispatcher.set_agents(state, int(agents))
        if until_s is not None and until_s > now:
            self.held_until[t] = float(until_s)
            self.loop.after(float(until_s) - now, self._release_hold, t)

    def _release_hold(self, t: int) -> None:
        if self.held_until[t] > self.loop.now:
            return  # held again since, for longer
        self.held_until[t] = -math.inf
        k = int(math.floor(self.loop.now / self.interval_s + 1e-9))
        state = self.dispatcher.teams[t]
        self.dispatcher.set_agents(state, self.teams[state.name].on_duty(k))

    def agents_on_duty(self, team: str) -> int:
        """Agents of ``team`` on duty now who are not about to leave."""
        return self.dispatcher.teams[self.team_index[team]].active()

    def waiting(self, channel: str) -> int:
        """Contacts waiting in ``channel``'s queue now."""
        return self.dispatcher.waiting[self.index[channel]]

    def expected_wait_s(self, channel: str) -> float:
        """A simple announced wait for a newcomer to ``channel``: (waiting + 1) x mean handling time / servers.

        The mean handling time is that of the work finished so far in the
        channel (its distribution's mean before any). Servers are the active
        agents of the teams with the skill, times the chat concurrency.
        Infinite with nobody on duty; 0 when someone is free.
        """
        self.loop.sync()
        c = self.index[channel]
        dispatcher = self.dispatcher
        servers = sum(team.active() for team in dispatcher.teams_for[c]) * dispatcher.concurrency[c]
        if servers <= 0:
            return math.inf
        if dispatcher.waiting[c] == 0 and any(team.idle for team in dispatcher.teams_for[c]):
            return 0.0
        n = self.served_n[c]
        mean_s = self.served_s[c] / n if n else _mean_s(self.specs[c].aht)
        return (dispatcher.waiting[c] + 1) * mean_s / servers

    # -- run -------------------------------------------------------------------
    def run(self, replication: int) -> RunRecords:
        """Simulate and return the records."""
        with _collector_paused():
            records = self._simulate(replication)
            self._drop_run_state()
        return records

    def _drop_run_state(self) -> None:
        """Forget pending events, queued contacts and agents once the records are taken.

        They refer back to the model (callbacks), so keeping them would leave
        a finished run in reference cycles for the cyclic garbage collector,
        which a long Monte Carlo study may run rarely; without them reference
        counting frees a run as soon as its model is dropped. A model runs once.
        The contact log (a tuple per contact) goes too: freed while the
        collector is paused, its tuples never count towards a collection.
        """
        self.loop.clear()
        self.dispatcher.release()
        self.started.clear()
        self.contacts.clear()
        # the bound callbacks refer to the model itself
        self._on_searched = _ignore
        self._on_queued_patience = _ignore
        self._on_post_patience = _ignore
        self._on_peer_answer = _ignore
        self._on_moderate = _ignore
        self._on_repeat = _ignore
        self._on_retry = _ignore
        self._on_queued_done = _ignore
        self._on_post_answered = _ignore
        self._on_drain_interval = _ignore
        self.dispatcher.on_start = None
        for listeners in self.listeners.values():
            listeners.clear()

    def _simulate(self, replication: int) -> RunRecords:
        loop = self.loop
        self.moments = self._clock_moments()
        self._setup_direct()
        loop.feed(self.feed_at, self._arrival)
        self._tick(0)  # the clock's first moment (time 0) comes before any other event
        if self.scenario.horizon.drain:
            loop.run()
        else:
            loop.run(until=self.horizon_s)
        end_s = max(loop.now, self.horizon_s)
        self.dispatcher.close_spells(end_s)
        self._log_pending(end_s)
        return self._records(replication, end_s)

    def _records(self, replication: int, end_s: float) -> RunRecords:
        horizon = self.scenario.horizon
        # every field of a logged contact is a number: one float table, columns cast back exactly
        n = len(self.contacts)
        table = np.fromiter(itertools.chain.from_iterable(self.contacts), dtype=float, count=5 * n).reshape(n, 5)
        order = np.argsort(table[:, 2], kind="stable")
        table = table[order]
        issue = table[:, 0].astype(np.int64)
        arrival, wait, service = table[:, 2].copy(), table[:, 3].copy(), table[:, 4].copy()
        chan, reason, outcome, by, resolved, sentiment, escalated = _unpack_codes(table[:, 1].astype(np.int64))
        snap_t = np.array([s[0] for s in self.snaps], dtype=float)
        backlog = np.array([s[1] for s in self.snaps], dtype=float).reshape(len(self.snaps), len(self.names))
        in_service = np.array([s[2] for s in self.snaps], dtype=float).reshape(len(self.snaps), len(self.names))
        coverage = np.array([s[3] for s in self.snaps], dtype=float).reshape(len(self.snaps), len(self.types))
        teams_rec = self._team_records()
        channels: dict[str, ChannelRecords] = {}
        for c, name in enumerate(self.names):
            m = chan == c
            staff_t, staff_n = self._channel_staff(name, teams_rec)
            channels[name] = ChannelRecords(
                name=name,
                sl_threshold_s=self.scenario.channels[name].sl_threshold_s,
                arrival_s=arrival[m],
                wait_s=np.where(np.isinf(wait[m]), end_s - arrival[m], wait[m]),
                service_s=service[m],
                outcome=outcome[m],
                staff_t_s=staff_t,
                staff_n=staff_n,
                snap_t_s=snap_t,
                snap_queue=backlog[:, c],
                snap_busy=in_service[:, c],
            )
        state = np.asarray(self.issue_state, dtype=np.int8)
        journey = JourneyRecords(
            segments=self.segments,
            issue_types=self.types,
            channels=self.names,
            channel_kinds=[self.kinds[n] for n in self.names],
            issue_arrival_s=self.issue_arrival,
            issue_segment=np.asarray(self.segment, dtype=np.int64),
            issue_type=np.asarray(self.itype, dtype=np.int64),
            issue_looked=np.asarray(self.issue_looked, dtype=bool),
            issue_deflected=state == SELF_RESOLVED,
            issue_resolved=np.isin(state, (SELF_RESOLVED, RESOLVED_STATE)),
            issue_state=state,
            issue_resolution_s=np.asarray(self.issue_resolution, dtype=float),
            issue_contacts=np.asarray(self.issue_contacts, dtype=np.int64),
            contact_issue=issue,
            contact_channel=chan,
            contact_reason=reason,
            contact_arrival_s=arrival,
            contact_wait_s=wait,
            contact_service_s=service,
            contact_outcome=outcome,
            contact_by=by,
            contact_resolved=resolved,
            contact_sentiment=sentiment,
            contact_escalated=escalated,
            snap_t_s=snap_t,
            snap_backlog=backlog,
            snap_coverage=coverage,
            knowledge_end=dict(zip(self.types, self.knowledge.snapshot())),
            teams=teams_rec,
        )
        return RunRecords(
            replication=replication,
            warmup_s=horizon.warmup_hours * 3600.0,
            horizon_s=self.horizon_s,
            interval_s=self.interval_s,
            end_s=end_s,
            channels=channels,
            journey=journey,
        )

    def _team_records(self) -> dict[str, TeamRecords]:
        n_int = interval_count(self.horizon_s, self.interval_s)
        names = np.asarray(self.names, dtype=object)
        out = {}
        for state in self.dispatcher.teams:
            spec = self.teams[state.name]
            out[state.name] = TeamRecords(
                name=state.name,
                skills=list(spec.skills),
                shrinkage=spec.shrinkage,
                staff_t_s=np.asarray(state.staff_t_s, dtype=float),
                staff_n=np.asarray(state.staff_n, dtype=np.int64),
                scheduled=np.array([spec.scheduled(k) for k in range(n_int)], dtype=float),
                spell_start_s=np.asarray(state.spell_start_s, dtype=float),
                spell_end_s=np.asarray(state.spell_end_s, dtype=float),
                spell_channel=names[np.asarray(state.spell_ch, dtype=np.int64)],
                reported=state.name in (self.scenario.teams or {}),
            )
        return out

    def _channel_staff(self, name: str, teams: dict[str, TeamRecords]) -> tuple[np.ndarray, np.ndarray]:
        """Staffing of a channel served by one dedicated team; none (occupancy n/a) otherwise."""
        serving = [t for t in teams.values() if name in t.skills]
        if len(serving) == 1 and serving[0].skills == [name] and (self.kinds[name] != "chat" or self.specs[self.index[name]].concurrency == 1):
            return serving[0].staff_t_s, serving[0].staff_n
        return np.array([0.0]), np.array([0], dtype=np.int64)


def run_journey(scenario: Scenario, seed: int, replication: int, snapshot_s: float | None = None,
                loop: EventLoop | None = None) -> RunRecords:
    """Simulate one replication of an omnichannel scenario.

    The collector stays paused until the model is gone: the model's per-issue
    lists (tens of thousands of items each) would otherwise be young objects
    when it resumes, and the next collection would walk every item.
    """
    with _collector_paused():
        model = JourneyModel(scenario, Streams(seed, replication), snapshot_s or scenario.horizon.interval_s, loop)
        records = model.run(replication)
        del model  # freed by reference counting: a finished run leaves no cycles (see JourneyModel._drop_run_state)
    return records


def run_model(model: JourneyModel, replication: int) -> RunRecords:
    """Run a model built by the caller (with its own loop, policies or listeners) and return its records."""
    with _collector_paused():
        return model.run(replication)
