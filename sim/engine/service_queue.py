"""A first-come-first-served queue served by a pool of identical agents.

This is the hot path of the simulator, so it is written for speed on top of
SimPy's event loop: contacts are integers indexing preallocated lists, events
are bare :class:`simpy.events.Timeout` objects with callbacks (no generator
process per contact), and abandonment is handled lazily. Under FCFS a
waiting customer abandons exactly when their wait would exceed their
patience, so instead of scheduling a reneging event per customer the queue
skips (and records as abandoned at ``arrival + patience``) every expired
customer when an agent looks for the next one. The outcome of every customer
is identical to the eager model; only the bookkeeping events are saved.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import simpy
from simpy.events import Timeout

from sim.engine.records import ABANDONED, ANSWERED, WAITING


class ServiceQueue:
    """FCFS queue with reneging, served by a changing number of agents.

    ``arrival_s``, ``service_s`` and ``patience_s`` describe every contact
    that will ever arrive (index = contact id); the queue fills ``wait_s`` and
    ``outcome``. Agents on duty change with :meth:`set_agents`; an agent
    asked to leave while serving finishes the contact first.
    """

    def __init__(self, env: simpy.Environment, arrival_s: list[float], service_s: list[float], patience_s: list[float]) -> None:
        self.env = env
        self.arrival_s = arrival_s
        self.service_s = service_s
        self.patience_s = patience_s
        n = len(arrival_s)
        self.wait_s = [0.0] * n
        self.outcome = bytearray([WAITING]) * n
        self.waiting: deque[int] = deque()
        self.free = 0
        self.on_duty = 0
        self.leaving = 0
        self.staff_t_s: list[float] = [0.0]
        self.staff_n: list[int] = [0]

    # -- staffing ---------------------------------------------------------
    def set_agents(self, target: int) -> None:
        """Bring the number of agents on duty to ``target`` from now on."""
        delta = target - (self.on_duty - self.leaving)
        if delta > 0:
            returning = min(self.leaving, delta)
            self.leaving -= returning
            joining = delta - returning
            self.on_duty += joining
            self.free += joining
            while self.free and self._pull():
                self.free -= 1
        elif delta < 0:
            idle = min(self.free, -delta)
            self.free -= idle
            self.on_duty -= idle
            self.leaving += -delta - idle
        self._log_staff()

    def _log_staff(self) -> None:
        self.staff_t_s.append(self.env._now)
        self.staff_n.append(self.on_duty)

    # -- contacts ---------------------------------------------------------
    def arrive(self, i: int) -> None:
        """Contact ``i`` arrives now: served at once if an agent is free."""
        if self.free:
            self.free -= 1
            self.outcome[i] = ANSWERED
            Timeout(self.env, self.service_s[i]).callbacks.append(self._finish)
        else:
            self.waiting.append(i)

    def _finish(self, _event: object) -> None:
        if self.leaving:
            self.leaving -= 1
            self.on_duty -= 1
            self._log_staff()
        elif not self._pull():
            self.free += 1

    def _pull(self) -> bool:
        """Start serving the first customer still waiting; False if none."""
        waiting = self.waiting
        now = self.env._now
        arrival, patience = self.arrival_s, self.patience_s
        while waiting:
            i = waiting.popleft()
            waited = now - arrival[i]
            if waited <= patience[i]:
                self.wait_s[i] = waited
                self.outcome[i] = ANSWERED
                Timeout(self.env, self.service_s[i]).callbacks.append(self._finish)
                return True
            self.wait_s[i] = patience[i]
            self.outcome[i] = ABANDONED
        return False

    # -- observation ------------------------------------------------------
    def queue_length(self) -> int:
        """Customers really waiting now (expired ones are not counted)."""
        now = self.env._now
        arrival, patience = self.arrival_s, self.patience_s
        return sum(1 for i in self.waiting if now - arrival[i] <= patience[i])

    def busy(self) -> int:
        """Agents serving a contact now."""
        return self.on_duty - self.free

    def close(self, end_s: float, drained: bool) -> None:
        """Settle the customers still queued when the run stops at ``end_s``.

        After a drained run no agent will ever free up again, so every
        customer still queued with finite patience abandons when it runs out;
        otherwise only those whose patience ran out before ``end_s`` did.
        """
        for i in self.waiting:
            waited = end_s - self.arrival_s[i]
            if waited > self.patience_s[i] or (drained and self.patience_s[i] < float("inf")):
                self.wait_s[i] = self.patience_s[i]
                self.outcome[i] = ABANDONED
            else:
                self.wait_s[i] = waited
        self.waiting.clear()

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``wait_s``, ``outcome``, staffing times and staffing counts as arrays."""
        return (
            np.asarray(self.wait_s, dtype=float),
            np.frombuffer(bytes(self.outcome), dtype=np.int8).copy(),
            np.asarray(self.staff_t_s, dtype=float),
            np.asarray(self.staff_n, dtype=np.int64),
        )
