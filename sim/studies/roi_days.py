"""The days an ROI month simulates: one day per day type of the week, weighted by the days it stands for.

A month's cost is not proportional to its volume (staffing grows with the
square root of the load, a quiet Sunday still needs its minimum agents), so
scaling one sampled weekday by the day-of-week profile biases the month.
With ``roi.day_sampling: day_types`` the week is split into day types:
weekdays (Monday to Friday) and the weekend (Saturday, Sunday), each split
further where its days open differently (``open_days``, ``office_days``).
Each type is simulated for ``roi.sample_days`` days at the mean day-of-week
profile of its days and stands for its share of the month's calendar
days. Within a type the profile differs by a few per cent at most, where
the square root is nearly straight, so the month is unbiased to well under
a per cent (``benchmarks/bench_roi_sampling.py`` measures it against
simulating every day). ``fixed`` keeps the older reading: ``roi.start_day``
alone, scaled by the profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.studies.roi_settings import RoiSettings

WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)


@dataclass(frozen=True)
class DayType:
    """Days of the week simulated together: the first one, all of them, their mean profile, the month days per sampled day."""

    weekday: int
    days: tuple[int, ...]
    profile: float | None
    weight: float
    opening: tuple[bool, ...] = ()
    """Which opening-day rules let these days open (types alike here differ only in volume)."""


def _opening(data: Mapping[str, Any], day: int) -> tuple[bool, ...]:
    """Which of the scenario's opening-day rules let ``day`` open (its opening signature)."""
    holders = [data] + list((data.get("channels") or {}).values())
    return tuple(day in holder[key] for holder in holders for key in ("open_days", "office_days")
                 if holder.get(key) is not None)


def day_types(data: Mapping[str, Any], settings: RoiSettings) -> list[DayType]:
    """The day types a month of ``data`` simulates under ``settings`` (see the module's description)."""
    journey = data.get("journey") or {}
    profile = (journey.get("issues") or {}).get("day_profile")
    if settings.day_sampling == "fixed":
        if not profile:
            weight = settings.days_per_month / settings.sample_days
        else:
            sampled = sum(profile[(settings.start_day + k) % 7] for k in range(settings.sample_days))
            weight = settings.days_per_month * (sum(profile) / 7.0) / sampled if sampled > 0 else 0.0
        return [DayType(settings.start_day, tuple(range(7)), None, weight)]
    types = []
    for group in (WEEKDAYS, WEEKEND):
        signatures: dict[tuple[bool, ...], list[int]] = {}
        for day in group:
            signatures.setdefault(_opening(data, day), []).append(day)
        for days in signatures.values():
            mean = sum(profile[d] for d in days) / len(days) if profile else None
            types.append(DayType(days[0], tuple(days), mean,
                                 settings.days_per_month * len(days) / 7.0 / settings.sample_days,
                                 _opening(data, days[0])))
    return types


def shared_probes(types: list[DayType]) -> list[tuple[int, float]]:
    """Per day type, the type whose probe it takes and the factor on that probe's loads.

    Day types that open alike differ only in their day-of-week factor, and
    a probe's loads are proportional to its customers: the first type of
    each opening signature is probed, the others take its loads times the
    ratio of their factors. The scaled loads carry the probed type's
    relative noise, smaller than their own (the probed type is the busiest
    here, the weekdays), and a month needs one probe per arm instead of one
    per day type.
    """
    out: list[tuple[int, float]] = []
    for i, day in enumerate(types):
        source = next((j for j, other in enumerate(types[:i]) if other.opening == day.opening
                       and other.profile is not None and day.profile is not None and other.profile > 0), i)
        factor = 1.0 if source == i else float(day.profile) / float(types[source].profile)  # type: ignore[arg-type]
        out.append((source, factor))
    return out
