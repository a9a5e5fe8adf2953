"""``ccsim sensitivity``: tornado chart and Sobol indices of KPIs to uncertain inputs."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.commands.sweep import add_executor_arguments, add_run_settings, check_run_settings, execute
from sim.cli.console import Column, FittedTable, console, fit_table

if TYPE_CHECKING:
    import pandas as pd

HELP = """\
Which uncertain input moves a KPI most? SPEC names a base scenario, the
uncertain inputs (dotted paths with a range or a distribution) and the
outputs (channel.kpi). Two analyses, both evaluated like a sweep (parallel,
checkpointed, --resume):

- one at a time (tornado): each input at its low and its high with the
  others at their base (median), the same random numbers at every point,
  so the changes come with paired 95 % intervals;
- Sobol first-order and total indices from Saltelli's design: N base
  samples give N (d + 2) evaluations for d inputs; bootstrap intervals.

Spec (paths relative to the spec file):
  scenario: ../scenarios/erlang-a.yaml
  replications: 2                  # CRN replications averaged per point
  seed: 11
  overrides: {horizon.hours: 6}
  outputs: [phone.service_level, phone.abandon_rate]
  inputs:
    arrivals.phone.rate_per_hour: [900, 1100]          # uniform
    channels.phone.aht.mean_s: {dist: triangular, low: 165, mode: 180, high: 200}
    channels.phone.patience.mean_s: {dist: lognormal, mean: 300, cv: 0.3}
    # also {dist: normal, mean, sd, low, high} (bounds optional)
  integer: []                      # inputs that take whole numbers
  tornado: true
  sobol: {base_samples: 128, bootstrap: 1000, confidence: 0.95}

Unbounded inputs go to their 5 % and 95 % quantiles in the tornado.
Writes OUT/tornado.png, OUT/sobol.png, OUT/sensitivity.csv and .json, and
the sweep files (results.parquet, summary.csv, design.csv, metadata.json).

examples:
  ccsim sensitivity experiments/sensitivity-phone.yaml --out out/sens
  ccsim sensitivity experiments/sensitivity-phone.yaml --out out/sens --resume --dask local
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``sensitivity``."""
    p = sub.add_parser("sensitivity", help="tornado chart and Sobol indices of KPIs to uncertain inputs",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC", help="sensitivity spec YAML file")
    add_run_settings(p)
    add_executor_arguments(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Plan and run the evaluations, analyse, write tables and figures, print the ranking."""
    from sim.io.files import json_ready
    from sim.report.sweep_plots import plot_sobol, plot_tornado
    from sim.studies.sensitivity import analyse, plan_sensitivity

    check_run_settings(args)
    study = plan_sensitivity(args.spec, args.replications, args.seed)
    run = execute(study.plan, args)
    result = analyse(study, run)
    out = Path(args.out)
    table = result.table()
    table.to_csv(out / "sensitivity.csv", index=False)
    payload = {
        "spec_path": study.plan.source,
        "seed": study.plan.seed,
        "replications": study.plan.replications,
        "base_samples": study.base_samples,
        "evaluations": len(study.plan.points),
        "missing_evaluations": result.missing,
        "results": json_ready(table.to_dict(orient="records")),
    }
    (out / "sensitivity.json").write_text(json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8")
    figures = []
    if not result.tornado.empty:
        figures.append(plot_tornado(result.tornado, out / "tornado.png"))
    if not result.sobol.empty:
        figures.append(plot_sobol(result.sobol, out / "sobol.png"))
    screen = console()
    screen.print(f"[bold]sensitivity[/] {escape(study.plan.source)}: {len(study.plan.points)} evaluations x "
                 f"{study.plan.replications} replications; kept {run.reused}, computed {run.computed}, failed {run.failed}")
    screen.print(_ranking(table))
    screen.print(escape(f"wrote {out / 'sensitivity.csv'}, {out / 'sensitivity.json'}, " + ", ".join(str(f) for f in figures)))
    if run.failed:
        screen.print(f"[red]{run.failed} evaluation(s) failed[/]; see {escape(str(out / 'failures.csv'))}; "
                     "indices that need them are missing (rerun with --resume)")
        return 1
    return 0


def _ranking(table: pd.DataFrame) -> FittedTable:
    sort_by = "ST" if "ST" in table.columns else "swing"
    ranked = table.sort_values(["output", sort_by], ascending=[True, False])
    sobol = "ST" in table.columns  # then the total index ranks the inputs; the swing and S1 may go at narrow widths
    return fit_table(ranked, [Column("output", "output"), Column("input", "input"),
                              Column("swing", "swing", _fmt, priority=2 if sobol else 0), Column("S1", "S1", _fmt, priority=1),
                              Column("ST", "ST", _fmt)],
                     title="Sensitivity (tornado swing; Sobol first-order and total indices)")


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.3g}"
