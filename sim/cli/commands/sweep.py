"""``ccsim sweep``: run a parameter sweep from a spec file, resumably, on processes or Dask."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from sim.cli.console import console
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.studies.plan import Plan
    from sim.studies.sweep import Progress as SweepProgress
    from sim.studies.sweep import StudyRun

HELP = """\
Run every design point of SPEC (a YAML sweep spec) for its replications and
write tidy results, summaries with 95 % confidence intervals and figures to
--out. Each finished (design point, replication) is saved at once in
OUT/tasks/, so an interrupted sweep continues with --resume; the numbers do
not depend on the executor or the number of workers.

Spec (paths relative to the spec file):
  scenario: ../scenarios/erlang-a.yaml
  command: run                    # task function: run, or roi (per-replication ROI outcomes)
  replications: 5
  seed: 7
  crn: true                       # same random numbers at every design point
  overrides: {horizon.hours: 24}  # fixed changes to the scenario
  factors:                        # full grid of levels
    channels.phone.agents: [48, 50, 52]
  sample:                         # and/or ranges sampled by lhs or sobol
    method: lhs
    points: 20
    ranges: {channels.phone.patience.mean_s: [60, 600]}
    integer: []
  keep: {kpis: [service_level, abandon_rate], channels: [phone], intervals: false}

Output folder: results.parquet (design_point, factors, replication, channel,
kpi, value), summary.parquet/.csv, design.csv, failures.csv (if any task
failed), metadata.json, spec.lock, figures/*.png.

Folder rules: a new or empty folder starts the sweep; the same spec again
needs --resume (or delete the folder to start over); a folder of a
different spec is refused. Exit status 1 when some task failed (see
failures.csv; --resume retries them), 2 for a bad spec or folder.

examples:
  ccsim sweep experiments/sl-agents-patience.yaml --out out/sl
  ccsim sweep experiments/sl-agents-patience.yaml --out out/sl --resume
  ccsim sweep experiments/sl-agents-patience.yaml --out out/sl-quick -r 2 --seed 11
  ccsim sweep experiments/sl-agents-patience.yaml --out out/sl --dask local --workers 4
  ccsim sweep experiments/sl-agents-patience.yaml --out out/sl --dask tcp://10.0.0.5:8786
"""


def add_executor_arguments(p: argparse.ArgumentParser) -> None:
    """--workers, --dask, --resume, --chunk, --quiet (shared with ``sensitivity``)."""
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created; holds checkpoints and results)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="local worker processes (default 0 = one per core; 1 runs in this process); "
                        "with --dask local, the cluster's worker count")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on a dask.distributed scheduler at ADDRESS, or 'local' for a LocalCluster on 127.0.0.1")
    p.add_argument("--resume", action="store_true",
                   help="continue a sweep in DIR: keep finished tasks, rerun missing, corrupt or failed ones")
    p.add_argument("--chunk", type=int, default=1, metavar="N", help="replications of one design point per task (default 1)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def add_run_settings(p: argparse.ArgumentParser) -> None:
    """-r/--replications and --seed, which replace the spec's (shared with ``sensitivity``)."""
    p.add_argument("--replications", "-r", type=int, metavar="N",
                   help="replications per design point (default: the spec's, else the scenario's)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: the spec's, else the scenario's)")


def check_run_settings(args: argparse.Namespace) -> None:
    """InputError for -r below 1 (a negative --seed is refused for every command)."""
    if args.replications is not None and args.replications < 1:
        raise InputError("--replications", str(args.replications), "must be at least 1")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``sweep``."""
    p = sub.add_parser("sweep", help="run a parameter sweep (grid, LHS or Sobol) with resumable checkpoints",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC", help="sweep spec YAML file")
    add_run_settings(p)
    add_executor_arguments(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Plan, run, summarise and plot the sweep."""
    from sim.report.sweep_plots import plot_sweep
    from sim.studies.plan import plan_sweep

    check_run_settings(args)
    plan = plan_sweep(args.spec, args.replications, args.seed)
    run = execute(plan, args)
    figures = plot_sweep(run.summary, plan.factors, Path(args.out) / "figures", plan.keep_kpis)
    report(run, figures, args.quiet)
    return 1 if run.failed else 0


def execute(plan: Plan, args: argparse.Namespace, write: bool = True) -> StudyRun:
    """Run ``plan`` with the executor the arguments ask for, showing progress (``write``: see run_plan)."""
    from sim.studies.executors import make_executor
    from sim.studies.sweep import run_plan

    if args.chunk < 1:
        raise InputError("--chunk", str(args.chunk), "must be at least 1")
    executor = make_executor(args.workers, args.dask)
    try:
        label = f"{plan.kind} ({executor.name}, {executor.workers} worker{'s' if executor.workers != 1 else ''})"
        with study_progress(label, args.quiet) as update:
            return run_plan(plan, args.out, executor, resume=args.resume, progress=update, chunk=args.chunk, write=write)
    finally:
        executor.close()


@contextmanager
def study_progress(description: str, quiet: bool) -> Iterator[Callable[[SweepProgress], None]]:
    """A rich progress bar with ETA and counts of finished, failed and remaining tasks (stderr)."""
    if quiet:
        yield lambda state: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]} done, [red]{task.fields[failed]} failed[/], {task.fields[remaining]} left"
                   "{task.fields[reused]}"),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    bar = Progress(*columns, console=console(stderr=True), transient=False)
    task = bar.add_task(description, total=None, done=0, failed=0, remaining="?", reused="")
    started = False

    def update(state: SweepProgress) -> None:
        nonlocal started
        if not started:  # start on the first report, so an early error prints no empty bar
            bar.start()
            started = True
        reused = state.reused
        bar.update(task, total=max(1, state.total), completed=state.done + state.failed,
                   done=state.done, failed=state.failed, remaining=state.remaining,
                   reused=f" ({reused} kept from before)" if reused else "")

    try:
        yield update
    finally:
        if started:
            bar.stop()


def report(run: StudyRun, figures: list[Path], quiet: bool) -> None:
    """A few lines on what ran and where the results are; the first failures."""
    out = console()
    plan = run.plan
    out.print(f"[bold]{plan.kind}[/] {escape(plan.source)}: {len(plan.points)} design points x {plan.replications} "
              f"replications = {plan.tasks_total} tasks; kept {run.reused}, computed {run.computed}, "
              f"failed {run.failed}" + (f", {run.corrupt} damaged checkpoints recomputed" if run.corrupt else ""))
    out.print(escape(f"results: {run.out / 'results.parquet'} ({len(run.results):,} rows), summary: {run.out / 'summary.csv'}, "
                     f"{len(figures)} figures in {run.out / 'figures'}"))
    if run.failed:
        out.print(f"[red]{run.failed} task(s) failed[/]; see {escape(str(run.out / 'failures.csv'))} "
                  "(rerun with --resume to retry):")
        for row in run.failures.head(5).itertuples(index=False):
            out.print(escape(f"  design point {row.design_point}, replication {row.replication}: {row.error}"))
