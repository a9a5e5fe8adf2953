"""Random numbers keyed by customer and purpose, not by the order they are asked for.

A run asks for most of its random numbers up front (one array per purpose,
indexed by issue). What a customer needs later (the second contact's
handling time, whether to retry, which channel next) depends on what
happened, so it cannot be drawn in advance in one array. Handing such numbers
out in the order they are asked for would make one customer's numbers depend
on every other customer: a single extra retry anywhere would shift all the
later draws of everyone after it, and two runs that should be paired
(common random numbers: the same customers, different staffing) would drift
apart.

:class:`KeyedDraws` gives every ``(customer, purpose, use)`` its own number:
the ``k``-th number customer ``i`` draws for purpose ``p`` is element
``i mod 1024`` of block ``(k, i // 1024)`` of the purpose's own stream. A
block is drawn the first time any of its customers needs it, from the
purpose's PCG64 stream advanced to the block's own position (``(k * 2**32 +
block) * 2**40`` steps: far apart, so blocks never overlap), which costs a
fraction of seeding a new generator. A new purpose, or a change in one
customer's path, leaves every other number where it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np

from sim.random import Streams

_BLOCK_CUSTOMERS: Final = 1024
_SHIFT: Final = 10
"""Customers per block (``1 << _SHIFT``): large enough that few blocks are drawn, small enough to draw few unused numbers."""
_MAX_PURPOSES: Final = 4096
_BLOCK_STRIDE: Final = 1 << 40
"""Steps of the bit generator between blocks: more than any block's draws consume."""

Maker = Callable[[np.random.Generator, int], np.ndarray]
"""Draws ``n`` values of a purpose's distribution from a generator."""


def uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniforms on [0, 1): the maker of decision purposes."""
    return rng.random(n)


class KeyedDraws:
    """The numbers customers draw after the start, each keyed by (customer, purpose, use).

    Register purposes with :meth:`purpose` (before the run), then call
    :meth:`next` for the next number of a customer and purpose.
    Customers are numbered by the caller (issues first, then contacts with no
    issue behind them); any non-negative number is accepted.
    """

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.names: list[str] = []
        self.numbers: dict[str, int] = {}  # purpose name -> number
        self.makers: list[Maker] = []
        self.generators: list[np.random.Generator] = []
        self.starts: list[Mapping[str, Any]] = []  # each purpose's bit generator state at its stream's start
        self.uses: dict[int, int] = {}  # customer * _MAX_PURPOSES + purpose -> numbers drawn so far
        self.blocks: dict[tuple[int, int, int], np.ndarray] = {}  # kept as arrays: a run takes ~1 % of a block

    def purpose(self, name: str, make: Maker = uniforms) -> int:
        """Register a purpose (its stream names start with ``name``); returns its number for :meth:`next`."""
        if name in self.numbers:
            raise ValueError(f"purpose {name!r} is already registered")
        if len(self.names) >= _MAX_PURPOSES:
            raise ValueError(f"at most {_MAX_PURPOSES} purposes")
        rng = self.streams(name)
        self.numbers[name] = len(self.names)
        self.names.append(name)
        self.makers.append(make)
        self.generators.append(rng)
        self.starts.append(rng.bit_generator.state)
        return len(self.names) - 1

    def named(self, name: str) -> int:
        """The number of the uniform purpose ``name``, registered on first use (for behaviours added from outside)."""
        p = self.numbers.get(name)
        return self.purpose(name) if p is None else p

    def next(self, purpose: int, customer: int) -> float:
        """The next number of ``customer`` for ``purpose`` (its first, second, ... use)."""
        key = customer * _MAX_PURPOSES + purpose
        uses = self.uses
        k = uses.get(key, 0)
        uses[key] = k + 1
        return self.value(purpose, customer, k)

    def value(self, purpose: int, customer: int, use: int) -> float:
        """The number of ``customer``'s use ``use`` (0 = first) of ``purpose``, without counting it as used."""
        block = customer >> _SHIFT
        bkey = (purpose, use, block)
        values = self.blocks.get(bkey)
        if values is None:
            rng = self.generators[purpose]
            bit_generator = rng.bit_generator
            bit_generator.state = self.starts[purpose]
            bit_generator.advance((use * (1 << 32) + block) * _BLOCK_STRIDE)  # type: ignore[attr-defined]
            values = self.makers[purpose](rng, _BLOCK_CUSTOMERS)
            self.blocks[bkey] = values
        return float(values[customer & (_BLOCK_CUSTOMERS - 1)])
