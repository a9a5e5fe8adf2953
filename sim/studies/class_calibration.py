"""Calibration of customer classes: each class's arrivals, handling time, patience and priority.

:func:`calibrate_classes` splits a clean call table into classes
(:mod:`sim.studies.call_classes`: by the log's priority and type columns)
and fits each one as :func:`sim.studies.calibrate.calibrate` fits the whole
log: Poisson rates per interval and day type (with the gamma level of
over-dispersed counts), the handling-time family with the lowest AIC on
services above the short-service threshold (at the mean of all services),
and the censored patience fit of the chosen family. The classes become the
scenario's channels, served by one team of all agents on duty; priority
classes get ``priority_credit_s`` (the bank credited its priority callers
1.5 minutes of queue time), the others 0, so agents take the longest
credited wait (:mod:`sim.engine.priority_routing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.estimators import Fit, LevelEstimate, fit_exponential, fit_gamma, fit_lognormal, gamma_level, poisson_rates
from sim.analysis.survival import CensoredFit, censored_mean_cv_fit, exponential_censored, weibull_censored
from sim.io.calllog import ABANDONED, DAY_TYPES, SERVED, day_type, queue_calls
from sim.studies.call_classes import assign_classes, class_names, is_priority_class
from sim.studies.call_log_tables import interval_counts


class CalibrationOptions(Protocol):
    """The calibration choices the class fits read (:class:`sim.studies.calibrate.CalibrationOptions` has them)."""

    @property
    def interval_minutes(self) -> int: ...
    @property
    def short_service_s(self) -> float: ...
    @property
    def patience(self) -> str: ...
    @property
    def level(self) -> float: ...
    @property
    def classes(self) -> str: ...
    @property
    def min_class_calls(self) -> int: ...
    @property
    def priority_credit_s(self) -> float: ...
    @property
    def sl_threshold_s(self) -> float: ...


def aht_spec(chosen: Fit, mean_s: float) -> dict[str, Any]:
    """The scenario's handling time: the chosen family's shape at the mean of all services."""
    aht: dict[str, Any] = {"dist": chosen.family, "mean_s": round(mean_s, 1)}
    if chosen.family != "exponential":
        aht["cv"] = round(chosen.cv, 3)
    return aht


def patience_spec(fit: CensoredFit) -> dict[str, Any]:
    """The scenario's patience from a censored fit."""
    patience: dict[str, Any] = {"dist": fit.family, "mean_s": round(fit.mean_s, 1)}
    if fit.family == "weibull":
        patience["shape"] = round(fit.params["shape"], 4)
    elif fit.family != "exponential":
        patience["cv"] = round(fit.params["cv"], 3)
    return patience


def stream_spec(week_rates: np.ndarray, level: LevelEstimate | None) -> dict[str, Any]:
    """An arrival stream: peak rate, profile of multipliers and (optionally) its random level."""
    peak = float(week_rates.max()) if len(week_rates) else 0.0
    stream: dict[str, Any] = {"rate_per_hour": round(peak, 3),
                              "profile": [round(float(r) / peak, 4) if peak > 0 else 0.0 for r in week_rates]}
    if level is not None and level.cv > 0:
        stream["level"] = {"cv": round(level.cv, 4), "per": level.per}
    return stream


@dataclass
class ClassCalibration:
    """The scenario sections of the classes and their report.

    ``order`` lists the classes highest credit first (the team's skills);
    ``report`` has, per class, its calls, rates with confidence intervals,
    handling-time and patience fits and credit.
    """

    rule: str
    order: list[str]
    arrivals: dict[str, Any]
    channels: dict[str, Any]
    report: dict[str, Any]


def fit_service(service_s: np.ndarray, options: CalibrationOptions) -> tuple[dict[str, Fit], Fit]:
    """Lognormal, gamma and exponential fits of services above the short threshold, and the lowest-AIC one."""
    long_ = service_s[service_s > options.short_service_s]
    fits = {"lognormal": fit_lognormal(long_, options.level), "gamma": fit_gamma(long_, options.level),
            "exponential": fit_exponential(long_, options.level)}
    return fits, min(fits.values(), key=lambda f: f.aic)


def fit_patience(wait_s: np.ndarray, abandoned: np.ndarray, options: CalibrationOptions) -> tuple[dict[str, CensoredFit], str]:
    """Censored patience fits (those the data allow) and the family the options choose.

    ``auto`` takes the lowest AIC; a family that cannot be fitted (too few
    abandonments) falls back to the exponential.
    """
    fits: dict[str, CensoredFit] = {"exponential": exponential_censored(wait_s, abandoned, options.level)}
    for family in ("weibull", "lognormal", "gamma"):
        try:
            fits[family] = weibull_censored(wait_s, abandoned, options.level) if family == "weibull" \
                else censored_mean_cv_fit(wait_s, abandoned, family, options.level)
        except (ValueError, FloatingPointError, ArithmeticError):
            continue
    if options.patience == "auto":
        return fits, min(fits, key=lambda f: fits[f].aic)
    return fits, options.patience if options.patience in fits else "exponential"


def calibrate_classes(log: pd.DataFrame, options: CalibrationOptions, types: dict[str, str], fallback: str,
                      write_level: bool) -> ClassCalibration:
    """Classes of ``log`` under ``options.classes``, each fitted on its own calls (see the module's description).

    ``types`` maps each date to its day type; ``fallback`` is the day type
    used for day types the log lacks; ``write_level`` whether the streams get
    their gamma level.
    """
    rule = options.classes
    interval_s = options.interval_minutes * 60.0
    calls = queue_calls(log)
    names = class_names(calls, rule, options.min_class_calls)
    log_labels = assign_classes(log, rule, names)
    call_labels = assign_classes(calls, rule, names)
    dates = sorted(types)
    week_types = [day_type(w) for w in range(7)]
    arrivals: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    report: dict[str, Any] = {"rule": rule, "min_class_calls": options.min_class_calls,
                              "priority_credit_s": options.priority_credit_s, "classes": {}}
    credits: dict[str, float] = {}
    for name in names:
        counts = interval_counts(log[log_labels == name], interval_s).reindex(index=dates, fill_value=0)
        mine = calls[call_labels == name]
        per_kind = {kind: counts.loc[[d for d in dates if types[d] == kind]].to_numpy() for kind in DAY_TYPES
                    if any(types[d] == kind for d in dates)}
        rates = {kind: poisson_rates(c, interval_s, options.level) for kind, c in per_kind.items()}
        week = np.concatenate([rates.get(t, rates[fallback]).rate_per_hour for t in week_types])
        level = gamma_level(list(per_kind.values())) if write_level else None
        arrivals[name] = stream_spec(week, level)
        served = mine[(mine["outcome"] == SERVED) & mine["service_s"].notna()]
        service = served["service_s"].to_numpy(dtype=float)
        sfits, chosen = fit_service(service, options)
        wait = mine["wait_s"].to_numpy(dtype=float)
        abandoned = (mine["outcome"] == ABANDONED).to_numpy()
        pfits, family = fit_patience(wait, abandoned, options)
        credit = options.priority_credit_s if rule in ("priority", "priority-type") and is_priority_class(name) else 0.0
        credits[name] = credit
        channels[name] = {"kind": "phone", "aht": aht_spec(chosen, float(service.mean())),
                          "patience": patience_spec(pfits[family]), "priority_credit_s": credit,
                          "sl_threshold_s": options.sl_threshold_s, "sl_target": 0.8}
        exposure_h = len(dates) * 24.0
        report["classes"][name] = {
            "calls": int(len(mine)), "share": float(len(mine) / max(len(calls), 1)),
            "mean_rate_per_hour": len(mine) / exposure_h,
            "mean_rate_ci95": [  # exact Poisson bounds on the whole log's count
                float(stats.chi2.ppf(0.025, 2 * len(mine)) / 2 / exposure_h) if len(mine) else 0.0,
                float(stats.chi2.ppf(0.975, 2 * len(mine) + 2) / 2 / exposure_h)],
            "abandon_rate": float(abandoned.mean()) if len(abandoned) else float("nan"),
            "mean_wait_s": float(wait.mean()) if len(wait) else float("nan"),
            "priority_credit_s": credit,
            "arrivals": {kind: {"days": r.days, "calls_per_day": float(r.counts.sum(axis=1).mean()),
                                "rate_per_hour": [round(float(v), 3) for v in r.rate_per_hour],
                                "rate_ci95_low": [round(float(v), 3) for v in r.ci_low],
                                "rate_ci95_high": [round(float(v), 3) for v in r.ci_high],
                                "dispersion_index": r.dispersion_index} for kind, r in rates.items()},
            "level": level.to_dict() if level is not None else None,
            "service": {"n": int(len(service)), "mean_s": float(service.mean()),
                        "fits": {k: v.to_dict() for k, v in sfits.items()}, "chosen": chosen.family},
            "patience": {"fits": {k: v.to_dict() for k, v in pfits.items()}, "chosen": family},
        }
    order = sorted(names, key=lambda n: (-credits[n], names.index(n)))
    return ClassCalibration(rule, order, arrivals, channels, report)
