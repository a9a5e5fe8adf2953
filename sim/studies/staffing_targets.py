"""Service targets and the other planning inputs of staffing: ``phone=80/20``, shrinkage, FTE.

Targets come from the command line (``--target``, ``--max-abandon``,
``--shrinkage``) or from the scenario's channels; every problem is an
:class:`~sim.errors.InputError` naming the option and the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.errors import InputError
from sim.spec.scenario import Scenario


@dataclass(frozen=True)
class ServiceTarget:
    """``sl_target`` of a channel's contacts answered within ``sl_threshold_s``, optionally
    with at most ``max_abandon`` of them abandoned."""

    channel: str
    sl_target: float
    sl_threshold_s: float
    max_abandon: float | None = None

    @property
    def label(self) -> str:
        """``80/20`` style label (percent / seconds)."""
        text = f"{100 * self.sl_target:g}/{self.sl_threshold_s:g}"
        return text + (f", abandon <= {100 * self.max_abandon:g} %" if self.max_abandon is not None else "")


_TARGET = re.compile(r"^\s*(?P<channel>[^=\s]+)\s*=\s*(?P<sl>[0-9.]+)\s*%?\s*/\s*(?P<t>[0-9.]+)\s*(?P<unit>s|m|min|h)?\s*$")
_UNIT_S = {None: 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_target(text: str, source: str = "--target") -> ServiceTarget:
    """``"phone=80/20"`` -> 80 % within 20 s. The threshold may carry a unit (``90/1h``).

    The percentage may also be written as a fraction (``phone=0.8/20``).
    """
    match = _TARGET.match(str(text))
    if not match:
        raise InputError(source, str(text), "expected CHANNEL=PERCENT/SECONDS, e.g. phone=80/20 or social=90/3600")
    try:
        sl = float(match["sl"])
        threshold = float(match["t"]) * _UNIT_S[match["unit"]]
    except ValueError:
        raise InputError(source, str(text), "expected numbers in CHANNEL=PERCENT/SECONDS, e.g. phone=80/20") from None
    if sl > 1.0:
        sl /= 100.0
    if not 0.0 < sl <= 1.0:
        raise InputError(source, str(text), "the service-level target must be between 0 and 100 %")
    return ServiceTarget(match["channel"], sl, threshold)


def parse_channel_fractions(texts: Iterable[str], source: str) -> dict[str | None, float]:
    """``["phone=0.05", "chat=5%"]`` or ``["0.3"]`` (all channels, key None) -> fractions in [0, 1)."""
    values: dict[str | None, float] = {}
    for text in texts:
        channel, eq, raw = str(text).rpartition("=")
        key = channel.strip() if eq else None
        if eq and not key:
            raise InputError(source, str(text), "expected CHANNEL=FRACTION or FRACTION, e.g. phone=0.05")
        raw = raw.strip()
        percent = raw.endswith("%")
        try:
            value = float(raw.rstrip("%")) / (100.0 if percent else 1.0)
        except ValueError:
            raise InputError(source, str(text), "expected CHANNEL=FRACTION or FRACTION, e.g. phone=0.05 or 30%") from None
        if not 0.0 <= value < 1.0:
            raise InputError(source, str(text), "expected a fraction from 0 up to (not including) 1, e.g. 0.3 or 30%")
        values[key] = value
    return values


def _per_channel(values: float | Mapping[str | None, float] | None, channels: Iterable[str], source: str,
                 default: float | None) -> dict[str, float | None]:
    if values is None or isinstance(values, (int, float)):
        return {c: (default if values is None else float(values)) for c in channels}
    channels = list(channels)
    unknown = [k for k in values if k is not None and k not in channels]
    if unknown:
        raise InputError(source, unknown[0], f"unknown channel; the scenario's channels are {', '.join(channels)}")
    fallback = values.get(None, default)
    return {c: values.get(c, fallback) for c in channels}


def resolve_targets(
    scenario: Scenario,
    targets: Mapping[str, ServiceTarget] | Sequence[ServiceTarget | str] | None = None,
    max_abandon: Mapping[str | None, float] | float | None = None,
) -> dict[str, ServiceTarget]:
    """One target per scenario channel.

    Channels without an explicit target use the scenario's ``sl_target`` and
    ``sl_threshold_s``. ``targets`` may be strings like ``"phone=80/20"``.
    """
    given: dict[str, ServiceTarget] = {}
    items = targets.values() if isinstance(targets, Mapping) else (targets or [])
    for item in items:
        target = parse_target(item) if isinstance(item, str) else item
        if target.channel not in scenario.channels:
            raise InputError("--target", target.channel,
                             f"unknown channel; the scenario's channels are {', '.join(scenario.channels)}")
        given[target.channel] = target
    limits = _per_channel(max_abandon, scenario.channels, "--max-abandon", None)
    resolved: dict[str, ServiceTarget] = {}
    for name, channel in scenario.channels.items():
        base = given.get(name) or ServiceTarget(name, float(channel.sl_target), float(channel.sl_threshold_s))
        limit = limits[name] if limits[name] is not None else base.max_abandon
        resolved[name] = ServiceTarget(name, base.sl_target, base.sl_threshold_s, limit)
    return resolved


def shrinkage_per_channel(scenario: Scenario, shrinkage: float | Mapping[str | None, float] = 0.0) -> dict[str, float]:
    """Shrinkage (share of paid time not available for contacts) per channel."""
    values = _per_channel(shrinkage, scenario.channels, "--shrinkage", 0.0)
    fractions: dict[str, float] = {}
    for name, value in values.items():
        if value is None or not 0.0 <= value < 1.0:
            raise InputError("--shrinkage", name, f"expected a fraction from 0 up to 1, got {value!r}")
        fractions[name] = float(value)
    return fractions


def required_fte(agents: np.ndarray | float, shrinkage: float) -> np.ndarray | float:
    """Paid full-time equivalents that put ``agents`` on the phones: agents / (1 - shrinkage)."""
    return np.asarray(agents, dtype=float) / (1.0 - shrinkage)
