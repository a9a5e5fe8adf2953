"""The omnichannel engine: customers with issues, self-service, channels, agents.

Each issue is a SimPy process that reads like the customer's story::

    arrive -> maybe search the forum/knowledge base (resolved: deflected)
           -> pick a channel open now -> contact (queue, post, forum)
           -> resolved? done : repeat later / retry / switch / escalate / give up

Every effect in the outputs (deflection, direct shift to digital channels,
repeat contacts, escalations, knowledge growth) comes out of these simulated
customers and the agents that serve them, never out of a fixed percentage.

Random numbers: the attributes of each issue (segment, type, the decisions of
its first contact, handling time and patience in every channel) are drawn up
front per issue from their own streams, so two runs that differ in, say, the
forum's placement still see the same customers with the same problems
(common random numbers). Later contacts draw from separate streams in blocks.
"""

from __future__ import annotations

import math
from typing import Callable, Generator

import numpy as np
import simpy
from simpy.events import Timeout

from .agents import WAITING, ChannelRouting, Dispatcher, Work
from .demand import poisson_arrivals, rates_per_hour
from .distributions import sample
from .journey_spec import Journey, Team
from .knowledge import KnowledgeBase
from .random import Streams
from .records import (
    ABANDONED,
    ANSWERED,
    BLOCKED,
    BY_AGENT,
    BY_NONE,
    BY_PEER,
    REASONS,
    WAITING as OUTCOME_WAITING,
    ChannelRecords,
    JourneyRecords,
    RunRecords,
    TeamRecords,
)
from .scenario import Channel, Scenario, interval_count

RESOLVED, UNRESOLVED, FAILED, ESCALATED = "resolved", "unresolved", "failed", "escalated"
_REASON = {name: code for code, name in enumerate(REASONS)}
_DIGITAL = ("chat", "social", "forum")
_BLOCK = 512


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
            teams.setdefault(name, Team(skills=[name], agents=channel.agents))
    return teams


class JourneyModel:
    """Builds and runs one replication of an omnichannel scenario."""

    def __init__(self, scenario: Scenario, streams: Streams, snapshot_s: float) -> None:
        self.scenario = scenario
        self.streams = streams
        self.env = simpy.Environment()
        self.horizon_s = scenario.horizon.hours * 3600.0
        self.interval_s = scenario.horizon.interval_s
        self.snapshot_s = snapshot_s
        self.names = list(scenario.channels)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.kinds = {name: ch.kind_for(name) for name, ch in scenario.channels.items()}
        self.teams = implicit_teams(scenario)
        routing = {
            name: ChannelRouting(self.kinds[name], ch.concurrency, ch.concurrency_stretch) for name, ch in scenario.channels.items()
        }
        self.dispatcher = Dispatcher(self.env, routing, self.teams)
        self.staffed = {name for team in self.teams.values() for name in team.skills}
        self.escalation_channel = next((n for n in self.names if self.kinds[n] == "phone"), None)
        self.contacts: list[tuple] = []
        self.snaps: list[tuple[float, list[int], list[float]]] = []
        self._later: dict[str, _Block] = {}
        self._setup_issues()

    # -- random numbers -----------------------------------------------------
    def _later_draw(self, purpose: str, make: Callable[[np.random.Generator, int], np.ndarray]) -> float:
        block = self._later.get(purpose)
        if block is None:
            rng = self.streams(purpose)
            block = _Block(lambda n: make(rng, n))
            self._later[purpose] = block
        return block()

    def _uniform(self) -> float:
        return self._later_draw("journey:later-u", lambda rng, n: rng.random(n))

    def _service(self, channel: str, issue: int, first: bool) -> float:
        ch = self.scenario.channels[channel]
        base = self.first_service[channel][issue] if first else self._later_draw(f"aht-later:{channel}", lambda r, n: sample(ch.aht, r, n))
        return base * self.aht_mult[self.itype[issue]] if issue >= 0 else base

    def _patience(self, channel: str, issue: int, first: bool) -> float:
        ch = self.scenario.channels[channel]
        if ch.patience is None:
            return math.inf
        if first:
            return self.first_patience[channel][issue]
        return self._later_draw(f"patience-later:{channel}", lambda r, n: sample(ch.patience, r, n))

    # -- set-up ---------------------------------------------------------------
    def _setup_issues(self) -> None:
        scenario, streams = self.scenario, self.streams
        journey = scenario.journey
        n_int = interval_count(self.horizon_s, self.interval_s)
        if journey is None:
            self.issue_arrival = np.empty(0)
            self.segments, self.types = [], []
        else:
            rates = issue_rates_per_hour(journey, self.interval_s, n_int)
            self.issue_arrival = poisson_arrivals(rates, self.interval_s, self.horizon_s, streams("arrivals:issues"))
            self.segments, self.types = list(journey.segments), list(journey.issue_types)
        n = len(self.issue_arrival)
        u = streams("journey:issue-u").random((n, 8))
        self.u = u
        if journey is not None:
            seg_share = np.array([s.share for s in journey.segments.values()], dtype=float)
            type_share = np.array([t.share for t in journey.issue_types.values()], dtype=float)
            self.segment = np.minimum(np.searchsorted(np.cumsum(seg_share) / seg_share.sum(), u[:, 0], side="right"), len(seg_share) - 1)
            self.itype = np.minimum(np.searchsorted(np.cumsum(type_share) / type_share.sum(), u[:, 1], side="right"), len(type_share) - 1)
            self.search_s = sample(journey.self_service.time, streams("journey:search"), n)
            place = journey.self_service.placement
            look = journey.self_service.look_probability.get(place, 0.0)
            self.look_p = [look * s.self_service for s in journey.segments.values()]
            self.ability = [s.digital_ability for s in journey.segments.values()]
            self.aht_mult = [t.aht_multiplier for t in journey.issue_types.values()]
            self.fcr = [t.fcr for t in journey.issue_types.values()]
            self.weights = [
                [seg.channels.get(c, 0.0) * t.channels.get(c, 1.0) for c in self.names]
                for seg in journey.segments.values()
                for t in journey.issue_types.values()
            ]
            coverage = [t.knowledge_coverage for t in journey.issue_types.values()]
            self.knowledge = KnowledgeBase(self.types, coverage, journey.knowledge)
        else:
            self.segment = self.itype = np.zeros(0, dtype=int)
            self.knowledge = KnowledgeBase([], [], Journey.model_fields["knowledge"].default)
        self.first_service: dict[str, list[float]] = {}
        self.first_patience: dict[str, list[float]] = {}
        for name, ch in scenario.channels.items():
            self.first_service[name] = sample(ch.aht, streams(f"aht:{name}"), n).tolist()
            if ch.patience is not None:
                self.first_patience[name] = sample(ch.patience, streams(f"patience:{name}"), n).tolist()
        self.first_peer = streams("forum:peer").exponential(1.0, n).tolist()
        self.issue_looked = np.zeros(n, dtype=bool)
        self.issue_deflected = np.zeros(n, dtype=bool)
        self.issue_resolved = np.zeros(n, dtype=bool)
        self.issue_resolution = np.full(n, np.nan)
        self.issue_contacts = np.zeros(n, dtype=np.int64)

    # -- channel availability and choice --------------------------------------
    def _available(self, channel: str) -> bool:
        """Customers can start a call or chat only while open; posts can be written any time."""
        if self.kinds[channel] in ("social", "forum"):
            return True
        return self.scenario.channels[channel].open_at(self.env.now)

    def _choose(self, issue: int, u: float, exclude: str | None = None) -> str | None:
        weights = self.weights[self.segment[issue] * len(self.types) + self.itype[issue]]
        options = [(c, w) for c, w in zip(self.names, weights) if w > 0 and c != exclude and self._available(c)]
        total = sum(w for _, w in options)
        if total <= 0:
            return None
        x = u * total
        for channel, w in options:
            x -= w
            if x < 0:
                return channel
        return options[-1][0]

    def _until_open(self, issue: int) -> float:
        """Seconds until one of the issue's channels opens (inf if none within a week)."""
        weights = self.weights[self.segment[issue] * len(self.types) + self.itype[issue]]
        wanted = [self.scenario.channels[c] for c, w in zip(self.names, weights) if w > 0]
        step = self.interval_s
        t = (math.floor(self.env.now / step) + 1) * step
        for _ in range(int(7 * 86400 / step) + 1):
            if any(ch.open_at(t) for ch in wanted):
                return t - self.env.now
            t += step
        return math.inf

    # -- logging -------------------------------------------------------------
    def _log(self, issue: int, channel: str, reason: str, arrival_s: float, wait_s: float, service_s: float,
             outcome: int, by: int, resolved: bool, sentiment: int = -1, escalated: bool = False, team: int = -1) -> None:
        self.contacts.append(
            (issue, self.index[channel], _REASON[reason], arrival_s, wait_s, service_s, outcome, by, resolved, sentiment, escalated, team)
        )

    def _resolves(self, issue: int, channel: str, u: float) -> bool:
        if issue < 0:
            return True
        return u < self.fcr[self.itype[issue]] * self.scenario.channels[channel].fcr_multiplier

    # -- the customer's story --------------------------------------------------
    def issue_life(self, i: int) -> Generator[simpy.Event, object, None]:
        """One issue from arrival to resolution or giving up."""
        env = self.env
        behaviour = self.scenario.journey.behaviour
        start_s = env.now
        if self.u[i, 2] < self.look_p[self.segment[i]]:
            self.issue_looked[i] = True
            yield env.timeout(self.search_s[i])
            if self.u[i, 3] < self.knowledge.coverage[self.itype[i]] * self.ability[self.segment[i]]:
                self.issue_deflected[i] = self.issue_resolved[i] = True
                self.issue_resolution[i] = env.now - start_s
                return
        channel = self._choose(i, self.u[i, 4])
        reason, first = "first", True
        while True:
            if channel is None:
                wait = self._until_open(i)
                if math.isinf(wait):
                    return
                yield env.timeout(wait)
                channel = self._choose(i, self._uniform())
                continue
            self.issue_contacts[i] += 1
            result = yield from self.contact(i, channel, reason, first)
            first = False
            if result == RESOLVED:
                self.issue_resolved[i] = True
                self.issue_resolution[i] = env.now - start_s
                return
            if self.issue_contacts[i] >= behaviour.max_contacts:
                return
            if result == ESCALATED:
                channel, reason = self.escalation_channel, "escalation"
                continue
            if result == UNRESOLVED:
                yield env.timeout(self._later_draw("journey:repeat", lambda r, n: sample(behaviour.repeat_delay, r, n)))
                channel, reason = self._choose(i, self._uniform()), "repeat"
                continue
            u = self._uniform()
            if u < behaviour.switch_probability:
                other = self._choose(i, self._uniform(), exclude=channel)
                if other is not None:
                    channel, reason = other, "switch"
                    continue
            if u < behaviour.switch_probability + behaviour.retry_probability:
                yield env.timeout(self._later_draw("journey:retry", lambda r, n: sample(behaviour.retry_delay, r, n)))
                reason = "retry"
                if not self._available(channel):
                    channel = self._choose(i, self._uniform())
                continue
            return

    def contact(self, i: int, channel: str, reason: str, first: bool) -> Generator[simpy.Event, object, str]:
        """One contact of issue ``i`` (``-1``: a direct contact) in ``channel``."""
        kind = self.kinds[channel]
        if kind == "social":
            return (yield from self._social_post(i, channel, reason, first))
        if kind == "forum":
            return (yield from self._forum_post(i, channel, reason, first))
        return (yield from self._queued(i, channel, reason, first))

    def _queued(self, i: int, channel: str, reason: str, first: bool) -> Generator[simpy.Event, object, str]:
        env = self.env
        ch = self.scenario.channels[channel]
        arrival = env.now
        service = self._service(channel, i, first)
        if ch.lines is not None and self.dispatcher.in_system[channel] >= ch.lines:
            self._log(i, channel, reason, arrival, 0.0, service, BLOCKED, BY_NONE, False)
            return FAILED
        patience = self._patience(channel, i, first)
        work = Work(env, channel, service)
        answered = yield from self._wait_for_agent(work, patience)
        if not answered:
            self._log(i, channel, reason, arrival, env.now - arrival, service, ABANDONED, BY_NONE, False)
            return FAILED
        wait = work.start_s - arrival
        yield work.done
        resolved = self._resolves(i, channel, self.u[i, 6] if first and i >= 0 else self._uniform())
        self._log(i, channel, reason, arrival, wait, work.end_s - work.start_s, ANSWERED, BY_AGENT, resolved, team=work.team)
        return RESOLVED if resolved else UNRESOLVED

    def _wait_for_agent(self, work: Work, patience_s: float) -> Generator[simpy.Event, object, bool]:
        """Submit ``work`` and wait until an agent takes it or patience runs out."""
        self.dispatcher.submit(work)
        if work.state == WAITING:
            if math.isinf(patience_s):
                yield work.started
            else:
                yield work.started | self.env.timeout(patience_s)
            if work.state == WAITING:
                self.dispatcher.withdraw(work)
                return False
        return True

    def _social_post(self, i: int, channel: str, reason: str, first: bool) -> Generator[simpy.Event, object, str]:
        env = self.env
        ch = self.scenario.channels[channel]
        arrival = env.now
        u_sent = self.u[i, 5] if first and i >= 0 else self._uniform()
        s = ch.sentiment
        sentiment = 0 if u_sent < s.positive else (1 if u_sent < s.positive + s.neutral else 2)
        in_scope = (self.u[i, 7] if first and i >= 0 else self._uniform()) < ch.response_coverage and channel in self.staffed
        patience = self._patience(channel, i, first)
        service = self._service(channel, i, first)
        if in_scope:
            work = Work(env, channel, service)
            if (yield from self._wait_for_agent(work, patience)):
                yield work.done
                if i >= 0 and self.types:
                    self.knowledge.add_answers(self.itype[i])
                resolved = self._resolves(i, channel, self._uniform())
                self._log(i, channel, reason, arrival, work.end_s - arrival, work.end_s - work.start_s, ANSWERED, BY_AGENT,
                          resolved, sentiment, team=work.team)
                return RESOLVED if resolved else UNRESOLVED
        elif math.isinf(patience):
            self._log(i, channel, reason, arrival, math.inf, service, OUTCOME_WAITING, BY_NONE, False, sentiment)
            return FAILED
        else:
            yield env.timeout(patience)
        escalate = sentiment == 2 and self.escalation_channel is not None and self._uniform() < ch.escalation_probability
        self._log(i, channel, reason, arrival, env.now - arrival, service, ABANDONED, BY_NONE, False, sentiment, escalate)
        return ESCALATED if escalate and i >= 0 else FAILED

    def _forum_post(self, i: int, channel: str, reason: str, first: bool) -> Generator[simpy.Event, object, str]:
        env = self.env
        ch = self.scenario.channels[channel]
        arrival = env.now
        rate = ch.community.first_answer_rate_per_s()
        unit = self.first_peer[i] if first and i >= 0 else self._later_draw("forum:peer-later", lambda r, n: r.exponential(1.0, n))
        peer_s = unit / rate if rate > 0 else math.inf
        patience = self._patience(channel, i, first)
        moderated = channel in self.staffed
        deadline = ch.moderation_after_s if moderated else math.inf
        if peer_s <= deadline and peer_s <= patience:
            yield env.timeout(peer_s)
            accepted = self._uniform() < ch.community.accept_probability
            if accepted and i >= 0 and self.types:
                self.knowledge.add_answers(self.itype[i])
            self._log(i, channel, reason, arrival, peer_s, 0.0, ANSWERED, BY_PEER, accepted)
            return RESOLVED if accepted else UNRESOLVED
        if patience <= deadline:
            if math.isinf(patience):
                self._log(i, channel, reason, arrival, math.inf, 0.0, OUTCOME_WAITING, BY_NONE, False)
                return FAILED
            yield env.timeout(patience)
            self._log(i, channel, reason, arrival, patience, 0.0, ABANDONED, BY_NONE, False)
            return FAILED
        yield env.timeout(deadline)
        work = Work(env, channel, self._service(channel, i, first))
        if not (yield from self._wait_for_agent(work, patience - deadline)):
            self._log(i, channel, reason, arrival, env.now - arrival, work.service_s, ABANDONED, BY_NONE, False)
            return FAILED
        yield work.done
        if i >= 0 and self.types:
            self.knowledge.add_answers(self.itype[i])
        resolved = self._resolves(i, channel, self._uniform())
        self._log(i, channel, reason, arrival, work.end_s - arrival, work.end_s - work.start_s, ANSWERED, BY_AGENT, resolved,
                  team=work.team)
        return RESOLVED if resolved else UNRESOLVED

    def direct_contact(self, channel: str) -> Generator[simpy.Event, object, None]:
        """A contact from an ``arrivals`` stream: one attempt, no issue behind it."""
        yield from self.contact(-1, channel, "direct", False)

    # -- clock: staffing, opening hours, articles, snapshots --------------------
    def _interval(self, k: int) -> None:
        for team in self.dispatcher.teams:
            self.dispatcher.set_agents(team, self.teams[team.name].on_duty(k))
        now = k * self.interval_s
        for name, ch in self.scenario.channels.items():
            if self.kinds[name] in ("social", "forum"):
                self.dispatcher.set_open(name, ch.open_at(now))
        if k > 0:
            self.knowledge.publish_articles(self.interval_s)

    def _snapshot(self) -> None:
        backlog = [self.dispatcher.waiting[name] for name in self.names]
        self.snaps.append((self.env.now, backlog, self.knowledge.snapshot()))

    def _clock(self) -> Generator[simpy.Event, object, None]:
        moments = sorted(
            {round(k * self.interval_s, 6) for k in range(interval_count(self.horizon_s, self.interval_s))}
            | {round(j * self.snapshot_s, 6) for j in range(int(math.ceil(self.horizon_s / self.snapshot_s)))}
        )
        for t in moments:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            k = t / self.interval_s
            if abs(k - round(k)) < 1e-9:
                self._interval(int(round(k)))
            if abs(t / self.snapshot_s - round(t / self.snapshot_s)) < 1e-9:
                self._snapshot()
        yield self.env.timeout(self.horizon_s - self.env.now)
        self._snapshot()

    def _release(self, times: np.ndarray, start: Callable[[int], None]) -> None:
        """Start ``start(j)`` at each of the sorted ``times`` with one pending event at a time."""
        position = [0]
        env = self.env

        def fire(_event: object) -> None:
            j = position[0]
            start(j)
            position[0] = j + 1
            if j + 1 < len(times):
                Timeout(env, times[j + 1] - env.now).callbacks.append(fire)

        if len(times):
            Timeout(env, times[0]).callbacks.append(fire)

    # -- run -------------------------------------------------------------------
    def run(self, replication: int) -> RunRecords:
        """Simulate and return the records."""
        env = self.env
        self.env.process(self._clock())
        self._release(self.issue_arrival, lambda i: env.process(self.issue_life(i)))
        for name, stream in self.scenario.arrivals.items():
            times = poisson_arrivals(
                rates_per_hour(stream, interval_count(self.horizon_s, self.interval_s)),
                self.interval_s,
                self.horizon_s,
                self.streams(f"arrivals:{name}"),
            )
            self._release(times, lambda _j, name=name: env.process(self.direct_contact(name)))
        if self.scenario.horizon.drain:
            env.run()
        else:
            env.run(until=self.horizon_s)
        end_s = max(env.now, self.horizon_s)
        self.dispatcher.close_spells(end_s)
        return self._records(replication, end_s)

    def _records(self, replication: int, end_s: float) -> RunRecords:
        horizon = self.scenario.horizon
        cols = list(zip(*self.contacts)) if self.contacts else [()] * 12
        arr = [np.asarray(c) for c in cols]
        issue, chan, reason, arrival, wait, service, outcome, by, resolved, sentiment, escalated, team = arr
        chan = chan.astype(np.int64) if len(chan) else np.zeros(0, dtype=np.int64)
        order = np.argsort(arrival, kind="stable") if len(arrival) else np.zeros(0, dtype=np.int64)

        def col(a: np.ndarray, dtype: type) -> np.ndarray:
            return a[order].astype(dtype) if len(a) else np.zeros(0, dtype=dtype)

        issue, chan, reason = col(issue, np.int64), col(chan, np.int64), col(reason, np.int8)
        arrival, wait, service = col(arrival, float), col(wait, float), col(service, float)
        outcome, by, resolved = col(outcome, np.int8), col(by, np.int8), col(resolved, bool)
        sentiment, escalated = col(sentiment, np.int8), col(escalated, bool)
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
            )
        snap_t = np.array([s[0] for s in self.snaps], dtype=float)
        backlog = np.array([s[1] for s in self.snaps], dtype=float).reshape(len(self.snaps), len(self.names))
        coverage = np.array([s[2] for s in self.snaps], dtype=float).reshape(len(self.snaps), len(self.types))
        journey = JourneyRecords(
            segments=self.segments,
            issue_types=self.types,
            channels=self.names,
            channel_kinds=[self.kinds[n] for n in self.names],
            issue_arrival_s=self.issue_arrival,
            issue_segment=np.asarray(self.segment, dtype=np.int64),
            issue_type=np.asarray(self.itype, dtype=np.int64),
            issue_looked=self.issue_looked,
            issue_deflected=self.issue_deflected,
            issue_resolved=self.issue_resolved,
            issue_resolution_s=self.issue_resolution,
            issue_contacts=self.issue_contacts,
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
        out = {}
        for state in self.dispatcher.teams:
            spec = self.teams[state.name]
            spells = np.asarray([(s, e) for s, e, _ in state.spells], dtype=float).reshape(-1, 2)
            out[state.name] = TeamRecords(
                name=state.name,
                skills=list(spec.skills),
                shrinkage=spec.shrinkage,
                staff_t_s=np.asarray(state.staff_t_s, dtype=float),
                staff_n=np.asarray(state.staff_n, dtype=np.int64),
                scheduled=np.array([spec.scheduled(k) for k in range(n_int)], dtype=float),
                spell_start_s=spells[:, 0],
                spell_end_s=spells[:, 1],
                spell_channel=np.asarray([c for _, _, c in state.spells], dtype=object),
            )
        return out

    def _channel_staff(self, name: str, teams: dict[str, TeamRecords]) -> tuple[np.ndarray, np.ndarray]:
        """Staffing of a channel served by one dedicated team; none (occupancy n/a) otherwise."""
        serving = [t for t in teams.values() if name in t.skills]
        if len(serving) == 1 and serving[0].skills == [name] and self.kinds[name] != "chat":
            return serving[0].staff_t_s, serving[0].staff_n
        return np.array([0.0]), np.array([0], dtype=np.int64)


def run_journey(scenario: Scenario, seed: int, replication: int, snapshot_s: float | None = None) -> RunRecords:
    """Simulate one replication of an omnichannel scenario."""
    model = JourneyModel(scenario, Streams(seed, replication), snapshot_s or scenario.horizon.interval_s)
    return model.run(replication)
