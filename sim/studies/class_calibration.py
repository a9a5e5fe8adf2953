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

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.estimators import (
    Fit,
    LevelEstimate,
    fit_exponential,
    fit_gamma,
    fit_lognormal,
    gamma_level,
    poisson_rates,
    shrunk_means,
)
from sim.analysis.survival import CensoredFit, censored_mean_cv_fit, exponential_censored, weibull_censored
from sim.io.calllog import ABANDONED, DAY_TYPES, SERVED, VRU_HANGUP, day_type, interval_index, queue_calls
from sim.studies.call_classes import class_labels, class_names, is_priority_class, unrecorded_priority
from sim.studies.call_log_tables import DAY_S, interval_counts

SL_TARGET = 0.8
"""The service-level target a calibrated scenario states (reporting only: a log shows no target)."""


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
    @property
    def aht_by_interval(self) -> bool: ...


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


def stream_spec(week_rates: np.ndarray, level: LevelEstimate | None, aht_s: list[float] | None = None) -> dict[str, Any]:
    """An arrival stream: peak rate, profile of multipliers, (optionally) its random level and mean handling time per interval."""
    peak = float(week_rates.max()) if len(week_rates) else 0.0
    stream: dict[str, Any] = {"rate_per_hour": round(peak, 3),
                              "profile": [round(float(r) / peak, 4) if peak > 0 else 0.0 for r in week_rates]}
    if level is not None and level.cv > 0:
        stream["level"] = {"cv": round(level.cv, 4), "per": level.per}
    if aht_s is not None:
        stream["aht_s"] = aht_s
    return stream


def aht_profile(served: pd.DataFrame, interval_s: float, types: dict[str, str]) -> tuple[list[float], dict[str, Any]]:
    """Mean handling time per interval of the week (Sunday first) from served calls, and its report.

    Handling time changes through the day (on the Anonymous Bank log about
    240 s at the 10:00 peak, 140-170 s in the evening), so one mean for the
    whole day serves the peak too fast and the evening too slowly. The mean
    per interval of arrival is estimated in two empirical Bayes steps
    (:func:`~sim.analysis.estimators.shrunk_means`): per interval of the day
    over all days, pulled toward the mean of all services, then per day
    type and interval, pulled toward that interval's mean. An interval with
    few calls (night, the one Saturday) stays near what the other days
    show. ``types`` maps each date of ``served`` to its day type.
    """
    per_day = int(round(DAY_S / interval_s))
    service = served["service_s"].to_numpy(dtype=float)
    k = interval_index(served["arrival_s"].to_numpy(dtype=float), interval_s, per_day)
    kind = np.array([DAY_TYPES.index(types[d]) for d in served["date"]], dtype=np.int64)
    by_interval = shrunk_means(service, k, per_day)
    by_type = shrunk_means(service, kind * per_day + k, len(DAY_TYPES) * per_day, np.tile(by_interval.means, len(DAY_TYPES)))
    table = by_type.means.reshape(len(DAY_TYPES), per_day)
    week = [round(float(v), 1) for w in range(7) for v in table[DAY_TYPES.index(day_type(w))]]
    report = {"interval_between_sd_s": math.sqrt(by_interval.between_var),
              "day_type_between_sd_s": math.sqrt(by_type.between_var), "within_sd_s": math.sqrt(by_interval.within_var),
              "by_day_type": {t: [round(float(v), 1) for v in table[i]] for i, t in enumerate(DAY_TYPES)}}
    return week, report


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


def service_fits(service_s: np.ndarray, level: float) -> dict[str, Fit]:
    """Lognormal, gamma and exponential fits of handling times, by family."""
    return {"lognormal": fit_lognormal(service_s, level), "gamma": fit_gamma(service_s, level),
            "exponential": fit_exponential(service_s, level)}


def fit_service(service_s: np.ndarray, options: CalibrationOptions) -> tuple[dict[str, Fit], Fit]:
    """The :func:`service_fits` of services above the short threshold, and the lowest-AIC one."""
    fits = service_fits(service_s[service_s > options.short_service_s], options.level)
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
    log_labels = class_labels(log, rule, names, interval_s)
    call_labels = log_labels[(log["outcome"] != VRU_HANGUP).to_numpy()]
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
        served = mine[(mine["outcome"] == SERVED) & mine["service_s"].notna()]
        service = served["service_s"].to_numpy(dtype=float)
        profile, profile_report = aht_profile(served, interval_s, types) if options.aht_by_interval else (None, None)
        arrivals[name] = stream_spec(week, level, profile)
        sfits, chosen = fit_service(service, options)
        wait = mine["wait_s"].to_numpy(dtype=float)
        abandoned = (mine["outcome"] == ABANDONED).to_numpy()
        pfits, family = fit_patience(wait, abandoned, options)
        credit = options.priority_credit_s if rule in ("priority", "priority-type") and is_priority_class(name) else 0.0
        credits[name] = credit
        channels[name] = {"kind": "phone", "aht": aht_spec(chosen, float(service.mean())),
                          "patience": patience_spec(pfits[family]), "priority_credit_s": credit,
                          "sl_threshold_s": options.sl_threshold_s, "sl_target": SL_TARGET}
        exposure_h = len(dates) * 24.0
        report["classes"][name] = {
            "calls": int(len(mine)), "share": float(len(mine) / max(len(calls), 1)),
            "priority_imputed": int(unrecorded_priority(mine).sum()) if rule in ("priority", "priority-type") else 0,
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
                        "fits": {k: v.to_dict() for k, v in sfits.items()}, "chosen": chosen.family,
                        "by_interval": profile_report},
            "patience": {"fits": {k: v.to_dict() for k, v in pfits.items()}, "chosen": family},
        }
    order = sorted(names, key=lambda n: (-credits[n], names.index(n)))
    return ClassCalibration(rule, order, arrivals, channels, report)
