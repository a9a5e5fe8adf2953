"""Replay validation: days of a call log simulated with a calibrated scenario, against the log and Erlang A.

Each day becomes a one-day scenario with the observed arrival rate and agents
on duty per interval and the scenario's handling time and patience; it is
simulated with common random numbers and compared, per hour and per day,
with the observed KPIs and with Erlang A per interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.erlang_a import erlang_a_metrics
from sim.errors import ScenarioError
from sim.io.files import finite_or_none, json_ready
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.studies.calibrate import staffing_round
from sim.studies.call_classes import class_labels, rule_of_classes
from sim.studies.call_log_tables import DutyRule, agents_on_duty, interval_counts, observed_interval_kpis
from sim.studies.runner import simulate

VALIDATION_KPIS = ("offered", "abandon_rate", "mean_wait_s", "p_wait", "service_level")
"""KPIs compared per hour and per day."""


@dataclass
class Validation:
    """Observed, simulated and Erlang A KPIs of replayed days."""

    hourly: pd.DataFrame
    daily: pd.DataFrame
    intervals: pd.DataFrame
    summary: dict[str, Any]


def day_aht_s(base: Scenario, channel: str, weekday: int) -> np.ndarray | None:
    """The mean handling time per interval that ``base`` gives ``channel``'s arrivals on day ``weekday`` of its week.

    ``weekday`` counts from the horizon's first day (0 = Sunday for what
    ``ccsim calibrate`` writes); ``None`` when the stream has no ``aht_s``.
    """
    stream = base.arrivals.get(channel)
    if stream is None or stream.aht_s is None:
        return None
    per_day = max(1, int(round(86400.0 / base.horizon.interval_s)))
    return np.resize(np.asarray(stream.aht_s, dtype=float), (weekday + 1) * per_day)[weekday * per_day:]


def day_scenario(base: Scenario, rate_per_hour: np.ndarray | dict[str, np.ndarray], agents: list[int], name: str,
                 weekday: int = 0) -> Scenario:
    """A one-day scenario with the given per-interval rates and agents, the rest from ``base``.

    ``rate_per_hour`` is one array for a one-channel scenario, or one per
    channel (customer class) of a scenario whose classes one team serves; the
    agents then go to that team. The observed rates are the day's own level,
    so a random arrival level (``level``) is dropped. A stream's mean
    handling time per interval (``aht_s``) is kept, that of day ``weekday``
    of the base's week (:func:`day_aht_s`).
    """
    rates = rate_per_hour if isinstance(rate_per_hour, dict) else {next(iter(base.channels)): rate_per_hour}
    # Only the keys the base scenario sets: a full dump would also "set" every
    # defaulted field, including ones other channel kinds reject.
    data = base.model_dump(mode="json", exclude_unset=True)
    data["name"] = name
    data["horizon"] = {**data.get("horizon", {}), "hours": 24, "warmup_hours": 0, "drain": True}
    data["arrivals"] = {}
    for channel, rate in rates.items():
        peak = float(np.max(rate)) if len(rate) else 0.0
        data["arrivals"][channel] = {"rate_per_hour": peak,
                                     "profile": [float(r) / peak if peak > 0 else 0.0 for r in rate]}
        aht = day_aht_s(base, channel, weekday)
        if aht is not None:
            data["arrivals"][channel]["aht_s"] = [float(v) for v in aht]
    if base.teams:
        team = next(iter(data["teams"]))
        data["teams"][team] = {**data["teams"][team], "agents": [int(a) for a in agents]}
    else:
        channel = next(iter(rates))
        data["channels"] = {channel: {**data["channels"][channel], "agents": [int(a) for a in agents]}}
    for channel in data["channels"]:
        for key in ("aht", "patience"):
            spec = data["channels"][channel].get(key)
            if isinstance(spec, dict):
                data["channels"][channel][key] = {k: v for k, v in spec.items() if v is not None}
    return scenario_from_dict(data, source=name)


def class_scenario(scenario: Scenario) -> bool:
    """Whether ``scenario`` is customer classes (several channels, each with arrivals) served by one team."""
    if scenario.journey is not None or not scenario.teams or len(scenario.teams) != 1:
        return False
    team = next(iter(scenario.teams.values()))
    return set(team.skills) == set(scenario.channels) == set(scenario.arrivals) and \
        all(c.agents is None and c.kind_for(n) == "phone" for n, c in scenario.channels.items())


def _class_counts(log: pd.DataFrame, names: list[str], interval_s: float, dates: list[str]) -> dict[str, pd.DataFrame]:
    """Calls asking for an agent per class (``names``: a class scenario's channels), date and interval."""
    labels = class_labels(log, rule_of_classes(names), names, interval_s)
    return {name: interval_counts(log[labels == name], interval_s).reindex(index=dates, fill_value=0)
            for name in names}


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
    source: str | None = None,
    available_share: float = 1.0,
) -> Validation:
    """Replay ``dates`` of ``log`` with ``scenario``'s handling time and patience.

    ``source`` names the scenario's file in the error of a day it cannot replay.
    ``available_share`` scales the agents ``duty`` finds before they are
    rounded: the share of present agents who take calls, when it was
    estimated elsewhere (see :func:`sim.studies.out_of_sample.available_share`).

    Each day gets its observed arrival rate and agents on duty per interval
    of the scenario's planning interval; replications use common random
    numbers (replication ``r`` has the same streams on every day). Erlang A
    uses the interval's observed rate and agents, the scenario's mean
    handling time and ``erlang_patience_s`` (default: the scenario's mean
    patience). Per-interval errors use intervals with at least
    ``min_interval_calls`` observed calls.

    A scenario of customer classes (:func:`class_scenario`, as ``ccsim
    calibrate --classes`` writes it) gets each class's observed rate per
    interval, its calls found by the class labels of the channel names
    (:mod:`sim.studies.call_classes`), and the agents go to its team; Erlang
    A then gets, per interval, the class means of handling time and
    patience weighted by that interval's calls of each class (one queue:
    Erlang A has no classes). The KPIs are those of all classes together.
    """
    classes = class_scenario(scenario)
    if not classes and (len(scenario.channels) != 1 or scenario.teams or scenario.journey is not None):
        parts = [f"channels {', '.join(scenario.channels)}"] + (["teams"] if scenario.teams else []) + \
            (["a journey"] if scenario.journey is not None else [])
        raise ScenarioError(source or scenario.name or "the scenario", "channels",
                            f"a replay is of one phone queue, but the scenario has {' and '.join(parts)}; give a "
                            "scenario of one channel or of customer classes served by one team, e.g. the output "
                            "of `ccsim calibrate`")
    names = list(scenario.channels)
    channel = scenario.channels[names[0]]
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
    by_class = _class_counts(day_log, names, interval_s, dates) if classes else {names[0]: counts}
    class_aht = np.array([scenario.channels[n].aht.mean for n in names])
    class_patience = np.array([erlang_patience_s or (scenario.channels[n].patience.mean  # type: ignore[union-attr]
                                                     if scenario.channels[n].patience is not None else math.inf)
                               for n in names])
    weights = np.stack([by_class[n].to_numpy(dtype=float) for n in names])  # class x date x interval
    totals = weights.sum(axis=(1, 2))
    aht_s = float(totals @ class_aht / totals.sum()) if totals.sum() > 0 else float(class_aht.mean())
    patience_s = float(totals @ class_patience / totals.sum()) if totals.sum() > 0 else float(class_patience.mean())

    sim_rows, erl_rows = [], []
    for done, date in enumerate(dates, start=1):
        day_counts = counts.loc[date].to_numpy(dtype=float)
        rate = day_counts * 3600.0 / interval_s
        class_rates = {n: by_class[n].loc[date].to_numpy(dtype=float) * 3600.0 / interval_s for n in names}
        agents = [staffing_round(a * available_share) for a in np.asarray(duty_table.loc[date], dtype=float)]
        mix = np.stack([by_class[n].loc[date].to_numpy(dtype=float) for n in names])  # class x interval
        weekday = (pd.Timestamp(date).weekday() + 1) % 7  # the calibrated week starts on a Sunday
        interval_aht = np.stack([_or_mean(day_aht_s(scenario, n, weekday), class_aht[i], mix.shape[1])
                                 for i, n in enumerate(names)])  # class x interval
        with np.errstate(invalid="ignore", divide="ignore"):
            aht_k = np.where(day_counts > 0, (interval_aht * mix).sum(axis=0) / day_counts, aht_s)
            patience_k = np.where(day_counts > 0, class_patience @ mix / day_counts, patience_s)
        try:
            day = day_scenario(scenario, class_rates if classes else rate, agents, f"replay {date}", weekday)
        except ScenarioError as exc:  # named after the file the user gave, not the day's inner name
            raise ScenarioError(source or scenario.name or "the scenario", exc.key,
                                f"{exc.expected} (replaying {date})") from None
        result = simulate(day, replications=replications, seed=seed)
        iv = _all_classes(result.intervals, names)
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
            values = _erlang_a(r, float(aht_k[k]), a, float(patience_k[k]), channel.sl_threshold_s)
            n = day_counts[k]
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
    summary["available_share"] = available_share
    return Validation(hourly, daily, intervals, summary)


def _all_classes(intervals: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per replication and interval, the counts of the channels ``names`` added up (rates from their sums)."""
    iv = intervals[intervals["channel"].isin(names)]
    offered = iv["offered"].to_numpy(dtype=float)
    frame = pd.DataFrame({
        "replication": iv["replication"].to_numpy(), "interval": iv["interval"].to_numpy(), "offered": offered,
        "abandoned": iv["abandoned"].to_numpy(dtype=float),
        "waited": np.nan_to_num(iv["p_wait"].to_numpy(dtype=float) * offered),
        "within_sl": np.nan_to_num(iv["service_level"].to_numpy(dtype=float) * offered),
        "wait_sum_s": np.nan_to_num(iv["mean_wait_s"].to_numpy(dtype=float) * offered),
    })
    s = frame.groupby(["replication", "interval"], sort=True).sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        s["p_wait"] = s["waited"] / s["offered"]
        s["service_level"] = s["within_sl"] / s["offered"]
        s["mean_wait_s"] = s["wait_sum_s"] / s["offered"]
    return s


def _or_mean(values: np.ndarray | None, mean: float, n: int) -> np.ndarray:
    """A stream's handling time per interval of the day, or its channel's mean in every interval."""
    return np.full(n, mean) if values is None else np.resize(values, n)


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
        observed = busy[f"observed_{kpi}"]
        closer = (busy[f"simulated_{kpi}"] - observed).abs() < (busy[f"erlang_a_{kpi}"] - observed).abs()
        out["per_interval"][kpi] = {"simulation": sim_e, "erlang_a": erl_e,
                                    "simulation_beats_erlang_a": bool(sim_e["mae"] < erl_e["mae"]),
                                    "share_of_intervals_simulation_closer": float(closer.mean()) if len(busy) else math.nan}
    return out


def validation_json(validation: Validation) -> dict[str, Any]:
    """The ``validation.json`` payload: ``daily`` rows and the error ``summary``."""
    rows = []
    for r in validation.daily.to_dict(orient="records"):
        rows.append({
            "date": r["date"], "offered": int(r["observed_offered"]),
            "simulated_offered": finite_or_none(r["simulated_offered"]),
            "observed_abandon_rate": finite_or_none(r["observed_abandon_rate"]),
            "simulated_abandon_rate": finite_or_none(r["simulated_abandon_rate"]),
            "simulated_abandon_rate_band95": [finite_or_none(r["simulated_abandon_rate_low"]),
                                              finite_or_none(r["simulated_abandon_rate_high"])],
            "erlang_a_abandon_rate": finite_or_none(r["erlang_a_abandon_rate"]),
            "observed_mean_wait_s": finite_or_none(r["observed_mean_wait_s"]),
            "simulated_mean_wait_s": finite_or_none(r["simulated_mean_wait_s"]),
            "simulated_mean_wait_s_band95": [finite_or_none(r["simulated_mean_wait_s_low"]),
                                             finite_or_none(r["simulated_mean_wait_s_high"])],
            "erlang_a_mean_wait_s": finite_or_none(r["erlang_a_mean_wait_s"]),
            "observed_p_wait": finite_or_none(r["observed_p_wait"]), "simulated_p_wait": finite_or_none(r["simulated_p_wait"]),
            "erlang_a_p_wait": finite_or_none(r["erlang_a_p_wait"]),
            "observed_service_level": finite_or_none(r["observed_service_level"]),
            "simulated_service_level": finite_or_none(r["simulated_service_level"]),
            "erlang_a_service_level": finite_or_none(r["erlang_a_service_level"]),
        })
    return {"daily": rows, "summary": json_ready(validation.summary)}
