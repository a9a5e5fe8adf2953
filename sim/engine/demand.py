"""Arrival processes: piecewise-constant Poisson rates per planning interval, optionally with a random level."""

from __future__ import annotations

import numpy as np

from sim.spec.scenario import ArrivalLevel, ArrivalStream, interval_count

DAY_S = 86400.0


def rates_per_hour(stream: ArrivalStream, n_intervals: int) -> np.ndarray:
    """Expected arrival rate (per hour) in each of ``n_intervals`` planning intervals."""
    if stream.profile is None:
        return np.full(n_intervals, float(stream.rate_per_hour))
    profile = np.asarray(stream.profile, dtype=float)
    return float(stream.rate_per_hour) * np.resize(profile, n_intervals)


def poisson_arrivals(rate_per_hour: np.ndarray, interval_s: float, horizon_s: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times (s) of a Poisson process, rate constant per interval.

    The count in each interval is Poisson and, given the count, the times are
    independent uniforms: an exact construction, vectorised over the whole
    horizon. The last interval may be partial.
    """
    n = len(rate_per_hour)
    starts = np.arange(n) * interval_s
    lengths = np.minimum(interval_s, horizon_s - starts).clip(min=0.0)
    counts = rng.poisson(rate_per_hour / 3600.0 * lengths)
    total = int(counts.sum())
    times = np.repeat(starts, counts) + rng.random(total) * np.repeat(lengths, counts)
    times.sort()
    return times


def level_multipliers(level: ArrivalLevel, n_intervals: int, interval_s: float, rng: np.random.Generator) -> np.ndarray:
    """The random level of each interval: gamma draws of mean 1 and cv ``level.cv``, one per day or per interval."""
    shape = 1.0 / level.cv**2
    if level.per == "interval":
        return rng.gamma(shape, 1.0 / shape, n_intervals)
    day = (np.arange(n_intervals) * interval_s // DAY_S).astype(np.int64)
    return rng.gamma(shape, 1.0 / shape, int(day[-1]) + 1 if n_intervals else 0)[day]


def arrival_times(stream: ArrivalStream, interval_s: float, horizon_s: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (s) for ``stream`` over ``[0, horizon_s)``.

    Without ``stream.level`` the process is Poisson with the stream's rates;
    with it each interval's rate is first multiplied by its random level
    (:func:`level_multipliers`, drawn from ``rng`` before the arrivals), which
    makes the counts Poisson-gamma.
    """
    n = interval_count(horizon_s, interval_s)
    rates = rates_per_hour(stream, n)
    if stream.level is not None:
        rates = rates * level_multipliers(stream.level, n, interval_s, rng)
    return poisson_arrivals(rates, interval_s, horizon_s, rng)
