"""``ccsim validate``: replay the days of a call log and compare with simulation and Erlang A."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.commands.calibrate import add_class_options, add_duty_options, duty_rule_from_args
from sim.cli.console import console, progress_bar
from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sim.cli.console import FittedTable
    from sim.studies.call_log_tables import DutyRule
    from sim.studies.replay import Validation

HELP = """\
Replay days of a per-call log. Each day becomes a one-day scenario with that
day's observed arrival rate and agents on duty per interval (inferred from
the services and the queue: see --duty-rule in `ccsim calibrate --help`),
and the handling time and patience of --scenario (e.g. the output of
`ccsim calibrate`). The
day is simulated with common random numbers and compared, per hour and per
day, with what the log shows and with Erlang A per interval (observed rate
and agents, mean handling time, mean patience):

  offered, abandonment rate, mean wait (all queued callers), P(wait > 0),
  answered within 20 s / offered.

Writes DIR/validation.json (daily rows + error summary), hourly.csv,
daily.csv and one PNG per KPI, and prints the daily table.

Out of sample: --calibrate-days and --test-days (day numbers in date order,
1 = the log's first date: ranges and lists such as 1-8 or 1,3,5; either one
alone means the other days) calibrate a scenario on the calibration days
only, as `ccsim calibrate` would, then replay the calibration days (in
sample) and the test days (out of sample); --test-log OTHER.csv takes the
test days from another log. No --scenario then: the calibrated one is
written to DIR/scenario.yaml. Also writes DIR/out_of_sample.json,
summary.csv (daily and per-interval MAE and bias per sample, KPI and model),
daily.csv and intervals.csv (with a `sample` column: in / out) and the
figures of the test days.

examples:
  ccsim validate tests/data/anonymous_bank_1999_08_01-15_calls.csv \\
      --scenario scenarios/anonymous-bank.yaml --out experiments/validate-anonymous-bank
  ccsim validate calls.csv --scenario my.yaml --days 2010-08-02,2010-08-03 -r 10 --out val/
  ccsim validate tests/data/anonymous_bank_1999_08_01-15_calls.csv \\
      --calibrate-days 1-8 --test-days 9-15 -r 20 --out val-oos/
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``validate``."""
    p = sub.add_parser("validate", help="replay log days: observed vs simulated vs Erlang A", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", metavar="LOG.csv", help="per-call log (CSV)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--format", choices=["technion"], default="technion", help="built-in column layout (default technion)")
    fmt.add_argument("--columns", metavar="MAPPING.yaml", help="YAML file naming the log's columns")
    p.add_argument("--scenario", metavar="SCENARIO.yaml",
                   help="scenario giving handling time and patience (required without a calibration/test split)")
    p.add_argument("--days", metavar="DATE,...", help="comma-separated dates as written in the log (default: all)")
    p.add_argument("--calibrate-days", metavar="DAYS", help="calibrate on these days of LOG.csv, e.g. 1-8 or 1,3,5")
    p.add_argument("--test-days", metavar="DAYS",
                   help="replay these days out of sample (of --test-log if given), e.g. 9-15")
    p.add_argument("--test-log", metavar="OTHER.csv", help="take the test days from this log (same column layout)")
    p.add_argument("--interval", type=int, default=30, choices=[15, 30, 60], metavar="MIN",
                   help="with a split: calibration interval in minutes, 15, 30 or 60 (default 30)")
    p.add_argument("--patience", choices=["exponential", "lognormal", "gamma", "weibull", "auto"], default="exponential",
                   help="with a split: patience family calibrated (default exponential; auto: lowest AIC)")
    add_class_options(p)  # with a split: customer classes and arrival level, as in calibrate
    p.add_argument("--replications", "-r", type=int, default=20, metavar="N", help="replications per day (default 20)")
    p.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default 1)")
    add_duty_options(p)  # the on-duty rule, as in calibrate
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--duty-sensitivity", action="store_true",
                   help="with a split: also replay it under each on-duty rule and write duty_sensitivity.csv")
    p.add_argument("--scale-presence", action="store_true",
                   help="with a split and --duty-rule presence: scale the agents present by the share of them who "
                        "took calls on the calibration days (the test days' waits are not used)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Replay, compare, write the outputs and print the daily table."""
    from sim.io.calllog import read_call_log
    from sim.io.scenario_files import load_scenario
    from sim.studies.replay import validate, validation_json

    if args.replications < 2:
        raise InputError("--replications", None, "must be at least 2 (the band needs replications)")
    duty = duty_rule_from_args(args)
    if args.calibrate_days is not None or args.test_days is not None or args.test_log is not None:
        return _out_of_sample(args, duty)
    if args.duty_sensitivity or args.scale_presence:
        raise InputError("--duty-sensitivity" if args.duty_sensitivity else "--scale-presence", None,
                         "needs a calibration/test split (--calibrate-days, --test-days or --test-log)")
    if args.scenario is None:
        raise InputError("--scenario", None, "is required unless --calibrate-days, --test-days or --test-log is given")
    scenario = load_scenario(args.scenario)
    log = read_call_log(args.log, args.columns or args.format)
    dates = [d.strip() for d in args.days.split(",") if d.strip()] if args.days else None
    known = set(log["date"])
    if dates:
        for d in dates:
            if d not in known:
                raise InputError("--days", None, f"date {d} is not in {args.log}; it has {min(known)} .. {max(known)}")
    n_days = len(dates) if dates else len(known)
    with progress_bar("days", n_days, quiet=args.quiet) as update:
        result = validate(log, scenario, dates, replications=args.replications, seed=args.seed,
                          duty=duty, progress=update, source=args.scenario)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "validation.json").write_text(json.dumps(validation_json(result), indent=1), encoding="utf-8")
    result.daily.round(5).to_csv(out / "daily.csv", index=False)
    result.hourly.round(5).to_csv(out / "hourly.csv", index=False)
    if not args.no_figures:
        from sim.report.calibration_plots import validation_figures

        validation_figures(result, out)
    screen = console()
    screen.print(_daily_table(result))
    screen.print(_summary_text(result.summary))
    figures = "" if args.no_figures else ", validation_*.png"
    screen.print(f"[bold]wrote[/] {escape(str(out))}/validation.json, daily.csv, hourly.csv{figures}")
    return 0


def _daily_table(result: Validation) -> FittedTable:
    from sim.cli.console import Column, fit_table

    columns = [Column("date", "\ndate"), Column("observed_offered", "\noffered", "int", priority=2)]
    for kpi, group, short, fmt in (("abandon_rate", "abandon %", "aband %", "pct"),
                                   ("mean_wait_s", "mean wait s", "wait s", "{:.0f}"), ("service_level", "SL20 %", None, "pct")):
        for who, label in (("observed", "obs"), ("simulated", "sim"), ("erlang_a", "ErlA")):
            first = who == "observed"  # the group's name heads its first column only
            columns.append(Column(f"{who}_{kpi}", f"{group if first else ''}\n{label}", fmt,
                                  priority=1 if who == "erlang_a" else 0, name=f"{group} {label}",
                                  short=f"{short}\n{label}" if short and first else None))
    return fit_table(result.daily, columns, title="Per day: observed / simulated (mean of replications) / Erlang A")


def _summary_text(summary: dict) -> str:
    d, p = summary["daily"], summary["per_interval"]
    ab, mw = d["abandon_rate"], d["mean_wait_s"]
    lines = [
        f"daily abandonment MAE: simulation {100 * ab['simulation']['mae']:.2f} pp (bias {100 * ab['simulation']['bias']:+.2f}), "
        f"Erlang A {100 * ab['erlang_a']['mae']:.2f} pp (bias {100 * ab['erlang_a']['bias']:+.2f})",
        f"daily mean-wait MAE: simulation {mw['simulation']['mae']:.1f} s "
        f"({100 * mw['simulation']['mean_abs_relative_error']:.1f} %), "
        f"Erlang A {mw['erlang_a']['mae']:.1f} s ({100 * mw['erlang_a']['mean_abs_relative_error']:.1f} %)",
    ]
    for kpi in ("abandon_rate", "mean_wait_s"):
        v = p[kpi]
        lines.append(f"per interval ({p['intervals']} intervals with >= {p['min_calls']} calls), {kpi}: simulation MAE "
                     f"{v['simulation']['mae']:.4g} vs Erlang A {v['erlang_a']['mae']:.4g}; simulation beats Erlang A: "
                     f"{v['simulation_beats_erlang_a']} "
                     f"(closer in {100 * v['share_of_intervals_simulation_closer']:.0f} % of intervals)")
    return "\n".join(lines)


def _out_of_sample(args: argparse.Namespace, duty: DutyRule) -> int:
    """Calibrate on the calibration days, replay them and the test days, write and print both."""
    from sim.io.calllog import read_call_log
    from sim.io.files import json_ready
    from sim.studies.calibrate import CalibrationOptions, scenario_yaml
    from sim.studies.out_of_sample import log_dates, parse_day_spec, validate_out_of_sample

    for option, value in (("--scenario", args.scenario), ("--days", args.days)):
        if value is not None:
            raise InputError(option, None, "is not used with --calibrate-days, --test-days or --test-log "
                                           "(the scenario is calibrated on the calibration days)")
    log = read_call_log(args.log, args.columns or args.format)
    test_log = read_call_log(args.test_log, args.columns or args.format) if args.test_log else None
    days: dict[str, list[int] | None] = {}
    for option, spec, source in (("--calibrate-days", args.calibrate_days, log),
                                 ("--test-days", args.test_days, log if test_log is None else test_log)):
        try:
            days[option] = None if spec is None else parse_day_spec(spec, len(log_dates(source)))
        except ValueError as exc:
            raise InputError(option, None, str(exc)) from None
    if args.scale_presence and duty.kind != "presence":
        raise InputError("--scale-presence", None, "needs --duty-rule presence")
    options = CalibrationOptions(interval_minutes=args.interval, duty=duty, patience=args.patience,
                                 classes=args.classes, priority_credit_s=args.priority_credit_s,
                                 dispersion=args.dispersion)
    n_days = sum(len(d) for d in days.values() if d is not None) or len(log_dates(log))
    with progress_bar("days", n_days, quiet=args.quiet) as update:
        try:
            result = validate_out_of_sample(log, days["--calibrate-days"], days["--test-days"],
                                            replications=args.replications, seed=args.seed, options=options,
                                            test_log=test_log, progress=update, scale_presence=args.scale_presence)
        except ValueError as exc:
            raise InputError("--calibrate-days/--test-days", None, str(exc)) from None
    sensitivity = None
    if args.duty_sensitivity:
        from sim.studies.out_of_sample import duty_sensitivity

        sensitivity = duty_sensitivity(log, days["--calibrate-days"], days["--test-days"],
                                       replications=args.replications, seed=args.seed, options=options,
                                       test_log=test_log)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cal = result.calibration
    header = (f"Calibrated by `ccsim validate {args.log} --calibrate-days ...` on {len(result.calibrate_dates)} days "
              f"({result.calibrate_dates[0]} .. {result.calibrate_dates[-1]}) for an out-of-sample replay.")
    (out / "scenario.yaml").write_text(scenario_yaml(cal.scenario, header, cal.extra["per_day"]), encoding="utf-8")
    payload = {"calibrate_dates": result.calibrate_dates, "test_dates": result.test_dates,
               "test_log": args.test_log, "replications": args.replications, "seed": args.seed,
               "duty_rule": duty.to_dict(), "available_share": result.out_of_sample.summary.get("available_share", 1.0),
               "classes": args.classes,
               "calibrated": {name: {k: channel.get(k) for k in ("aht", "patience", "priority_credit_s") if k in channel}
                              for name, channel in cal.scenario["channels"].items()},
               "staffing": {kind: {k: v for k, v in values.items() if k not in ("agents", "busy")}
                            for kind, values in cal.report["staffing"].items() if isinstance(values, dict)
                            and "occupancy" in values},
               "summary": result.summary.to_dict(orient="records")}
    (out / "out_of_sample.json").write_text(json.dumps(json_ready(payload), indent=1), encoding="utf-8")
    result.summary.round(6).to_csv(out / "summary.csv", index=False)
    if sensitivity is not None:
        sensitivity.round(3).to_csv(out / "duty_sensitivity.csv", index=False)
    result.daily.round(5).to_csv(out / "daily.csv", index=False)
    result.intervals.round(5).to_csv(out / "intervals.csv", index=False)
    if not args.no_figures:
        from sim.report.calibration_plots import validation_figures

        validation_figures(result.out_of_sample, out)
    screen = console()
    for name, spec in cal.scenario["channels"].items():
        label = "" if name == "phone" else f" class {name}"
        screen.print(escape(f"calibrated on {len(result.calibrate_dates)} days{label}: handling time "
                            f"{' '.join(f'{k} {v}' for k, v in spec['aht'].items())}; patience "
                            f"{' '.join(f'{k} {v}' for k, v in spec['patience'].items())}"))
    screen.print(_split_daily_table(result.daily))
    screen.print(_split_summary_table(result.summary))
    screen.print(escape(_target_text(result.summary)))
    if sensitivity is not None:
        screen.print(escape("On-duty rule sensitivity (duty_sensitivity.csv), out of sample, daily abandonment MAE "
                            "sim / Erlang A (pp), mean-wait error sim (%):"))
        for row in sensitivity[sensitivity["sample"] == "out"].to_dict(orient="records"):
            screen.print(escape(f"  {row['rule']}: {row['sim_ab_mae']:.2f} / {row['erl_ab_mae']:.2f}, "
                                f"{row['sim_wait_err']:.1f} %; inferred occupancy {row['occupancy']:.0f} % "
                                f"({row['over_95']:.0f} % of intervals over 95 %)"))
    figures = "" if args.no_figures else ", validation_*.png"
    screen.print(f"[bold]wrote[/] {escape(str(out))}/out_of_sample.json, summary.csv, daily.csv, intervals.csv, "
                 f"scenario.yaml{figures}")
    return 0


def _split_daily_table(daily: pd.DataFrame) -> FittedTable:
    from sim.cli.console import Column, fit_table

    columns = [Column("sample", "\nsample"), Column("date", "\ndate"),
               Column("observed_offered", "\noffered", "int", priority=2)]
    for kpi, group, fmt in (("abandon_rate", "abandon %", "pct"), ("mean_wait_s", "mean wait s", "{:.0f}")):
        for who, label in (("observed", "obs"), ("simulated", "sim"), ("erlang_a", "ErlA")):
            columns.append(Column(f"{who}_{kpi}", f"{group if who == 'observed' else ''}\n{label}", fmt,
                                  name=f"{group} {label}"))
    return fit_table(daily, columns, title="Per day (in = calibration days, out = test days): "
                                           "observed / simulated (mean of replications) / Erlang A")


def _split_summary_table(summary: pd.DataFrame) -> FittedTable:
    import pandas as pd

    from sim.cli.console import Column, fit_table
    from sim.studies.out_of_sample import headline

    rows = []
    for r in headline(summary).to_dict(orient="records"):
        for tag, model in (("sim", "simulation"), ("erl", "Erlang A")):
            rows.append({"sample": r["sample"], "days": r["days"], "model": model, "ab_mae": r[f"{tag}_ab_mae"],
                         "ab_bias": r[f"{tag}_ab_bias"], "wait_err": r[f"{tag}_wait_err"],
                         "wait_bias": r[f"{tag}_wait_bias"],
                         "closer": r["closer"] if tag == "sim" else 100 - r["closer"]})
    columns = [Column("sample", "\nsample"), Column("days", "\ndays", "int"), Column("model", "\nmodel"),
               Column("ab_mae", "abandon pp\nMAE", "{:.2f}", name="abandonment MAE pp"),
               Column("ab_bias", "\nbias", "{:+.2f}", name="abandonment bias pp"),
               Column("wait_err", "mean wait %\n|error|", "{:.1f}", name="mean-wait error %"),
               Column("wait_bias", "\nbias", "{:+.1f}", name="mean-wait bias %"),
               Column("closer", "intervals\ncloser %", "{:.0f}", priority=1,
                      name="share of busy intervals where the model's abandonment is closer")]
    return fit_table(pd.DataFrame(rows), columns,
                     title="Daily errors against the log (abandonment in points, mean wait relative to the "
                           "observed); closer: busy intervals where the model's abandonment is closer")


def _target_text(summary: pd.DataFrame) -> str:
    from sim.studies.out_of_sample import headline

    frame = headline(summary)
    out = frame[frame["sample"] == "out"]
    if out.empty:
        return ""
    r = out.iloc[0]
    abandon = r["sim_ab_mae"] <= 2.0 and r["sim_ab_mae"] < r["erl_ab_mae"]
    wait = r["sim_wait_err"] <= 20.0
    return (f"out of sample: daily abandonment MAE {r['sim_ab_mae']:.2f} pp vs Erlang A {r['erl_ab_mae']:.2f} pp "
            f"(target <= 2 pp and below Erlang A: {'met' if abandon else 'not met'}); "
            f"mean-wait error {r['sim_wait_err']:.1f} % (target <= 20 %: {'met' if wait else 'not met'})")
