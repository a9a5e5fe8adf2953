"""Terminal output: tables that fit the terminal, KPI tables and progress bars (rich), kept out of the core.

Every table of the commands goes through :func:`fit_table`: a DataFrame and a
list of :class:`Column` (key, short header with its unit, format, priority)
become a table no wider than the terminal (``COLUMNS`` when set, also in a
pipe; 80 when nothing says). Headers switch to their short form, then the
least important columns are left out (and named under the table), rather
than rows wrapping over several lines.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import pandas as pd

PERCENT_KPIS = {
    "service_level", "p_wait", "abandon_rate", "occupancy", "p_abandon", "deflection_rate", "self_service_success",
    "digital_share", "fcr", "repeat_rate", "resolved_rate", "peer_answer_rate", "response_coverage",
}
COUNT_KPIS = {
    "offered", "answered", "abandoned", "in_system_at_end", "blocked", "issues", "self_service_looks", "deflected",
    "contacts", "shifted_contacts", "repeat_contacts", "retries", "switches", "escalations", "unresolved_issues",
    "sentiment_positive", "sentiment_neutral", "sentiment_negative", "peer_answers", "unanswered", "agent_answers", "backlog",
}


DEFAULT_WIDTH = 80
"""Columns of output when neither ``COLUMNS`` nor a terminal tells the width."""


def terminal_width(stderr: bool = False) -> int:
    """Columns to fill: ``COLUMNS`` when set (also when piped), else the terminal's width, else 80."""
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    stream = sys.stderr if stderr else sys.stdout
    try:
        columns = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
    except (AttributeError, OSError, ValueError):  # a replaced stream without a file descriptor
        columns = 0
    return columns if columns > 0 else DEFAULT_WIDTH


def console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr) :func:`terminal_width` wide; plain text in pipes."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=terminal_width(stderr))


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


def format_compact(kpi: str, value: float | None) -> str:
    """Like :func:`format_value` with fewer digits: ``83.0 %``, ``3,546``, ``236 s``, ``7.6 s``, ``13,932``."""
    if _missing(value):
        return "-"
    assert value is not None
    if kpi in PERCENT_KPIS:
        return f"{100 * value:.1f} %"
    if kpi in COUNT_KPIS:
        return f"{value:,.0f}"
    if kpi.endswith("_s"):
        return f"{_number(value, 0 if abs(value) >= 100 else 1)} s"
    return _number(value, _decimals(abs(value)))


KPI_HEADERS: dict[str, tuple[str, str | None]] = {
    "service_level": ("SL %", None), "abandon_rate": ("abandon %", "aband %"), "p_abandon": ("abandon %", "aband %"),
    "asa_s": ("ASA s", None), "mean_wait_s": ("wait s", None), "aht_s": ("AHT s", None), "p_wait": ("P(wait) %", None),
    "occupancy": ("occupancy %", "occ %"), "offered_per_hour": ("offered/h", None), "deflection_rate": ("deflected %", "defl %"),
    "shifted_contacts": ("shifted", None), "fcr": ("FCR %", None), "escalations": ("escalations", "escal"),
    "response_coverage": ("answered %", None), "mean_response_s": ("response s", "resp s"),
}
"""Short column headers (and a shorter form) of the KPIs, with their unit; :func:`kpi_header` derives the others."""


def kpi_header(kpi: str) -> str:
    """A column header for ``kpi`` with its unit: ``SL %``, ``ASA s``, ``repeat %``, ``handled hours``."""
    if kpi in KPI_HEADERS:
        return KPI_HEADERS[kpi][0]
    if kpi in PERCENT_KPIS:
        return kpi.removesuffix("_rate").replace("_", " ") + " %"
    if kpi.endswith("_s"):
        return kpi.removesuffix("_s").replace("_", " ") + " s"
    return kpi.replace("_", " ")


Format = str | Callable[[Any], "str | Text"]
"""How a :class:`Column` prints a value: a name of :func:`fit_table`'s formats, a ``"{:.1f}"`` string or a function."""


@dataclass(frozen=True)
class Column:
    """One column of :func:`fit_table`: where its values come from and how they show.

    ``key`` is the DataFrame column. ``header`` is short and carries the unit
    (``SL %``, ``ASA s``, ``offered/h``); a ``\\n`` puts it on two lines.
    ``fmt`` is ``"text"`` (``str``), ``"int"`` (``1,234``), ``"pct"`` (a
    fraction as a percentage, ``83.4``: put the ``%`` in the header),
    ``"num"`` (decimals chosen for the whole column by its largest value: none
    from 100 up, one from 10, else two), a format string (``"{:.1f}"``) or a
    function returning a ``str`` or a styled :class:`rich.text.Text`. Missing
    values (None, NaN) print as ``-``.

    ``priority`` 0 keeps the column at any width; when the table is too wide
    the columns with the highest priority go first (the rightmost of equals
    first). ``short`` is a shorter header tried before any column goes.
    ``justify`` defaults to left for ``"text"`` and right otherwise. ``name``
    names the column where the header alone would not (the line listing
    left-out columns); default: the header on one line.
    """

    key: str
    header: str
    fmt: Format = "text"
    priority: int = 0
    short: str | None = None
    justify: Literal["left", "right"] | None = None
    name: str | None = None


def kpi_column(kpi: str, key: str | None = None, header: str | None = None, priority: int = 0,
               short: str | None = None) -> Column:
    """A :class:`Column` for a KPI named as in :mod:`sim.analysis.metrics`.

    Percentages (``service_level``) print as ``"pct"``, counts as ``"int"``,
    the rest as ``"num"``; the header is :func:`kpi_header` unless given.
    ``key`` is the DataFrame column (default: the KPI's name).
    """
    fmt = "pct" if kpi in PERCENT_KPIS else "int" if kpi in COUNT_KPIS else "num"
    if header is None:
        header = kpi_header(kpi)
        short = short or KPI_HEADERS.get(kpi, (header, None))[1]
    return Column(key or kpi, header, fmt, priority=priority, short=short)


GAP = 2
"""Spaces between the columns of a fitted table."""


@dataclass
class FittedTable:
    """A table fitted to a width by :func:`fit_table`; ``console.print`` it.

    Prints ``title`` (wrapped at the console's width, not the table's), the
    table and, when columns were left out, a line naming them. ``dropped``
    holds the names of the left-out columns, ``shown`` the keys of the shown
    ones.
    """

    table: Table
    title: str | None = None
    width: int = DEFAULT_WIDTH
    shown: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    note: bool = True

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title:
            yield Text(self.title, style="table.title")
        yield self.table
        if self.dropped and self.note:
            yield Text(f"(not shown at {self.width} columns: {', '.join(self.dropped)})", style="dim")


def fit_table(frame: pd.DataFrame, columns: Sequence[Column], width: int | None = None, title: str | None = None,
              note: bool = True) -> FittedTable:
    """``frame`` (one row per table row) as a table no wider than ``width``.

    ``width`` defaults to :func:`terminal_width`. Rows never wrap: when the
    table is too wide, every header takes its ``short`` form, then columns
    with a priority above 0 are left out (highest priority first, the
    rightmost of equals first; ``note`` names them under the table), and as
    a last resort the widest text columns are cut with an ellipsis. Columns
    are :data:`GAP` spaces apart, under one rule below the headers, without
    borders. Columns whose ``key`` is not in ``frame`` are skipped, so one
    list serves tables with and without optional columns (Erlang A).

    Example, the per-interval table of ``ccsim run``::

        cols = [Column("channel", "channel"), Column("start", "start"), kpi_column("offered_per_hour", priority=2),
                kpi_column("service_level"), kpi_column("asa_s", priority=1), kpi_column("occupancy", priority=3)]
        console().print(fit_table(frame, cols, title="Per interval (means over replications)"))
    """
    width = terminal_width() if width is None else max(1, int(width))
    specs = [c for c in columns if c.key in frame.columns]
    cells = [_cells(frame[c.key].tolist(), c.fmt) for c in specs]
    body = [max((_cell_width(x) for x in col), default=0) for col in cells]
    headers = [c.header for c in specs]

    def natural(i: int) -> int:
        return max(body[i], max(cell_len(line) for line in headers[i].split("\n")))

    shown = list(range(len(specs)))

    def total() -> int:
        return sum(natural(i) for i in shown) + GAP * max(0, len(shown) - 1)

    if total() > width:  # every short header at once, so that headers of a kind stay alike
        headers = [c.short or c.header for c in specs]
    order = sorted(range(len(specs)), key=lambda i: (-specs[i].priority, -i))
    dropped: list[str] = []
    for i in order:
        if total() <= width or specs[i].priority <= 0:
            break
        shown.remove(i)
        dropped.append(specs[i].name or " ".join(headers[i].split()))
    limits: dict[int, int] = {}
    texts = [i for i in shown if _justify(specs[i]) == "left"]
    excess = total() - width
    while excess > 0 and texts:
        widest = max(texts, key=lambda i: limits.get(i, natural(i)))
        current = limits.get(widest, natural(widest))
        if current <= 4:
            break
        limits[widest] = current - 1
        excess -= 1
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, GAP - 1, 0, 0), header_style="bold")
    for i in shown:
        table.add_column(headers[i], justify=_justify(specs[i]), no_wrap=True, overflow="ellipsis",
                         max_width=limits.get(i))
    for r in range(len(frame)):
        table.add_row(*[_as_text(cells[i][r]) for i in shown])
    if excess > 0:
        table.width = width  # nothing left to cut: rich shares the shortfall among the columns
    return FittedTable(table, title, width, [specs[i].key for i in shown], dropped, note)


def _missing(value: object) -> bool:
    if value is None:
        return True
    import pandas as pd  # imported on first use: --help and usage errors answer without it

    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _decimals(magnitude: float) -> int:
    """Decimals that keep about three significant digits: none from 100 up, one from 10, else two."""
    return 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2


def _number(value: float, decimals: int) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0.0"


def _cells(values: list[Any], fmt: Format) -> list[str | Text]:
    """The printed cells of one column."""
    if callable(fmt):
        return ["-" if _missing(v) else fmt(v) for v in values]
    if fmt == "num":
        finite = [abs(float(v)) for v in values if not _missing(v) and math.isfinite(float(v))]
        decimals = _decimals(max(finite, default=0.0))
        return ["-" if _missing(v) else _number(float(v), decimals) for v in values]
    if fmt == "pct":
        return ["-" if _missing(v) else _number(100 * float(v), 1) for v in values]
    if fmt == "int":
        return ["-" if _missing(v) else _number(float(v), 0) for v in values]
    if fmt == "text":
        return ["-" if _missing(v) else str(v) for v in values]
    if "{" in fmt:
        return ["-" if _missing(v) else fmt.format(v) for v in values]
    raise ValueError(f"unknown column format {fmt!r}: text, int, pct, num, a '{{:...}}' string or a function")


def _cell_width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _as_text(cell: str | Text) -> Text:
    return cell if isinstance(cell, Text) else Text(cell)  # plain: brackets in names are not markup


def _justify(column: Column) -> Literal["left", "right"]:
    return column.justify or ("left" if column.fmt == "text" else "right")


def kpi_table(summary: pd.DataFrame, title: str | None = None, width: int | None = None) -> FittedTable:
    """One row per KPI and, per channel, the mean and its 95 % interval, fitted to ``width``.

    The intervals read ``low .. high`` when they fit, else ``± half-width``
    (the intervals are symmetric about the mean), else they are left out.
    """
    import pandas as pd

    width = terminal_width() if width is None else width
    channels = list(dict.fromkeys(summary["channel"]))
    kpis = list(dict.fromkeys(summary["kpi"]))
    rows: list[dict[str, str]] = [{"kpi": kpi} for kpi in kpis]
    for name in channels:
        part = summary[summary["channel"] == name].drop_duplicates("kpi").set_index("kpi")
        for row in rows:
            kpi = row["kpi"]
            if kpi not in part.index:
                row[f"{name}:mean"] = row[f"{name}:ci"] = row[f"{name}:pm"] = ""
                continue
            r = part.loc[kpi]
            row[f"{name}:mean"] = format_compact(kpi, r["mean"])
            row[f"{name}:ci"], row[f"{name}:pm"] = _interval_texts(kpi, r["mean"], r["ci95_low"], r["ci95_high"])
    frame = pd.DataFrame(rows)
    for kind in ("ci", "pm"):
        cols = [Column("kpi", "KPI")]
        for name in channels:
            header = "95 % CI" if kind == "ci" else "± 95 %"
            cols += [Column(f"{name}:mean", f"{name} mean", short=name, justify="right"),
                     Column(f"{name}:{kind}", f"{name} {header}", short=header, priority=1, justify="right")]
        fitted = fit_table(frame, cols, width=width, title=title)
        if not fitted.dropped:
            return fitted
    cols = [Column("kpi", "KPI")] + [Column(f"{name}:mean", f"{name} mean", short=name, justify="right") for name in channels]
    fitted = fit_table(frame, cols, width=width, title=title)
    fitted.dropped.insert(0, "95 % intervals")
    return fitted


def _interval_texts(kpi: str, mean: float, low: float, high: float) -> tuple[str, str]:
    """``low .. high`` and ``± half-width`` of a KPI's interval, the unit written once.

    The half-width of an interval cut at what the KPI can be (a count at 0) is its uncut side's.
    """
    if _missing(low) or _missing(high):
        return "-", "-"
    unit = " %" if kpi in PERCENT_KPIS else " s" if kpi.endswith("_s") else ""
    scale = 100.0 if kpi in PERCENT_KPIS else 1.0
    lo, hi = scale * low, scale * high
    half = scale * max(mean - low, high - mean)  # an interval cut at what is possible keeps its other side
    if kpi in PERCENT_KPIS:
        decimals = 1
    elif kpi in COUNT_KPIS or (kpi.endswith("_s") and abs(mean) >= 100):
        decimals = 0
    else:
        decimals = 1 if kpi.endswith("_s") else _decimals(abs(mean))  # as many as the mean's (format_compact)
    return f"{_number(lo, decimals)} .. {_number(hi, decimals)}{unit}", f"± {_number(half, decimals)}{unit}"


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
