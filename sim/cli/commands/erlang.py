"""``ccsim erlang``: analytic Erlang C (and Erlang A with patience) values, or the agents a target needs."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING

from sim.cli.console import Column, console, fit_table, format_value, kpi_column
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.studies.staffing_targets import ServiceTarget

HELP = """\
Analytic queueing values for one interval, without simulation.

Without --patience-s: Erlang C (M/M/c, nobody hangs up).
With --patience-s:    Erlang A (M/M/c+M, exponential patience with that mean).

With --agents N: prints offered load, P(wait > 0), P(abandon), ASA (mean
wait of answered calls), service level (answered within --sl-threshold-s /
offered) and occupancy at N agents.

With --target PERCENT/SECONDS (the syntax of `ccsim staff --target`, with or
without a channel name: 80/20, 90/1h, phone=80/20): solves for the fewest
agents whose service level meets the target and prints the values at that
staffing and at one agent fewer. --max-abandon FRACTION (0.05 or 5%) adds a
ceiling on the abandon rate; it needs --patience-s, since nobody abandons in
Erlang C. --max-abandon without --target solves for the ceiling alone.

Compare with `ccsim run scenarios/erlang-c.yaml` or erlang-a.yaml.
--rate, --aht and --patience are short for --rate-per-hour, --aht-s and
--patience-s.

examples:
  ccsim erlang --rate-per-hour 1000 --aht-s 180 --agents 55
  ccsim erlang --rate-per-hour 1000 --aht-s 180 --agents 50 --patience-s 300 --json
  ccsim erlang --rate 600 --aht 240 --target 80/20
  ccsim erlang --rate 600 --aht 240 --patience 300 --target 80/20 --max-abandon 0.03
  ccsim erlang --rate 120 --aht 600 --target 90/60 --json
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``erlang``."""
    p = sub.add_parser("erlang", help="analytic Erlang C / Erlang A values, or the agents a target needs",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate-per-hour", "--rate", type=float, required=True, metavar="R", help="arrivals per hour")
    p.add_argument("--aht-s", "--aht", type=float, required=True, metavar="S", help="mean handling time in seconds")
    p.add_argument("--agents", type=int, metavar="N", help="agents on duty (evaluate this staffing)")
    p.add_argument("--patience-s", "--patience", type=float, metavar="P",
                   help="mean patience in seconds (Erlang A); omit for Erlang C")
    p.add_argument("--target", metavar="PCT/SEC", help="solve for the fewest agents meeting it, e.g. 80/20")
    p.add_argument("--max-abandon", metavar="FRACTION",
                   help="solve for agents keeping the abandon rate at or below it, e.g. 0.05 or 5%% (Erlang A)")
    p.add_argument("--sl-threshold-s", type=float, metavar="T",
                   help="service-level threshold with --agents (default 20 s; with --target it is in the target)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=main)


def analytic_values(rate_per_hour: float, aht_s: float, agents: int, patience_s: float | None,
                    sl_threshold_s: float) -> dict[str, float]:
    """Erlang C (no ``patience_s``) or Erlang A values as a flat dict of KPI name to value."""
    from sim.analysis.erlang_a import erlang_a_metrics
    from sim.analysis.erlang_c import erlang_c_metrics

    if patience_s is None:
        c = erlang_c_metrics(rate_per_hour, aht_s, agents, sl_threshold_s)
        return {"offered_load_erl": c.offered_load_erl, "agents": agents, "p_wait": c.p_wait,
                "p_abandon": 0.0, "asa_s": c.asa_s, "service_level": c.service_level, "occupancy": c.occupancy}
    a = erlang_a_metrics(rate_per_hour, aht_s, agents, patience_s, sl_threshold_s)
    return {"offered_load_erl": a.offered_load_erl, "agents": agents, "p_wait": a.p_wait,
            "p_abandon": a.p_abandon, "asa_s": a.asa_s, "mean_wait_s": a.mean_wait_s,
            "service_level": a.service_level, "occupancy": a.occupancy}


def main(args: argparse.Namespace) -> int:
    """Compute and print the analytic values, or solve for agents."""
    import pandas as pd

    for flag, value in (("--rate-per-hour", args.rate_per_hour), ("--aht-s", args.aht_s)):
        if not (value > 0 and math.isfinite(value)):
            raise InputError(flag, None, f"must be a positive number (got {value})")
    if args.patience_s is not None and not (args.patience_s > 0 and math.isfinite(args.patience_s)):
        raise InputError("--patience-s", None, f"must be a positive number of seconds (got {args.patience_s})")
    if args.sl_threshold_s is not None and not (args.sl_threshold_s >= 0 and math.isfinite(args.sl_threshold_s)):
        raise InputError("--sl-threshold-s", None, f"must not be negative (got {args.sl_threshold_s})")
    solving = args.target is not None or args.max_abandon is not None
    if solving and args.agents is not None:
        raise InputError("--agents", None, "give either --agents (values at that staffing) or --target/--max-abandon "
                                           "(solve for agents), not both")
    if solving:
        return solve(args)
    if args.agents is None:
        raise InputError("--agents", None, "give --agents N for the values at N agents, or --target PCT/SEC "
                                           "(e.g. 80/20) to solve for agents")
    if args.agents < 1:
        raise InputError("--agents", None, f"must be at least 1 (got {args.agents})")
    threshold = 20.0 if args.sl_threshold_s is None else args.sl_threshold_s
    values = analytic_values(args.rate_per_hour, args.aht_s, args.agents, args.patience_s, threshold)
    if args.json:
        print(json.dumps({"model": _model(args), **_finite(values)}, indent=2))
        return 0
    title = f"{_title(args)}: {args.rate_per_hour:g}/h, AHT {args.aht_s:g} s, {args.agents} agents"
    special = {"offered_load_erl": f"{values['offered_load_erl']:.2f} erl", "agents": str(args.agents)}
    rows = [{"kpi": key, "value": special.get(key) or format_value(key, value)} for key, value in values.items()]
    c = console()
    c.print(fit_table(pd.DataFrame(rows), [Column("kpi", "KPI"), Column("value", "value", justify="right")], title=title))
    if values["offered_load_erl"] >= args.agents and args.patience_s is None:
        c.print("[yellow]Load is at or above the number of agents: without abandonment the queue grows without bound.[/]")
    return 0


def parse_erlang_target(text: str) -> ServiceTarget:
    """``80/20`` (or ``phone=80/20``, ``90/1h``, ``0.8/20``) as a target; InputError unless below 100 %."""
    from sim.studies.staffing_targets import parse_target

    given = str(text).strip()
    try:
        target = parse_target(given if "=" in given else f"erlang={given}")
    except InputError as exc:
        if not exc.expected.startswith("expected"):  # a percentage out of range
            raise InputError("--target", given, "the service level must be above 0 and below 100 %, e.g. 80/20") from None
        raise InputError("--target", given, "expected PERCENT/SECONDS, e.g. 80/20 (80 % answered within 20 s) "
                                            "or 90/1h") from None
    if target.sl_target >= 1.0:
        raise InputError("--target", given, "a 100 % service level is never reached while calls arrive; "
                                            "give a target below 100 %, e.g. 80/20")
    return target


def parse_max_abandon(text: str, patience_s: float | None) -> float:
    """``0.05``, ``5%`` (or ``phone=0.05``) as a fraction above 0 and below 1; it needs a patience."""
    from sim.studies.staffing_targets import parse_channel_fractions

    try:
        (value,) = parse_channel_fractions([text], "--max-abandon").values()
    except InputError:
        raise InputError("--max-abandon", str(text), "expected a fraction above 0 and below 1, e.g. 0.05 or 5%") from None
    if value <= 0.0:
        raise InputError("--max-abandon", str(text), "must be above 0: with finite patience some callers always "
                                                     "abandon; give e.g. 0.05 or 5%")
    if patience_s is None:
        raise InputError("--max-abandon", str(text), "needs --patience-s (Erlang A): without patience nobody abandons")
    return value


def solve(args: argparse.Namespace) -> int:
    """The fewest agents meeting --target (and --max-abandon), with the values there and at one agent fewer."""
    import pandas as pd

    from sim.analysis.erlang_a import erlang_a_agents_for_sl
    from sim.analysis.erlang_c import erlang_c_agents_for_sl

    target = parse_erlang_target(args.target) if args.target is not None else None
    if target is not None and args.sl_threshold_s is not None and args.sl_threshold_s != target.sl_threshold_s:
        raise InputError("--sl-threshold-s", None, f"the threshold is part of --target ({args.target}); "
                                                   "leave --sl-threshold-s out")
    limit = parse_max_abandon(args.max_abandon, args.patience_s) if args.max_abandon is not None else None
    sl_target = target.sl_target if target is not None else 0.0
    threshold = target.sl_threshold_s if target is not None else (args.sl_threshold_s or 20.0)
    try:
        if args.patience_s is None:
            agents = erlang_c_agents_for_sl(args.rate_per_hour, args.aht_s, sl_target=sl_target, sl_threshold_s=threshold)
        else:
            agents = erlang_a_agents_for_sl(args.rate_per_hour, args.aht_s, args.patience_s, sl_target, threshold,
                                            max_abandon=limit)
    except ValueError as exc:
        raise InputError("--target" if target is not None else "--max-abandon", None, str(exc)) from None
    rows = [analytic_values(args.rate_per_hour, args.aht_s, n, args.patience_s, threshold)
            for n in (agents - 1, agents) if n >= 0]

    def meets(v: dict[str, float]) -> bool:
        return v["service_level"] >= sl_target and (limit is None or v["p_abandon"] <= limit)

    wanted = (f"{100 * sl_target:g} % answered within {threshold:g} s" if target is not None else "") + \
        (" and " if target is not None and limit is not None else "") + \
        (f"at most {100 * limit:g} % abandoned" if limit is not None else "")
    if args.json:
        print(json.dumps({"model": _model(args), "rate_per_hour": args.rate_per_hour, "aht_s": args.aht_s,
                          "patience_s": args.patience_s, "sl_target": sl_target if target is not None else None,
                          "sl_threshold_s": threshold, "max_abandon": limit, "agents": agents,
                          "at_agents": _finite(rows[-1]), "one_fewer": _finite(rows[0]) if len(rows) > 1 else None},
                         indent=2))
        return 0
    c = console()
    c.print(f"[bold]{_title(args)}[/]: {args.rate_per_hour:g}/h, AHT {args.aht_s:g} s"
            + (f", patience {args.patience_s:g} s" if args.patience_s is not None else "")
            + f", offered load {rows[-1]['offered_load_erl']:.2f} erl")
    c.print(f"fewest agents for {wanted}: [bold]{agents}[/]")
    frame = pd.DataFrame(rows)
    frame["meets"] = ["yes" if meets(v) else "no" for v in rows]
    columns = [Column("agents", "agents", "int"), Column("service_level", f"SL {threshold:g}s %", _percent_2),
               kpi_column("asa_s"), kpi_column("p_wait"), kpi_column("occupancy")]
    if args.patience_s is not None:  # two decimals where the decision is made: 0.96 % is not 1.04 %
        columns[3:3] = [Column("p_abandon", "abandon %", _percent_2), kpi_column("mean_wait_s", priority=1)]
    c.print(fit_table(frame, [*columns, Column("meets", "meets target", short="met")]))
    return 0


def _percent_2(value: float) -> str:
    """A fraction as a percentage with two decimals (the % is in the header)."""
    return f"{100 * value:.2f}"


def _model(args: argparse.Namespace) -> str:
    return "erlang_c" if args.patience_s is None else "erlang_a"


def _title(args: argparse.Namespace) -> str:
    return "Erlang A (M/M/c+M)" if args.patience_s is not None else "Erlang C (M/M/c)"


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    """``values`` for JSON: infinite or NaN values (an unstable queue, nobody answered) as null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}
