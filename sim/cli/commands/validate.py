"""``ccsim validate``: replay the days of a call log and compare with simulation and Erlang A."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.commands.calibrate import add_duty_options, duty_rule_from_args
from sim.cli.console import console, progress_bar
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.cli.console import FittedTable
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

examples:
  ccsim validate tests/data/anonymous_bank_1999_08_01-15_calls.csv \\
      --scenario scenarios/anonymous-bank.yaml --out experiments/validate-anonymous-bank
  ccsim validate calls.csv --scenario my.yaml --days 2010-08-02,2010-08-03 -r 10 --out val/
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``validate``."""
    p = sub.add_parser("validate", help="replay log days: observed vs simulated vs Erlang A", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", metavar="LOG.csv", help="per-call log (CSV)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--format", choices=["technion"], default="technion", help="built-in column layout (default technion)")
    fmt.add_argument("--columns", metavar="MAPPING.yaml", help="YAML file naming the log's columns")
    p.add_argument("--scenario", required=True, metavar="SCENARIO.yaml", help="scenario giving handling time and patience")
    p.add_argument("--days", metavar="DATE,...", help="comma-separated dates as written in the log (default: all)")
    p.add_argument("--replications", "-r", type=int, default=20, metavar="N", help="replications per day (default 20)")
    p.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default 1)")
    add_duty_options(p)  # the on-duty rule, as in calibrate
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
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
                          duty=duty, progress=update)
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
