"""``ccsim evaluate``: what a roster delivers, interval by interval, by simulation."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from sim.cli.commands.staff import (
    add_run_options,
    add_target_options,
    check_replications,
    out_dir,
    targets_from_args,
    workers_from_args,
)
from sim.cli.console import console, format_value, progress_bar
from sim.io.rosters import read_roster
from sim.io.scenario_files import load_scenario
from sim.spec.roster import COVERAGE_RULES

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
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``evaluate``."""
    p = sub.add_parser("evaluate", help="simulate a roster and report service level per interval", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--roster", required=True, metavar="ROSTER.csv", help="roster CSV: team,start,length_min,breaks,headcount")
    add_target_options(p)
    p.add_argument("--rule", choices=COVERAGE_RULES, default="majority",
                   help="how breaks and shift edges round to agents per interval")
    p.add_argument("--all", action="store_true", help="print every interval, not only the misses")
    p.add_argument("--out", metavar="DIR", help="folder for evaluation.csv, agents.csv and service_level.png")
    add_run_options(p, "default: the scenario's")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Evaluate the roster and print the result."""
    from sim.studies.schedule import evaluate_roster

    scenario = load_scenario(args.scenario, args.overrides)
    check_replications(args)
    targets, limits = targets_from_args(args)
    roster = read_roster(args.roster, teams=scenario.channels)
    out = out_dir(args.out)
    reps = args.replications or scenario.replications
    with progress_bar("replications", reps, quiet=args.quiet) as update:
        report = evaluate_roster(scenario, roster, targets, rule=args.rule, max_abandon=limits or None, replications=reps,
                                 seed=args.seed, workers=workers_from_args(args), progress=update)
    c = console()
    c.print(f"[bold]{scenario.name or args.scenario} with roster {args.roster}[/] "
            f"({report.attrs['replications']} replications, seed {report.attrs['seed']}, rule {args.rule})")
    print_report(c, report, show_all=args.all)
    if out is not None:
        write_report(report, out, title=f"Roster {Path(args.roster).name}: service level through the day")
        c.print(f"wrote {out / 'evaluation.csv'}, {out / 'service_level.png'}")
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
    """Per-channel summary and the intervals that miss (or all intervals)."""
    t = Table(title="Per channel over the day", title_justify="left", header_style="bold")
    for col in ("channel", "target", "offered", "service level", "abandoned", "agent-hours", "intervals missing"):
        t.add_column(col, justify="left" if col in ("channel", "target") else "right")
    for row in summary(report).to_dict(orient="records"):
        t.add_row(row["channel"], row["target"], format_value("offered", row["offered"]),
                  format_value("service_level", row["service_level"]), format_value("abandon_rate", row["abandon_rate"]),
                  f"{row['agent_hours']:,.1f}", f"{row['intervals_missing']} of {row['intervals']}")
    c.print(t)
    rows = report if show_all else report[~report["meets_target"].astype(bool)]
    if rows.empty:
        c.print("[green]Every interval meets its target.[/]")
        return
    title = "Every interval" if show_all else "Intervals that miss the target"
    t = Table(title=title, title_justify="left", header_style="bold")
    for col in ("channel", "start", "agents", "offered/h", "service level (95 % band)", "abandoned", "ASA", "target"):
        t.add_column(col, justify="left" if col in ("channel", "start") else "right")
    for _, r in rows.head(limit if not show_all else len(rows)).iterrows():
        sl = "service_level"
        band = f"{format_value(sl, r[sl])} ({format_value(sl, r['service_level_ci95_low'])}" \
               f"..{format_value(sl, r['service_level_ci95_high'])})"
        mark = "" if r["meets_target"] else "[red]miss[/]"
        t.add_row(r["channel"], str(r["interval_start"]), f"{r['agents']:g}", f"{r['offered_per_hour']:.1f}", band,
                  format_value("abandon_rate", r["abandon_rate"]), format_value("asa_s", r["asa_s"]),
                  f"{100 * r['sl_target']:g} % {mark}")
    c.print(t)
    if not show_all and len(rows) > limit:
        c.print(f"... and {len(rows) - limit} more (see evaluation.csv or use --all)")
