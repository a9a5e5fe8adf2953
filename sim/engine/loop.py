"""The engine's event loops: a lean heap of callbacks, and the same interface on SimPy.

The model is written as timed callbacks (SimPy ``Timeout`` callbacks in
structure). :class:`EventLoop` runs them on a binary heap of plain tuples,
which is what Monte Carlo studies use: no event object per event.
:class:`SimPyLoop` runs the very same callbacks as ``Timeout`` events of a
:class:`simpy.Environment`, so user SimPy processes share the model's clock.
Both order simultaneous events as SimPy does (time, then scheduling order), so
a model gives the same numbers, bit for bit, on either loop (a test runs every
shipped scenario on both).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import Timeout


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

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._seq = 0  # events scheduled so far: ties in time run in this order
        self._feed_times: list[float] = []
        self._feed_callback: Callable[[int], None] = _ignore_arrival
        self._feed_k = 0  # the next arrival of the feed; past its end when none is left
        self._feed_t = math.inf
        self._feed_seq = 0

    def sync(self) -> None:
        """Bring ``now`` up to date before code outside the model's events uses it (nothing to do here)."""

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


class SimPyLoop(EventLoop):
    """:class:`EventLoop`'s interface on a :class:`simpy.Environment`: every event is a SimPy ``Timeout``.

    ``now`` is the environment's clock as of the last event the model ran;
    code that enters the model from a user's SimPy process calls
    :meth:`sync` first (the public :class:`sim.engine.simulation.Simulation`
    API does). Events are scheduled at ``env.now + delay_s`` with SimPy's
    normal priority, the feed as a chain of timeouts, exactly as
    :class:`EventLoop` orders them.
    """

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__()
        self.env = env
        self.now = float(env.now)
        self._simpy_feed: list[float] = []
        self._simpy_feed_callback: Callable[[int], None] = _ignore_arrival
        self._model_events = 0  # the model's events still due (user processes' events are not counted)

    def sync(self) -> None:
        """Set ``now`` to the environment's clock (from outside the model's own events)."""
        self.now = float(self.env.now)

    def after(self, delay_s: float, callback: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``callback(arg)`` in ``delay_s`` seconds, as a SimPy timeout."""
        self._model_events += 1
        Timeout(self.env, delay_s).callbacks.append(lambda _event: self._fire(callback, arg))

    def _fire(self, callback: Callable[[Any], None], arg: Any) -> None:
        self._model_events -= 1
        self.now = float(self.env.now)
        callback(arg)

    def feed(self, times: list[float], callback: Callable[[int], None]) -> None:
        """Call ``callback(k)`` at ``times[k]``: each call schedules the next, as chained timeouts."""
        if self._simpy_feed:
            raise RuntimeError("this event loop already has a feed")
        self._simpy_feed = times
        self._simpy_feed_callback = callback
        if times:
            self.after(times[0] - self.now, self._feed_step, 0)

    def _feed_step(self, k: int) -> None:
        self._simpy_feed_callback(k)
        times = self._simpy_feed
        if k + 1 < len(times):
            self.after(times[k + 1] - self.now, self._feed_step, k + 1)

    def pending(self) -> bool:
        """Whether any of the model's events is still due (user processes may go on for ever)."""
        return self._model_events > 0

    def run(self, until: float | None = None) -> None:
        """Run the environment until none of the model's events is left, or up to ``until`` (the clock then reads it).

        Without ``until``, user processes run alongside as long as the model
        has events due, and no longer: a monitoring process that loops for
        ever does not keep a draining run going.
        """
        if until is None:
            env = self.env
            while self._model_events > 0:
                env.step()
        else:
            self.env.run(until=until)
            self.now = until
        self.sync()

    def clear(self) -> None:
        """Forget the feed (the environment and its pending events belong to the user)."""
        self._simpy_feed = []
        self._simpy_feed_callback = _ignore_arrival
