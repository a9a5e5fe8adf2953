"""``ccsim curve``: service level, ASA and abandonment against agents for one interval."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.commands.staff import check_reachable_targets, out_dir, workers_from_args
from sim.cli.console import Column, console, fit_table, progress_bar
from sim.errors import InputError

if TYPE_CHECKING:
    pass

HELP = """\
Hold one interval's forecast arrival rate constant and simulate the channel
alone with each number of agents in --agents (the same customers for every
count: common random numbers). Prints and plots the simulated service level,
ASA and abandon rate with 95 % confidence intervals next to Erlang C and (for
channels with patience) Erlang A, and marks the smallest count meeting the
target by each method.

--agents takes LOW:HIGH (inclusive), LOW:HIGH:STEP or a list 20,22,25;
default: a range around the Erlang C answer. --target sets the threshold and
target (default: the scenario's).

Writes OUT/curve.csv and OUT/curve.png.

examples:
  ccsim curve scenarios/three-channel-day.yaml --channel phone --interval 10:00 --out out/curve
  ccsim curve scenarios/erlang-a.yaml --channel phone --interval 00:00 --agents 40:60 \\
      --replications 20 --out out/curve-a
"""


def parse_agents(text: str | None) -> list[int] | None:
    """``"20:40"``, ``"20:40:2"`` or ``"20,22,25"`` -> agent counts."""
    if text is None:
        return None
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1) or parts[1] < parts[0]:
                raise ValueError
            step = parts[2] if len(parts) == 3 else 1
            values = list(range(parts[0], parts[1] + 1, step))
        else:
            values = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InputError("--agents", text, "expected LOW:HIGH, LOW:HIGH:STEP or a list like 20,22,25") from None
    if not values or min(values) < 1:
        raise InputError("--agents", text, "expected agent counts of at least 1")
    if len(values) > 200:
        raise InputError("--agents", text, "asks for more than 200 agent counts; use a STEP")
    return values


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``curve``."""
    p = sub.add_parser("curve", help="service level / ASA / abandonment against agents for one interval",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--channel", required=True, help="channel to study")
    p.add_argument("--interval", required=True, metavar="HH:MM", help="interval whose rate is held constant (HH:MM or dN HH:MM)")
    p.add_argument("--agents", metavar="LOW:HIGH", help="agent counts to simulate (default: around the Erlang C answer)")
    p.add_argument("--target", metavar="CH=PCT/SEC", help="target and threshold, e.g. phone=80/20 (default: the scenario's)")
    p.add_argument("--hours", type=float, default=8.0, help="simulated hours per replication (default 8)")
    p.add_argument("--warmup-hours", type=float, default=1.0, help="discarded start of each replication (default 1)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help="override a scenario value")
    p.add_argument("--replications", "-r", type=int, default=10, metavar="N", help="replications per agent count (default 10)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: the scenario's)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (0 = one per core)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for curve.csv and curve.png")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Simulate the curve, print it, write the table and figure."""
    import pandas as pd

    from sim.io.scenario_files import load_scenario
    from sim.report.staffing_plots import plot_curve
    from sim.studies.staffing_curve import staffing_curve
    from sim.studies.staffing_targets import parse_target

    scenario = load_scenario(args.scenario, args.overrides)
    if args.replications < 2:
        raise InputError("--replications", None, "must be at least 2 for confidence intervals")
    if not args.hours > args.warmup_hours >= 0:
        raise InputError("--hours", None, "must be greater than --warmup-hours (and --warmup-hours >= 0)")
    target = parse_target(args.target) if args.target else None
    if target is not None and target.channel != args.channel:
        raise InputError("--target", args.target, f"is for {target.channel!r} but --channel is {args.channel!r}")
    check_reachable_targets(scenario, [target] if target else [], {}, args.scenario)
    agents = parse_agents(args.agents)
    out = out_dir(args.out)
    total = len(agents) if agents else 12
    with progress_bar("agent counts", total, quiet=args.quiet) as update:
        curve = staffing_curve(scenario, args.channel, args.interval, agents, target, replications=args.replications,
                               seed=args.seed, hours=args.hours, warmup_hours=args.warmup_hours,
                               workers=workers_from_args(args), progress=update)
    assert out is not None
    curve.to_csv(out / "curve.csv", index=False, float_format="%.6g")
    plot_curve(curve, out / "curve.png")
    a = curve.attrs
    c = console()
    day = a.get("mode") == "day"
    load = "in its day" if day else f"({curve['offered_load_erl'].iloc[0]:.1f} Erl)"
    who = f", team {a['team']}" if day else ""
    title = f"{args.channel} at {a['interval_start']}{who}: {curve['offered_per_hour'].iloc[0]:.0f}/h {load}, " \
            f"target {100 * a['sl_target']:g} % in {a['sl_threshold_s']:g} s"
    sl = "service_level"
    frame = curve.copy()
    frame["sl_ci"] = [f"{100 * lo:.1f} .. {100 * hi:.1f}" if pd.notna(lo) and pd.notna(hi) else "-"
                      for lo, hi in zip(curve["service_level_ci95_low"], curve["service_level_ci95_high"])]
    c.print(fit_table(frame, [  # two-line headers: the KPI, then who says so (simulation, Erlang C, Erlang A)
        Column("agents", "\nagents", "int"), Column(sl, "SL %\nsim", "pct"),
        Column("sl_ci", "SL %\n95 % CI", priority=2, justify="right"),
        Column("erlang_c_service_level", "SL %\nErl C", "pct", priority=1),
        Column("erlang_a_service_level", "SL %\nErl A", "pct", priority=1),
        Column("asa_s", "ASA s\nsim", "num", priority=3), Column("erlang_c_asa_s", "ASA s\nErl C", "num", priority=5),
        Column("erlang_a_asa_s", "ASA s\nErl A", "num", priority=5),
        Column("abandon_rate", "aband %\nsim", "pct", priority=4),
        Column("erlang_a_abandon_rate", "aband %\nErl A", "pct", priority=4),
    ], title=title))
    for label, column in (("simulation", sl), ("Erlang C", "erlang_c_service_level"), ("Erlang A", "erlang_a_service_level")):
        if column in curve and curve[column].notna().any():
            ok = curve[curve[column] >= a["sl_target"]]
            c.print(f"fewest agents meeting the target by {label}: {int(ok['agents'].iloc[0]) if len(ok) else 'none in range'}")
    c.print(escape(f"wrote {out / 'curve.csv'}, {out / 'curve.png'}"))
    return 0
