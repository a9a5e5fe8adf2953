"""The omnichannel engine's clock and records: intervals, opening hours, snapshots, and what a run leaves behind.

:class:`JourneyClock` adds to :class:`~sim.engine.journey_setup.JourneySetup`
the moments of the clock (staffing per interval, opening hours, articles,
snapshots, the drain past the horizon), which channels are open to a
customer now, and the records built from the contact log once the run ends.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim.engine.agents import SERVING
from sim.engine.journey_setup import _DRAIN_LIMIT_S, _QUEUED, RESOLVED_STATE, SELF_RESOLVED, JourneySetup
from sim.engine.records import ANSWERED, BY_AGENT, BY_NONE, ChannelRecords, JourneyRecords, RunRecords, TeamRecords
from sim.engine.records import WAITING as OUTCOME_WAITING
from sim.spec.scenario import interval_count


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



def _pick(options: list[tuple[int, float]], x: float) -> int:
    """The channel whose share of the cumulated weights holds ``x`` (a uniform times the weights' sum)."""
    chosen = -1
    for channel, weight in options:
        chosen = channel
        x -= weight
        if x < 0:
            break
    return chosen


class JourneyClock(JourneySetup):
    """The clock, channel availability and records of a replication (see the module's description)."""

    # -- channel availability and choice --------------------------------------
    def _choose(self, issue: int, u: float, exclude: int = -1) -> int:
        """A channel open now (-1: none), drawn with the segment x issue-type preference weights."""
        group = self.group[issue]
        if self.choice is not None:
            return self._policy_choice(issue, u, group, exclude)
        total, options = self._responsive_options(issue, group, exclude) if self.responsive \
            else self._open_now(group, exclude)
        if total <= 0:
            return -1
        return _pick(options, u * total)

    def _open_now(self, group: int, exclude: int) -> tuple[float, list[tuple[int, float]]]:
        """The channels of ``group`` open now (but ``exclude``) with their preference weights, and the weights' sum."""
        if exclude >= 0:
            return self._options_open(group, exclude)
        # the open channels of a group change only with the interval: computed once per interval
        cached = self._open_options[group]
        if cached is None:
            cached = self._open_options[group] = self._options_open(group, -1)
        return cached

    def _policy_choice(self, issue: int, u: float, group: int, exclude: int) -> int:
        """The channel choice policy's pick among the open channels; the preference draw where it returns None."""
        total, options = self._open_now(group, exclude)
        if total <= 0 or self.choice is None:
            return -1
        picked = self.choice.choose_channel(issue, [(self.names[c], w) for c, w in options], u)
        if picked is not None:
            return self.index[picked]
        return _pick(options, u * total)

    def _responsive_options(self, issue: int, group: int, exclude: int) -> tuple[float, list[tuple[int, float]]]:
        """The open channels with weights that respond to service: the announced wait, and channels this customer gave up on.

        Weight = preference x exp(-wait_aversion x announced wait) x ``after_abandon_weight``
        for each channel the customer abandoned or was refused before.
        """
        total0, options = self._open_now(group, exclude)
        if total0 <= 0:
            return 0.0, options
        avoided = self.avoided[issue]
        aversion = self.wait_aversion_per_s
        out: list[tuple[int, float]] = []
        total = 0.0
        for c, w in options:
            if aversion > 0.0 and self._post_kind[c] == _QUEUED:
                wait = self._announced_wait_s(c)
                w = 0.0 if math.isinf(wait) else w * math.exp(-aversion * wait)
            if avoided >> c & 1:
                w *= self.after_abandon_weight
            out.append((c, w))
            total += w
        if total <= 0.0:  # every open channel looks hopeless: choose by preference alone
            return total0, options
        return total, out

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
            self.knowledge.age(self.interval_s)

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
            members_end={name: self.members[c] for c, name in enumerate(self.names)
                         if self.specs[c].community is not None},
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
        single = self.kinds[name] != "chat" or self.specs[self.index[name]].concurrency == 1
        if len(serving) == 1 and serving[0].skills == [name] and single:
            return serving[0].staff_t_s, serving[0].staff_n
        return np.array([0.0]), np.array([0], dtype=np.int64)


