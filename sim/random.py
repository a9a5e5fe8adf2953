"""Independent, named random streams built from :class:`numpy.random.SeedSequence`.

Every replication and every purpose (arrivals of a channel, its handling
times, its patience, ...) gets its own generator derived from
``(seed, replication, purpose)``. Two runs that differ only in, say, the
number of agents therefore see the same customers with the same handling
times and patience: common random numbers. Nothing here touches NumPy's
global random state.
"""

from __future__ import annotations

import zlib

import numpy as np


def purpose_key(purpose: str) -> int:
    """A stable 32-bit number for a purpose name (same on every machine)."""
    return zlib.crc32(purpose.encode("utf-8"))


class Streams:
    """Generators for one replication, one per named purpose."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, purpose: str) -> np.random.Generator:
        """The generator for ``purpose`` (created once, then reused)."""
        rng = self._cache.get(purpose)
        if rng is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, purpose_key(purpose)))
            rng = np.random.Generator(np.random.PCG64(seq))
            self._cache[purpose] = rng
        return rng


def replication_streams(seed: int, replications: int) -> list[Streams]:
    """Streams for replications ``0 .. replications-1`` of ``seed``."""
    return [Streams(seed, r) for r in range(replications)]
