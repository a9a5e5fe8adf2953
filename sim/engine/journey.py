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
it runs on :class:`sim.engine.loop.EventLoop`, a heap of ``(time, seq, callback,
arg)`` tuples, rather than on ``simpy.Environment``. Omnichannel studies run
this engine thousands of times (Monte Carlo over scenarios and seeds), and a
SimPy ``Timeout`` per event (an object, its callback list, a closure, the
environment's step) was the largest single cost of a run. The lean loop
schedules and orders events exactly as SimPy did: same times (``now +
delay``), ties in scheduling order, nothing run at the horizon itself unless
the run drains, so the records are the same, bit for bit; with SimPy
processes attached it runs in a ``simpy.Environment``
(:class:`sim.engine.loop.SimPyLoop`) with the same records.

Compiled: this module, :mod:`sim.engine.journey_setup`, :mod:`sim.engine.journey_clock`,
:mod:`sim.engine.loop`, :mod:`sim.engine.agents`, :mod:`sim.engine.draws` and :mod:`sim.engine.knowledge`
are compiled with mypyc when the package is installed (see :mod:`sim.engine_build`), which
is why the hot paths use precisely typed lists indexed by channel and issue
numbers, ``Final`` constants and callbacks bound once per run. The code stays
plain Python and runs as such, with the same results, where it is not compiled.

Random numbers: the attributes of each issue (segment, type, the decisions of
its first contact, handling time and patience in every channel) are drawn up
front per issue from their own streams, so two runs that differ in, say, the
forum's placement still see the same customers with the same problems
(common random numbers). What customers draw later (another contact's
handling time, whether to retry, which channel next) is keyed by customer,
purpose and use (:mod:`sim.engine.draws`), so no customer's path shifts
another's numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.engine.agents import UNQUEUED, WAITING, RoutingPolicy, Work
from sim.engine.journey_clock import JourneyClock
from sim.engine.journey_setup import (
    _FORUM,
    _QUEUED,
    _SOCIAL,
    GAVE_UP,
    RESOLVED_STATE,
    SELF_RESOLVED,
    ChannelChoice,
    _collector_paused,
    _ignore,
)
from sim.engine.loop import EventLoop
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
    RunRecords,
)
from sim.random import Streams
from sim.spec.scenario import Scenario


class JourneyModel(JourneyClock):
    """Builds and runs one replication of an omnichannel scenario.

    Public methods (no underscore) are the engine's API for code outside the
    model's own events: SimPy processes, listeners and policies (see
    :class:`sim.engine.simulation.Simulation`, which wraps them).
    """

    def __init__(self, scenario: Scenario, streams: Streams, snapshot_s: float, loop: EventLoop | None = None,
                 routing: RoutingPolicy | None = None, choice: ChannelChoice | None = None) -> None:
        super().__init__(scenario, streams, snapshot_s, loop, routing, choice)
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
                self.loop.after(wait, lambda _i: self._try(i, self._choose(i, self._later(self._p_choose, i)), reason), i)
            return
        first = False
        if i >= 0:
            contacts = self.issue_contacts[i]
            first = contacts == 0
            self.issue_contacts[i] = contacts + 1
        kind = self._post_kind[c]
        if kind == _QUEUED:
            if first:
                patience_s = self.first_patience[c][i]
                if self.issue_looked[i]:  # searched in vain before this first contact
                    patience_s *= self.patience_after_search
                self._queued(i, c, reason, first, self.first_service[c][i], patience_s)
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
            self.loop.after(self._later(self._p_repeat, i), self._on_repeat, i)

    def _repeat(self, i: int) -> None:
        self._try(i, self._choose(i, self._later(self._p_choose, i)), REASON_REPEAT)

    def _failed(self, work: Work, escalate: bool = False) -> None:
        """A contact got no answer (abandoned, busy signal, unanswered post): what next."""
        i = work.issue
        if i < 0:
            return
        self.avoided[i] |= 1 << work.ch  # leaned away from on the next choices
        if self.issue_contacts[i] >= self.max_contacts:
            self._end(i, GAVE_UP)
            return
        if escalate:
            self._try(i, self.escalation_channel, REASON_ESCALATION)
            return
        u = self._later(self._p_next_step, i)
        if u < self.switch_p:
            other = self._choose(i, self._later(self._p_choose, i), exclude=work.ch)
            if other >= 0:
                self._try(i, other, REASON_SWITCH)
                return
        if u < self.switch_p + self.retry_p:
            self.loop.after(self._later(self._p_retry, i), self._on_retry, (i, work.ch))
            return
        self._end(i, GAVE_UP)

    def _retry(self, arg: tuple[int, int]) -> None:
        i, c = arg
        self._try(i, c if self.customer_open[c] else self._choose(i, self._later(self._p_choose, i)), REASON_RETRY)

    def _end(self, i: int, state: int) -> None:
        self.issue_state[i] = state
        if state in (SELF_RESOLVED, RESOLVED_STATE):
            self.issue_resolution[i] = self.loop.now - self.issue_start[i]
            if self._listening:
                self._emit("issue_resolved", i)

    # -- phone and chat: queue, patience, lines -----------------------------------
    def _queued(self, who: int, c: int, reason: int, first: bool, service_s: float, patience_s: float) -> None:
        """Customer ``who``'s call or chat arrives at queue ``c``.

        Refused when every line is busy, else queued until served or patience ends.
        """
        service_s *= self._agent_aht_factor(who)
        work = Work(self.names[c], self.loop.now, service_s, who if who < self.n_issues else -1, reason, first, c)
        work.customer = who
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
            u = self.u_resolve[i] if work.first else self._later(self._p_resolve, i)
            resolved = u < self._agent_fcr(i, work.ch)
        self._log(work, work.start_s - work.arrival_s, work.service_s, ANSWERED, BY_AGENT, resolved)
        self.served_s[work.ch] += work.service_s
        self.served_n[work.ch] += 1
        if self._listening:
            self._emit("contact_completed", work)
        self._handled(work, resolved)

    # -- public posts: social and forum ------------------------------------------------
    def _social_post(self, who: int, c: int, reason: int, first: bool) -> None:
        ch = self.specs[c]
        i = who if who < self.n_issues else -1
        service = self._service(c, who, first) * self._agent_aht_factor(who)
        work = Work(self.names[c], self.loop.now, service, i, reason, first, c)
        work.customer = who
        u_sent = self.u_sentiment[who] if first else self._later(self._p_sentiment, who)
        s = ch.sentiment
        work.sentiment = 0 if u_sent < s.positive else (1 if u_sent < s.positive + s.neutral else 2)
        in_scope = (self.u_scope[who] if first else self._later(self._p_scope, who)) < ch.response_coverage and self.staffed[c]
        patience = self._patience(c, who, first)
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
        elif self._post_kind[work.ch] == _FORUM:  # left the peers unanswered
            self.open_with_peers[work.ch] -= 1
        if self._post_kind[work.ch] == _FORUM:
            self._community_changes(work.ch, False)
        work.closed = True
        self._sour(work, self.loop.now - work.arrival_s)
        escalate = (
            work.sentiment == 2 and work.issue >= 0 and self.escalation_channel >= 0
            and self._later(self._p_escalate, work.customer) < self.specs[work.ch].escalation_probability
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
        self._sour(work, work.end_s - work.arrival_s, resolved)
        self._log(work, work.end_s - work.arrival_s, work.end_s - work.start_s, ANSWERED, BY_AGENT, resolved)
        self.served_s[work.ch] += work.end_s - work.start_s
        self.served_n[work.ch] += 1
        if self._listening:
            self._emit("post_answered", work)
        self._handled(work, resolved)

    def _forum_post(self, who: int, c: int, reason: int, first: bool) -> None:
        work = Work(self.names[c], self.loop.now, 0.0, who if who < self.n_issues else -1, reason, first, c)
        work.customer = who
        rate = self._peer_rate_now(c)
        self.open_with_peers[c] += 1
        unit = self.first_peer[who] if first else self._later(self._p_peer, who)
        peer_s = unit / rate if rate > 0 else math.inf
        patience = self._patience(c, who, first)
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
        self.open_with_peers[work.ch] -= 1
        accepted = self._later(self._p_accept, work.customer) < self._accept_p[work.ch]
        if accepted:
            self._community_changes(work.ch, True)
        self._sour(work, self.loop.now - work.arrival_s, accepted)
        if accepted and work.issue >= 0 and self.n_types:
            self.knowledge.add_answers(self.typ[work.issue])
        self._log(work, self.loop.now - work.arrival_s, 0.0, ANSWERED, BY_PEER, accepted)
        if self._listening:
            self._emit("post_answered", work)
        self._handled(work, accepted)

    def _moderate(self, work: Work) -> None:
        """No peer answered in time: the post joins the moderators' queue."""
        self.open_with_peers[work.ch] -= 1
        patience = work.end_s
        work.end_s = math.nan
        work.state = WAITING
        work.service_s = self._service(work.ch, work.customer, work.first) * self._agent_aht_factor(work.customer)
        work.on_done = self._on_post_answered
        self.dispatcher.submit(work)
        remaining = patience - (self.loop.now - work.arrival_s)
        if work.state == WAITING and not math.isinf(remaining):
            self.loop.after(remaining, self._on_post_patience, work)

    def _arrival(self, k: int) -> None:
        """Arrival ``k`` of the feed: an issue, or a contact straight to a channel."""
        who = self.feed_who[k]
        if who >= 0:
            self._arrive(who)
            return
        j = -1 - who
        c = self.direct_ch[j]
        kind = self._post_kind[c]
        customer = self.n_issues + j
        if kind == _QUEUED:
            self._queued(customer, c, REASON_DIRECT, False, self.direct_service[j], self.direct_patience[j])
        elif kind == _SOCIAL:
            self._social_post(customer, c, REASON_DIRECT, False)
        else:
            self._forum_post(customer, c, REASON_DIRECT, False)

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
        who = self.next_customer
        self.next_customer = who + 1
        service = self._service(c, who, False) if service_s is None else float(service_s)
        patience = self._patience(c, who, False) if patience_s is None else float(patience_s)
        before = len(self.started)
        self._queued(who, c, REASON_DIRECT, False, service, patience)
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

