"""``ccsim run``: simulate a scenario and print KPIs with confidence intervals."""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.commands.staff import add_forecast_option, scenario_from_args
from sim.cli.console import console, kpi_table, progress_bar
from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sim.cli.console import FittedTable
    from sim.spec.scenario import Scenario
    from sim.studies.runner import SimulationResult

HELP = """\
Simulate SCENARIO (a YAML file) for a number of independent replications and
print, per channel, each KPI's mean and 95 % confidence interval.

KPIs: offered, answered, abandoned, service_level (answered within the
threshold / offered), p_wait (share that waited at all), asa_s (mean wait of
answered), mean_wait_s, abandon_rate, occupancy (busy / staffed agent time),
aht_s, agents, handled_hours and line_minutes.

Omnichannel scenarios (with a journey section or teams) add tables for the
customer journey (issues, deflection by self-service, direct shift to
digital channels, FCR, repeat contacts, time to resolution, sentiment and
escalations, peer answers), public posts (response coverage and time,
backlog), teams (occupancy, staffed and busy hours) and knowledge coverage
per issue type at the end of the horizon. With --json they also get a
top-level "journey" summary (issues, self_resolved, deflection_rate,
direct_shift, fcr, repeat_contact_rate, contacts_per_issue, escalations) and
response_time_s beside response_coverage for social and forum channels.

examples:
  ccsim run scenarios/erlang-a.yaml
  ccsim run scenarios/erlang-a.yaml --set channels.phone.agents=52 --set horizon.hours=100
  ccsim run scenarios/phone-day.yaml --replications 30 --intervals
  ccsim run scenarios/erlang-c.yaml --json > result.json
  ccsim run scenarios/omnichannel-day.yaml --days
  ccsim run scenarios/omnichannel-day.yaml --set journey.self_service.placement=none
  ccsim run scenarios/programme-mature.yaml --set forum.placement=after_login
  ccsim run scenarios/programme-novice.yaml --set channels.social.opening_hours=24/7
  ccsim run scenarios/omnichannel-day.yaml --roster experiments/omnichannel/roster.csv

A roster (CSV: team,start,length_min,breaks,headcount; see
experiments/workforce/README.md) replaces the staffing of each team it names:
scenario teams by their name, otherwise the channel of that name.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``run``."""
    p = sub.add_parser("run", help="simulate a scenario and print its KPIs", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario value by its dotted path, e.g. channels.phone.agents=12 (repeatable)")
    p.add_argument("--replications", "-r", type=int, metavar="N",
                   help="independent replications (default: the scenario's, usually 10)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: the scenario's); same seed, same numbers")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes for the replications (results do not depend on it; 0 = one per core)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--intervals", action="store_true", help="also print per-interval KPIs (means over replications)")
    p.add_argument("--days", action="store_true", help="also print per-day KPIs (means over replications)")
    p.add_argument("--roster", metavar="CSV", help="staff teams (or channels) from the shifts of a roster file")
    add_forecast_option(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Run the replications and print the KPI table or JSON."""
    from sim.studies.roi_study import check_sections
    from sim.studies.runner import simulate
    from sim.studies.work_limits import check_work

    scenario = scenario_from_args(args)
    check_sections(scenario, args.scenario)  # costs, roi and uncertain: judged as ccsim roi judges them
    if args.roster:
        scenario = with_roster(scenario, args.roster)
    if args.replications is not None and args.replications < 1:
        raise InputError("--replications", None, "must be at least 1")
    workers = args.workers if args.workers > 0 else (os.cpu_count() or 1)
    reps = args.replications or scenario.replications
    check_work(scenario, reps, args.scenario)  # refuse a run that would never end, before it starts
    with progress_bar("replications", reps, quiet=args.quiet or args.json) as update:
        result = simulate(scenario, replications=args.replications, seed=args.seed, workers=workers, progress=update)
    if args.json:
        payload = result.to_dict()
        if args.intervals:
            payload["intervals"] = _records(result.interval_summary())
        if args.days:
            payload["days"] = _records(result.day_summary())
        print(json.dumps(payload, indent=2, allow_nan=False))
        return 0
    out = console()
    title = f"{scenario.name or args.scenario}: {result.replications} replications, seed {result.seed}, " \
            f"{scenario.horizon.hours:g} h (warm-up {scenario.horizon.warmup_hours:g} h)"
    out.print(f"[bold]{escape(title)}[/]")  # the name and path are the user's text, not markup
    for heading, part in _sections(result.kpis, list(scenario.channels)):
        out.print(kpi_table(part, title=heading))
    if result.replications < 2:
        out.print("[yellow]One replication gives no confidence interval; use --replications 2 or more.[/]")
    out.print(*clipped_note(result.kpis.attrs.get("clipped") or [], result.replications))
    if args.intervals:
        out.print(_interval_table(result))
    if args.days:
        out.print(_day_table(result))
    return 0


def clipped_note(clipped: list[tuple[str, str]], replications: int) -> list[str]:
    """A line saying which intervals were cut at what is possible: too few replications for them (or none)."""
    if not clipped:
        return []
    names = ", ".join(f"{channel} {kpi}" for channel, kpi in clipped[:4]) + (
        f" and {len(clipped) - 4} more" if len(clipped) > 4 else "")
    return [escape(f"Note: {replications} replications are too few for the 95 % intervals of {names}: they reached "
                   "past what is possible (a count below 0, a rate above 100 %) and are cut there; use more "
                   "--replications.")]


def _records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows of a summary table for JSON, with NaN (no value) as null."""
    return [{str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")]


def with_roster(scenario: Scenario, path: str) -> Scenario:
    """``scenario`` staffed per interval from the shifts of the roster at ``path``.

    Each roster team sets ``teams.<team>.agents`` when the scenario has such a
    team, otherwise ``channels.<team>.agents``; any other name is an error
    naming the roster file.
    """
    from sim.io.rosters import read_roster

    roster = read_roster(path)
    minutes = int(scenario.horizon.interval_minutes)
    teams, channels = dict(scenario.teams or {}), dict(scenario.channels)
    for team in roster.teams:
        agents = [int(a) for a in roster.agents_per_interval(team, minutes)]
        if team in teams:
            teams[team] = teams[team].model_copy(update={"agents": agents})
        elif team in channels:
            channels[team] = channels[team].model_copy(update={"agents": agents})
        else:
            known = ", ".join([*teams, *channels])
            raise InputError(path, "team", f"unknown team {team!r}; the scenario's teams and channels are {known}")
    return scenario.model_copy(update={"teams": teams or None, "channels": channels})


def _sections(kpis: pd.DataFrame, channels: list[str]) -> list[tuple[str | None, pd.DataFrame]]:
    """Split the KPI table so each part fits a terminal: channels, journey, knowledge, teams; two columns each."""
    parts: list[tuple[str | None, pd.DataFrame]] = []
    teams = [c for c in dict.fromkeys(kpis["channel"]) if str(c).startswith("team:")]
    for heading, names in ((None, channels), ("Customer journey", ["journey"]),
                           ("Knowledge coverage at the end, per issue type", ["knowledge"]), ("Teams", teams)):
        names = [n for n in names if (kpis["channel"] == n).any()]
        for i in range(0, len(names), 2):
            parts.append((heading if i == 0 else None, kpis[kpis["channel"].isin(names[i:i + 2])]))
    return parts


def _day_table(result: SimulationResult) -> FittedTable:
    import pandas as pd

    from sim.cli.console import Column, fit_table, kpi_column

    summary = result.day_summary()
    wanted = [("journey", "issues"), ("journey", "deflection_rate"), ("journey", "shifted_contacts"), ("journey", "fcr"),
              ("journey", "escalations"), ("phone", "offered"), ("phone", "service_level"), ("phone", "abandon_rate")]
    keep = [("journey", "issues"), ("phone", "service_level"), ("phone", "offered"), ("journey", "deflection_rate"),
            ("journey", "fcr"), ("phone", "abandon_rate"), ("journey", "shifted_contacts")]  # at narrow widths, in this order
    present = [(c, k) for c, k in wanted if ((summary["channel"] == c) & (summary["kpi"] == k)).any()]
    if not present:
        present = [(c, k) for c, k in summary[["channel", "kpi"]].drop_duplicates().itertuples(index=False)][:8]
    wide = summary.pivot_table(index="interval", columns=["channel", "kpi"], values="mean", sort=True)
    frame = pd.DataFrame({"day": [int(day) + 1 for day in wide.index]})
    columns = [Column("day", "day", "int")]
    for rank, (c, k) in enumerate(present):
        key = f"{c}:{k}"
        frame[key] = wide[(c, k)].to_numpy() if (c, k) in wide.columns else float("nan")
        header = kpi_column(k).header
        priority = keep.index((c, k)) if (c, k) in keep else len(keep) + rank
        columns.append(kpi_column(k, key=key, header=header if c == "journey" else f"{c}\n{header}", priority=priority))
    return fit_table(frame, columns, title="Per day (means over replications)")


def _interval_table(result: SimulationResult) -> FittedTable:
    from sim.cli.console import Column, fit_table, kpi_column

    summary = result.interval_summary()
    wide = summary.pivot_table(index=["channel", "interval", "interval_start_s"], columns="kpi", values="mean", sort=False)
    kpis = ["offered_per_hour", "agents", "service_level", "asa_s", "abandon_rate", "occupancy"]
    frame = wide.reset_index().dropna(subset=[k for k in kpis if k in wide.columns], how="all")  # journey, knowledge
    starts = frame["interval_start_s"].astype(int)
    several_days = bool((starts >= 86400).any())
    hours, rest = (starts % 86400) // 3600, (starts % 3600) // 60
    frame["start"] = [(f"d{d + 1} " if several_days else "") + f"{h:02d}:{m:02d}"
                      for d, h, m in zip(starts // 86400, hours, rest)]
    columns = [Column("channel", "channel"), Column("start", "start"), kpi_column("offered_per_hour", priority=2),
               kpi_column("agents", priority=1), kpi_column("service_level"), kpi_column("asa_s", priority=3),
               kpi_column("abandon_rate", priority=4), kpi_column("occupancy", priority=5)]
    return fit_table(frame, columns, title="Per interval (means over replications)")
