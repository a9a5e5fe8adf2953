"""``ccsim evaluate``: what a roster delivers, interval by interval, by simulation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from sim.cli.commands.staff import (
    add_run_options,
    add_target_options,
    check_replications,
    out_dir,
    scenario_from_args,
    targets_from_args,
    workers_from_args,
)
from sim.cli.console import Column, console, fit_table, kpi_column, progress_bar

if TYPE_CHECKING:
    import pandas as pd

HELP = """\
Turn a roster into agents per interval, simulate SCENARIO with it and report
each interval's service level (pooled over replications, with a 95 % band),
abandon rate, ASA and occupancy against the targets.

Roster CSV (one row per shift and team; the day repeats, shifts may cross
midnight):

  team,start,length_min,breaks,headcount
  phone,07:00,480,120+15;240+30;390+15,6
  chat,09:00,510,150+30,4

  team        a channel of the scenario
  start       HH:MM
  length_min  paid length in minutes, breaks included
  breaks      OFFSET+LENGTH in minutes from the shift start, ';'-separated
              (empty: none)
  headcount   agents working this shift

A week's roster has a day column (1 = the horizon's first day; the
roster.csv or week_schedule.csv that `ccsim schedule --week` writes): its
shifts are worked on their day only, and SCENARIO (with the --forecast the
week was planned from) must cover those days.

  team,day,start,length_min,breaks,headcount
  phone,1,07:00,480,120+15;240+30;390+15,6

An agent counts in an interval (--rule):
  majority  when present for more than half of it (default)
  minimum   only when present for all of it (conservative)
Channels without shifts in the roster keep the scenario's staffing.

Writes OUT/evaluation.csv, OUT/agents.csv and OUT/service_level.png when
--out is given; prints the per-channel summary and the intervals that miss.

examples:
  ccsim evaluate scenarios/three-channel-day.yaml --roster experiments/workforce/roster.csv \\
      --target phone=80/20 --target chat=80/60 --target social=90/3600 --out out/eval
  ccsim evaluate scenarios/three-channel-day.yaml --roster out/schedule/roster.csv --rule minimum
  ccsim evaluate scenarios/team-week.yaml --roster out/week/roster.csv --target phone=80/20 --target chat=80/60
"""


RULES = ("majority", "minimum")
"""The --rule choices: :data:`sim.spec.roster.COVERAGE_RULES`, named here so that --help needs no pandas."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``evaluate``."""
    p = sub.add_parser("evaluate", help="simulate a roster and report service level per interval", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--roster", required=True, metavar="ROSTER.csv", help="roster CSV: team,start,length_min,breaks,headcount")
    add_target_options(p)
    p.add_argument("--rule", choices=RULES, default="majority",
                   help="how breaks and shift edges round to agents per interval")
    p.add_argument("--all", action="store_true", help="print every interval, not only the misses")
    p.add_argument("--out", metavar="DIR", help="folder for evaluation.csv, agents.csv and service_level.png")
    add_run_options(p, "default: the scenario's")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Evaluate the roster and print the result."""
    from sim.io.rosters import read_roster
    from sim.studies.schedule import evaluate_roster

    scenario = scenario_from_args(args)
    check_replications(args)
    targets, limits = targets_from_args(args)
    from sim.studies.staffing_units import staffing_units

    roster = read_roster(args.roster, teams=staffing_units(scenario))
    out = out_dir(args.out)
    reps = args.replications or scenario.replications
    with progress_bar("replications", reps, quiet=args.quiet) as update:
        report = evaluate_roster(scenario, roster, targets, rule=args.rule, max_abandon=limits or None, replications=reps,
                                 seed=args.seed, workers=workers_from_args(args), progress=update)
    c = console()
    c.print(f"[bold]{escape(scenario.name or args.scenario)} with roster {escape(args.roster)}[/] "
            f"({report.attrs['replications']} replications, seed {report.attrs['seed']}, rule {args.rule})")
    print_report(c, report, show_all=args.all)
    if out is not None:
        span = "the day" if roster.days is None else "the week"
        write_report(report, out, title=f"Roster {Path(args.roster).name}: service level through {span}")
        c.print(escape(f"wrote {out / 'evaluation.csv'}, {out / 'service_level.png'}"))
    return 0


def write_report(report: pd.DataFrame, out: Path, title: str) -> None:
    """evaluation.csv, agents.csv (interval, channel, agents) and service_level.png."""
    from sim.report.staffing_plots import plot_service_levels

    report.to_csv(out / "evaluation.csv", index=False, float_format="%.6g")
    report[["interval_start", "channel", "agents"]].to_csv(out / "agents.csv", index=False)
    plot_service_levels(report, out / "service_level.png", title=title)


def _pooled(g: pd.DataFrame, kpi: str, offered: float) -> float:
    """The day's rate of ``kpi``: the intervals' rates weighted by their simulated offered contacts."""
    return float((g[kpi].fillna(0) * g["simulated_offered"]).sum() / offered) if offered else float("nan")


def summary(report: pd.DataFrame) -> pd.DataFrame:
    """Per channel: day service level (pooled), abandon rate, agent-hours, intervals missing."""
    import pandas as pd

    rows = []
    for name, g in report.groupby("channel", sort=False):
        offered = g["simulated_offered"].sum()
        width_h = float(g["interval_start_s"].diff().min() / 3600.0) if len(g) > 1 else 1.0
        rows.append({
            "channel": name,
            "offered": offered,
            "service_level": _pooled(g, "service_level", offered),
            "abandon_rate": _pooled(g, "abandon_rate", offered),
            "agent_hours": float(g["agents"].sum() * width_h),
            "intervals_missing": int((~g["meets_target"].astype(bool)).sum()),
            "intervals": len(g),
            "target": f"{100 * g['sl_target'].iloc[0]:g} % in {g['sl_threshold_s'].iloc[0]:g} s",
        })
    return pd.DataFrame(rows)


def print_report(c: Console, report: pd.DataFrame, show_all: bool = False, limit: int = 40) -> None:
    """Per-channel summary and the intervals that miss (or all intervals), as tables that fit the terminal."""
    import pandas as pd

    days = summary(report)
    days["missed"] = [f"{m} of {n}" for m, n in zip(days["intervals_missing"], days["intervals"])]
    c.print(fit_table(days, [
        Column("channel", "channel"), Column("target", "target"), kpi_column("offered", priority=3),
        kpi_column("service_level"), kpi_column("abandon_rate", priority=2),
        Column("agent_hours", "agent-hours", "num", short="agent-h", priority=1),
        Column("missed", "intervals missed", short="missed", justify="right"),
    ], title="Per channel over the day"))
    rows = report if show_all else report[~report["meets_target"].astype(bool)]
    if rows.empty:
        c.print("[green]Every interval meets its target.[/]")
        return
    rows = rows.head(limit if not show_all else len(rows)).copy()
    rows["start"] = rows["interval_start"].astype(str)
    rows["sl_ci"] = [f"{100 * lo:.1f} .. {100 * hi:.1f}" if pd.notna(lo) and pd.notna(hi) else "-"
                     for lo, hi in zip(rows["service_level_ci95_low"], rows["service_level_ci95_high"])]
    rows["target"] = [f"{100 * s:g}/{t:g}" for s, t in zip(rows["sl_target"], rows["sl_threshold_s"])]
    columns = [
        Column("channel", "channel"), Column("start", "start"), Column("agents", "agents", "{:g}"),
        kpi_column("offered_per_hour", priority=3), kpi_column("service_level"),
        Column("sl_ci", "SL 95 % CI", short="95 % CI", priority=1, justify="right"),
        kpi_column("abandon_rate", priority=4), kpi_column("asa_s", priority=5),
        Column("target", "target", priority=2, justify="right"),
    ]
    if show_all:
        columns.append(Column("meets_target", "met", lambda ok: "yes" if ok else Text("miss", style="red")))
    c.print(fit_table(rows, columns, title="Every interval" if show_all else "Intervals that miss the target"))
    if not show_all and len(report[~report["meets_target"].astype(bool)]) > limit:
        c.print(f"... and {int((~report['meets_target'].astype(bool)).sum()) - limit} more (see evaluation.csv or use --all)")
