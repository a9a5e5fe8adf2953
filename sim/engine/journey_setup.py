"""The omnichannel engine's set-up: the customers a run will see, drawn up front, and what the model knows.

:class:`JourneySetup` holds a replication's state before anything happens:
the channels and teams, the dispatcher, each issue's attributes and random
numbers (drawn per issue and purpose from their own streams: common random
numbers), the contacts arriving straight to channels, the log of what became
of each contact, and the read-only part of the engine's API (listeners,
queues, announced waits). The clock (:mod:`sim.engine.journey_clock`) and the
customer's story (:mod:`sim.engine.journey`) build on it.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, Protocol

import numpy as np

from sim.engine.agents import ChannelRouting, Dispatcher, RoutingPolicy, Work
from sim.engine.demand import arrival_times, poisson_arrivals
from sim.engine.draws import KeyedDraws
from sim.engine.knowledge import KnowledgeBase
from sim.engine.loop import EventLoop
from sim.random import Streams
from sim.spec.distributions import Distribution, sample
from sim.spec.journey import Journey, Team
from sim.spec.scenario import Scenario, interval_count

OPEN: Final = 0
SELF_RESOLVED: Final = 1
RESOLVED_STATE: Final = 2
GAVE_UP: Final = 3
"""Issue states, as in :data:`sim.engine.records.ISSUE_STATES` (``Final``: compiled as constants)."""
_DRAIN_LIMIT_S: Final = 7 * 86400.0
"""How long past the horizon a draining run keeps its clock going for work still waiting."""
_QUEUED: Final = 0
_SOCIAL: Final = 1
_FORUM: Final = 2
"""How a channel takes a contact: a queue (phone, chat), a public post, a forum post."""
_POST_KINDS = {"social": _SOCIAL, "forum": _FORUM}


def _mean_s(dist: Distribution) -> float:
    """The mean of a time distribution (a method on most, a field on some)."""
    mean: Any = dist.mean
    return float(mean() if callable(mean) else mean)


def _ignore(_arg: object) -> None:
    """A callback that does nothing (in place of the model's own once a run is over)."""


def _draw_unit_exponential(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.exponential(1.0, n)


def _sampler(dist: Distribution) -> Callable[[np.random.Generator, int], np.ndarray]:
    """Draws of ``n`` values from ``dist``, for a purpose of :class:`~sim.engine.draws.KeyedDraws`."""
    return lambda rng, n: sample(dist, rng, n)


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
"""What listeners can subscribe to (:meth:`JourneySetup.subscribe`). Contact events pass the
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


class JourneySetup:
    """The state of one replication of an omnichannel scenario before it runs (see the module's description).

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
            name: ChannelRouting(self.kinds[name], ch.concurrency, ch.concurrency_stretch)
            for name, ch in scenario.channels.items()
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
        # the community as a population: its size moves with answered and unanswered posts, its peers have a capacity
        self.members = [float(ch.community.members) if ch.community else 0.0 for ch in self.specs]
        self._peer_capacity = [ch.community.open_posts_capacity or 0.0 if ch.community else 0.0 for ch in self.specs]
        self.open_with_peers = [0] * len(self.specs)  # forum posts waiting for a peer now
        self._accept_p = [ch.community.accept_probability if ch.community else 0.0 for ch in self.specs]
        self.escalation_channel = next((c for c, n in enumerate(self.names) if self.kinds[n] == "phone"), -1)
        self.lines = [-1 if ch.lines is None else ch.lines for ch in self.specs]  # -1: no limit
        self.fcr_mult = [ch.fcr_multiplier for ch in self.specs]
        self.customer_open = [True] * len(self.names)
        self.contacts: list[tuple] = []
        self.started: list[Work] = []  # contacts that went into progress, in order; ``closed`` once logged
        self.snaps: list[tuple[float, list[int], list[float], list[float]]] = []
        self.moments: list[float] = []
        self._on_drain_interval: Callable[[int], None] = _ignore  # bound by the model
        with _collector_paused():
            self._setup_issues()

    # -- random numbers -----------------------------------------------------
    def _later(self, purpose: int, who: int) -> float:
        """The next number of customer ``who`` for ``purpose``, keyed so no other customer shifts it."""
        return self.draws.next(purpose, who)

    def _service(self, c: int, who: int, first: bool) -> float:
        if first:
            return self.first_service[c][who]  # already scaled by the issue type
        base = self.draws.next(self._aht_p[c], who)
        return base * self.aht_mult[self.typ[who]] if who < self.n_issues else base

    def _patience(self, c: int, who: int, first: bool) -> float:
        if first:
            return self.first_patience[c][who]
        p = self._patience_p[c]
        return math.inf if p < 0 else self.draws.next(p, who)

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
        self.n_issues = n
        # each purpose its own stream, one number per issue (first contact): adding a purpose shifts none
        self.u_look: list[float] = streams("journey:look").random(n).tolist()
        self.u_search: list[float] = streams("journey:search-u").random(n).tolist()
        self.u_choose: list[float] = streams("journey:choose").random(n).tolist()
        self.u_sentiment: list[float] = streams("journey:sentiment").random(n).tolist()
        self.u_resolve: list[float] = streams("journey:resolve").random(n).tolist()
        self.u_scope: list[float] = streams("journey:scope").random(n).tolist()
        # what customers draw later, keyed by customer, purpose and use (see sim.engine.draws)
        draws = self.draws = KeyedDraws(streams)
        self._p_choose = draws.purpose("later:choose")
        self._p_next_step = draws.purpose("later:switch-or-retry")
        self._p_resolve = draws.purpose("later:resolve")
        self._p_sentiment = draws.purpose("later:sentiment")
        self._p_scope = draws.purpose("later:scope")
        self._p_escalate = draws.purpose("later:escalate")
        self._p_accept = draws.purpose("later:accept")
        self._p_peer = draws.purpose("later:peer", _draw_unit_exponential)
        self._p_sour = draws.purpose("later:sour")
        self._p_delight = draws.purpose("later:delight")
        self.search_s: list[float] = []
        self.patience_after_search = 1.0
        self.look_p: list[float] = []
        self.ability: list[float] = []
        self.aht_mult: list[float] = []
        self.fcr: list[float] = []
        self.options: list[list[tuple[int, float]]] = []  # per segment x issue type: (channel, weight)
        if journey is not None:
            seg_share = np.array([s.share for s in journey.segments.values()], dtype=float)
            type_share = np.array([t.share for t in journey.issue_types.values()], dtype=float)
            u_segment = streams("journey:segment").random(n)
            u_type = streams("journey:type").random(n)
            self.segment = np.minimum(np.searchsorted(np.cumsum(seg_share) / seg_share.sum(), u_segment, side="right"),
                                      len(seg_share) - 1)
            self.itype = np.minimum(np.searchsorted(np.cumsum(type_share) / type_share.sum(), u_type, side="right"),
                                    len(type_share) - 1)
            self.search_s = sample(journey.self_service.time, streams("journey:search"), n).tolist()
            self.patience_after_search = journey.self_service.patience_after_failed_search
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
            self.wait_aversion_per_s = behaviour.wait_aversion_per_min / 60.0
            self.after_abandon_weight = behaviour.after_abandon_weight
            self.aht_saving = journey.knowledge.agent_aht_saving
            self.fcr_gain = journey.knowledge.agent_fcr_gain
            self.max_contacts = behaviour.max_contacts
            self.switch_p = behaviour.switch_probability
            self.retry_p = behaviour.retry_probability
            self._p_repeat = draws.purpose("later:repeat-delay", _sampler(behaviour.repeat_delay))
            self._p_retry = draws.purpose("later:retry-delay", _sampler(behaviour.retry_delay))
            coverage = [t.knowledge_coverage for t in journey.issue_types.values()]
            self.knowledge = KnowledgeBase(self.types, coverage, journey.knowledge)
        else:
            self.segment = self.itype = np.zeros(0, dtype=int)
            self.max_contacts, self.switch_p, self.retry_p = 1, 0.0, 0.0
            self.wait_aversion_per_s, self.after_abandon_weight, self.aht_saving, self.fcr_gain = 0.0, 1.0, 0.0, 0.0
            self._p_repeat = self._p_retry = -1  # one contact per customer: never drawn
            self.knowledge = KnowledgeBase([], [], Journey.model_fields["knowledge"].default)
        self.first_service: list[list[float]] = []  # per channel and issue, x the issue type's multiplier
        type_mult = np.asarray(self.aht_mult, dtype=float)[self.itype] if journey is not None else np.empty(0)
        self.first_patience: list[list[float]] = []
        self._aht_p: list[int] = []
        self._patience_p: list[int] = []  # -1: the channel's customers wait for ever
        for name, ch in scenario.channels.items():
            self.first_service.append((sample(ch.aht, streams(f"aht:{name}"), n) * type_mult).tolist())
            self._aht_p.append(draws.purpose(f"later:aht:{name}", _sampler(ch.aht)))
            if ch.patience is not None:
                self.first_patience.append(sample(ch.patience, streams(f"patience:{name}"), n).tolist())
                self._patience_p.append(draws.purpose(f"later:patience:{name}", _sampler(ch.patience)))
            else:
                self.first_patience.append([math.inf] * n)
                self._patience_p.append(-1)
        self.first_peer: list[float] = streams("forum:peer").exponential(1.0, n).tolist()
        self.issue_looked: list[bool] = [False] * n
        self.n_types = len(self.types)
        self.issue_start: list[float] = [0.0] * n
        self.issue_state: list[int] = [OPEN] * n
        self.issue_resolution: list[float] = [math.nan] * n
        self.issue_contacts: list[int] = [0] * n
        self.avoided: list[int] = [0] * n  # per issue, a bit per channel its customer abandoned or was refused
        self.responsive = self.wait_aversion_per_s > 0.0 or self.after_abandon_weight < 1.0
        self.sour_after_s = [ch.sentiment.sour_after_s or 0.0 for ch in self.specs]  # 0: posts never sour
        self.delight_p = [ch.sentiment.delight_probability for ch in self.specs]
        self.seg: list[int] = self.segment.tolist()  # Python lists: numpy scalar indexing is slow per event
        self.typ: list[int] = self.itype.tolist()
        self.group: list[int] = (self.segment * self.n_types + self.itype).tolist()  # index into self.options
        self._open_options: list[tuple[float, list[tuple[int, float]]] | None] = [None] * len(self.options)

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
        u = self.u_resolve[issue] if work.first else self.draws.next(self._p_resolve, issue)
        return u < self._agent_fcr(issue, work.ch)

    def _sour(self, work: Work, waited_s: float, resolved: bool = False) -> None:
        """A post's sentiment after what happened: the longer its author waited the likelier negative; a good answer may delight.

        The chance of turning negative after ``waited_s`` is ``1 - exp(-waited / sour_after_s)``
        (the channel's ``sentiment.sour_after_s``); a resolved answer turns a post that did not
        sour positive with ``delight_probability``. Posts without a sentiment (forum) keep none.
        """
        if work.sentiment < 0:
            return
        c = work.ch
        sour = self.sour_after_s[c]
        if sour > 0.0 and work.sentiment != 2:
            if self._later(self._p_sour, work.customer) < 1.0 - math.exp(-waited_s / sour):
                work.sentiment = 2
                return
        if resolved and work.sentiment != 0 and self._later(self._p_delight, work.customer) < self.delight_p[c]:
            work.sentiment = 0

    def _peer_rate_now(self, c: int) -> float:
        """A new post's rate of a first peer answer: the community's size now, shared when many posts are open."""
        spec = self.specs[c].community
        if spec is None:
            return 0.0
        rate = spec.first_answer_rate_per_s(self.members[c])
        capacity = self._peer_capacity[c]
        open_posts = self.open_with_peers[c] + 1
        return rate * capacity / open_posts if capacity > 0.0 and open_posts > capacity else rate

    def _community_changes(self, c: int, accepted: bool) -> None:
        """Members join after an accepted peer answer and leave after a post nobody answered."""
        spec = self.specs[c].community
        if spec is None:
            return
        if accepted:
            self.members[c] += spec.members_per_accepted
        else:
            self.members[c] = max(0.0, self.members[c] - spec.members_per_unanswered)

    def _agent_fcr(self, issue: int, c: int) -> float:
        """An agent's chance to resolve: the type's FCR, the channel's multiplier, and what the knowledge base adds."""
        fcr = self.fcr[self.typ[issue]] * self.fcr_mult[c]
        if self.fcr_gain > 0.0 and self.n_types:
            fcr += (1.0 - fcr) * self.fcr_gain * self.knowledge.coverage[self.typ[issue]]
        return fcr

    def _agent_aht_factor(self, who: int) -> float:
        """Handling time shrinks as the knowledge base covers the issue's type (1 for contacts with no issue)."""
        if self.aht_saving <= 0.0 or who >= self.n_issues or not self.n_types:
            return 1.0
        return 1.0 - self.aht_saving * self.knowledge.coverage[self.typ[who]]

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
            at = arrival_times(stream, self.interval_s, self.horizon_s, self.streams(f"arrivals:{name}"))
            n = len(at)
            ch = self.scenario.channels[name]
            times.append(at)
            self.direct_ch += [self.index[name]] * n
            service = sample(ch.aht, self.streams(f"direct-aht:{name}"), n)
            if stream.aht_s is not None:  # the forecast's mean per interval: the distribution scaled to it
                k = np.minimum((at // self.interval_s).astype(np.int64), n_int - 1)
                means = np.resize(np.asarray(stream.aht_s, dtype=float), n_int)
                service = service * (means[k] / _mean_s(ch.aht))
            self.direct_service += service.tolist()
            if ch.patience is None:
                self.direct_patience += [math.inf] * n
            else:
                self.direct_patience += sample(ch.patience, self.streams(f"direct-patience:{name}"), n).tolist()
        # one stream of arrivals for the event loop's feed: issues by number, direct contacts as -1 - j
        n_issues = len(self.issue_arrival)
        self.next_customer = n_issues + len(self.direct_ch)  # the number of the next contact submitted from outside
        who = np.concatenate([np.arange(n_issues), -1 - np.arange(len(self.direct_ch))]).astype(np.int64)
        at_all = np.concatenate(times)
        order = np.argsort(at_all, kind="stable")
        self.feed_at: list[float] = at_all[order].tolist()
        self.feed_who: list[int] = who[order].tolist()

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

    def uniform(self, customer: int, purpose: str) -> float:
        """The next uniform on [0, 1) of ``customer`` for ``purpose``: for behaviours added from outside.

        ``customer`` is a contact's ``Work.customer`` (an issue's number for
        issues). The k-th call for the same customer and purpose gives the
        k-th number of that key: drawing it shifts no other number in the run,
        and two runs that differ elsewhere give the same customer the same
        numbers (common random numbers).
        """
        if customer < 0:
            raise ValueError(f"customer must be a non-negative number, got {customer}")
        return self.draws.next(self.draws.named("user:" + purpose), customer)

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
        return self._announced_wait_s(self.index[channel])

    def _announced_wait_s(self, c: int) -> float:
        """The wait announced to a newcomer to queue ``c`` now (see :meth:`expected_wait_s`)."""
        dispatcher = self.dispatcher
        waiting = dispatcher.waiting[c]
        servers = 0
        for team in dispatcher.teams_for[c]:
            if waiting == 0 and team.idle:
                return 0.0
            servers += team.active()
        servers *= dispatcher.concurrency[c]
        if servers <= 0:
            return math.inf
        n = self.served_n[c]
        mean_s = self.served_s[c] / n if n else _mean_s(self.specs[c].aht)
        return (waiting + 1) * mean_s / servers

