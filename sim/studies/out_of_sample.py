"""Out-of-sample validation: calibrate on some days of a call log, replay others.

:func:`validate_out_of_sample` runs :func:`sim.studies.calibrate.calibrate`
on the calibration days only (the log filtered to them), then
:func:`sim.studies.replay.validate` on those days (in sample) and on the
test days (out of sample, from the same log or another one). Each replayed
day keeps its own observed arrival rate and agents on duty; what the test
days have not seen is the calibrated handling time and patience, which both
the simulation and Erlang A use.

Days are named by their number in date order (1 = the log's first date) or by
their date as written in the log; :func:`parse_day_spec` reads ``1-8`` or
``1,3,5`` (or a mix, ``1-3,7``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from sim.spec.scenario import scenario_from_dict
from sim.studies.calibrate import Calibration, CalibrationOptions, calibrate
from sim.studies.call_log_tables import DutyRule, agents_on_duty
from sim.studies.replay import Validation, validate

SAMPLES = ("in", "out")
"""``sample`` values: ``in`` = the calibration days, ``out`` = the test days."""


def parse_day_spec(spec: str, n_days: int) -> list[int]:
    """Day numbers (1-based, in date order) from ``"1-8"``, ``"1,3,5"`` or ``"1-3,7"``.

    Raises ValueError, with a sentence that says what is wrong, for an empty
    spec, a part that is not a number or range, a range that runs backwards,
    a day outside ``1..n_days`` or a day given twice.
    """
    days: list[int] = []
    parts = [p.strip() for p in spec.split(",")]
    if not spec.strip() or any(not p for p in parts):
        raise ValueError(f"'{spec}' is not a list of days: use day numbers and ranges such as 1-8 or 1,3,5")
    for part in parts:
        low, sep, high = part.partition("-")
        try:
            first, last = int(low), int(high if sep else low)
        except ValueError:
            raise ValueError(f"'{part}' is not a day number or a range such as 1-8") from None
        if last < first:
            raise ValueError(f"range '{part}' runs backwards")
        for day in (first, last):
            if not 1 <= day <= n_days:
                raise ValueError(f"day {day} is not in the log: it has days 1-{n_days}")
        for day in range(first, last + 1):
            if day in days:
                raise ValueError(f"day {day} is given twice")
            days.append(day)
    return days


def log_dates(log: pd.DataFrame) -> list[str]:
    """The log's dates in order: day number ``k`` is ``log_dates(log)[k - 1]``."""
    return sorted(str(d) for d in log["date"].unique())


def resolve_days(log: pd.DataFrame, days: Sequence[int | str] | None) -> list[str]:
    """Dates of ``days`` (day numbers or dates; ``None`` = every date), ValueError if one is not in ``log``."""
    dates = log_dates(log)
    if days is None:
        return dates
    out = []
    for day in days:
        if isinstance(day, str):
            if day not in dates:
                raise ValueError(f"date {day} is not in the log; it has {dates[0]} .. {dates[-1]}")
            out.append(day)
        elif 1 <= int(day) <= len(dates):
            out.append(dates[int(day) - 1])
        else:
            raise ValueError(f"day {day} is not in the log: it has days 1-{len(dates)}")
    if not out:
        raise ValueError("no days given")
    return out


@dataclass
class OutOfSample:
    """Calibration on some days, replays of them (``in``) and of the test days (``out``).

    ``daily`` and ``intervals`` are the replay tables of
    :class:`~sim.studies.replay.Validation` stacked with a ``sample`` column;
    ``summary`` has one row per sample, level (``daily`` or ``interval``),
    KPI and model (``simulation``, ``erlang_a``).
    """

    calibration: Calibration
    calibrate_dates: list[str]
    test_dates: list[str]
    in_sample: Validation
    out_of_sample: Validation
    daily: pd.DataFrame
    intervals: pd.DataFrame
    summary: pd.DataFrame


def validate_out_of_sample(
    log: pd.DataFrame,
    calibrate_days: Sequence[int | str] | None,
    test_days: Sequence[int | str] | None,
    replications: int = 20,
    seed: int = 1,
    options: CalibrationOptions | None = None,
    test_log: pd.DataFrame | None = None,
    min_interval_calls: int = 10,
    progress: Callable[[int, int], None] | None = None,
    scale_presence: bool = False,
) -> OutOfSample:
    """Calibrate on ``calibrate_days`` of ``log``, replay them and ``test_days``.

    Days are numbers in date order or dates (see :func:`resolve_days`).
    ``test_days`` are days of ``test_log`` when it is given (``None``: all of
    its days), else of ``log``; ``None`` for one of the two on the same log
    means the days the other leaves. On the same log the two sets must not
    overlap. ``options`` (default :class:`CalibrationOptions`) are the
    calibration's; replays use ``options.duty`` for the agents on duty, and
    ``progress(done, total)`` counts replayed days over both samples.

    ``scale_presence`` (with ``options.duty`` of kind ``presence``): the
    agents present are scaled by the share of them who took calls on the
    calibration days (:func:`available_share`), so the test days' staffing
    comes from who was there, never from the test days' waits.
    """
    options = options or CalibrationOptions()
    same = test_log is None
    test_source = log if test_log is None else test_log
    if same and calibrate_days is None and test_days is None:
        raise ValueError("give the calibration days, the test days or a test log")
    cal_dates = resolve_days(log, calibrate_days) if calibrate_days is not None else None
    test_dates = resolve_days(test_source, test_days) if test_days is not None else None
    if same:
        every = log_dates(log)
        if cal_dates is None:
            cal_dates = [d for d in every if d not in set(test_dates or [])]
        if test_dates is None:
            test_dates = [d for d in every if d not in set(cal_dates)]
        shared = sorted(set(cal_dates) & set(test_dates))
        if shared:
            raise ValueError(f"calibration and test days overlap ({', '.join(shared)}): the test days must be unseen")
        if not cal_dates or not test_dates:
            raise ValueError("the calibration or the test days are empty: leave days for both")
    cal_dates = cal_dates if cal_dates is not None else log_dates(log)
    test_dates = test_dates if test_dates is not None else log_dates(test_source)
    cal_log = log[log["date"].isin(cal_dates)]
    cal = calibrate(cal_log, options, name="calibrated on " + _span(cal_dates))
    scenario = scenario_from_dict(cal.scenario, source=cal.scenario["name"])
    total = len(cal_dates) + len(test_dates)

    def shifted(offset: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        report = progress
        return lambda done, _n: report(offset + done, total)

    share = 1.0
    if scale_presence:
        if options.duty.kind != "presence":
            raise ValueError("scale_presence needs the presence duty rule")
        share = available_share(cal_log, options.interval_minutes * 60.0, options.duty)
    inside = validate(cal_log, scenario, cal_dates, replications=replications, seed=seed, duty=options.duty,
                      min_interval_calls=min_interval_calls, progress=shifted(0), available_share=share)
    outside = validate(test_source, scenario, test_dates, replications=replications, seed=seed, duty=options.duty,
                       min_interval_calls=min_interval_calls, progress=shifted(len(cal_dates)), available_share=share)
    daily = pd.concat([inside.daily.assign(sample="in"), outside.daily.assign(sample="out")], ignore_index=True)
    intervals = pd.concat([inside.intervals.assign(sample="in"), outside.intervals.assign(sample="out")],
                          ignore_index=True)
    rows = []
    for sample, result in (("in", inside), ("out", outside)):
        rows += _summary_rows(sample, result, min_interval_calls)
    return OutOfSample(cal, cal_dates, test_dates, inside, outside, daily, intervals, pd.DataFrame(rows))


def available_share(log: pd.DataFrame, interval_s: float, presence: DutyRule, reference: DutyRule = DutyRule()) -> float:
    """Agent time on duty under ``reference`` (default: the queue rule) over agent time present under ``presence``.

    Estimated on calibration days, it turns the presence of agents on other
    days into agents available for calls without the other days' waits.
    """
    present, _ = agents_on_duty(log, interval_s, presence)
    duty, _ = agents_on_duty(log, interval_s, reference)
    total = float(present.to_numpy().sum())
    return float(duty.to_numpy().sum()) / total if total > 0 else 1.0


def _span(dates: list[str]) -> str:
    return dates[0] if len(dates) == 1 else f"{len(dates)} days {dates[0]} .. {dates[-1]}"


def _summary_rows(sample: str, result: Validation, min_calls: int) -> list[dict[str, object]]:
    """MAE, bias (and relative error for the mean wait) per level, KPI and model."""
    rows: list[dict[str, object]] = []
    busy = result.intervals[result.intervals["observed_offered"] >= min_calls]
    for level, frame in (("daily", result.daily), ("interval", busy)):
        for kpi in ("abandon_rate", "mean_wait_s", "p_wait", "service_level"):
            observed = frame[f"observed_{kpi}"]
            errors = {model: frame[f"{prefix}_{kpi}"] - observed
                      for model, prefix in (("simulation", "simulated"), ("erlang_a", "erlang_a"))}
            closer = (errors["simulation"].abs() < errors["erlang_a"].abs())[errors["simulation"].notna()
                                                                             & errors["erlang_a"].notna()]
            for model, diff in errors.items():
                ok = diff.notna()
                rel = (diff / observed.where(observed > 0))[ok]
                rows.append({
                    "sample": sample, "level": level, "kpi": kpi, "model": model, "n": int(ok.sum()),
                    "mae": float(diff[ok].abs().mean()) if ok.any() else math.nan,
                    "bias": float(diff[ok].mean()) if ok.any() else math.nan,
                    "mean_abs_relative_error": float(rel.abs().mean()) if rel.notna().any() else math.nan,
                    "relative_bias": float(rel.mean()) if rel.notna().any() else math.nan,
                    "share_closer": (float(closer.mean()) if model == "simulation" else float(1 - closer.mean()))
                    if len(closer) else math.nan,
                })
    return rows


def headline(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per sample of the figures that judge a replay, in points and percent.

    Columns: ``sample``, ``days``; per model (``sim_``, ``erl_``) the daily
    abandonment MAE and bias in percentage points (``ab_mae``, ``ab_bias``)
    and the daily mean wait's mean absolute and mean relative error in %
    (``wait_err``, ``wait_bias``); ``closer``: % of busy intervals where the
    simulation's abandonment is closer to the log than Erlang A's.
    """
    rows = []
    for sample in ("in", "out"):
        s = summary[summary["sample"] == sample]
        if s.empty:
            continue

        def get(kpi: str, model: str, column: str, level: str = "daily", s: pd.DataFrame = s) -> float:
            pick = s[(s["level"] == level) & (s["kpi"] == kpi) & (s["model"] == model)]
            return float(pick[column].iloc[0])

        row: dict[str, object] = {"sample": sample, "days": int(get("abandon_rate", "simulation", "n"))}
        for model, tag in (("simulation", "sim"), ("erlang_a", "erl")):
            row[f"{tag}_ab_mae"] = 100 * get("abandon_rate", model, "mae")
            row[f"{tag}_ab_bias"] = 100 * get("abandon_rate", model, "bias")
            row[f"{tag}_wait_err"] = 100 * get("mean_wait_s", model, "mean_abs_relative_error")
            row[f"{tag}_wait_bias"] = 100 * get("mean_wait_s", model, "relative_bias")
        row["closer"] = 100 * get("abandon_rate", "simulation", "share_closer", level="interval")
        rows.append(row)
    return pd.DataFrame(rows)


def summary_value(result: OutOfSample, sample: str, kpi: str, model: str, column: str = "mae",
                  level: str = "daily") -> float:
    """One figure of ``result.summary`` (e.g. the out-of-sample daily abandonment MAE of the simulation)."""
    s = result.summary
    row = s[(s["sample"] == sample) & (s["level"] == level) & (s["kpi"] == kpi) & (s["model"] == model)]
    return float(row[column].iloc[0])


SENSITIVITY_RULES: tuple[tuple[str, DutyRule, bool], ...] = (
    ("queue (waits of the replayed day)", DutyRule(), False),
    ("gap 5 min", DutyRule(kind="gap", gap_s=300.0), False),
    ("presence 15 min", DutyRule(kind="presence", break_s=900.0), False),
    ("presence 15 min x share from calibration days", DutyRule(kind="presence", break_s=900.0), True),
    ("presence 10 min x share from calibration days", DutyRule(kind="presence", break_s=600.0), True),
)
"""The on-duty rules :func:`duty_sensitivity` compares: label, rule, whether presence is scaled."""


def duty_sensitivity(
    log: pd.DataFrame,
    calibrate_days: Sequence[int | str] | None,
    test_days: Sequence[int | str] | None,
    replications: int = 20,
    seed: int = 1,
    options: CalibrationOptions | None = None,
    test_log: pd.DataFrame | None = None,
    rules: Sequence[tuple[str, DutyRule, bool]] = SENSITIVITY_RULES,
) -> pd.DataFrame:
    """The same split under each on-duty rule: one :func:`headline` row per rule and sample.

    Everything but the rule (and so the agents on duty, the calibration's
    and the replays') stays as ``options`` say; the extra columns are
    ``rule``, ``available_share`` (1 unless presence is scaled) and
    ``occupancy`` (the calibration days' busy / on-duty agent time) with
    ``over_95`` (% of their intervals with agents whose inferred occupancy
    exceeds 95 %).
    """
    base = options or CalibrationOptions()
    frames = []
    for label, rule, scaled in rules:
        opts = CalibrationOptions(**{**base.__dict__, "duty": rule})
        result = validate_out_of_sample(log, calibrate_days, test_days, replications=replications, seed=seed,
                                        options=opts, test_log=test_log, scale_presence=scaled)
        cal_log = log[log["date"].isin(result.calibrate_dates)]
        duty, busy = agents_on_duty(cal_log, opts.interval_minutes * 60.0, rule)
        d, b = duty.to_numpy(), busy.to_numpy()
        on = d > 0
        frame = headline(result.summary)
        frame.insert(0, "rule", label)
        frame["available_share"] = float(result.out_of_sample.summary.get("available_share", 1.0))
        frame["occupancy"] = 100 * float(b.sum() / d.sum()) if d.sum() > 0 else math.nan
        frame["over_95"] = 100 * float((b[on] / d[on] > 0.95).mean()) if on.any() else math.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
