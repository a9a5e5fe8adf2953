"""Arrival processes: piecewise-constant Poisson rates per planning interval."""

from __future__ import annotations

import numpy as np

from sim.spec.scenario import ArrivalStream, interval_count


def rates_per_hour(stream: ArrivalStream, n_intervals: int) -> np.ndarray:
    """Arrival rate (per hour) in each of ``n_intervals`` planning intervals."""
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


def arrival_times(stream: ArrivalStream, interval_s: float, horizon_s: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (s) for ``stream`` over ``[0, horizon_s)``."""
    n = interval_count(horizon_s, interval_s)
    return poisson_arrivals(rates_per_hour(stream, n), interval_s, horizon_s, rng)
