"""``ccsim schedule``: least-cost shifts covering a staffing requirement, then evaluated by simulation."""

from __future__ import annotations

import argparse
from contextlib import nullcontext as _null
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.commands.evaluate import RULES, print_report, write_report
from sim.cli.commands.staff import (
    add_run_options,
    add_target_options,
    check_replications,
    out_dir,
    scenario_from_args,
    targets_from_args,
    workers_from_args,
)
from sim.cli.console import Column, console, fit_table

if TYPE_CHECKING:
    from sim.spec.roster import Requirements, ShiftType
    from sim.spec.scenario import Scenario
    from sim.studies.staffing_targets import ServiceTarget

HELP = """\
Choose how many agents to put on each allowed shift so that every interval's
requirement is covered at least cost (an integer program solved with
scipy.optimize.milp, one per team), then simulate SCENARIO with the resulting
roster and report where it misses the targets.

REQ.csv: the staffing.csv written by `ccsim staff` (its simulated_agents
column) or a plain file with columns interval,channel,agents (interval as
HH:MM). Rows of several days fold onto one day (largest value per time).

SHIFTS.yaml:

  shifts:
    - name: early            # unique name
      starts: {from: "06:00", to: "09:00", every_min: 30}   # or ["06:00", "06:30"]
      length_min: 480         # paid minutes, breaks included
      breaks: "120+15;240-300+30;390+15"   # OFFSET+LENGTH minutes from the start, or a window
                              # EARLIEST-LATEST+LENGTH: the program places the break
      cost: 8.0               # per shift (default: paid hours)
      teams: [phone, chat]    # optional: who may work it (default: every team)
      max_count: 40           # optional: most agents per start time

After solving, the roster is simulated. Covering every interval does not by
itself guarantee the targets (surplus agents move waiting around, and a
requirement is an estimate), so with --repair N (default 2) every interval
that misses gets one more agent of requirement and the program is solved
and simulated again, up to N times. --repair 0 reports the plain solution.

An agent counts in an interval under --rule (majority: present more than
half of it; minimum: present all of it); the same rule is used for the
coverage constraints and for the evaluation.

--week plans every day of REQ.csv (a week from `ccsim staff --forecast` over
seven days, say) instead of folding them: shifts per day, agents on work
patterns with --days-off days off (consecutive, the week wrapping, unless
--any-days-off) and at most --max-week-hours paid hours each on average; the
scenario (with its --forecast) is then simulated over those days with that
staffing. Writes OUT/week_schedule.csv, OUT/patterns.csv, OUT/roster.csv
(shifts per day, readable by `ccsim evaluate --roster` with the same
--forecast), OUT/agents.csv and the evaluation.

Writes OUT/schedule.csv (chosen shifts and cost), OUT/roster.csv (readable by
`ccsim evaluate --roster`), OUT/coverage.csv and .png, OUT/evaluation.csv and
OUT/service_level.png.

examples:
  ccsim schedule scenarios/three-channel-day.yaml --requirements out/staff/staffing.csv \\
      --shifts experiments/workforce/shifts.yaml --target phone=80/20 --target chat=80/60 \\
      --target social=90/3600 --out out/schedule
  ccsim schedule scenarios/three-channel-day.yaml --requirements experiments/workforce/requirements.csv \\
      --shifts experiments/workforce/shifts.yaml --no-evaluate
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``schedule``."""
    p = sub.add_parser("schedule", help="least-cost shifts covering a requirement (integer program), then simulated",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--requirements", required=True, metavar="REQ.csv", help="agents needed per interval and channel")
    p.add_argument("--shifts", required=True, metavar="SHIFTS.yaml", help="allowed shift types")
    add_target_options(p)
    p.add_argument("--rule", choices=RULES, default="majority",
                   help="how breaks and shift edges round to agents per interval")
    p.add_argument("--no-evaluate", action="store_true", help="only solve the schedule, do not simulate it")
    p.add_argument("--repair", type=int, default=2, metavar="N",
                   help="rounds of adding agents where the simulated roster misses, re-solving each time (default 2)")
    p.add_argument("--week", action="store_true", help="plan every day of the requirements: shifts per day, days off")
    p.add_argument("--days-off", type=int, default=2, metavar="N", help="--week: days off per agent and week (default 2)")
    p.add_argument("--any-days-off", action="store_true", help="--week: days off need not be consecutive")
    p.add_argument("--max-week-hours", type=float, default=40.0, metavar="H",
                   help="--week: most paid hours per agent and week, on average (default 40)")
    p.add_argument("--out", metavar="DIR", help="folder for schedule.csv, roster.csv, coverage and evaluation files")
    add_run_options(p, "default: the scenario's")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Solve, print, evaluate."""
    import pandas as pd

    from sim.errors import InputError
    from sim.io.rosters import read_requirements, read_shift_types, write_roster
    from sim.report.staffing_plots import plot_coverage
    from sim.studies.schedule import coverage, plan_roster, schedule_roster, solve_schedule, team_open_intervals
    from sim.studies.staffing_units import staffing_units

    scenario = scenario_from_args(args)
    check_replications(args)
    targets, limits = targets_from_args(args)
    minutes = int(scenario.horizon.interval_minutes)
    units = staffing_units(scenario)
    requirements = read_requirements(args.requirements, minutes, channels=units,
                                     paid=[name for name, unit in units.items() if unit.team], fold_days=not args.week)
    if args.week:
        return _week(args, scenario, requirements, read_shift_types(args.shifts, teams=units), targets, limits)
    types = read_shift_types(args.shifts, teams=units)
    if args.repair < 0:
        raise InputError("--repair", None, "must be at least 0")
    out = out_dir(args.out)
    report = None
    if args.no_evaluate:
        plan = solve_schedule(requirements, types, rule=args.rule, source=args.shifts,
                              open_intervals=team_open_intervals(scenario, minutes))
        roster = schedule_roster(plan, types, source="schedule")
    else:
        reps = args.replications or scenario.replications
        message = f"solving and simulating ({reps} replications per round)"
        with console(stderr=True).status(message) if not args.quiet else _null():
            plan, roster, report = plan_roster(scenario, requirements, types, targets, rule=args.rule, max_abandon=limits or None,
                                               repair_rounds=args.repair, replications=reps, seed=args.seed,
                                               workers=workers_from_args(args), source=args.shifts)
    cover = coverage(requirements, roster, minutes, args.rule)
    c = console()
    c.print(fit_table(plan, [
        Column("team", "team"), Column("shift", "shift"), Column("start", "start"),
        Column("length_min", "length min", "int", short="min"),
        Column("breaks", "breaks (start+min)", lambda b: b or "-", short="breaks", priority=2, justify="left"),
        Column("headcount", "headcount", "int", short="agents"), Column("cost", "cost", "{:,.2f}", priority=1),
    ], title=f"Schedule: total cost {plan.attrs['total_cost']:,.2f}"))
    for team, ok in plan.attrs["optimal"].items():
        if not ok:
            c.print(f"[yellow]{escape(str(team))}: the solver stopped at its time limit; "
                    "the schedule is feasible but not proven optimal[/]")
    totals = pd.DataFrame([{"channel": name, "required": g["required"].sum(), "scheduled": g["scheduled"].sum(),
                            "surplus": g["surplus"].sum(), "uncovered": int((g["surplus"] < 0).sum())}
                           for name, g in cover.groupby("channel", sort=False)])
    c.print(fit_table(totals, [
        Column("channel", "channel", "text"), Column("required", "required", "int"), Column("scheduled", "scheduled", "int"),
        Column("surplus", "surplus", "int", priority=1), Column("uncovered", "uncovered intervals", "int", short="uncovered"),
    ], title="Coverage per channel (agent-intervals over the day)"))
    if out is not None:
        plan.to_csv(out / "schedule.csv", index=False)
        write_roster(roster, out / "roster.csv")
        cover.to_csv(out / "coverage.csv", index=False)
        plot_coverage(cover, out / "coverage.png")
    if report is not None:
        rounds = report.attrs["repair_rounds_used"]
        c.print(f"[bold]Simulated with this roster[/] ({report.attrs['replications']} replications, seed {report.attrs['seed']}; "
                f"{rounds} repair round{'s' if rounds != 1 else ''})")
        print_report(c, report)
        if out is not None:
            write_report(report, out, title="Scheduled roster: service level through the day")
    if out is not None:
        evaluation = "" if args.no_evaluate else ", evaluation.csv, service_level.png"
        c.print(escape(f"wrote {out}/schedule.csv, roster.csv, coverage.csv/.png{evaluation}"))
    return 0


def _week(args: argparse.Namespace, scenario: Scenario, requirements: Requirements, types: list[ShiftType],
          targets: list[ServiceTarget], limits: dict[str | None, float]) -> int:
    """--week: solve the week, print headcount and patterns, simulate the scenario over those days."""
    from sim.errors import InputError
    from sim.io.rosters import write_roster
    from sim.studies.schedule import evaluate_staffing, schedule_roster
    from sim.studies.week_schedule import solve_week, week_agents

    if args.max_week_hours <= 0:
        raise InputError("--max-week-hours", None, "must be positive")
    minutes = requirements.interval_minutes
    shifts, patterns = solve_week(requirements.agents, types, minutes, days_off=args.days_off,
                                  consecutive_off=not args.any_days_off, max_week_minutes=args.max_week_hours * 60,
                                  rule=args.rule, source=args.shifts)
    days = int(shifts.attrs["days"])
    c = console()
    heads = ", ".join(f"{team} {n}" for team, n in shifts.attrs["headcount"].items())
    c.print(f"[bold]Week of {days} days[/]: cost {shifts.attrs['total_cost']:,.2f}; agents {heads}")
    c.print(fit_table(patterns, [Column("team", "team"), Column("works", "works on"), Column("agents", "agents", "int")],
                      title=f"Work patterns ({args.days_off} days off)"))
    per_day = shifts.groupby(["team", "weekday", "day"], sort=False)["headcount"].sum().reset_index().sort_values("day")
    c.print(fit_table(per_day, [Column("team", "team"), Column("weekday", "day"), Column("headcount", "shifts", "int")],
                      title="Shifts worked per day"))
    agents = week_agents(shifts, minutes, days, args.rule)
    out = out_dir(args.out)
    if out is not None:
        shifts.to_csv(out / "week_schedule.csv", index=False)
        patterns.to_csv(out / "patterns.csv", index=False)
        write_roster(schedule_roster(shifts, types, source="schedule"), out / "roster.csv")
    if args.no_evaluate:
        return 0
    if abs(scenario.horizon.hours - 24 * days) > 1e-9:
        raise InputError("--week", None, f"the requirements cover {days} days but the scenario {24 * days:g} hours "
                         f"are needed (it has {scenario.horizon.hours:g}); give the same --forecast as to staff")
    reps = args.replications or scenario.replications
    report = evaluate_staffing(scenario, agents, targets, max_abandon=limits or None, replications=reps, seed=args.seed,
                               workers=workers_from_args(args))
    missed = report[(report["verdict"] == "misses") & (report["simulated_offered"] > 0)]
    c.print(f"[bold]Simulated over the week[/] ({report.attrs['replications']} replications, seed {report.attrs['seed']}): "
            f"{len(missed)} interval{'s' if len(missed) != 1 else ''} shown to miss the target")
    print_report(c, report)
    if out is not None:
        write_report(report, out, title="Week roster: service level through the week")
        c.print(escape(f"wrote {out}/week_schedule.csv, patterns.csv, roster.csv, evaluation.csv, agents.csv, "
                       "service_level.png"))
    return 0
