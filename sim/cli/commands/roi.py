"""``ccsim roi``: Monte Carlo ROI of a social and community programme, with a report for managers."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from sim.cli.console import Column, console, fit_table
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.studies.plan import Plan
    from sim.studies.roi_settings import RoiStudy
    from sim.studies.sweep import StudyRun

HELP = """\
Does the programme pay back, when, and how sure are we? Each replication
draws every uncertain input of SCENARIO once (its `uncertain:` section) and
lives the horizon twice on the same random numbers: a baseline arm without
the programme's channels (social posts, peer forum) and a programme arm with
them ramping up. Every month of each arm is simulated with the discrete-event
engine, staffed team by team by a rule fitted to simulations of SCENARIO so
that calls and chats meet their targets; the arm runs, and pays for, the
agents its staffing policy keeps, and the scenario's `costs:` price them.
The first roi.compare_policies replications (default 20) are also lived
under the other two policies, for the report's side-by-side comparison. Savings are the fall in the center's
costs; the programme's own staff, tools and set-up are its costs.

Writes to --out:
  results.parquet       replication x month x arm x cost line and KPI (tidy)
  replications.parquet  per replication: ROI, NPV, payback, drawn inputs
  summary.json          roi, npv, payback_month {p5, p50, p95}, p_never,
                        p_payback_12m, p_payback_horizon, deflected_contacts,
                        shifted_contacts, replications, months,
                        simulated_contacts, uncertainty (noise vs parameters)
  fan_chart.png, payback.png, cost_breakdown.png, kpis.png, report.html
Finished replications are checkpointed in OUT/tasks as they arrive: an
interrupted run continues with --resume and gives the same numbers; results
do not depend on the number of workers.

Scenario sections (see scenarios/roi-mid-size.yaml):
  roi:       months, discount_rate_annual, staffing (fixed | to_target | attrition),
             demand_growth_per_month, adoption {start, months_to_full, shape},
             programme_channels, baseline/programme overrides, sample_days,
             simulate_every, noise_pairs, compare_policies
  costs:     personnel, technology, facilities, telecom, other, self_service,
             programme {staff, technology, setup_cost}
  uncertain: dotted.path: {dist: uniform|triangular|pert|normal|lognormal|beta, ...}

examples:
  ccsim roi scenarios/roi-mid-size.yaml --out out/roi
  ccsim roi scenarios/roi-mid-size.yaml --replications 200 --months 36 --seed 7 --out out/roi36
  ccsim roi scenarios/roi-mid-size.yaml --set roi.staffing=fixed --out out/roi-fixed
  ccsim roi scenarios/roi-mid-size.yaml --set uncertain.costs.programme.setup_cost.high=240000
  ccsim roi scenarios/roi-mid-size.yaml \\
      --set 'uncertain[costs.personnel.hiring_cost_per_hire]={dist: uniform, low: 2000, high: 4000}'
  ccsim roi scenarios/roi-mid-size.yaml --out out/roi --resume
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``roi``."""
    from sim.cli.commands.sweep import add_executor_arguments

    p = sub.add_parser("roi", help="Monte Carlo ROI and payback of a social/community programme, with an HTML report",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML with journey, costs, roi and uncertain sections")
    p.add_argument("--replications", "-r", "-n", type=int, default=100, metavar="N",
                   help="Monte Carlo replications, each with its own draw of the uncertain inputs (default 100)")
    p.add_argument("--months", type=int, metavar="M", help="horizon in months (default: the scenario's roi.months, else 24)")
    p.add_argument("--seed", type=int, metavar="S", help="seed (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario value by dotted path (repeatable), e.g. roi.staffing=fixed")
    add_executor_arguments(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Validate, run the replications, summarise, draw and report."""
    from sim.io.scenario_files import load_scenario
    from sim.spec.overrides import parse_override
    from sim.studies.roi_study import prepare_study
    from sim.studies.work_limits import check_roi_work

    if args.replications < 1:
        raise InputError("--replications", str(args.replications), "must be at least 1")
    overrides = dict(parse_override(o, args.scenario) for o in args.overrides)
    if args.months is not None:
        if not 1 <= args.months <= 240:
            raise InputError("--months", str(args.months), "must be between 1 and 240")
        overrides["roi.months"] = args.months
    scenario = load_scenario(args.scenario, overrides)
    study = prepare_study(scenario, args.scenario)
    check_roi_work(scenario, study.settings, args.replications, args.scenario)  # before the first replication
    plan = _plan(args, overrides)
    from sim.cli.commands.sweep import execute

    run = execute(plan, args, write=False)
    out = Path(args.out)
    summary = write_outputs(run, study, args.scenario)
    _print(summary, run, out, args.quiet)
    return 1 if run.failed else 0


def _plan(args: argparse.Namespace, overrides: dict[str, Any]) -> Plan:
    from sim.studies.plan import build_plan
    from sim.studies.sweep_spec import KeepSpec

    path = Path(args.scenario)
    return build_plan(
        kind="roi", source=str(path), scenario=path.name, command="roi", overrides=overrides,
        spec={"scenario": str(path), "overrides": overrides, "replications": args.replications, "seed": args.seed},
        points=[], factors=[], sections={}, replications=args.replications, seed=args.seed, crn=True, keep=KeepSpec(),
    )


def write_outputs(run: StudyRun, study: RoiStudy, scenario_path: str) -> dict[str, Any]:
    """results.parquet, replications.parquet, summary.json, metadata.json, figures and report.html."""
    from sim import __version__
    from sim.io.files import json_ready, write_atomic, write_parquet
    from sim.studies.roi_horizon import simulated_months
    from sim.studies.roi_summary import summarise_outcomes
    from sim.studies.sweep import git_commit

    out = run.out
    drop = ["design_point"]
    months = run.tables.get("months")
    months = months.drop(columns=[c for c in drop if c in months.columns]) if months is not None else None
    outcomes = run.results.drop(columns=[c for c in drop if c in run.results.columns])
    if months is not None:
        write_parquet(out / "results.parquet", months)
    write_parquet(out / "replications.parquet", outcomes)
    settings = study.settings
    summary = summarise_outcomes(outcomes, settings.months, study.costs.currency, staffing=settings.staffing)
    summary["hiring_lead_months"] = settings.hiring_lead_months
    summary.update({
        "input_labels": {path: dist.label for path, dist in study.inputs.items() if dist.label},
        "staffing": settings.staffing,
        "scenario": study.data.get("name") or Path(scenario_path).stem,
        "scenario_path": scenario_path,
        "seed": run.plan.seed,
        "programme_channels": list(study.programme_channels),
        "simulated_months_per_arm": len(simulated_months(settings)),
        "sample_days_per_month": settings.sample_days,
        "failed_replications": run.failed,
        "self_service_cost_per_resolution": study.costs.self_service.cost_per_resolution,
    })
    write_atomic(out / "summary.json", json.dumps(json_ready(summary), indent=2, allow_nan=False).encode("utf-8"))
    metadata = {
        "ccsim_version": __version__, "git_commit": git_commit(), "kind": "roi", "scenario_path": scenario_path,
        "study_hash": run.plan.hash, "seed": run.plan.seed, "replications": run.plan.replications,
        "started": run.started, "finished": run.finished, "executor": run.executor, "workers": run.workers,
        "tasks": {"reused": run.reused, "computed": run.computed, "failed": run.failed, "corrupt_recomputed": run.corrupt},
    }
    write_atomic(out / "metadata.json", json.dumps(json_ready(metadata), indent=2).encode("utf-8"))
    if not run.failures.empty:
        write_atomic(out / "failures.csv", run.failures.to_csv(index=False).encode("utf-8"))
    if months is not None and not months.empty:
        from sim.report.roi_report import write_report

        text = Path(scenario_path).read_text(encoding="utf-8")
        write_report(out, summary, months, outcomes, text)
    return summary


def _money(value: float | None, currency: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{currency} {value:,.0f}"


def _print(summary: dict[str, Any], run: StudyRun, out: Path, quiet: bool) -> None:
    import pandas as pd

    from sim.report.roi_text import month_text  # the report's reading of a quantile between two months

    screen = console()
    cur = summary["currency"]
    title = f"ROI of the programme: {summary['scenario']} ({summary['replications']} replications x " \
            f"{summary['months']} months, staffing {summary['staffing']})"
    roi = summary["roi"]
    npv = summary["npv"]  # the currency goes into the row's name, so the amounts stay narrow
    rows = [{"measure": f"NPV {cur}", **{k: "-" if npv[k] is None or not math.isfinite(npv[k]) else f"{npv[k]:,.0f}"
                                         for k in ("p5", "p50", "p95")}},
            {"measure": "ROI", **{k: f"{roi[k]:.0%}" if roi[k] == roi[k] else "-" for k in ("p5", "p50", "p95")}},  # NaN: no ROI
            {"measure": "payback", **{k: month_text(summary["payback_month"][k]) for k in ("p5", "p50", "p95")}}]
    for key, label in (("deflected_contacts", "deflected issues"), ("shifted_contacts", "contacts in programme channels")):
        rows.append({"measure": label, **{k: f"{summary[key][k]:,.0f}" for k in ("p5", "p50", "p95")}})
    table = fit_table(pd.DataFrame(rows), [Column("measure", "measure"), Column("p5", "p5", justify="right"),
                                           Column("p50", "median", justify="right"), Column("p95", "p95", justify="right")],
                      title=title)
    screen.print(table)
    low, high = summary["p_payback_12m_interval"]
    screen.print(f"P(payback within 12 months) = {summary['p_payback_12m']:.0%} ({low:.0%} .. {high:.0%}, "
                 f"{summary['replications']} futures); within the horizon = {summary['p_payback_horizon']:.0%}; "
                 f"never = {summary['p_never']:.0%}")
    policies = summary.get("policies") or {}
    if policies:
        screen.print("median payback by staffing policy (same " + str(max(p["replications"] for p in policies.values()))
                     + " futures): " + ", ".join(f"{k} {month_text(v['payback_month']['p50'])}" for k, v in policies.items()))
    split = summary["uncertainty"].get("npv", {})
    if split.get("pairs"):
        screen.print(f"spread of NPV: sd {_money(split['total_sd'], cur)}, of which simulation noise sd "
                     f"{_money(split['simulation_sd'], cur)} ({int(split['pairs'])} twin replications)")
    screen.print(f"rests on {summary['simulated_contacts']:,.0f} simulated contacts; kept {run.reused}, computed "
                 f"{run.computed}, failed {run.failed}")
    screen.print(escape(f"wrote {out / 'report.html'}, {out / 'summary.json'}, {out / 'results.parquet'}"))
    if run.failed:
        screen.print(f"[red]{run.failed} replication(s) failed[/]; see {escape(str(out / 'failures.csv'))} (rerun with --resume)")
