"""Experimental designs: which combinations of inputs a study evaluates.

Pure functions over plain arrays and mappings, in the spirit of
``scipy.stats.qmc`` and SALib: they know nothing about scenarios, files or
executors. A design is built in the unit hypercube ``[0, 1)^d`` (Latin
hypercube, Sobol sequence, Saltelli matrices) and then scaled to the factor
ranges; integer factors are mapped so that every integer in ``[low, high]``
gets the same share of the unit interval.

- :func:`full_grid` -- every combination of listed levels (itertools order);
- :func:`latin_hypercube`, :func:`sobol_points` -- space-filling samples;
- :func:`scale_unit` -- unit samples to ranges, integers rounded fairly;
- :func:`saltelli_matrices`, :func:`saltelli_design` -- the ``N (d + 2)``
  evaluation points of Saltelli's scheme for Sobol indices.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc


def full_grid(levels: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the listed levels, the last factor varying fastest.

    ``full_grid({"a": [1, 2], "b": [10, 20, 30]})`` has 6 points, in the order
    of :func:`itertools.product`. No factors give one empty point.
    """
    names = list(levels)
    for name in names:
        if len(levels[name]) == 0:
            raise ValueError(f"factor {name!r} has no levels")
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(levels[n]) for n in names))]


def latin_hypercube(n: int, d: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """``n`` Latin hypercube points in ``[0, 1)^d``: each column has one point per stratum ``[k/n, (k+1)/n)``."""
    if n < 1 or d < 1:
        raise ValueError("need at least one point and one dimension")
    return qmc.LatinHypercube(d=d, rng=_rng(seed)).random(n)


def sobol_points(n: int, d: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """``n`` points of a scrambled Sobol sequence in ``[0, 1)^d``.

    Powers of two keep the sequence's balance properties; other counts are
    allowed (the first ``n`` points of the sequence are used).
    """
    if n < 1 or d < 1:
        raise ValueError("need at least one point and one dimension")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "balance properties ... power of 2"
        return qmc.Sobol(d=d, scramble=True, rng=_rng(seed)).random(n)


def scale_unit(unit: np.ndarray, low: Sequence[float], high: Sequence[float],
               integer: Sequence[bool] | None = None) -> np.ndarray:
    """Map unit-cube points to ``[low, high]`` per column.

    Continuous columns scale linearly. Integer columns map ``[0, 1)`` onto
    the ``high - low + 1`` integers ``low .. high`` in equal slices, so the
    end points are as likely as the others (plain rounding would halve them).
    """
    u = np.atleast_2d(np.asarray(unit, dtype=float))
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    if u.shape[1] != len(lo) or len(lo) != len(hi):
        raise ValueError("unit points, lows and highs must have the same number of columns")
    if np.any(hi < lo):
        raise ValueError("every high must be at least its low")
    out = lo + u * (hi - lo)
    if integer is not None:
        mask = np.asarray(integer, dtype=bool)
        if mask.any():
            ilo, ihi = np.ceil(lo[mask]), np.floor(hi[mask])
            if np.any(ihi < ilo):
                raise ValueError("an integer range holds no integer")
            out[:, mask] = np.minimum(np.floor(ilo + u[:, mask] * (ihi - ilo + 1)), ihi)
    return out


def saltelli_matrices(n: int, d: int, seed: int | np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """The two independent ``n x d`` unit matrices A and B of Saltelli's scheme.

    Both come from one ``2d``-dimensional scrambled Sobol sequence (A the
    first ``d`` columns, B the last ``d``), as Saltelli (2002, 2010) recommend.
    """
    points = sobol_points(n, 2 * d, seed)
    return points[:, :d], points[:, d:]


def saltelli_design(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Stack the ``n (d + 2)`` points to evaluate: A, B, then ``AB_i`` for each i.

    ``AB_i`` is A with column ``i`` taken from B. The block order is the one
    :func:`sim.studies.sensitivity.sobol_indices` expects.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError("A and B must be matrices of the same shape")
    blocks = [a, b]
    for i in range(a.shape[1]):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


def _rng(seed: int | np.random.SeedSequence) -> np.random.Generator:
    return np.random.default_rng(seed)
