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

This is built from timed callbacks rather than one process per agent or
customer: when an agent finishes a piece of :class:`Work`, the dispatcher
calls its ``on_done`` callback. The callbacks run on an event loop of
:mod:`sim.engine.loop`: the lean heap, or a :class:`simpy.Environment`.

Who serves what can be changed from outside without editing this module: a
:class:`RoutingPolicy` passed as ``policy`` chooses the agent for arriving
work and the work a free agent takes next (see ``examples/``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import simpy

from sim.engine.loop import EventLoop, SimPyLoop
from sim.engine.records import REASON_DIRECT
from sim.spec.journey import Team

WAITING: Final = 0
SERVING: Final = 1
DONE: Final = 2
WITHDRAWN: Final = 3
UNQUEUED: Final = 4
"""States of a piece of work (UNQUEUED: a post no agent will take, waiting for peers or nobody)."""
_NAN: Final = math.nan


def _ignore(_work: Work) -> None:
    """Default ``on_done``: nothing to do."""


class Work:
    """One contact: a call, a chat or a post, and what happened to it so far.

    The dispatcher uses ``channel``, ``service_s`` and the state; the rest
    (issue, reason code as in :data:`sim.engine.records.REASONS`, sentiment, whether
    it is the issue's first contact) belongs to the customer's journey and
    travels with the contact. ``customer`` numbers whoever is behind the
    contact (the issue, or for a contact with no issue a number of its own):
    the key of the random numbers it draws later (:mod:`sim.engine.draws`).
    """

    __slots__ = ("channel", "ch", "arrival_s", "service_s", "state", "start_s", "end_s", "team", "on_done",
                 "issue", "reason", "first", "sentiment", "agent", "closed", "customer")

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
        self.customer = issue  # whose keyed random numbers it draws (the issue, or a number of its own)


class Agent:
    """One agent on duty: free, busy with one contact, or holding chats."""

    __slots__ = ("team", "chats", "busy", "leaving", "spell_start_s", "spell_ch")

    def __init__(self, team: TeamState) -> None:
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


class RoutingPolicy(Protocol):
    """Chooses who serves what; the dispatcher's own rule applies wherever a method returns None.

    ``choose_agent`` picks, among the idle agents able to take ``work`` (in
    team order, each team's agents from the longest idle), the one who
    takes it. ``choose_work`` picks, among the waiting work of the channels
    that ``agent`` serves and that are open (oldest first per channel, the
    channels in the team's skill order), what the free agent takes next.
    """

    def choose_agent(self, work: Work, idle: list[Agent]) -> Agent | None:
        """The agent (one of ``idle``) who takes ``work``, or None for the default."""
        ...

    def choose_work(self, agent: Agent, waiting: list[Work]) -> Work | None:
        """The work (one of ``waiting``) that ``agent`` takes next, or None for the default."""
        ...


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

    def __init__(self, env: simpy.Environment | EventLoop, routing: dict[str, ChannelRouting], teams: dict[str, Team],
                 policy: RoutingPolicy | None = None) -> None:
        self.loop: EventLoop = env if isinstance(env, EventLoop) else SimPyLoop(env)
        self.policy = policy
        self.on_start: Callable[[Work], None] | None = None  # called as an agent takes work (event listeners)
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
        self.loop.sync()
        c = work.ch
        if c < 0:
            c = work.ch = self.channel_index[work.channel]
        self.in_system[c] += 1
        if self.open[c]:
            if self.policy is not None and self._policy_agent(work):
                return
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

    def _policy_agent(self, work: Work) -> bool:
        """Let the routing policy choose among the idle agents; False if it leaves the choice to the default."""
        idle = [agent for team in self.teams_for[work.ch] for agent in team.idle]
        if not idle or self.policy is None:
            return False
        agent = self.policy.choose_agent(work, idle)
        if agent is None:
            return False
        agent.team.idle.remove(agent)
        self._start(agent, work)
        return True

    def _policy_work(self, agent: Agent) -> None:
        """Let the routing policy choose the next work of a free agent (chats held may then be topped up)."""
        if self.policy is None:
            return
        waiting = [
            work for c in agent.team.skill_ids if self.waiting[c] and self.open[c]
            for work in self.queues[c] if work.state == WAITING
        ]
        if not waiting:
            return
        work = self.policy.choose_work(agent, waiting)
        if work is None:
            return
        self.queues[work.ch].remove(work)
        self.waiting[work.ch] -= 1
        self._start(agent, work)

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
        if self.on_start is not None:
            self.on_start(work)

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
        if self.policy is not None and agent.free:
            self._policy_work(agent)
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
        self.loop.sync()
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
        self.loop.sync()
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
