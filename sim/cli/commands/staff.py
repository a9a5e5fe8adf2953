"""``ccsim staff``: agents on duty needed per interval and team, by simulation, confirmed on fresh random numbers."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from sim.cli.console import Column, console, fit_table, progress_bar
from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sim.spec.scenario import Scenario
    from sim.studies.staffing_targets import ServiceTarget

HELP = """\
Find, for every planning interval and team of SCENARIO (a channel with its
own agents is a team of one), the fewest agents on duty that meet the
service targets of the channels the team serves, by simulating the whole
model: queues carry over between intervals, chats share an agent, posts
fill idle time, opening hours and line limits apply.

Two stages. The search starts from Erlang answers on the demand the model
generates and raises intervals that miss / lowers intervals with slack, on
--replications runs with common random numbers. The confirmation then uses
replications of another seed: a requirement N must meet its target with
--confidence (one-sided) and N - 1 must miss it; replications double, up
to --max-replications, while that is not yet decided. Intervals left open
are named (their N errs on the safe side). Service level is answered within
T / offered, pooled over the replications, adjusted for the work that
arrived in and just before the interval (control variates).

Targets: --target CHANNEL=PERCENT/SECONDS (repeatable), e.g. phone=80/20,
chat=80/60, social=90/3600 (or 90/1h). Channels without --target use the
scenario's sl_target and sl_threshold_s. --max-abandon CHANNEL=FRACTION adds
a ceiling on the abandon rate. --shrinkage (FRACTION for every channel, or
CHANNEL=FRACTION, repeatable) converts agents into paid FTE:
required_fte = agents / (1 - shrinkage).

--stationary instead solves every interval alone, its rate held constant
for 8 hours: no queue carries over, which is what Erlang C and A assume.

Writes OUT/staffing.csv (one row per interval, team and channel:
interval_start, team, channel, offered_per_hour, erlang_c_agents and
erlang_a_agents (channels with a forecast rate), simulated_agents,
service_level with sl_low/sl_high, sl_fewer.. at one agent fewer,
abandon_rate, asa_s, meets_target, decided, shrinkage, required_fte, ...),
OUT/staffing.png and OUT/search.json. `ccsim schedule --requirements
OUT/staffing.csv` turns it into shifts.

examples:
  ccsim staff scenarios/three-channel-day.yaml --target phone=80/20 \\
      --target chat=80/60 --target social=90/3600 --shrinkage 0.3 --out out/staff
  ccsim staff scenarios/phone-day.yaml --target phone=80/20 --max-abandon phone=0.05 \\
      --replications 20 --workers 2 --out out/phone
  ccsim staff scenarios/omnichannel-day.yaml --target phone=80/20 --target chat=80/60 \\
      --workers 2 --out out/teams
"""


def add_target_options(p: argparse.ArgumentParser) -> None:
    """The --target and --max-abandon options shared by the workforce commands."""
    p.add_argument("--target", action="append", default=[], metavar="CH=PCT/SEC",
                   help="service target of a channel, e.g. phone=80/20 (repeatable; default: the scenario's)")
    p.add_argument("--max-abandon", action="append", default=[], metavar="CH=FRACTION",
                   help="highest acceptable abandon rate, e.g. phone=0.05 (repeatable)")


def add_run_options(p: argparse.ArgumentParser, default_replications: str) -> None:
    """Scenario overrides, replications, seed, workers and quiet, shared by the workforce commands."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario value by its dotted path (repeatable)")
    p.add_argument("--replications", "-r", type=int, metavar="N", help=f"replications per simulation ({default_replications})")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: the scenario's)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes (results do not depend on it; 0 = one per core)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_forecast_option(p)


def add_forecast_option(p: argparse.ArgumentParser) -> None:
    """--forecast, shared by run and the workforce commands."""
    p.add_argument("--forecast", metavar="FORECAST.csv",
                   help="volume (and AHT) per interval and channel: interval_start,channel,volume[,aht_s]; "
                        "sets the arrivals and the horizon (see experiments/workforce/forecast.csv)")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario file with --set overrides, then the --forecast if any."""
    from sim.io.forecast import apply_forecast
    from sim.io.scenario_files import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    return apply_forecast(scenario, args.forecast) if getattr(args, "forecast", None) else scenario


def targets_from_args(args: argparse.Namespace) -> tuple[list[ServiceTarget], dict[str | None, float]]:
    """Parsed (targets, max_abandon) from --target/--max-abandon."""
    from sim.studies.staffing_targets import parse_channel_fractions, parse_target

    targets = [parse_target(t) for t in args.target]
    limits = parse_channel_fractions(args.max_abandon, "--max-abandon")
    return targets, limits


def check_reachable_targets(scenario: Scenario, targets: list[ServiceTarget], limits: dict[str | None, float],
                            source: str) -> None:
    """InputError for a target no number of agents meets: 100 % service level, or no abandonment at all.

    ``source`` names the scenario file, for a channel whose target is the scenario's own ``sl_target``.
    """
    given = {target.channel: target for target in targets}
    for name, channel in scenario.channels.items():
        target = given.get(name)
        if target is not None and target.sl_target >= 1.0:
            raise InputError("--target", f"{name}={100 * target.sl_target:g}/{target.sl_threshold_s:g}",
                             "a 100 % service level is never reached while contacts arrive; give a target below "
                             "100 %, e.g. 80/20")
        if target is None and channel.sl_target >= 1.0:
            raise InputError(source, f"channels.{name}.sl_target", "is 1 (100 %), which no number of agents reaches "
                             "while contacts arrive; give a target below 1 or --target CHANNEL=PERCENT/SECONDS")
    for limited, value in limits.items():
        if value <= 0.0:
            where = f"{limited}={value:g}" if limited else f"{value:g}"
            raise InputError("--max-abandon", where, "must be above 0: with finite patience some contacts always "
                             "abandon; give e.g. 0.05 or 5%")


STATIONARY_HOURS = 8.0
"""Hours each interval is simulated for with ``--stationary`` (the search's default)."""
STATIONARY_STEPS = 3
"""Agent counts a stationary interval is expected to try, for the estimate of the work."""


def check_search_work(scenario: Scenario, replications: int, evaluations: int, confirm: int, stationary: bool,
                      source: str) -> None:
    """Refuse (ScenarioError naming ``source``) a staffing search too big to finish, before it starts.

    The whole-horizon search simulates at most ``evaluations`` horizons of
    ``replications`` replications each, then confirms on replications
    doubling up to ``confirm`` (about twice ``confirm`` in all);
    ``--stationary`` simulates every interval alone for 8 hours a few times.
    The estimate is the worst case; the limits are those of
    :mod:`sim.studies.work_limits`.
    """
    from sim.studies.work_limits import check_contacts, check_work

    size = check_work(scenario, 1, source)  # one horizon: memory, agents, intervals
    if stationary:
        hours = max(scenario.horizon.interval_s / 3600.0, 1e-9)
        runs = STATIONARY_HOURS / hours * STATIONARY_STEPS * replications
        what = (f"the stationary search ({size.intervals:,.0f} intervals x {STATIONARY_HOURS:g} hours x about "
                f"{STATIONARY_STEPS} agent counts x {replications:,} replications)")
    else:
        runs = float(evaluations) * replications + 2.0 * max(confirm, 2 * replications, 20)
        what = (f"the staffing search (up to {evaluations:,} simulated horizons x {replications:,} replications, "
                f"then up to {confirm:,} confirmation replications)")
    check_contacts(size.contacts * runs, source, what)


def workers_from_args(args: argparse.Namespace) -> int:
    """--workers with 0 meaning one per core."""
    return args.workers if args.workers > 0 else (os.cpu_count() or 1)


def check_replications(args: argparse.Namespace) -> None:
    """Reject --replications below 1."""
    if args.replications is not None and args.replications < 1:
        raise InputError("--replications", None, "must be at least 1")


def out_dir(path: str | None) -> Path | None:
    """Create the output folder (InputError when it cannot be)."""
    if path is None:
        return None
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError("--out", path, "exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("--out", path, f"cannot be created ({exc})") from None
    return out


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``staff``."""
    p = sub.add_parser("staff", help="agents needed per interval (Erlang C, Erlang A, simulation)", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    add_target_options(p)
    p.add_argument("--shrinkage", action="append", default=[], metavar="FRACTION|CH=FRACTION",
                   help="share of paid time not on contacts, for required_fte (repeatable per team; "
                        "default: the team's own)")
    p.add_argument("--min-agents", type=int, default=0, metavar="N", help="agents in intervals without arrivals (default 0)")
    p.add_argument("--max-evaluations", type=int, default=60, metavar="N",
                   help="cap on simulations of the horizon in the search (default 60)")
    p.add_argument("--stationary", action="store_true",
                   help="solve each interval on its own with its rate held constant (no carry-over; the simulated "
                        "counterpart of Erlang C/A) instead of simulating the whole horizon")
    p.add_argument("--confidence", type=float, default=0.95, metavar="P",
                   help="one-sided confidence that a requirement meets its target and one agent fewer misses it "
                        "(default 0.95)")
    p.add_argument("--max-replications", type=int, default=160, metavar="N",
                   help="budget of confirmation replications while a decision is open (default 160)")
    p.add_argument("--intervals", action="store_true", help="print every interval, not only the totals")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for staffing.csv, staffing.png and search.json")
    add_run_options(p, "default 10")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Search the staffing, write the table and figure, print a summary."""
    from sim.report.staffing_plots import plot_staffing
    from sim.studies.staffing import required_agents
    from sim.studies.staffing_targets import parse_channel_fractions

    scenario = scenario_from_args(args)
    check_replications(args)
    targets, limits = targets_from_args(args)
    check_reachable_targets(scenario, targets, limits, args.scenario)
    shrinkage = parse_channel_fractions(args.shrinkage, "--shrinkage") or None  # None: each team's own
    if args.min_agents < 0:
        raise InputError("--min-agents", None, "must be at least 0")
    if args.max_replications < 2:
        raise InputError("--max-replications", None, "must be at least 2")
    if args.max_evaluations < 1:
        raise InputError("--max-evaluations", None, "must be at least 1")
    reps = args.replications or 10
    check_search_work(scenario, reps, args.max_evaluations, args.max_replications, args.stationary, args.scenario)
    out = out_dir(args.out)
    with progress_bar("staffing search (simulations)", args.max_evaluations, quiet=args.quiet) as update:
        table = required_agents(scenario, targets, max_abandon=limits or None, shrinkage=shrinkage, replications=reps,
                                seed=args.seed, min_agents=args.min_agents, max_evaluations=args.max_evaluations,
                                workers=workers_from_args(args), progress=update, stationary=args.stationary,
                                confidence=args.confidence, max_confirm_replications=args.max_replications)
    assert out is not None
    table.to_csv(out / "staffing.csv", index=False, float_format="%.6g")
    plot_staffing(table, out / "staffing.png", title=f"Required agents: {scenario.name or args.scenario}")
    search = table.attrs["search"]
    (out / "search.json").write_text(json.dumps(search, indent=2, default=str) + "\n", encoding="utf-8")
    show(console(), scenario, table, args.intervals)
    c = console()
    state = "converged" if search["converged"] else "[yellow]did not converge (raise --max-evaluations)[/]"
    unit = "parts" if search.get("mode") == "parts" else "horizons"
    c.print(f"search: {search['runs']} simulated {unit}, {state}")
    if search.get("mode") == "day":
        c.print(f"confirmed on seed {search['confirm_seed']} (not the search's) with {search['confirm_replications']} "
                f"replications at {100 * search['confidence']:g} % one-sided confidence")
    if search.get("mode") == "parts":
        groups = " | ".join(", ".join(g) for g in search["groups"])
        c.print(f"planned in {len(search['part_seeds'])} independent parts ({search['days']} day(s) x channel groups "
                f"{groups}), each simulated alone and confirmed on seeds of its own (not the search's) with up to "
                f"{search['confirm_replications']} replications at {100 * search['confidence']:g} % one-sided confidence")
    undecided = search.get("undecided") or []
    if undecided:
        names = ", ".join(f"{team} {table.loc[table['interval'] == k, 'interval_start'].iloc[0]}"
                          for team, k in undecided[:8])
        more = f" and {len(undecided) - 8} more" if len(undecided) > 8 else ""
        c.print(f"[yellow]undecided[/] (N - 1 may be enough; raise --max-replications): {names}{more}")
    c.print(f"wrote {out / 'staffing.csv'}, {out / 'staffing.png'}")
    return 0


def show(out: Console, scenario: Scenario, table: pd.DataFrame, intervals: bool) -> None:
    """Print the totals per team and channel (and every interval with ``intervals``), fitted to the terminal."""
    import pandas as pd

    from sim.studies.staffing import staffing_totals

    totals = staffing_totals(table)
    rows = []
    for row in totals.to_dict(orient="records"):
        first = table[(table["team"] == row["team"]) & (table["channel"] == row["channel"])].iloc[0]
        target = f"{100 * first['sl_target']:g}/{first['sl_threshold_s']:g}"
        if pd.notna(first["max_abandon"]):
            target += f" ab<{100 * first['max_abandon']:g}%"
        rows.append({**row, "target": target})
    out.print(fit_table(pd.DataFrame(rows), [
        Column("team", "team"), Column("channel", "channel"), Column("target", "target"),
        Column("erlang_c_agent_hours", "Erlang C\nagent-h", "{:,.0f}", priority=2, short="Erl C"),
        Column("erlang_a_agent_hours", "Erlang A\nagent-h", "{:,.0f}", priority=2, short="Erl A"),
        Column("simulated_agent_hours", "simulated\nagent-h", "{:,.0f}", short="sim h"),
        Column("fte_hours", "paid\nFTE-h", "{:,.0f}", priority=1, short="FTE-h"),
        Column("peak_agents", "peak\nagents", "int", short="peak"),
        Column("intervals_undecided", "open\nintervals", "int", short="open"),
        Column("intervals_missing_target", "not shown\nto meet", "int", short="miss"),
    ], title=f"{scenario.name}: agents on duty per team and channel, over the horizon"))
    out.print("open: intervals where N - 1 may still be enough; not shown to meet: N's lower bound below the target")
    if not intervals:
        return
    frame = table.sort_values(["interval", "team"]).copy()
    frame["ok"] = [("yes" if m else "NO") + ("" if d else "?") for m, d in zip(frame["meets_target"], frame["decided"])]
    out.print(fit_table(frame, [
        Column("interval_start", "start"), Column("team", "team"), Column("channel", "channel", priority=3),
        Column("simulated_agents", "agents", "int"), Column("service_level", "SL %", "pct"),
        Column("sl_low", "SL low %", "pct", priority=1, short="low"),
        Column("sl_fewer", "SL N-1 %", "pct", priority=2, short="N-1"),
        Column("sl_fewer_high", "high N-1 %", "pct", priority=2, short="hi N-1"),
        Column("ok", "meets"),
    ], title="Per interval: agents on duty, service level and its bounds at N and N - 1 (?: N - 1 may do)"))
