"""Terminal output: KPI tables and progress bars (rich), kept out of the core."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

PERCENT_KPIS = {
    "service_level", "p_wait", "abandon_rate", "occupancy", "p_abandon", "deflection_rate", "self_service_success",
    "digital_share", "fcr", "repeat_rate", "resolved_rate", "peer_answer_rate", "response_coverage",
}
COUNT_KPIS = {
    "offered", "answered", "abandoned", "in_system_at_end", "blocked", "issues", "self_service_looks", "deflected",
    "contacts", "shifted_contacts", "repeat_contacts", "retries", "switches", "escalations", "unresolved_issues",
    "sentiment_positive", "sentiment_neutral", "sentiment_negative", "peer_answers", "unanswered", "agent_answers", "backlog",
}


def console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr) that degrades to plain text in pipes."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 120
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def format_value(kpi: str, value: float | None) -> str:
    """Human formatting: percentages, counts, seconds; ``-`` for no value (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kpi in PERCENT_KPIS:
        return f"{100 * value:.1f} %"
    if kpi in COUNT_KPIS:
        return f"{value:,.0f}"
    if kpi.endswith("_s"):
        return f"{value:,.1f} s"
    return f"{value:,.2f}"


def kpi_table(summary: pd.DataFrame, title: str | None = None) -> Table:
    """A table with one row per KPI and, per channel, the mean and 95 % interval."""
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("KPI")
    channels = list(dict.fromkeys(summary["channel"]))
    for name in channels:
        table.add_column(f"{name} mean", justify="right")
        table.add_column(f"{name} 95 % CI", justify="right", style="dim")
    for kpi in dict.fromkeys(summary["kpi"]):
        cells = [kpi]
        for name in channels:
            row = summary[(summary["channel"] == name) & (summary["kpi"] == kpi)]
            if row.empty:
                cells += ["", ""]
                continue
            r = row.iloc[0]
            low, high = format_value(kpi, r["ci95_low"]), format_value(kpi, r["ci95_high"])
            cells += [format_value(kpi, r["mean"]), "-" if low == "-" else f"{low} .. {high}"]
        table.add_row(*cells)
    return table


@contextmanager
def progress_bar(description: str, total: int, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar with ETA on stderr; yields ``update(done, total)``."""
    if quiet or not sys.stderr.isatty() and total <= 1:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, total_: int) -> None:
            bar.update(task, completed=done, total=total_)

        yield update
