"""A planner's interval forecast (volume and, optionally, handling time per interval and channel) as arrival streams.

The file has one row per interval and channel::

    interval_start,channel,volume,aht_s
    d1 08:00,phone,212,285
    d1 08:30,phone,251,280
    d1 08:00,chat,40,
    ...

``interval_start`` is ``HH:MM`` (day 1) or ``dN HH:MM`` and must fall on an
interval start of the scenario's grid; ``volume`` is the contacts expected in
the interval; ``aht_s`` (optional column, may be empty on a row) their mean
handling time in seconds, else the channel's. Intervals missing for a channel
expect no contacts. The forecast sets the horizon: whole days from d1 to the
last day it names. It replaces the ``arrivals`` of the channels it names,
which must be channels the scenario already feeds by arrival streams (not
from the journey's issues).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.errors import InputError
from sim.io.rosters import read_csv_rows
from sim.spec.roster import parse_clock
from sim.spec.scenario import ArrivalStream, Scenario

FORECAST_REQUIRED = ("interval_start", "channel", "volume")
"""Columns a forecast file must have (``aht_s`` is optional)."""


def _number(text: str, source: str, key: str, *, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(source, key, f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InputError(source, key, f"expected a {'positive' if positive else 'non-negative'} number, got {text!r}")
    return value


def apply_forecast(scenario: Scenario, path: str | Path) -> Scenario:
    """``scenario`` with the forecast's volumes (and handling times) as its arrival streams and horizon."""
    path = Path(path)
    source = str(path)
    header, rows = read_csv_rows(path, FORECAST_REQUIRED)
    interval_min = int(scenario.horizon.interval_minutes)
    per_day = 1440 // interval_min
    cells: dict[str, dict[int, tuple[float, float | None]]] = {}
    for number, row in rows:
        where = f"row {number}"
        channel = row["channel"]
        if channel not in scenario.channels:
            raise InputError(source, f"{where} channel",
                             f"unknown channel {channel!r}; the scenario's channels are {', '.join(scenario.channels)}")
        if channel not in scenario.arrivals:
            raise InputError(source, f"{where} channel", f"{channel!r} gets its contacts from the journey's issues; "
                             "a forecast gives arrival streams (channels under arrivals:)")
        day, minute = parse_clock(row["interval_start"], source, f"{where} interval_start")
        if minute % interval_min:
            raise InputError(source, f"{where} interval_start",
                             f"{row['interval_start']} is not the start of a {interval_min}-minute interval")
        k = day * per_day + minute // interval_min
        if k in cells.setdefault(channel, {}):
            raise InputError(source, f"{where} interval_start", f"{channel} {row['interval_start']} is given twice")
        volume = _number(row["volume"], source, f"{where} volume", positive=False)
        aht_text = row.get("aht_s") or ""
        cells[channel][k] = (volume, _number(aht_text, source, f"{where} aht_s", positive=True) if aht_text.strip() else None)
    if not cells:
        raise InputError(source, None, "has no rows after the header")
    days = max(k for by_k in cells.values() for k in by_k) // per_day + 1
    n = days * per_day
    hours_per_interval = interval_min / 60.0
    arrivals = dict(scenario.arrivals)
    for channel, by_k in cells.items():
        rates = np.zeros(n)
        ahts = np.full(n, float(scenario.channels[channel].aht.mean))
        for k, (volume, aht) in by_k.items():
            rates[k] = volume / hours_per_interval
            if aht is not None:
                ahts[k] = aht
        given_aht = "aht_s" in header and any(aht is not None for _, aht in by_k.values())
        arrivals[channel] = ArrivalStream(rate_per_hour=1.0, profile=rates.tolist(),
                                          aht_s=ahts.tolist() if given_aht else None)
    horizon = scenario.horizon.model_copy(update={"hours": float(days * 24)})
    return scenario.model_copy(update={"arrivals": arrivals, "horizon": horizon})
