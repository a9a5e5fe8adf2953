"""Calibration study: a per-call log -> a scenario, and replay validation.

:func:`calibrate` turns a clean call table (:func:`sim.io.calllog.read_call_log`)
into a scenario dict that ``ccsim run`` accepts plus a JSON-ready report of
every estimate with its confidence interval:

- arrivals: calls that asked for an agent (served + abandoned; voice-menu
  hang-ups and phantom calls excluded) counted per interval and day, averaged
  per day type (Sun-Thu ``weekday``, Fri ``short``, Sat ``weekend``) and
  checked against Poisson with the dispersion index;
- handling time: lognormal, gamma and exponential fits per call type and
  overall; services of ``short_service_s`` or less are a separate population
  (transfers, wrong numbers) that a single lognormal cannot follow, so the
  shape is fitted without them and the mean keeps them (they do occupy
  agents);
- patience: waits of abandoners are observed patience, waits of served
  callers are censored; Kaplan-Meier, exponential, Weibull and the
  schema-supported lognormal/gamma fits;
- agents on duty: a log records services only, so idle time must be
  inferred (:class:`DutyRule`). By default an agent is on duty through their
  services and through the parts of a gap between two services (shorter
  than ``max_gap_s``) when no caller was waiting: had the agent been free
  while callers waited, FCFS routing would have given them a call, so those
  parts were breaks or other work. Averaged over the interval
  (time-weighted) per day type.

The scenario covers one week (168 h, Sunday first, since 1 August 1999 was
a Sunday) because the schema has one profile that repeats over the horizon.

:func:`validate` replays days of the log: each day becomes a one-day
scenario with the observed arrival rate and agents per interval and the
calibrated handling time and patience; it is simulated with common random
numbers and compared, per hour and per day, with the observed KPIs and
with Erlang A per interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from sim.io.calllog import ABANDONED, DAY_TYPES, SERVED, WEEKDAY_NAMES, day_type, interval_index, queue_calls
from sim.analysis.erlang_a import erlang_a_metrics
from sim.analysis.estimators import (
    Fit,
    RateEstimate,
    fit_exponential,
    fit_gamma,
    fit_lognormal,
    poisson_rates,
)
from sim.analysis.survival import (
    CensoredFit,
    Hazard,
    KaplanMeier,
    censored_mean_cv_fit,
    exponential_censored,
    hazard_estimate,
    kaplan_meier,
    likelihood_ratio_test,
    weibull_censored,
)
from sim.io.files import finite_or_none, json_ready
from sim.spec.scenario import Scenario, scenario_from_dict

DAY_S = 86400.0


DUTY_RULES = ("queue", "gap")
"""Kinds of :class:`DutyRule`."""


@dataclass(frozen=True)
class DutyRule:
    """How agents on duty are inferred from a log that records services only.

    ``kind="queue"`` (default): an agent is on duty through each service and
    through the parts of a gap between two consecutive services, if the gap
    is shorter than ``max_gap_s``, during which no caller had been waiting
    longer than ``wait_tolerance_s``. A free agent would have taken a waiting
    caller, so time with callers waiting was a break or other work; the
    tolerance allows for routing delays. Gaps of ``max_gap_s`` or more are
    breaks or the end of a shift.

    ``kind="gap"``: an agent is on duty across every gap shorter than
    ``gap_s``, whatever the queue did (simpler; overstates capacity on busy
    days and understates it on quiet ones).
    """

    kind: str = "queue"
    gap_s: float = 300.0
    max_gap_s: float = 1800.0
    wait_tolerance_s: float = 10.0

    def __post_init__(self) -> None:
        if self.kind not in DUTY_RULES:
            raise ValueError(f"duty rule kind must be one of {', '.join(DUTY_RULES)} (got {self.kind!r})")
        for name in ("gap_s", "max_gap_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive (got {getattr(self, name)!r})")
        if not self.wait_tolerance_s >= 0:
            raise ValueError(f"wait_tolerance_s must be non-negative (got {self.wait_tolerance_s!r})")

    def describe(self) -> str:
        """One sentence for reports."""
        if self.kind == "gap":
            return (f"An agent is on duty through each service and through gaps shorter than {self.gap_s / 60:g} min "
                    "between their consecutive services on the same day; time-averaged per interval")
        return (f"An agent is on duty through each service and through the parts of gaps shorter than "
                f"{self.max_gap_s / 60:g} min between their consecutive services during which no caller had been waiting "
                f"more than {self.wait_tolerance_s:g} s (a free agent would have taken that caller); time-averaged per interval")

    def to_dict(self) -> dict[str, Any]:
        """The rule's settings, for JSON reports."""
        if self.kind == "gap":
            return {"kind": self.kind, "gap_s": self.gap_s}
        return {"kind": self.kind, "max_gap_s": self.max_gap_s, "wait_tolerance_s": self.wait_tolerance_s}


@dataclass(frozen=True)
class CalibrationOptions:
    """Choices of the calibration (all reported with the estimates)."""

    interval_minutes: int = 30
    duty: DutyRule = DutyRule()
    short_service_s: float = 10.0
    patience: str = "exponential"
    sl_threshold_s: float = 20.0
    level: float = 0.95
    min_type_calls: int = 50


@dataclass
class Calibration:
    """Everything the calibration estimated: scenario dict, report and fits for figures."""

    options: CalibrationOptions
    scenario: dict[str, Any]
    report: dict[str, Any]
    rates: dict[str, RateEstimate]
    agents: dict[str, np.ndarray]
    busy: dict[str, np.ndarray]
    service_all: np.ndarray
    service_fits: dict[str, Fit]
    patience_time_s: np.ndarray
    patience_event: np.ndarray
    km: KaplanMeier
    patience_fits: dict[str, CensoredFit]
    hazard: Hazard
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Per-day, per-interval tables


def interval_counts(log: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    """Calls that asked for an agent per date (rows) and interval of the day (columns)."""
    n = int(round(DAY_S / interval_s))
    dates = sorted(log["date"].unique())
    calls = queue_calls(log)
    idx = interval_index(calls["arrival_s"].to_numpy(), interval_s, n)
    table = pd.crosstab(calls["date"].to_numpy(), idx).reindex(index=dates, columns=range(n), fill_value=0)
    table.index.name, table.columns.name = "date", "interval"
    return table


def waiting_spans(log: pd.DataFrame, wait_tolerance_s: float) -> np.ndarray:
    """Merged time spans ``(start_s, end_s)`` of one day during which some caller had waited
    more than ``wait_tolerance_s`` in the queue (rows sorted by start)."""
    calls = queue_calls(log)
    calls = calls[calls["wait_s"] > wait_tolerance_s]
    start = calls["arrival_s"].to_numpy(dtype=float) + wait_tolerance_s
    end = calls["arrival_s"].to_numpy(dtype=float) + calls["wait_s"].to_numpy(dtype=float)
    order = np.argsort(start, kind="stable")
    spans: list[list[float]] = []
    for a, b in zip(start[order], end[order]):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([float(a), float(b)])
    return np.asarray(spans, dtype=float).reshape(-1, 2)


def _outside(spans: np.ndarray, start_s: float, end_s: float) -> list[tuple[float, float]]:
    """The parts of ``[start_s, end_s)`` not covered by the sorted, disjoint ``spans``."""
    parts: list[tuple[float, float]] = []
    t = start_s
    first = int(np.searchsorted(spans[:, 1], start_s, side="right")) if len(spans) else 0
    for a, b in spans[first:]:
        if a >= end_s:
            break
        if a > t:
            parts.append((t, float(a)))
        t = max(t, float(b))
        if t >= end_s:
            break
    if t < end_s:
        parts.append((t, end_s))
    return parts


def queue_duty_blocks(start_s: np.ndarray, end_s: np.ndarray, spans: np.ndarray, max_gap_s: float) -> list[tuple[float, float]]:
    """One agent's on-duty time under the queue rule: services plus the parts of gaps shorter than
    ``max_gap_s`` outside ``spans`` (see :func:`waiting_spans`)."""
    order = np.argsort(start_s)
    start_s, end_s = start_s[order], end_s[order]
    blocks = list(zip(start_s.tolist(), end_s.tolist()))
    reach = np.maximum.accumulate(end_s) if len(end_s) else end_s
    for done, nxt in zip(reach[:-1], start_s[1:]):
        if 0 < nxt - done < max_gap_s:
            blocks += _outside(spans, float(done), float(nxt))
    ab = np.asarray(blocks, dtype=float).reshape(-1, 2)
    return duty_blocks(ab[:, 0], ab[:, 1], 1e-9)  # merged, so overlapping records count once


def duty_blocks(start_s: np.ndarray, end_s: np.ndarray, gap_s: float) -> list[tuple[float, float]]:
    """Merge one agent's service periods into on-duty blocks (gaps below ``gap_s`` bridged)."""
    order = np.argsort(start_s)
    blocks: list[list[float]] = []
    for s, e in zip(start_s[order], end_s[order]):
        if blocks and s - blocks[-1][1] < gap_s:
            blocks[-1][1] = max(blocks[-1][1], e)
        else:
            blocks.append([float(s), float(e)])
    return [(a, b) for a, b in blocks]


def _overlap(blocks: list[tuple[float, float]], edges: np.ndarray) -> np.ndarray:
    """Seconds of ``blocks`` inside each interval ``[edges[k], edges[k+1])``."""
    if not blocks:
        return np.zeros(len(edges) - 1)
    ab = np.asarray(blocks, dtype=float)
    inside = np.minimum(ab[:, 1:2], edges[None, 1:]) - np.maximum(ab[:, 0:1], edges[None, :-1])
    return np.clip(inside, 0, None).sum(axis=0)


def agents_on_duty(log: pd.DataFrame, interval_s: float, rule: DutyRule = DutyRule()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Time-averaged agents on duty and busy agents per date and interval.

    On duty as ``rule`` infers it (see :class:`DutyRule`); busy means
    serving a call. Services after midnight are cut at midnight.
    """
    n = int(round(DAY_S / interval_s))
    edges = np.arange(n + 1) * interval_s
    dates = sorted(log["date"].unique())
    row_of = {d: i for i, d in enumerate(dates)}
    duty = np.zeros((len(dates), n))
    busy = np.zeros((len(dates), n))
    spans = {date: waiting_spans(day, rule.wait_tolerance_s) for date, day in log.groupby("date", sort=False)} \
        if rule.kind == "queue" else {}
    served = log[(log["outcome"] == SERVED) & log["agent"].notna() & log["service_s"].notna()]
    for (date, _agent), calls in served.groupby(["date", "agent"], sort=False):
        start = calls["service_start_s"].to_numpy(dtype=float)
        end = start + calls["service_s"].to_numpy(dtype=float)
        blocks = queue_duty_blocks(start, end, spans[date], rule.max_gap_s) if rule.kind == "queue" \
            else duty_blocks(start, end, rule.gap_s)
        duty[row_of[date]] += _overlap(blocks, edges) / interval_s
        busy[row_of[date]] += _overlap(list(zip(start, end)), edges) / interval_s
    index = pd.Index(dates, name="date")
    duty, busy = pd.DataFrame(duty, index=index, columns=range(n)), pd.DataFrame(busy, index=index, columns=range(n))
    return duty, busy


def observed_interval_kpis(log: pd.DataFrame, interval_s: float, sl_threshold_s: float = 20.0) -> pd.DataFrame:
    """Observed counts per date and interval: offered, abandoned, waited, within SL, wait sum.

    Rates are formed later by summing counts over hours or days, so the
    aggregation weights every call equally.
    """
    n = int(round(DAY_S / interval_s))
    calls = queue_calls(log)
    frame = pd.DataFrame({
        "date": calls["date"].to_numpy(),
        "interval": interval_index(calls["arrival_s"].to_numpy(), interval_s, n),
        "offered": 1.0,
        "abandoned": (calls["outcome"] == ABANDONED).to_numpy(dtype=float),
        "waited": (calls["wait_s"] > 0).to_numpy(dtype=float),
        "within_sl": ((calls["outcome"] == SERVED) & (calls["wait_s"] <= sl_threshold_s)).to_numpy(dtype=float),
        "wait_sum_s": calls["wait_s"].to_numpy(dtype=float),
    })
    grid = pd.MultiIndex.from_product([sorted(log["date"].unique()), range(n)], names=["date", "interval"])
    return frame.groupby(["date", "interval"]).sum().reindex(grid, fill_value=0.0).reset_index()


# ---------------------------------------------------------------------------
# Calibration


def _day_types_of(dates: list[str]) -> dict[str, str]:
    return {d: day_type((pd.Timestamp(d).weekday() + 1) % 7) for d in dates}


def calibrate(log: pd.DataFrame, options: CalibrationOptions = CalibrationOptions(), name: str = "calibrated") -> Calibration:
    """Estimate arrivals, handling time, patience and staffing; build a week scenario."""
    if options.interval_minutes not in (15, 30, 60):
        raise ValueError("interval_minutes must be 15, 30 or 60 (the scenario schema's planning intervals)")
    interval_s = options.interval_minutes * 60.0
    per_day = int(round(DAY_S / interval_s))
    counts = interval_counts(log, interval_s)
    types = _day_types_of(list(counts.index))
    duty, busy = agents_on_duty(log, interval_s, options.duty)
    rates: dict[str, RateEstimate] = {}
    agents: dict[str, np.ndarray] = {}
    busy_mean: dict[str, np.ndarray] = {}
    for kind in DAY_TYPES:
        dates = [d for d, t in types.items() if t == kind]
        if not dates:
            continue
        rates[kind] = poisson_rates(counts.loc[dates].to_numpy(), interval_s, options.level)
        agents[kind] = duty.loc[dates].to_numpy().mean(axis=0)
        busy_mean[kind] = busy.loc[dates].to_numpy().mean(axis=0)
    calls = queue_calls(log)

    # Handling time
    served = calls[(calls["outcome"] == SERVED) & calls["service_s"].notna()]
    service = served["service_s"].to_numpy(dtype=float)
    long_ = service > options.short_service_s
    fits: dict[str, Fit] = {}
    for label, x in (("all", service), ("long", service[long_])):
        fits[f"lognormal/{label}"] = fit_lognormal(x, options.level)
        fits[f"gamma/{label}"] = fit_gamma(x, options.level)
        fits[f"exponential/{label}"] = fit_exponential(x, options.level)
    per_type: dict[str, dict[str, Any]] = {}
    for ctype, group in served.groupby("call_type"):
        x = group["service_s"].to_numpy(dtype=float)
        xl = x[x > options.short_service_s]
        if len(xl) < options.min_type_calls:
            continue
        ln, ga = fit_lognormal(xl, options.level), fit_gamma(xl, options.level)
        per_type[str(ctype)] = {"n": int(len(x)), "short_share": float(np.mean(x <= options.short_service_s)),
                                "mean_s": float(x.mean()), "lognormal": ln.to_dict(), "gamma": ga.to_dict(),
                                "best_by_aic": min((ln, ga), key=lambda f: f.aic).family}
        fits[f"lognormal/type:{ctype}"] = ln
        fits[f"gamma/type:{ctype}"] = ga
    candidates = [fits["lognormal/long"], fits["gamma/long"], fits["exponential/long"]]
    chosen = min(candidates, key=lambda f: f.aic)
    aht_mean = float(service.mean())
    aht: dict[str, Any] = {"dist": chosen.family, "mean_s": round(aht_mean, 1)}
    if chosen.family != "exponential":
        aht["cv"] = round(chosen.cv, 3)

    # Patience (censored)
    time_s = calls["wait_s"].to_numpy(dtype=float)
    event = (calls["outcome"] == ABANDONED).to_numpy()
    km = kaplan_meier(time_s, event, options.level)
    pfits: dict[str, CensoredFit] = {"exponential": exponential_censored(time_s, event, options.level)}
    pfits["weibull"] = weibull_censored(time_s, event, options.level)
    for family in ("lognormal", "gamma"):
        pfits[family] = censored_mean_cv_fit(time_s, event, family, options.level)
    horizon_wait = float(np.quantile(time_s, 0.99)) if len(time_s) else 600.0
    bin_s = 30.0 if horizon_wait <= 900 else 60.0
    hazard = hazard_estimate(time_s, event, np.arange(0.0, max(horizon_wait, bin_s) + bin_s, bin_s), options.level)
    if options.patience not in ("exponential", "lognormal", "gamma"):
        raise ValueError("patience must be exponential, lognormal or gamma (families the scenario schema has)")
    pchosen = pfits[options.patience]
    patience: dict[str, Any] = {"dist": options.patience, "mean_s": round(pchosen.mean_s, 1)}
    if options.patience != "exponential":
        patience["cv"] = round(pchosen.params["cv"], 3)

    # Week scenario: Sunday first
    week_types = [day_type(w) for w in range(7)]
    fallback = next(iter(rates))
    week_rates = np.concatenate([rates.get(t, rates[fallback]).rate_per_hour for t in week_types])
    week_agents = np.concatenate([agents.get(t, agents[fallback]) for t in week_types])
    peak = float(week_rates.max())
    scenario = {
        "name": name,
        "description": "",
        "seed": 1,
        "replications": 10,
        "horizon": {"hours": 168, "warmup_hours": 0, "interval_minutes": options.interval_minutes, "drain": True},
        "arrivals": {"phone": {"rate_per_hour": round(peak, 3),
                               "profile": [round(float(r) / peak, 4) if peak > 0 else 0.0 for r in week_rates]}},
        "channels": {"phone": {"agents": [staffing_round(a) for a in week_agents], "aht": aht, "patience": patience,
                               "sl_threshold_s": options.sl_threshold_s, "sl_target": 0.8}},
    }
    scenario_from_dict(scenario, source=name)  # fail here, not in the user's next command

    outcome_counts = log["outcome"].value_counts().to_dict()
    report: dict[str, Any] = {
        "options": {**options.__dict__, "duty": options.duty.to_dict()},
        "calls": {"rows_used": int(len(log)), **{k: int(v) for k, v in outcome_counts.items()},
                  "asked_for_agent": int(len(calls)), "dates": list(counts.index),
                  "day_types": {k: sum(1 for t in types.values() if t == k) for k in DAY_TYPES}},
        "observed": {
            "abandon_rate": float(event.mean()) if len(event) else math.nan,
            "mean_wait_s": float(time_s.mean()) if len(time_s) else math.nan,
            "p_wait": float((time_s > 0).mean()) if len(time_s) else math.nan,
            "service_level": float(((calls["outcome"] == SERVED) & (calls["wait_s"] <= options.sl_threshold_s)).mean()),
        },
        "arrivals": {kind: {
            "days": r.days, "calls_per_day": float(r.counts.sum(axis=1).mean()),
            "peak_rate_per_hour": float(r.rate_per_hour.max()),
            "peak_interval_start": _clock(int(np.argmax(r.rate_per_hour)) * interval_s),
            "dispersion_index": r.dispersion_index, "dispersion_dof": r.dispersion_dof,
            "dispersion_p_value": r.dispersion_p_value,
            "rate_per_hour": [round(float(v), 3) for v in r.rate_per_hour],
            "rate_ci95_low": [round(float(v), 3) for v in r.ci_low],
            "rate_ci95_high": [round(float(v), 3) for v in r.ci_high],
        } for kind, r in rates.items()},
        "service": {
            "n": int(len(service)), "mean_s": aht_mean, "median_s": float(np.median(service)),
            "cv": float(service.std(ddof=1) / service.mean()),
            "short_threshold_s": options.short_service_s, "short_share": float(np.mean(~long_)),
            "fits": {k: v.to_dict() for k, v in fits.items() if "type:" not in k},
            "per_call_type": per_type,
            "chosen": {"family": chosen.family, "fitted_on": f"services > {options.short_service_s:g} s",
                       "fitted_mean_s": chosen.mean_s, "cv": chosen.cv, "scenario_mean_s": aht_mean,
                       "why": "lowest AIC (and KS distance) on services above the short-service threshold; "
                              "the scenario keeps the mean of all services so the work agents do is preserved"},
        },
        "patience": {
            "n": int(len(time_s)), "abandonments": int(event.sum()),
            "km_median_s": km.median_s(),
            "km_survival_at": {f"{t}s": float(km.at(t)) for t in (30, 60, 120, 300, 600)},
            "fits": {k: v.to_dict() for k, v in pfits.items()},
            "weibull_vs_exponential_lr_p_value": likelihood_ratio_test(pfits["exponential"], pfits["weibull"]),
            "chosen": {"family": options.patience, "mean_s": pchosen.mean_s,
                       "note": "Weibull is not in the scenario schema; the scenario uses the family named here. "
                               "ccsim validate gives Erlang A the scenario's mean patience (with exponential patience: abandonments / total waiting time)."},
        },
        "staffing": {
            "duty_rule": options.duty.to_dict(),
            "method": options.duty.describe(),
            **{kind: {
                "mean_agents_open_hours": _open_mean(agents[kind], rates[kind].rate_per_hour),
                "mean_busy_open_hours": _open_mean(busy_mean[kind], rates[kind].rate_per_hour),
                "occupancy": float(busy_mean[kind].sum() / agents[kind].sum()) if agents[kind].sum() > 0 else math.nan,
                "max_agents": float(agents[kind].max()),
                "agents": [round(float(v), 2) for v in agents[kind]],
                "busy": [round(float(v), 2) for v in busy_mean[kind]],
            } for kind in agents},
        },
    }
    return Calibration(options, scenario, report, rates, agents, busy_mean, service, fits, time_s, event, km, pfits,
                       hazard, {"per_day": per_day})


def staffing_round(agents: float) -> int:
    """Whole agents for a time-averaged head count: nearest integer, at least 1 if anyone worked."""
    if agents <= 0:
        return 0
    return max(1, int(math.floor(agents + 0.5)))


def _open_mean(values: np.ndarray, rates: np.ndarray) -> float:
    open_ = rates > 0
    return float(values[open_].mean()) if open_.any() else math.nan


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}"


def scenario_yaml(scenario: dict[str, Any], header: str, per_day: int) -> str:
    """The scenario as YAML text with ``header`` as a comment and one day per profile line."""
    import yaml

    lines = [f"# {h}".rstrip() for h in header.splitlines()]
    body = {k: v for k, v in scenario.items() if k not in ("arrivals", "channels")}
    text = yaml.safe_dump(body, sort_keys=False, width=100, allow_unicode=True)
    stream = scenario["arrivals"]["phone"]
    channel = scenario["channels"]["phone"]
    out = ["\n".join(lines), text.rstrip(), "arrivals:", "  phone:", f"    rate_per_hour: {stream['rate_per_hour']}",
           "    profile: [   # multipliers of the peak rate per interval, Sunday 00:00 first, one day per line"]
    out += _rows(stream["profile"], per_day, "      ")
    out += ["    ]", "channels:", "  phone:", "    agents: [    # agents on duty per interval, same layout"]
    out += _rows(channel["agents"], per_day, "      ")
    out += ["    ]"]
    for key in ("aht", "patience"):
        inner = ", ".join(f"{k}: {v}" for k, v in channel[key].items())
        out.append(f"    {key}: {{{inner}}}")
    out += [f"    sl_threshold_s: {channel['sl_threshold_s']:g}", f"    sl_target: {channel['sl_target']:g}", ""]
    return "\n".join(out)


def _rows(values: list[Any], per_row: int, indent: str) -> list[str]:
    rows = []
    for day, start in enumerate(range(0, len(values), per_row)):
        chunk = ", ".join(str(v) for v in values[start:start + per_row])
        comma = "," if start + per_row < len(values) else ""
        rows.append(f"{indent}{chunk}{comma}  # {WEEKDAY_NAMES[day % 7]}")
    return rows


# ---------------------------------------------------------------------------
# Replay validation


VALIDATION_KPIS = ("offered", "abandon_rate", "mean_wait_s", "p_wait", "service_level")
"""KPIs compared per hour and per day."""


@dataclass
class Validation:
    """Observed, simulated and Erlang A KPIs of replayed days."""

    hourly: pd.DataFrame
    daily: pd.DataFrame
    intervals: pd.DataFrame
    summary: dict[str, Any]


def day_scenario(base: Scenario, rate_per_hour: np.ndarray, agents: list[int], name: str) -> Scenario:
    """A one-day scenario with the given per-interval rates and agents, the rest from ``base``."""
    channel = next(iter(base.channels))
    peak = float(np.max(rate_per_hour)) if len(rate_per_hour) else 0.0
    # Only the keys the base scenario sets: a full dump would also "set" every
    # defaulted field, including ones other channel kinds reject.
    data = base.model_dump(mode="json", exclude_unset=True)
    data["name"] = name
    data["horizon"] = {**data.get("horizon", {}), "hours": 24, "warmup_hours": 0, "drain": True}
    data["arrivals"] = {channel: {"rate_per_hour": peak,
                                  "profile": [float(r) / peak if peak > 0 else 0.0 for r in rate_per_hour]}}
    data["channels"] = {channel: {**data["channels"][channel], "agents": [int(a) for a in agents]}}
    for key in ("aht", "patience"):
        spec = data["channels"][channel].get(key)
        if isinstance(spec, dict):
            data["channels"][channel][key] = {k: v for k, v in spec.items() if v is not None}
    return scenario_from_dict(data, source=name)


def _erlang_a(rate_per_hour: float, aht_s: float, agents: int, patience_s: float, sl_threshold_s: float) -> dict[str, float]:
    """Erlang A values of one interval; with no agent every caller waits out their patience."""
    if rate_per_hour <= 0:
        return {"abandon_rate": math.nan, "mean_wait_s": math.nan, "p_wait": math.nan, "service_level": math.nan}
    if agents <= 0:
        return {"abandon_rate": 1.0, "mean_wait_s": patience_s, "p_wait": 1.0, "service_level": 0.0}
    r = erlang_a_metrics(rate_per_hour, aht_s, agents, patience_s, sl_threshold_s)
    return {"abandon_rate": r.p_abandon, "mean_wait_s": r.mean_wait_s, "p_wait": r.p_wait, "service_level": r.service_level}


def _rates(counts: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Sum counts over ``group`` and form the KPI ratios."""
    s = counts.groupby(group, sort=False)[["offered", "abandoned", "waited", "within_sl", "wait_sum_s"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "offered": s["offered"],
            "abandon_rate": s["abandoned"] / s["offered"],
            "mean_wait_s": s["wait_sum_s"] / s["offered"],
            "p_wait": s["waited"] / s["offered"],
            "service_level": s["within_sl"] / s["offered"],
        }).reset_index()


def validate(
    log: pd.DataFrame,
    scenario: Scenario,
    dates: list[str] | None = None,
    replications: int = 20,
    seed: int = 1,
    duty: DutyRule = DutyRule(),
    erlang_patience_s: float | None = None,
    min_interval_calls: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> Validation:
    """Replay ``dates`` of ``log`` with ``scenario``'s handling time and patience.

    Each day gets its observed arrival rate and agents on duty per interval
    of the scenario's planning interval; replications use common random
    numbers (replication ``r`` has the same streams on every day). Erlang A
    uses the interval's observed rate and agents, the scenario's mean
    handling time and ``erlang_patience_s`` (default: the scenario's mean
    patience). Per-interval errors use intervals with at least
    ``min_interval_calls`` observed calls.
    """
    from sim.studies.runner import simulate

    channel_name = next(iter(scenario.channels))
    channel = scenario.channels[channel_name]
    interval_s = scenario.horizon.interval_s
    per_hour = max(1, int(round(3600 / interval_s)))
    all_dates = sorted(log["date"].unique())
    dates = list(all_dates if not dates else dates)
    missing = [d for d in dates if d not in all_dates]
    if missing:
        raise ValueError(f"dates not in the log: {', '.join(missing)}; it has {all_dates[0]} .. {all_dates[-1]}")
    day_log = log[log["date"].isin(dates)]
    counts = interval_counts(day_log, interval_s).loc[dates]
    duty_table, _ = agents_on_duty(day_log, interval_s, duty)
    observed = observed_interval_kpis(day_log, interval_s, channel.sl_threshold_s)
    observed = observed[observed["date"].isin(dates)]
    aht_s = channel.aht.mean
    patience_s = erlang_patience_s or (channel.patience.mean if channel.patience is not None else math.inf)

    sim_rows, erl_rows = [], []
    for done, date in enumerate(dates, start=1):
        rate = counts.loc[date].to_numpy(dtype=float) * 3600.0 / interval_s
        agents = [staffing_round(a) for a in duty_table.loc[date].to_numpy()]
        # A queue with calls but nobody on duty would keep them waiting all day:
        # the log shows someone answered, so at least one agent is kept.
        result = simulate(day_scenario(scenario, rate, agents, f"replay {date}"), replications=replications, seed=seed)
        iv = result.intervals
        offered = iv["offered"].to_numpy()
        sim_rows.append(pd.DataFrame({
            "date": date, "replication": iv["replication"].to_numpy(), "interval": iv["interval"].to_numpy(),
            "offered": offered,
            "abandoned": iv["abandoned"].to_numpy(),
            "waited": np.nan_to_num(iv["p_wait"].to_numpy() * offered),
            "within_sl": np.nan_to_num(iv["service_level"].to_numpy() * offered),
            "wait_sum_s": np.nan_to_num(iv["mean_wait_s"].to_numpy() * offered),
        }))
        for k, (r, a) in enumerate(zip(rate, agents)):
            values = _erlang_a(r, aht_s, a, patience_s, channel.sl_threshold_s)
            n = counts.loc[date].iloc[k]
            erl_rows.append({"date": date, "interval": k, "offered": float(n), "agents": a,
                             "abandoned": n * _nz(values["abandon_rate"]), "waited": n * _nz(values["p_wait"]),
                             "within_sl": n * _nz(values["service_level"]), "wait_sum_s": n * _nz(values["mean_wait_s"])})
        if progress:
            progress(done, len(dates))
    sim = pd.concat(sim_rows, ignore_index=True)
    erl = pd.DataFrame(erl_rows)
    for frame in (observed, sim, erl):
        frame["hour"] = frame["interval"] // per_hour

    def table(group: list[str]) -> pd.DataFrame:
        obs = _rates(observed, group)
        era = _rates(erl, group)
        reps = _rates(sim, ["replication", *group])
        out = obs.rename(columns={k: f"observed_{k}" for k in VALIDATION_KPIS})
        for kpi in VALIDATION_KPIS:
            stats_ = reps.groupby(group, sort=False)[kpi].agg(["mean", _q(0.025), _q(0.975)]).reset_index()
            stats_.columns = [*group, f"simulated_{kpi}", f"simulated_{kpi}_low", f"simulated_{kpi}_high"]
            out = out.merge(stats_, on=group, how="left")
            if kpi != "offered":
                out = out.merge(era[[*group, kpi]].rename(columns={kpi: f"erlang_a_{kpi}"}), on=group, how="left")
        return out

    hourly = table(["date", "hour"])
    daily = table(["date"])
    intervals = table(["date", "interval"])
    summary = _summary(daily, intervals, min_interval_calls, replications, seed, duty, aht_s, patience_s)
    return Validation(hourly, daily, intervals, summary)


def _nz(value: float) -> float:
    return 0.0 if value is None or not math.isfinite(value) else float(value)


def _q(p: float) -> Callable[[pd.Series], float]:
    def quantile(x: pd.Series) -> float:
        return float(np.nanquantile(x, p)) if x.notna().any() else math.nan

    quantile.__name__ = f"q{p}"
    return quantile


def _errors(frame: pd.DataFrame, kpi: str, model: str) -> dict[str, float]:
    ok = frame[[f"observed_{kpi}", f"{model}_{kpi}"]].dropna()
    diff = ok[f"{model}_{kpi}"] - ok[f"observed_{kpi}"]
    out = {"mae": float(diff.abs().mean()), "bias": float(diff.mean()), "n": int(len(ok))}
    if kpi == "mean_wait_s":
        rel = diff / ok[f"observed_{kpi}"].where(ok[f"observed_{kpi}"] > 0)
        out["mean_abs_relative_error"] = float(rel.abs().mean())
    return out


def _summary(daily: pd.DataFrame, intervals: pd.DataFrame, min_calls: int, replications: int, seed: int,
             duty: DutyRule, aht_s: float, patience_s: float) -> dict[str, Any]:
    busy = intervals[intervals["observed_offered"] >= min_calls]
    out: dict[str, Any] = {"days": int(len(daily)), "replications": replications, "seed": seed,
                           "duty_rule": duty.to_dict(), "erlang_a_inputs": {"aht_s": aht_s, "patience_s": patience_s},
                           "daily": {}, "per_interval": {"min_calls": min_calls, "intervals": int(len(busy))}}
    for kpi in ("abandon_rate", "mean_wait_s", "p_wait", "service_level"):
        out["daily"][kpi] = {"simulation": _errors(daily, kpi, "simulated"), "erlang_a": _errors(daily, kpi, "erlang_a")}
        sim_e, erl_e = _errors(busy, kpi, "simulated"), _errors(busy, kpi, "erlang_a")
        closer = (busy[f"simulated_{kpi}"] - busy[f"observed_{kpi}"]).abs() < (busy[f"erlang_a_{kpi}"] - busy[f"observed_{kpi}"]).abs()
        out["per_interval"][kpi] = {"simulation": sim_e, "erlang_a": erl_e,
                                    "simulation_beats_erlang_a": bool(sim_e["mae"] < erl_e["mae"]),
                                    "share_of_intervals_simulation_closer": float(closer.mean()) if len(busy) else math.nan}
    return out


def validation_json(validation: Validation) -> dict[str, Any]:
    """The ``validation.json`` payload: ``daily`` rows and the error ``summary``."""
    rows = []
    for r in validation.daily.itertuples(index=False):
        rows.append({
            "date": r.date, "offered": int(r.observed_offered),
            "simulated_offered": finite_or_none(r.simulated_offered),
            "observed_abandon_rate": finite_or_none(r.observed_abandon_rate),
            "simulated_abandon_rate": finite_or_none(r.simulated_abandon_rate),
            "simulated_abandon_rate_band95": [finite_or_none(r.simulated_abandon_rate_low), finite_or_none(r.simulated_abandon_rate_high)],
            "erlang_a_abandon_rate": finite_or_none(r.erlang_a_abandon_rate),
            "observed_mean_wait_s": finite_or_none(r.observed_mean_wait_s),
            "simulated_mean_wait_s": finite_or_none(r.simulated_mean_wait_s),
            "simulated_mean_wait_s_band95": [finite_or_none(r.simulated_mean_wait_s_low), finite_or_none(r.simulated_mean_wait_s_high)],
            "erlang_a_mean_wait_s": finite_or_none(r.erlang_a_mean_wait_s),
            "observed_p_wait": finite_or_none(r.observed_p_wait), "simulated_p_wait": finite_or_none(r.simulated_p_wait),
            "erlang_a_p_wait": finite_or_none(r.erlang_a_p_wait),
            "observed_service_level": finite_or_none(r.observed_service_level),
            "simulated_service_level": finite_or_none(r.simulated_service_level),
            "erlang_a_service_level": finite_or_none(r.erlang_a_service_level),
        })
    return {"daily": rows, "summary": json_ready(validation.summary)}


def log_from_records(records: Any, channel: str | None = None, start_date: str = "2024-01-07") -> pd.DataFrame:
    """A simulated run as a clean call table (the layout :func:`sim.io.calllog.read_call_log` returns).

    Answered contacts become ``served``, abandoned ones ``abandoned``;
    contacts still waiting or blocked are left out. Day ``k`` of the run is
    ``start_date + k`` (the default, 7 January 2024, is a Sunday). The
    engine does not name agents, so ``agent`` is None. Used to test the
    estimators on data with known parameters.
    """
    from sim.io.calllog import CLEAN_COLUMNS
    from sim.engine.records import ABANDONED as SIM_ABANDONED
    from sim.engine.records import ANSWERED

    rec = records.channels[channel or next(iter(records.channels))]
    keep = (rec.outcome == ANSWERED) | (rec.outcome == SIM_ABANDONED)
    arrival = rec.arrival_s[keep]
    served = rec.outcome[keep] == ANSWERED
    day = (arrival // DAY_S).astype(int)
    first = pd.Timestamp(start_date)
    dates = [(first + pd.Timedelta(days=int(d))).date() for d in day]
    weekday = np.array([(d.weekday() + 1) % 7 for d in dates], dtype=int)
    wait = rec.wait_s[keep]
    frame = pd.DataFrame({
        "date": [d.isoformat() for d in dates],
        "day": day,
        "weekday": weekday,
        "day_type": [day_type(w) for w in weekday],
        "arrival_s": arrival - day * DAY_S,
        "outcome": np.where(served, SERVED, ABANDONED),
        "wait_s": wait,
        "service_start_s": np.where(served, arrival - day * DAY_S + wait, np.nan),
        "service_s": np.where(served, rec.service_s[keep], np.nan),
        "agent": None,
        "call_type": channel or rec.name,
        "priority": 0,
    })
    return frame[list(CLEAN_COLUMNS)]
