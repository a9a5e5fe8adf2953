"""``ccsim calibrate``: estimate a scenario from a per-call log."""

from __future__ import annotations

import argparse
import json
import shlex
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.console import console
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.cli.console import FittedTable
    from sim.studies.calibrate import Calibration
    from sim.studies.call_log_tables import DutyRule

HELP = """\
Read a per-call log (one row per call: arrival, queue entry/exit, service
start/end, outcome, agent) and write a scenario that `ccsim run` accepts.

Estimated from calls that asked for an agent (voice-menu hang-ups and
phantom calls excluded):
  arrivals   mean rate per interval for each day type (Sun-Thu weekday,
             Fri short, Sat weekend), with Poisson CIs and dispersion index;
  aht        lognormal / gamma / exponential fits (overall and per call
             type); the best fit (AIC) on services above --short-service-s
             gives the shape, the mean of all services is kept;
  patience   censored data (served callers' waits are lower bounds):
             Kaplan-Meier, exponential and Weibull MLE (+ lognormal, gamma);
  agents     on duty per interval from who served calls. A log shows
             services, not idle time: with --duty-rule queue (default) an
             agent is on duty through the parts of a gap between two of
             their services (shorter than --duty-max-gap-min) when no caller
             was waiting, since a free agent would have taken a waiting
             caller; --duty-rule gap bridges every gap shorter than
             --duty-gap-min instead; --duty-rule presence keeps an agent on
             duty from the first to the last service of each working block
             (blocks split by gaps of --duty-break-min or more: breaks) and
             does not use the waits at all;
  classes    --classes priority | type | priority-type: one channel per
             customer class (the log's priority 2 = priority, else regular;
             its call types), each with its own arrivals, handling time and
             patience, served by one team; priority classes are credited
             --priority-credit-s of waiting (the bank credited 1.5 min);
  level      over-dispersed arrivals: a gamma level of the rate per day or
             interval (arrivals.<stream>.level), written when the dispersion
             test rejects Poisson (--dispersion auto, the default).

The scenario spans one week (168 h, Sunday first) with 7 x (24 h / interval)
profile multipliers and agents. --report DIR writes PNG figures and a
JSON + Markdown summary of every estimate with 95 % confidence intervals.

examples:
  ccsim calibrate tests/data/anonymous_bank_1999_08_01-15_calls.csv --out scenarios/anonymous-bank.yaml
  ccsim calibrate calls.csv --columns mapping.yaml --interval 60 --out my.yaml --report calib/
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``calibrate``."""
    from sim.cli.commands.calibrate_posts import POSTS_HELP, add_post_options

    p = sub.add_parser("calibrate", help="estimate a scenario from a per-call log", description=HELP + "\n" + POSTS_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", metavar="LOG.csv", nargs="?", help="per-call log (CSV)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--format", choices=["technion"], default="technion",
                     help="built-in column layout (default: technion, the Anonymous Bank files)")
    fmt.add_argument("--columns", metavar="MAPPING.yaml",
                     help="YAML file naming the log's columns (see sim.io.calllog.load_mapping)")
    p.add_argument("--interval", type=int, default=30, choices=[15, 30, 60], metavar="MIN",
                   help="planning interval in minutes: 15, 30 or 60 (default 30)")
    add_duty_options(p)
    p.add_argument("--short-service-s", type=float, default=10.0, metavar="S",
                   help="services this short or shorter are left out of the shape fit (default 10)")
    p.add_argument("--patience", choices=["exponential", "lognormal", "gamma", "weibull", "auto"], default="exponential",
                   help="patience family written to the scenario (default exponential; auto: the censored fit "
                        "with the lowest AIC)")
    add_class_options(p)
    p.add_argument("--name", help="scenario name (default: from the log file name)")
    p.add_argument("--note", action="append", default=[], metavar="TEXT",
                   help="extra comment line for the scenario header, e.g. a data credit (repeatable)")
    p.add_argument("--out", required=True, metavar="SCENARIO.yaml", help="scenario file to write")
    p.add_argument("--report", metavar="DIR", help="write figures and summary.json / summary.md here")
    p.add_argument("--forecast-out", metavar="FORECAST.csv",
                   help="also write the log's volume and AHT per date and interval, as --forecast reads them")
    add_post_options(p)
    p.set_defaults(handler=main)


def add_class_options(p: argparse.ArgumentParser) -> None:
    """Customer classes and arrival level (shared with ``ccsim validate``)."""
    p.add_argument("--classes", choices=["none", "priority", "type", "priority-type"], default="none",
                   help="customer classes from the log's priority and type columns (default none: one queue)")
    p.add_argument("--priority-credit-s", type=float, default=90.0, metavar="S",
                   help="seconds of waiting credited to priority classes (default 90)")
    p.add_argument("--dispersion", choices=["auto", "none", "day", "interval"], default="auto",
                   help="random arrival level: auto (when Poisson is rejected), none, or always (default auto)")


def add_duty_options(p: argparse.ArgumentParser) -> None:
    """The options of the on-duty rule (shared with ``ccsim validate``)."""
    p.add_argument("--duty-rule", choices=["queue", "gap", "presence"], default="queue",
                   help="how agents on duty are inferred from services (default queue; see above)")
    p.add_argument("--duty-break-min", type=float, default=15.0, metavar="MIN",
                   help="presence rule: gaps between services this long or longer are breaks (default 15)")
    p.add_argument("--duty-max-gap-min", type=float, default=30.0, metavar="MIN",
                   help="queue rule: gaps between services this long or longer are breaks or shift ends (default 30)")
    p.add_argument("--duty-gap-min", type=float, default=5.0, metavar="MIN",
                   help="gap rule: an agent stays on duty across gaps shorter than this (default 5)")


def duty_rule_from_args(args: argparse.Namespace) -> DutyRule:
    """The :class:`~sim.studies.call_log_tables.DutyRule` the options describe (InputError if not positive)."""
    from sim.studies.call_log_tables import DutyRule

    for option in ("duty_gap_min", "duty_max_gap_min", "duty_break_min"):
        value = getattr(args, option)
        if not value > 0:
            raise InputError("--" + option.replace("_", "-"), None, f"must be positive (got {value:g})")
    return DutyRule(kind=args.duty_rule, gap_s=args.duty_gap_min * 60.0, max_gap_s=args.duty_max_gap_min * 60.0,
                    break_s=args.duty_break_min * 60.0)


def class_flags(args: argparse.Namespace) -> str:
    """The class and dispersion options as command-line text (for headers)."""
    text = f" --classes {args.classes}" if args.classes != "none" else ""
    if args.classes in ("priority", "priority-type"):
        text += f" --priority-credit-s {args.priority_credit_s:g}"
    return text + (f" --dispersion {args.dispersion}" if args.dispersion != "auto" else "")


def _duty_flags(args: argparse.Namespace) -> str:
    if args.duty_rule == "gap":
        return f" --duty-rule gap --duty-gap-min {args.duty_gap_min:g}"
    if args.duty_rule == "presence":
        return f" --duty-rule presence --duty-break-min {args.duty_break_min:g}"
    return f" --duty-rule queue --duty-max-gap-min {args.duty_max_gap_min:g}"


def main(args: argparse.Namespace) -> int:
    """Read the log, calibrate, write the scenario (and the report)."""
    from sim.io.calllog import read_call_log
    from sim.io.files import json_ready
    from sim.studies.calibrate import CalibrationOptions, calibrate, scenario_yaml

    if args.posts is not None:
        from sim.cli.commands.calibrate_posts import posts_main

        return posts_main(args)
    if args.log is None:
        raise InputError("calibrate", None, "give a per-call log (LOG.csv) or a post log with --posts POSTS.csv")
    duty = duty_rule_from_args(args)
    out = Path(args.out)
    for option, path, kind in (("--out", out, "the scenario file"), ("--forecast-out", args.forecast_out, "the CSV file")):
        if path is not None and Path(path).is_dir():
            raise InputError(option, str(path), f"is a folder; expected the name of {kind} to write")
    if args.report is not None and Path(args.report).exists() and not Path(args.report).is_dir():
        raise InputError("--report", str(args.report), "exists and is not a folder")
    log = read_call_log(args.log, args.columns or args.format)
    options = CalibrationOptions(interval_minutes=args.interval, duty=duty,
                                 short_service_s=args.short_service_s, patience=args.patience, classes=args.classes,
                                 priority_credit_s=args.priority_credit_s, dispersion=args.dispersion)
    name = args.name or Path(args.log).stem
    try:
        cal = calibrate(log, options, name=name)
    except ValueError as exc:
        raise InputError(args.log, None, f"cannot be calibrated: {exc}") from None
    cal.scenario["description"] = _description(cal)
    header = _header(args, cal)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(scenario_yaml(cal.scenario, header, cal.extra["per_day"]), encoding="utf-8")
    except OSError as exc:
        raise InputError("--out", str(out), f"cannot be written ({exc.strerror or exc})") from None
    from sim.io.scenario_files import load_scenario

    load_scenario(out)  # the file must run as is
    screen = console()
    screen.print(f"[bold]wrote[/] {escape(str(out))}")
    if args.forecast_out:
        from sim.io.files import write_atomic
        from sim.studies.call_log_tables import forecast_from_log

        forecast = forecast_from_log(log, args.interval * 60.0)
        target = Path(args.forecast_out)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, forecast.to_csv(index=False).encode("utf-8"))
        screen.print(f"[bold]wrote[/] {escape(str(target))} ({len(forecast)} intervals; use it with --forecast)")
    if args.report:
        from sim.report.calibration_plots import calibration_figures

        report_dir = Path(args.report)
        paths = calibration_figures(cal, report_dir)
        (report_dir / "summary.json").write_text(json.dumps(json_ready(cal.report), indent=1), encoding="utf-8")
        (report_dir / "summary.md").write_text(summary_markdown(cal, args.log), encoding="utf-8")
        screen.print(f"[bold]report[/] {escape(f'{report_dir}/summary.md')}, summary.json, "
                     + escape(", ".join(p.name for p in paths)))
    lines = _short(cal).splitlines()
    screen.print(escape(lines[0]))
    screen.print(_arrivals_table(cal))
    screen.print(escape("\n".join(lines[1:])))
    return 0


def _description(cal: Calibration) -> str:
    r = cal.report
    if "phone" not in cal.scenario["channels"]:
        classes = ", ".join(cal.scenario["teams"]["agents"]["skills"])
        return (f"Calibrated from {len(r['calls']['dates'])} days ({r['calls']['dates'][0]} .. "
                f"{r['calls']['dates'][-1]}), {r['calls']['asked_for_agent']:,} calls asking for an agent. One week, "
                f"Sunday first; customer classes ({r['classes']['rule']}, highest credit first): {classes}, each "
                "with its own arrivals, handling time and patience; agents on duty estimated from who served calls.")
    return (f"Calibrated from {len(r['calls']['dates'])} days ({r['calls']['dates'][0]} .. {r['calls']['dates'][-1]}), "
            f"{r['calls']['asked_for_agent']:,} calls asking for an agent. One week, Sunday first; "
            f"Handling time {_spec(cal.scenario['channels']['phone']['aht'])}, patience "
            f"{_spec(cal.scenario['channels']['phone']['patience'])}; agents on duty estimated from who served calls.")


def _spec(spec: dict) -> str:
    return " ".join(f"{k} {v}" for k, v in spec.items())


def _header(args: argparse.Namespace, cal: Calibration) -> str:
    cmd = f"ccsim calibrate {args.log}" + (f" --columns {args.columns}" if args.columns else "") + \
          (f" --name {args.name}" if args.name else "") + \
          f" --interval {args.interval}{_duty_flags(args)} --patience {args.patience}{class_flags(args)}" \
          f" --out {args.out}" + \
          "".join(f" \\\n      --note {shlex.quote(n)}" for n in args.note)
    return (f"Generated by `ccsim calibrate` on {date.today().isoformat()}; do not edit by hand, re-run:\n"
            f"  {cmd}\n"
            "One week (168 h) starting Sunday 00:00; profile and agents hold 7 days x one value per interval.\n"
            "Arrivals = calls that asked for an agent (voice-menu hang-ups and phantom calls excluded), mean per\n"
            "day type (Sun-Thu weekday, Fri short, Sat weekend). aht: best fit on services > "
            f"{args.short_service_s:g} s, mean of all\n"
            "services. patience: censored MLE (served callers' waits are lower bounds). Agents: on-duty estimate.\n"
            + "".join(f"{line}\n" for line in args.note))


def _short(cal: Calibration) -> str:
    r = cal.report
    s = r["service"]
    p = r["patience"]["fits"]
    lines = [f"calls asking for an agent: {r['calls']['asked_for_agent']:,} over {len(r['calls']['dates'])} days",
             f"service: mean {s['mean_s']:.1f} s, chosen {s['chosen']['family']} cv {s['chosen']['cv']:.3f} "
             f"({100 * s['short_share']:.1f} % of services <= {s['short_threshold_s']:g} s)",
             f"patience: exponential mean {p['exponential']['mean_s']:.0f} s "
             f"[{p['exponential']['mean_s_ci95'][0]:.0f}, {p['exponential']['mean_s_ci95'][1]:.0f}], "
             f"Weibull shape {p['weibull']['params']['shape']:.2f}"]
    return "\n".join(lines)


def _arrivals_table(cal: Calibration) -> FittedTable:
    """Arrivals per day type: days, calls per day, the peak and the dispersion index of the counts."""
    import pandas as pd

    from sim.cli.console import Column, fit_table

    rows = pd.DataFrame([{"day_type": k, **v} for k, v in cal.report["arrivals"].items()])
    return fit_table(rows, [Column("day_type", "day type"), Column("days", "days", "int"),
                            Column("calls_per_day", "calls/day", "int"), Column("peak_rate_per_hour", "peak /h", "int"),
                            Column("peak_interval_start", "peak at", justify="right"),
                            Column("dispersion_index", "dispersion index", "{:.2f}", short="dispersion")],
                     title="Arrivals per day type (dispersion index: variance/mean of counts, 1 if Poisson)")


def summary_markdown(cal: Calibration, source: str) -> str:
    """A readable Markdown summary of the calibration report."""
    r = cal.report
    s, pat, staff = r["service"], r["patience"], r["staffing"]
    out = [f"# Calibration of `{Path(source).name}`", "",
           f"{r['calls']['asked_for_agent']:,} calls asked for an agent over {len(r['calls']['dates'])} days "
           f"({r['calls']['dates'][0]} .. {r['calls']['dates'][-1]}); "
           f"{r['calls'].get('vru_hangup', 0):,} voice-menu hang-ups were left out of queue statistics "
           "(phantom rows are dropped when reading).", "",
           f"Observed overall: abandonment {100 * r['observed']['abandon_rate']:.1f} %, mean wait "
           f"{r['observed']['mean_wait_s']:.0f} s, P(wait>0) {100 * r['observed']['p_wait']:.1f} %, "
           f"answered within {cal.options.sl_threshold_s:g} s {100 * r['observed']['service_level']:.1f} %.", "",
           "## Arrivals", "", "| day type | days | calls/day | peak /h | dispersion index | p (Poisson) |",
           "|---|---|---|---|---|---|"]
    for k, v in r["arrivals"].items():
        out.append(f"| {k} | {v['days']} | {v['calls_per_day']:.0f} "
                   f"| {v['peak_rate_per_hour']:.1f} at {v['peak_interval_start']} "
                   f"| {v['dispersion_index']:.2f} | {v['dispersion_p_value']:.2g} |")
    out += ["", "The dispersion index is the variance/mean of an interval's counts across days of the same type, "
            "pooled over intervals (1 for Poisson). Above 1 means day-to-day variation of the rate (different "
            "weekdays pooled), not necessarily non-Poisson arrivals within a day.", "", "![arrivals](arrivals.png)", "",
            "## Service time", "",
            f"{s['n']:,} services, mean {s['mean_s']:.1f} s, median {s['median_s']:.0f} s, cv {s['cv']:.2f}; "
            f"{100 * s['short_share']:.1f} % last {s['short_threshold_s']:g} s or less.", "",
            "| fit | data | mean (95 % CI) | cv | AIC | KS | AD |", "|---|---|---|---|---|---|---|"]
    for key, f in s["fits"].items():
        fam, data = key.split("/")
        out.append(f"| {fam} | {data} | {f['mean_s']:.1f} ({f['mean_s_ci95'][0]:.1f}-{f['mean_s_ci95'][1]:.1f}) | "
                   f"{f['cv']:.2f} | {f['aic']:,.0f} | {f['ks']:.3f} | {f['ad']:.1f} |")
    out += ["", "Per call type (services above the threshold):", "",
            "| type | n | mean s | lognormal KS | gamma KS | best (AIC) |", "|---|---|---|---|---|---|"]
    for t, v in s["per_call_type"].items():
        out.append(f"| {t} | {v['n']} | {v['mean_s']:.0f} | {v['lognormal']['ks']:.3f} | {v['gamma']['ks']:.3f} "
                   f"| {v['best_by_aic']} |")
    out += ["", f"**Choice:** {s['chosen']['family']} with cv {s['chosen']['cv']:.3f}, fitted on "
            f"{s['chosen']['fitted_on']}; {s['chosen']['why']}. The short services are a separate population "
            "(transfers, wrong numbers, immediate hang-ups) that pulls a single lognormal far to the left "
            "(see the dashed curve); they are kept in the mean.", "", "![service](service_fit.png)", "",
            "## Patience (censored)", "",
            f"{pat['n']:,} queued callers, {pat['abandonments']:,} abandoned (observed patience); the others' waits "
            "are censored patience. Kaplan-Meier median patience "
            f"{pat['km_median_s']:.0f} s.", "", "| fit | mean s (95 % CI) | parameters | AIC |", "|---|---|---|---|"]
    for k, f in pat["fits"].items():
        params = ", ".join(f"{a} {b:.4g}" for a, b in f["params"].items())
        out.append(f"| {k} | {f['mean_s']:.0f} ({f['mean_s_ci95'][0]:.0f}-{f['mean_s_ci95'][1]:.0f}) "
                   f"| {params} | {f['aic']:,.0f} |")
    out += ["", f"Likelihood-ratio test exponential vs Weibull: p = {pat['weibull_vs_exponential_lr_p_value']:.3g}. "
            f"Scenario patience: **{pat['chosen']['family']}**, mean {pat['chosen']['mean_s']:.0f} s. {pat['chosen']['note']}",
            "", "![km](patience_km.png) ![hazard](patience_hazard.png)", "", "## Agents on duty", "",
            staff["method"] + ". Effective staffing = busy agents.", "",
            "| day type | mean on duty (open hours) | mean busy | occupancy | max on duty |", "|---|---|---|---|---|"]
    for kind in ("weekday", "short", "weekend"):
        if kind in staff:
            v = staff[kind]
            out.append(f"| {kind} | {v['mean_agents_open_hours']:.2f} | {v['mean_busy_open_hours']:.2f} | "
                       f"{100 * v['occupancy']:.0f} % | {v['max_agents']:.1f} |")
    out.append("")
    return "\n".join(out)
