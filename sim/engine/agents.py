"""Agents in teams with skills: routing, priorities, blending, chat concurrency.

The :class:`Dispatcher` keeps one FCFS queue per channel and the agents of
every team. Work submitted to a channel goes to a free agent of the first
team (in scenario order) that has the skill; otherwise it waits. An agent
who becomes free takes the oldest waiting work of the first skill in its
team's list that has any, which is how priorities and blending work: a team
with skills ``[phone, social]`` answers posts only while no call waits.

Chat agents hold up to ``concurrency`` chats at once and take no other work
while they hold one; each chat's handling time is stretched by
``1 + concurrency_stretch * (chats held - 1)`` at the moment it starts.
Channels that are closed (social and forum outside office hours) keep their
queue as a backlog that agents work once the channel opens.

Like the plain queue engine, this is built from timed callbacks rather than
one process per agent or customer: when an agent finishes a piece of
:class:`Work`, the dispatcher calls its ``on_done`` callback. The callbacks
run on the omnichannel engine's :class:`EventLoop` (see :mod:`sim.engine.journey`
for why it has its own loop) or, for tests and other models, on a
:class:`simpy.Environment`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Any, Callable, Final

import simpy
from simpy.events import Timeout

from sim.spec.journey import Team
from sim.engine.records import REASON_DIRECT

WAITING: Final = 0
SERVING: Final = 1
DONE: Final = 2
WITHDRAWN: Final = 3
UNQUEUED: Final = 4
"""States of a piece of work (UNQUEUED: a post no agent will take, waiting for peers or nobody)."""
_NAN: Final = math.nan


class EventLoop:
    """A lean discrete-event loop: callbacks due at times, kept in a binary heap.

    Each pending event is a plain tuple ``(time, seq, callback, arg)``. Events
    due at the same time run in the order they were scheduled, which is
    SimPy's rule for events of equal priority, so a model written as SimPy
    ``Timeout`` callbacks runs event for event the same on this loop, only
    without creating an event object (and its callback list) per event.

    One stream of arrivals known in advance (a model's customers) can be
    :meth:`feed` to the loop: it runs as if each arrival scheduled the next,
    but waits beside the heap instead of going through it.
    """

    __slots__ = ("_heap", "_seq", "now", "_feed_times", "_feed_callback", "_feed_k", "_feed_t", "_feed_seq")

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._seq = 0  # events scheduled so far: ties in time run in this order
        self._feed_times: list[float] = []
        self._feed_callback: Callable[[int], None] = _ignore_arrival
        self._feed_k = 0  # the next arrival of the feed; past its end when none is left
        self._feed_t = math.inf
        self._feed_seq = 0

    def after(self, delay_s: float, callback: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``callback(arg)`` in ``delay_s`` seconds (as SimPy, at ``now + delay_s``)."""
        self._seq += 1
        heappush(self._heap, (self.now + delay_s, self._seq, callback, arg))

    def feed(self, times: list[float], callback: Callable[[int], None]) -> None:
        """Call ``callback(k)`` at ``times[k]`` for every ``k``, in order (``times`` sorted).

        The calls happen exactly as if the first were scheduled now with
        :meth:`after` and each call ended by scheduling the next one: same
        times (``now + (times[k] - now)``) and the same order among events
        due at the same time. A loop takes one feed.
        """
        if self._feed_times:
            raise RuntimeError("this event loop already has a feed")
        self._feed_times = times
        self._feed_callback = callback
        self._feed_k = 0
        if times:
            self._feed_t = self.now + (times[0] - self.now)
            self._seq += 1
            self._feed_seq = self._seq

    def pending(self) -> bool:
        """Whether any event is still due (in the heap or the feed)."""
        return bool(self._heap) or self._feed_k < len(self._feed_times)

    def _feed_first(self) -> bool:
        """Whether the feed's next arrival is due before the heap's first event."""
        if self._feed_k >= len(self._feed_times):
            return False
        heap = self._heap
        if not heap:
            return True
        t = heap[0][0]
        return self._feed_t < t or (self._feed_t == t and self._feed_seq < heap[0][1])

    def _run_feed(self) -> None:
        k = self._feed_k
        self.now = self._feed_t
        self._feed_callback(k)
        k += 1
        self._feed_k = k
        if k < len(self._feed_times):
            self._feed_t = self.now + (self._feed_times[k] - self.now)
            self._seq += 1
            self._feed_seq = self._seq

    def run(self, until: float | None = None) -> None:
        """Run events until none is left, or those due before ``until`` (then the clock reads ``until``).

        As with ``simpy.Environment.run(until=...)``, events due exactly at
        ``until`` are not run.
        """
        heap = self._heap
        pop = heappop
        while True:
            if self._feed_first():
                if until is not None and self._feed_t >= until:
                    break
                self._run_feed()
            elif heap:
                if until is not None and heap[0][0] >= until:
                    break
                t, _, callback, arg = pop(heap)
                self.now = t
                callback(arg)
            else:
                break
        if until is not None:
            self.now = until

    def clear(self) -> None:
        """Drop every pending event and what is left of the feed."""
        self._heap.clear()
        self._feed_times = []
        self._feed_callback = _ignore_arrival
        self._feed_k = 0


def _ignore_arrival(_k: int) -> None:
    """Callback of an empty feed."""


class _SimPyLoop:
    """:class:`EventLoop`'s interface on top of a :class:`simpy.Environment`."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env

    @property
    def now(self) -> float:
        """The environment's clock."""
        return self.env.now

    def after(self, delay_s: float, callback: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``callback(arg)`` in ``delay_s`` seconds."""
        Timeout(self.env, delay_s).callbacks.append(lambda _event: callback(arg))


def _ignore(_work: "Work") -> None:
    """Default ``on_done``: nothing to do."""


class Work:
    """One contact: a call, a chat or a post, and what happened to it so far.

    The dispatcher uses ``channel``, ``service_s`` and the state; the rest
    (issue, reason code as in :data:`sim.engine.records.REASONS`, sentiment, whether
    it is the issue's first contact) belongs to the customer's journey and
    travels with the contact.
    """

    __slots__ = ("channel", "ch", "arrival_s", "service_s", "state", "start_s", "end_s", "team", "on_done",
                 "issue", "reason", "first", "sentiment", "agent", "closed")

    def __init__(self, channel: str, arrival_s: float, service_s: float, issue: int = -1, reason: int = REASON_DIRECT,
                 first: bool = False, ch: int = -1) -> None:
        self.channel = channel
        self.ch = ch  # the channel's position in the dispatcher's routing (set on submission if not known)
        self.arrival_s = arrival_s
        self.service_s = service_s
        self.state = WAITING
        self.start_s = _NAN
        self.end_s = _NAN
        self.team = -1
        self.on_done: Callable[[Work], None] = _ignore
        self.issue = issue
        self.reason = reason
        self.first = first
        self.sentiment = -1
        self.agent: Agent | None = None
        self.closed = False  # the journey has logged what became of it


class Agent:
    """One agent on duty: free, busy with one contact, or holding chats."""

    __slots__ = ("team", "chats", "busy", "leaving", "spell_start_s", "spell_ch")

    def __init__(self, team: "TeamState") -> None:
        self.team = team
        self.chats = 0
        self.busy = False
        self.leaving = False
        self.spell_start_s = 0.0
        self.spell_ch = -1  # the channel (by number) of the work held since ``spell_start_s``

    @property
    def free(self) -> bool:
        """Holding no work at all."""
        return not self.busy and self.chats == 0


@dataclass
class ChannelRouting:
    """What the dispatcher needs to know about one channel."""

    kind: str
    concurrency: int = 1
    concurrency_stretch: float = 0.0


class TeamState:
    """The agents of one team on duty now, and the logs its KPIs are computed from."""

    def __init__(self, index: int, name: str, spec: Team) -> None:
        self.index = index
        self.name = name
        self.skills = list(spec.skills)
        self.skill_ids: list[int] = []  # positions of the skills in the dispatcher's channels, priority order
        self.agents: list[Agent] = []
        self.idle: list[Agent] = []
        self.staff_t_s: list[float] = [0.0]
        self.staff_n: list[int] = [0]
        # busy spells as three columns (one tuple per spell would keep the garbage collector busy)
        self.spell_start_s: list[float] = []
        self.spell_end_s: list[float] = []
        self.spell_ch: list[int] = []  # channels by their number in the dispatcher

    def log_spell(self, start_s: float, end_s: float, ch: int) -> None:
        """Log that one agent held work of channel number ``ch`` from ``start_s`` to ``end_s``."""
        self.spell_start_s.append(start_s)
        self.spell_end_s.append(end_s)
        self.spell_ch.append(ch)

    def active(self) -> int:
        """Agents on duty who are not about to leave."""
        return sum(1 for a in self.agents if not a.leaving)


class Dispatcher:
    """Queues per channel and the teams that serve them.

    ``env`` is the :class:`EventLoop` of the omnichannel engine or a
    :class:`simpy.Environment`. Channels are numbered in the order of
    ``routing``; the per-channel state (``queues``, ``waiting``,
    ``in_system``, ``open``) is kept in lists indexed by that number, which
    is what a contact's ``ch`` holds.
    """

    def __init__(self, env: simpy.Environment | EventLoop, routing: dict[str, ChannelRouting], teams: dict[str, Team]) -> None:
        self.env = env
        self.loop: EventLoop | _SimPyLoop = env if isinstance(env, EventLoop) else _SimPyLoop(env)
        self.routing = routing
        self.channels = list(routing)
        self.channel_index = {c: k for k, c in enumerate(self.channels)}
        n = len(self.channels)
        self.queues: list[deque[Work]] = [deque() for _ in range(n)]
        self.waiting = [0] * n
        self.in_system = [0] * n
        self.open = [True] * n
        self.teams = [TeamState(i, name, spec) for i, (name, spec) in enumerate(teams.items())]
        for team in self.teams:
            team.skill_ids = [self.channel_index[c] for c in team.skills]
        self.teams_for = [[t for t in self.teams if c in t.skills] for c in self.channels]
        # chat channels: agents hold up to ``concurrency`` chats, each stretched by ``stretch`` per other chat held
        self.is_chat = [r.kind == "chat" for r in routing.values()]
        self.concurrency = [r.concurrency if r.kind == "chat" else 1 for r in routing.values()]
        self.stretch = [r.concurrency_stretch if r.kind == "chat" else 0.0 for r in routing.values()]
        self._on_finish: Callable[[Work], None] = self._finish  # bound once, not per contact (undone by release)

    # -- work -------------------------------------------------------------
    def submit(self, work: Work) -> None:
        """Work arrives: an agent takes it now if one can, otherwise it queues."""
        c = work.ch
        if c < 0:
            c = work.ch = self.channel_index[work.channel]
        self.in_system[c] += 1
        if self.open[c]:
            for team in self.teams_for[c]:
                if team.idle:
                    self._start(team.idle.pop(), work)
                    return
            agent = self._find_chat_agent(c)
            if agent is not None:
                self._start(agent, work)
                return
        self.queues[c].append(work)
        self.waiting[c] += 1

    def withdraw(self, work: Work) -> bool:
        """The customer leaves before an agent took the work; False if too late."""
        if work.state != WAITING:
            return False
        work.state = WITHDRAWN
        self.waiting[work.ch] -= 1
        self.in_system[work.ch] -= 1
        return True

    def _find_chat_agent(self, c: int) -> Agent | None:
        """The agent holding the fewest chats (but some) below the channel's concurrency."""
        concurrency = self.concurrency[c]
        if concurrency <= 1:
            return None
        best: Agent | None = None
        for team in self.teams_for[c]:
            for agent in team.agents:
                if not agent.busy and not agent.leaving and 0 < agent.chats < concurrency:
                    if best is None or agent.chats < best.chats:
                        best = agent
        return best

    def _start(self, agent: Agent, work: Work) -> None:
        loop = self.loop
        now = loop.now
        duration = work.service_s
        c = work.ch
        if self.is_chat[c]:
            if agent.chats == 0:
                agent.spell_start_s = now
                agent.spell_ch = c
            agent.chats += 1
            duration *= 1.0 + self.stretch[c] * (agent.chats - 1)
            work.service_s = duration  # the handling time the chat really takes
        else:
            agent.busy = True
            agent.spell_start_s = now
            agent.spell_ch = c
        work.state = SERVING
        work.start_s = now
        work.end_s = now + duration
        work.team = agent.team.index
        work.agent = agent
        loop.after(duration, self._on_finish, work)

    def _finish(self, work: Work) -> None:
        agent: Agent = work.agent  # type: ignore[assignment]
        work.state = DONE
        c = work.ch
        self.in_system[c] -= 1
        if self.is_chat[c]:
            agent.chats -= 1
        else:
            agent.busy = False
        if agent.chats == 0:
            team = agent.team
            team.spell_start_s.append(agent.spell_start_s)
            team.spell_end_s.append(self.loop.now)
            team.spell_ch.append(agent.spell_ch)
        self._next(agent)
        work.on_done(work)

    def _pop(self, c: int) -> Work | None:
        queue = self.queues[c]
        while queue:
            work = queue.popleft()
            if work.state == WAITING:
                self.waiting[c] -= 1
                return work
        return None

    def _next(self, agent: Agent) -> None:
        """A non-idle-listed agent looks for work by skill priority, or goes idle or home."""
        team = agent.team
        if agent.leaving:
            if agent.free:
                team.agents.remove(agent)
                self._log_staff(team)
            return
        waiting, is_open = self.waiting, self.open
        for c in team.skill_ids:
            if not waiting[c] or not is_open[c]:
                continue
            if self.is_chat[c]:
                if agent.busy:
                    continue
                concurrency = self.concurrency[c]
                while agent.chats < concurrency and waiting[c]:
                    work = self._pop(c)
                    if work is None:
                        break
                    self._start(agent, work)
                if agent.chats:
                    return
            elif not agent.busy and agent.chats == 0:
                work = self._pop(c)
                if work is not None:
                    self._start(agent, work)
                    return
        if not agent.busy and agent.chats == 0:
            team.idle.append(agent)

    # -- staffing and hours ----------------------------------------------
    def set_agents(self, team: TeamState, target: int) -> None:
        """Bring the team's agents on duty to ``target``; busy leavers finish their work first."""
        active = team.active()
        if target > active:
            need = target - active
            for agent in team.agents:  # leavers are all busy: they simply stay
                if need and agent.leaving:
                    agent.leaving = False
                    need -= 1
            for _ in range(need):
                agent = Agent(team)
                team.agents.append(agent)
                self._next(agent)
        elif target < active:
            excess = active - target
            while excess and team.idle:
                agent = team.idle.pop()
                team.agents.remove(agent)
                excess -= 1
            for agent in reversed(team.agents):
                if not excess:
                    break
                if not agent.leaving:
                    agent.leaving = True
                    excess -= 1
        self._log_staff(team)

    def _log_staff(self, team: TeamState) -> None:
        team.staff_t_s.append(self.loop.now)
        team.staff_n.append(len(team.agents))

    def set_open(self, channel: str, is_open: bool) -> None:
        """Open or close a channel to agents; opening lets free agents take its backlog."""
        c = self.channel_index[channel]
        was_open = self.open[c]
        self.open[c] = is_open
        if is_open and not was_open and self.waiting[c]:
            for team in self.teams_for[c]:
                ready = team.idle[:]
                team.idle.clear()
                ready += [a for a in team.agents if 0 < a.chats and not a.leaving]
                for agent in ready:
                    self._next(agent)

    def release(self) -> None:
        """Drop the work still queued and the agents on duty (after the run, once its records are taken)."""
        self._on_finish = _ignore
        for queue in self.queues:
            queue.clear()
        for team in self.teams:
            team.agents.clear()
            team.idle.clear()

    def close_spells(self, end_s: float) -> None:
        """Log the work still in hand at the end of the run as busy until ``end_s``."""
        for team in self.teams:
            for agent in team.agents:
                if not agent.free:
                    team.log_spell(agent.spell_start_s, end_s, agent.spell_ch)
