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
  agents); with ``aht_by_interval`` (default) each stream also gets the
  mean per interval of the week (``arrivals.<class>.aht_s``,
  :func:`~sim.studies.class_calibration.aht_profile`), since services are
  longer at the morning peak than in the evening;
- patience: waits of abandoners are observed patience, waits of served
  callers are censored; Kaplan-Meier, exponential, Weibull and the
  schema-supported lognormal/gamma fits;
- agents on duty: a log records services only, so idle time must be
  inferred (:class:`~sim.studies.call_log_tables.DutyRule`). By default an
  agent is on duty through their services and through the parts of a gap
  between two services (shorter than ``max_gap_s``) when no caller was
  waiting: had the agent been free
  while callers waited, FCFS routing would have given them a call, so those
  parts were breaks or other work. Averaged over the interval
  (time-weighted) per day type.

The scenario covers one week (168 h, Sunday first, since 1 August 1999 was
a Sunday) because the schema has one profile that repeats over the horizon.

:func:`sim.studies.replay.validate` replays days of the log: each day becomes a one-day
scenario with the observed arrival rate and agents per interval and the
calibrated handling time and patience; it is simulated with common random
numbers and compared, per hour and per day, with the observed KPIs and
with Erlang A per interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.estimators import Fit, LevelEstimate, RateEstimate, gamma_level, poisson_rates
from sim.analysis.survival import CensoredFit, Hazard, KaplanMeier, hazard_estimate, kaplan_meier, likelihood_ratio_test
from sim.io.calllog import ABANDONED, DAY_TYPES, SERVED, WEEKDAY_NAMES, day_type, queue_calls
from sim.spec.scenario import scenario_from_dict
from sim.studies.call_classes import check_rule
from sim.studies.call_log_tables import DAY_S, DutyRule, agents_on_duty, interval_counts
from sim.studies.class_calibration import (
    SL_TARGET,
    aht_profile,
    aht_spec,
    calibrate_classes,
    fit_patience,
    fit_service,
    patience_spec,
    service_fits,
    stream_spec,
)


@dataclass(frozen=True)
class CalibrationOptions:
    """Choices of the calibration (all reported with the estimates).

    ``aht_by_interval``: write the mean handling time per interval of the
    week (shrunk toward the day's profile where calls are few) beside the
    handling-time distribution, which keeps its shape.
    """

    interval_minutes: int = 30
    duty: DutyRule = DutyRule()
    short_service_s: float = 10.0
    patience: str = "exponential"
    sl_threshold_s: float = 20.0
    level: float = 0.95
    min_type_calls: int = 50
    classes: str = "none"
    min_class_calls: int = 200
    priority_credit_s: float = 90.0
    dispersion: str = "auto"
    aht_by_interval: bool = True


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


def _day_types_of(dates: list[str]) -> dict[str, str]:
    return {d: day_type((pd.Timestamp(d).weekday() + 1) % 7) for d in dates}


def calibrate(log: pd.DataFrame, options: CalibrationOptions = CalibrationOptions(), name: str = "calibrated") -> Calibration:
    """Estimate arrivals, handling time, patience and staffing; build a week scenario."""
    if options.interval_minutes not in (15, 30, 60):
        raise ValueError("interval_minutes must be 15, 30 or 60 (the scenario schema's planning intervals)")
    if options.patience not in PATIENCE_FAMILIES:
        raise ValueError(f"patience must be {', '.join(PATIENCE_FAMILIES[:-1])} or auto")
    check_rule(options.classes)
    if options.dispersion not in DISPERSION_CHOICES:
        raise ValueError(f"dispersion must be one of {', '.join(DISPERSION_CHOICES)}")
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
    long_fits, chosen = fit_service(service, options)
    fits: dict[str, Fit] = {f"{family}/all": fit for family, fit in service_fits(service, options.level).items()}
    fits.update({f"{family}/long": fit for family, fit in long_fits.items()})
    per_type: dict[str, dict[str, Any]] = {}
    for ctype, group in served.groupby("call_type"):
        x = group["service_s"].to_numpy(dtype=float)
        if int((x > options.short_service_s).sum()) < options.min_type_calls:
            continue
        type_fits, _ = fit_service(x, options)
        ln, ga = type_fits["lognormal"], type_fits["gamma"]
        per_type[str(ctype)] = {"n": int(len(x)), "short_share": float(np.mean(x <= options.short_service_s)),
                                "mean_s": float(x.mean()), "lognormal": ln.to_dict(), "gamma": ga.to_dict(),
                                "best_by_aic": min((ln, ga), key=lambda f: f.aic).family}
        fits[f"lognormal/type:{ctype}"] = ln
        fits[f"gamma/type:{ctype}"] = ga
    aht_mean = float(service.mean())
    aht = aht_spec(chosen, aht_mean)

    # Patience (censored)
    time_s = calls["wait_s"].to_numpy(dtype=float)
    event = (calls["outcome"] == ABANDONED).to_numpy()
    km = kaplan_meier(time_s, event, options.level)
    pfits, family = fit_patience(time_s, event, options)
    horizon_wait = float(np.quantile(time_s, 0.99)) if len(time_s) else 600.0
    bin_s = 30.0 if horizon_wait <= 900 else 60.0
    hazard = hazard_estimate(time_s, event, np.arange(0.0, max(horizon_wait, bin_s) + bin_s, bin_s), options.level)
    pchosen = pfits[family]
    patience = patience_spec(pchosen)

    # Week scenario: Sunday first
    week_types = [day_type(w) for w in range(7)]
    fallback = next(iter(rates))
    week_rates = np.concatenate([rates.get(t, rates[fallback]).rate_per_hour for t in week_types])
    week_agents = np.concatenate([agents.get(t, agents[fallback]) for t in week_types])
    level = gamma_level([counts.loc[[d for d, t in types.items() if t == kind]].to_numpy() for kind in rates])
    write_level = _use_level(options.dispersion, level, rates)
    scenario: dict[str, Any] = {
        "name": name,
        "description": "",
        "seed": 1,
        "replications": 10,
        "horizon": {"hours": 168, "warmup_hours": 0, "interval_minutes": options.interval_minutes, "drain": True},
    }
    staffing = [staffing_round(a) for a in week_agents]
    classes = None
    if options.classes == "none":
        profile = aht_profile(served, interval_s, types)[0] if options.aht_by_interval else None
        scenario["arrivals"] = {"phone": stream_spec(week_rates, level if write_level else None, profile)}
        scenario["channels"] = {"phone": {"agents": staffing, "aht": aht, "patience": patience,
                                          "sl_threshold_s": options.sl_threshold_s, "sl_target": SL_TARGET}}
    else:
        classes = calibrate_classes(log, options, types, fallback, write_level)
        scenario["arrivals"] = classes.arrivals
        scenario["channels"] = classes.channels
        scenario["teams"] = {"agents": {"skills": classes.order, "agents": staffing}}
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
        "arrival_level": {**level.to_dict(), "written": write_level, "choice": options.dispersion,
                          "note": "Poisson-gamma: the rate times a gamma level of mean 1 and this cv, one per "
                                  "day or per interval; written to the scenario (arrivals.<class>.level) when "
                                  "the dispersion test rejects Poisson (p < 0.05) with --dispersion auto"},
        "classes": classes.report if classes is not None else {"rule": "none"},
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
            "weibull_vs_exponential_lr_p_value": likelihood_ratio_test(pfits["exponential"], pfits["weibull"])
            if "weibull" in pfits else math.nan,
            "chosen": {"family": family, "mean_s": pchosen.mean_s,
                       "note": "The scenario uses the family named here (--patience; auto: the lowest AIC). "
                               "ccsim validate gives Erlang A the scenario's mean patience "
                               "(with exponential patience: abandonments / total waiting time)."},
        },
        "staffing": {
            "duty_rule": options.duty.to_dict(),
            "method": options.duty.describe(),
            **{kind: {
                "mean_agents_open_hours": _open_mean(agents[kind], rates[kind].rate_per_hour),
                "mean_busy_open_hours": _open_mean(busy_mean[kind], rates[kind].rate_per_hour),
                "occupancy": float(busy_mean[kind].sum() / agents[kind].sum()) if agents[kind].sum() > 0 else math.nan,
                "share_of_open_intervals_over_95pct_occupied": _share_over(busy_mean[kind], agents[kind], 0.95),
                "max_agents": float(agents[kind].max()),
                "agents": [round(float(v), 2) for v in agents[kind]],
                "busy": [round(float(v), 2) for v in busy_mean[kind]],
            } for kind in agents},
        },
    }
    return Calibration(options, scenario, report, rates, agents, busy_mean, service, fits, time_s, event, km, pfits,
                       hazard, {"per_day": per_day})


PATIENCE_FAMILIES = ("exponential", "lognormal", "gamma", "weibull", "auto")
"""``CalibrationOptions.patience`` choices (``auto``: the lowest AIC)."""
DISPERSION_CHOICES = ("auto", "none", "day", "interval")
"""``CalibrationOptions.dispersion``: write the arrival level when Poisson is rejected, never, or always per day/interval."""


def _use_level(choice: str, level: LevelEstimate, rates: dict[str, RateEstimate]) -> bool:
    """Whether the scenario gets the arrival level: ``auto`` when some day type rejects Poisson."""
    if choice == "none" or level.cv <= 0:
        return False
    if choice == "auto":
        return any(r.dispersion_p_value < 0.05 for r in rates.values() if math.isfinite(r.dispersion_p_value))
    return True


def _share_over(busy: np.ndarray, duty: np.ndarray, limit: float) -> float:
    """Share of the intervals with agents on duty whose inferred occupancy (busy / on duty) exceeds ``limit``."""
    on = duty > 0
    return float((busy[on] / duty[on] > limit).mean()) if on.any() else math.nan


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
    """The scenario as YAML text with ``header`` as a comment and one day per profile line.

    Handles what :func:`calibrate` writes: one ``phone`` channel with its own
    agents, or customer classes (one channel each) served by one team.
    """
    import yaml

    lines = [f"# {h}".rstrip() for h in header.splitlines()]
    body = {k: v for k, v in scenario.items() if k not in ("arrivals", "channels", "teams")}
    text = yaml.safe_dump(body, sort_keys=False, width=100, allow_unicode=True)
    out = ["\n".join(lines), text.rstrip(), "arrivals:"]
    for name, stream in scenario["arrivals"].items():
        out += [f"  {_key(name)}:", f"    rate_per_hour: {stream['rate_per_hour']}"]
        if "level" in stream:
            out.append(f"    level: {{cv: {stream['level']['cv']}, per: {stream['level']['per']}}}  # Poisson-gamma")
        out += ["    profile: [   # multipliers of the peak rate per interval, Sunday 00:00 first, one day per line"]
        out += _rows(stream["profile"], per_day, "      ")
        out += ["    ]"]
        if "aht_s" in stream:
            out += ["    aht_s: [     # mean handling time (s) of the calls arriving in each interval, same layout"]
            out += _rows(stream["aht_s"], per_day, "      ")
            out += ["    ]"]
    out.append("channels:")
    for name, channel in scenario["channels"].items():
        out.append(f"  {_key(name)}:")
        for key, value in channel.items():
            if key == "agents":
                out += ["    agents: [    # agents on duty per interval, same layout"]
                out += _rows(value, per_day, "      ")
                out += ["    ]"]
            elif isinstance(value, dict):
                inner = ", ".join(f"{k}: {v}" for k, v in value.items())
                out.append(f"    {key}: {{{inner}}}")
            else:
                out.append(f"    {key}: {value:g}" if isinstance(value, float) else f"    {key}: {value}")
    for name, team in (scenario.get("teams") or {}).items():
        skills = ", ".join(_key(s) for s in team["skills"])
        out += ["teams:", f"  {_key(name)}:  # one team serves every class: longest wait plus the class's credit first",
                f"    skills: [{skills}]", "    agents: [    # agents on duty per interval, same layout"]
        out += _rows(team["agents"], per_day, "      ")
        out += ["    ]"]
    out.append("")
    return "\n".join(out)


def _key(name: str) -> str:
    """A YAML mapping key for ``name`` (quoted when it holds a colon)."""
    return f"'{name}'" if ":" in name else name


def _rows(values: list[Any], per_row: int, indent: str) -> list[str]:
    rows = []
    for day, start in enumerate(range(0, len(values), per_row)):
        chunk = ", ".join(str(v) for v in values[start:start + per_row])
        comma = "," if start + per_row < len(values) else ""
        rows.append(f"{indent}{chunk}{comma}  # {WEEKDAY_NAMES[day % 7]}")
    return rows
