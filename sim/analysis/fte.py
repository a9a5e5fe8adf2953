"""Agent-hours a simulated day needs to meet its service targets, from its simulated contacts.

For queue channels (phone, chat) the contacts that arrived in each interval
(first contacts, retries, repeats and escalations alike, as the customers
of the simulation produced them) and the channel's simulated handling time
give an offered load; the smallest number of agents meeting the channel's
service-level target with its patience (Erlang A; Erlang C without patience)
is that interval's requirement. A chat agent holds ``concurrency`` chats, so
it counts for that many servers. Deferrable work (social posts, forum
moderation) can wait for a free moment: its requirement is the handled time
divided by the occupancy such work reaches.

This is the analytic staffing rule applied to simulated demand. It keeps an
ROI study of thousands of simulated months affordable, where a simulated
staffing search (:mod:`sim.studies.staffing`) per month would not be.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from sim.analysis.erlang_a import erlang_a_agents_for_sl
from sim.engine.records import ANSWERED, RunRecords
from sim.spec.scenario import Scenario

DEFERRABLE_KINDS = ("social", "forum")
_UNIT_AHT_S = 100.0


def _round_significant(x: float, digits: int) -> float:
    if x <= 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(x))))


@lru_cache(maxsize=200_000)
def _servers(load_erl: float, patience_ratio: float, threshold_ratio: float, sl_target: float) -> int:
    """Erlang A servers in units where the handling time is ``_UNIT_AHT_S``; inputs already rounded."""
    rate_per_hour = load_erl * 3600.0 / _UNIT_AHT_S
    patience_s = None if math.isinf(patience_ratio) else patience_ratio * _UNIT_AHT_S
    return erlang_a_agents_for_sl(rate_per_hour, _UNIT_AHT_S, patience_s, sl_target, threshold_ratio * _UNIT_AHT_S)


def servers_for_target(rate_per_hour: float, aht_s: float, patience_s: float | None, sl_target: float,
                       sl_threshold_s: float) -> int:
    """Servers meeting ``sl_target`` within ``sl_threshold_s`` (Erlang A; Erlang C if ``patience_s`` is None).

    The required number depends only on the offered load and on patience and
    threshold measured in handling times, so those are rounded (load to 3
    significant digits, within 0.5 %; the ratios to 2, to which the answer is
    far less sensitive) and the answers cached: months and replications of a
    study ask the same questions many times.
    """
    load = rate_per_hour * aht_s / 3600.0
    if load <= 0.0:
        return 0
    patience_ratio = math.inf if patience_s is None or math.isinf(patience_s) else _round_significant(patience_s / aht_s, 2)
    target = min(float(sl_target), 0.999)
    return _servers(_round_significant(load, 3), patience_ratio, _round_significant(sl_threshold_s / aht_s, 2), target)


def required_agent_hours(records: RunRecords, scenario: Scenario, channel: str, deferrable_occupancy: float) -> float:
    """Agent-hours (before shrinkage) that ``channel`` needed in the measured window of ``records``."""
    rec = records.channels[channel]
    spec = scenario.channels[channel]
    kind = spec.kind_for(channel)
    window = (rec.arrival_s >= records.warmup_s) & (rec.arrival_s < records.horizon_s)
    served = window & (rec.outcome == ANSWERED)
    if kind in DEFERRABLE_KINDS:
        return float(rec.service_s[served].sum()) / 3600.0 / deferrable_occupancy
    if not window.any():
        return 0.0
    aht_s = float(rec.service_s[served].mean()) if served.any() else spec.aht.mean
    if aht_s <= 0.0:
        return 0.0
    interval_s = records.interval_s
    n_intervals = int(math.ceil((records.horizon_s - records.warmup_s) / interval_s - 1e-9))
    slot = ((rec.arrival_s[window] - records.warmup_s) // interval_s).astype(np.int64)
    counts = np.bincount(slot, minlength=n_intervals)
    patience_s = spec.patience.mean if spec.patience is not None else None
    per_server = spec.concurrency if kind == "chat" else 1
    hours = interval_s / 3600.0
    agents = 0
    for count in counts[counts > 0].tolist():
        servers = servers_for_target(count / hours, aht_s, patience_s, spec.sl_target, spec.sl_threshold_s)
        agents += math.ceil(servers / per_server)
    return agents * hours
