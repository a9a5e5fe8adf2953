"""One month of one ROI arm: its simulation seed, and what the cost model and the report need from it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.analysis.costs import CostModel
from sim.analysis.metrics import run_kpi_values
from sim.engine.records import RunRecords
from sim.spec.scenario import Scenario

_CHANNEL_KPIS = ("offered", "answered", "abandon_rate", "service_level", "asa_s", "occupancy", "aht_s",
                 "response_coverage", "mean_response_s", "escalations", "peer_answer_rate")
_JOURNEY_KPIS = ("issues", "contacts", "deflected", "deflection_rate", "shifted_contacts", "fcr",
                 "contacts_per_issue", "escalations", "sentiment_negative", "net_sentiment")
def month_seed(seed: int, replication: int, twin: int) -> int:
    """The simulation seed of every month of a replication (or of its noise twin).

    Both arms and every month share it (common random numbers): the months
    of one replication differ by growth, adoption and knowledge, not by the
    luck of the sampled days, so sampling noise does not masquerade as
    hiring and firing from one month to the next.
    """
    words = np.random.SeedSequence(seed, spawn_key=(replication, twin)).generate_state(2, np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1]))


def measure_month(records: RunRecords, scenario: Scenario, costs: CostModel) -> dict[str, float]:
    """What the cost model and the report need from one simulated sample of a month (unscaled)."""
    table = {key: float(v) for key, v in run_kpi_values(records).items()}
    out: dict[str, float] = {}
    for name in scenario.channels:
        for kpi in _CHANNEL_KPIS + ("handled_hours", "line_minutes"):
            if (name, kpi) in table:
                out[f"{name}.{kpi}"] = table[(name, kpi)]
    for kpi in _JOURNEY_KPIS:
        if ("journey", kpi) in table:
            out[f"journey.{kpi}"] = table[("journey", kpi)]
    j = records.journey
    if j is not None:
        for name, value in j.knowledge_end.items():
            out[f"knowledge.{name}"] = float(value)
        out["simulated.contacts"] = float(len(j.contact_issue))
    else:
        out["simulated.contacts"] = float(sum(len(c.arrival_s) for c in records.channels.values()))
    return out


def phone_drop_of_programme_users(base: RunRecords, prog: RunRecords, scenario: Scenario,
                                  programme: tuple[str, ...]) -> tuple[float, float]:
    """Phone contacts of the customers who use the programme: ``(baseline, programme)`` counts.

    "Customers who use the programme" are the issues of the segments with a
    positive preference for one of its channels (the ``phone_only`` segment
    of the shipped scenarios is not among them), whether or not that issue
    went there: the sources' "20 % fewer calls among customers who used the
    social channels" is a drop per customer, over all their questions. Both
    arms see the same issues (common random numbers), so the drop is
    measured issue by issue.
    """
    jb, jp = base.journey, prog.journey
    if jb is None or jp is None or not programme or scenario.journey is None:
        return math.nan, math.nan
    using = np.array([any(seg.channels.get(c, 0.0) > 0 for c in programme)
                      for seg in scenario.journey.segments.values()], dtype=bool)
    users = using[jp.issue_segment] if len(jp.issue_segment) else np.zeros(0, dtype=bool)

    def phone_count(j: Any) -> float:
        phones = [i for i, kind in enumerate(j.channel_kinds) if kind == "phone"]
        issues = j.contact_issue[np.isin(j.contact_channel, phones) & (j.contact_issue >= 0)]
        return float(users[issues[issues < len(users)]].sum())

    return phone_count(jb), phone_count(jp)
