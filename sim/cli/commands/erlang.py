"""``ccsim erlang``: analytic Erlang C (and Erlang A with patience) values."""

from __future__ import annotations

import argparse
import json
import math

from sim.cli.console import console, format_value
from sim.errors import InputError

HELP = """\
Analytic queueing values for one interval, without simulation.

Without --patience-s: Erlang C (M/M/c, nobody hangs up).
With --patience-s:    Erlang A (M/M/c+M, exponential patience with that mean).

Prints offered load, P(wait > 0), P(abandon), ASA (mean wait of answered
calls), service level (answered within --sl-threshold-s / offered) and
occupancy. Compare with `ccsim run scenarios/erlang-c.yaml` or erlang-a.yaml.

examples:
  ccsim erlang --rate-per-hour 1000 --aht-s 180 --agents 55
  ccsim erlang --rate-per-hour 1000 --aht-s 180 --agents 50 --patience-s 300 --json
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``erlang``."""
    p = sub.add_parser("erlang", help="analytic Erlang C / Erlang A values for one interval", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate-per-hour", type=float, required=True, metavar="R", help="arrivals per hour")
    p.add_argument("--aht-s", type=float, required=True, metavar="S", help="mean handling time in seconds")
    p.add_argument("--agents", type=int, required=True, metavar="N", help="agents on duty")
    p.add_argument("--patience-s", type=float, metavar="P", help="mean patience in seconds (Erlang A); omit for Erlang C")
    p.add_argument("--sl-threshold-s", type=float, default=20.0, metavar="T", help="service-level threshold (default 20 s)")
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
    """Compute and print the analytic values."""
    for flag, value in (("--rate-per-hour", args.rate_per_hour), ("--aht-s", args.aht_s)):
        if not (value > 0 and math.isfinite(value)):
            raise InputError(flag, None, f"must be a positive number (got {value})")
    if args.agents < 1:
        raise InputError("--agents", None, f"must be at least 1 (got {args.agents})")
    if args.patience_s is not None and not args.patience_s > 0:
        raise InputError("--patience-s", None, f"must be a positive number of seconds (got {args.patience_s})")
    if args.sl_threshold_s < 0:
        raise InputError("--sl-threshold-s", None, f"must not be negative (got {args.sl_threshold_s})")
    values = analytic_values(args.rate_per_hour, args.aht_s, args.agents, args.patience_s, args.sl_threshold_s)
    if args.json:
        model = "erlang_c" if args.patience_s is None else "erlang_a"
        finite = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}
        print(json.dumps({"model": model, **finite}, indent=2))
        return 0
    from rich.table import Table

    title = "Erlang A (M/M/c+M)" if args.patience_s is not None else "Erlang C (M/M/c)"
    table = Table(title=f"{title}: {args.rate_per_hour:g}/h, AHT {args.aht_s:g} s, {args.agents} agents",
                  title_justify="left", header_style="bold")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in values.items():
        table.add_row(key, format_value(key, value) if key != "offered_load_erl" else f"{value:.2f} erl")
    console().print(table)
    if values["offered_load_erl"] >= args.agents and args.patience_s is None:
        console().print("[yellow]Load is at or above the number of agents: without abandonment the queue grows without bound.[/]")
    return 0
