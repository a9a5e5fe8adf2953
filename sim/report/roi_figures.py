"""The four figures of the ROI report (PNG, matplotlib's Agg backend).

A fan chart of the cumulative net benefit, the distribution of the payback
month, the average monthly cost by line, and small multiples of the KPIs by
month; each is drawn from the tables the ROI study writes (see
:mod:`sim.report.roi_report`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter  # noqa: E402

from sim.analysis.costs import COST_LINES, PROGRAMME_LINES  # noqa: E402
from sim.report.roi_text import currency_of, money, month_text, payback_chances  # noqa: E402
from sim.studies.roi_summary import outcome_values  # noqa: E402

FIGURES = {
    "fan": "fan_chart.png",
    "payback": "payback.png",
    "costs": "cost_breakdown.png",
    "kpis": "kpis.png",
}
"""File names of the report's figures in the output folder."""

BAND_COLOURS = {95: "#c6dbef", 80: "#9ecae1", 50: "#6baed6"}
"""Opaque fill colours of the fan chart's 95/80/50 % bands (light to dark blue)."""
MEDIAN_COLOUR = "#08519c"
ARM_COLOURS = {"baseline": "#6f6f6f", "programme": "#2171b5"}
ARM_LABELS = {"baseline": "without programme", "programme": "with programme"}
NEVER_COLOUR = "#cb181d"
DPI = 110

COST_LABELS = {
    "personnel_fixed": "Management & support staff",
    "personnel_agents": "Agents",
    "personnel_supervisors": "Team leaders",
    "hiring_training": "Hiring & training",
    "technology": "Technology",
    "facilities": "Facilities (seats)",
    "telecom": "Telecom",
    "other": "Other overheads",
    "self_service": "Self-service",
    "programme_staff": "Programme: staff & moderators",
    "programme_technology": "Programme: technology",
    "programme_setup": "Programme: set-up",
}
"""Plain names of the cost lines of :data:`sim.analysis.costs.COST_LINES`."""
_CENTER_PALETTE = ("#1b4f72", "#2e86c1", "#5dade2", "#a9cce3", "#117a65", "#48c9b0",
                   "#7f8c8d", "#bdc3c7", "#d4ac0d")
_PROGRAMME_PALETTE = ("#e67e22", "#c0392b", "#f5b041")

# ---------------------------------------------------------------------------
# Data helpers


def _table(months: pd.DataFrame, channel: str, kpi: str, arm: str) -> pd.DataFrame:
    """Month x replication values of one KPI of one arm (empty when absent)."""
    rows = months[(months["channel"] == channel) & (months["kpi"] == kpi) & (months["arm"] == arm)]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index="month", columns="replication", values="value", aggfunc="mean").sort_index()


def _quantile_rows(table: pd.DataFrame, qs: Sequence[float]) -> pd.DataFrame:
    """Quantiles over replications, one column per ``q`` (NaN replications ignored)."""
    return pd.DataFrame({q: table.quantile(q, axis=1) for q in qs})


# ---------------------------------------------------------------------------
# Figures


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return path


def _no_data(ax: plt.Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def fan_chart(months: pd.DataFrame, summary: Mapping[str, Any], path: str | Path) -> Path:
    """Cumulative net benefit by month: median, 50/80/95 % bands of the futures, break-even at 0.

    The title gives the chance of paying back within 12 months and within
    the horizon. Returns the PNG written.
    """
    fig, ax = plt.subplots(figsize=(10, 5.4))
    table = _table(months, "finance", "cumulative_net_benefit", "net")
    currency = currency_of(summary)
    if table.empty:
        _no_data(ax, "no monthly net benefit in the results")
        return _save(fig, path)
    x = table.index.to_numpy(dtype=float)
    one = x.min() == x.max()  # a one-month study: a point and bars, not a line and bands, in a month-wide frame
    for level in (95, 80, 50):
        tail = (1 - level / 100) / 2
        band = _quantile_rows(table, (tail, 1 - tail))
        low, high = band.iloc[:, 0].to_numpy(), band.iloc[:, 1].to_numpy()
        x_band = x
        if one:
            x_band, low, high = np.array([x[0] - 0.2, x[0] + 0.2]), low.repeat(2), high.repeat(2)
        ax.fill_between(x_band, low, high, color=BAND_COLOURS[level], lw=0,
                        label=f"{level} % of the simulated futures")
    median = table.median(axis=1)
    ax.plot(x, median, color=MEDIAN_COLOUR, lw=2.4, marker="o" if one else None, label="median")
    ax.axhline(0, color="black", lw=1.2, ls="--", label="break-even")
    ax.set_xlim(x.min() - 0.5 if one else x.min(), x.max() + 0.5 if one else x.max())
    _mark_payback(ax, summary)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if one:
        ax.set_xticks([x[0]])
    ax.set_xlabel("month since the programme started")
    ax.set_ylabel(f"cumulative net benefit ({currency})")
    ax.grid(alpha=0.3)
    ax.set_title(f"Cumulative net benefit of the programme\n{payback_chances(summary)}", fontsize=12)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    return _save(fig, path)


def _mark_payback(ax: plt.Axes, summary: Mapping[str, Any]) -> None:
    p50 = (summary.get("payback_month") or {}).get("p50")
    if p50 is None or not math.isfinite(p50):
        return
    p50 = math.ceil(p50 - 1e-9)
    ax.axvline(p50, color=MEDIAN_COLOUR, lw=1, ls=":")
    low, high = ax.get_xlim()
    right_half = p50 > (low + high) / 2
    ax.annotate(f"median payback: {month_text(p50)}", xy=(p50, 0), xytext=(-6 if right_half else 6, -16),
                textcoords="offset points", ha="right" if right_half else "left", fontsize=9, color=MEDIAN_COLOUR,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})


def payback_chart(outcomes: pd.DataFrame, summary: Mapping[str, Any], path: str | Path) -> Path:
    """Share of the simulated futures paying back in each month, plus a bar for "never"; median marked.

    Returns the PNG written.
    """
    fig, ax = plt.subplots(figsize=(10, 4.2))
    payback = outcome_values(outcomes, "payback_month").dropna().to_numpy(dtype=float)
    horizon = int(summary.get("months") or (payback.max() - 1 if len(payback) else 12))
    if not len(payback):
        _no_data(ax, "no payback months in the results")
        return _save(fig, path)
    never = payback > horizon
    counts = np.bincount(np.ceil(payback[~never]).astype(int), minlength=horizon + 1)[1:horizon + 1]
    shares = counts / len(payback)
    ax.bar(np.arange(1, horizon + 1), shares, color=ARM_COLOURS["programme"], width=0.8, label="pays back in this month")
    ax.bar([horizon + 2], [never.mean()], color=NEVER_COLOUR, width=0.8, label=f"not within {horizon} months")
    ticks = list(range(1, horizon + 1, max(1, horizon // 12))) + [horizon + 2]
    ax.set_xticks(ticks, [str(t) for t in ticks[:-1]] + ["never"])
    p50 = (summary.get("payback_month") or {}).get("p50")
    median_x = math.ceil(p50 - 1e-9) if p50 is not None and math.isfinite(p50) else horizon + 2
    ax.axvline(median_x, color="black", ls="--", lw=1.2, label=f"median: {month_text(p50)}")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("month in which the cumulative net benefit turns positive")
    ax.set_ylabel("share of simulated futures")
    ax.set_title(f"When does the programme pay back? ({len(payback)} simulated futures)", fontsize=12)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    return _save(fig, path)


def _mean_costs(months: pd.DataFrame) -> pd.DataFrame:
    """Average monthly cost per line (rows) and arm (columns) over months and replications."""
    rows = months[(months["channel"] == "cost") & months["kpi"].isin(COST_LINES)
                  & months["arm"].isin(ARM_COLOURS)]
    if rows.empty:
        return pd.DataFrame()
    table = rows.groupby(["kpi", "arm"])["value"].mean().unstack("arm")
    table = table.reindex(index=[c for c in COST_LINES if c in table.index], columns=list(ARM_COLOURS)).fillna(0.0)
    return table[(table.abs() > 0).any(axis=1)]


def cost_breakdown_chart(months: pd.DataFrame, summary: Mapping[str, Any], path: str | Path) -> Path:
    """Stacked bars of the average monthly cost per cost line, without and with the programme.

    The programme's own lines are drawn in warm, hatched colours on top of
    the center's lines. Returns the PNG written.
    """
    fig, ax = plt.subplots(figsize=(10, 5.6))
    table = _mean_costs(months)
    currency = currency_of(summary)
    if table.empty:
        _no_data(ax, "no cost lines in the results")
        return _save(fig, path)
    x = np.arange(len(table.columns))
    bottom = np.zeros(len(x))
    centre = iter(_CENTER_PALETTE)
    programme = iter(_PROGRAMME_PALETTE)
    for line, values in table.iterrows():
        is_programme = line in PROGRAMME_LINES
        colour = next(programme, "#f8c471") if is_programme else next(centre, "#d5d8dc")
        ax.bar(x, values.to_numpy(), bottom=bottom, width=0.55, color=colour, edgecolor="white",
               hatch="//" if is_programme else None, label=COST_LABELS.get(str(line), str(line)))
        bottom += values.to_numpy()
    for xi, total in zip(x, bottom):
        ax.text(float(xi), total, f"{total:,.0f}", ha="center", va="bottom", fontsize=10, fontweight="bold")
    if len(bottom) == 2:
        diff = bottom[1] - bottom[0]
        word = "less" if diff < 0 else "more"
        ax.set_title(f"Average monthly cost by line\nwith the programme (its own cost included) the center costs "
                     f"{money(abs(diff), currency)} {word} per month", fontsize=12)
    ax.set_xticks(x, [ARM_LABELS[a] for a in table.columns])
    ax.set_ylabel(f"{currency} per month (mean over months and futures)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(0, bottom.max() * 1.08)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9,
              title="cost line (programme lines hatched)", title_fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


@dataclass(frozen=True)
class _Panel:
    title: str
    channel: str
    kpi: str
    unit: str = ""
    scale: float = 1.0
    ratio_of: str | None = None  # divide by this KPI of the same channel


def _channels_with(months: pd.DataFrame, kpi: str) -> list[str]:
    return list(dict.fromkeys(months.loc[months["kpi"] == kpi, "channel"]))


def _call_center_panels(months: pd.DataFrame) -> list[_Panel]:
    social = set(_channels_with(months, "response_coverage"))
    queues = [c for c in _channels_with(months, "service_level") if c not in social]
    phone = "phone" if "phone" in queues else (queues[0] if queues else None)
    panels = []
    if phone:
        panels += [_Panel(f"{phone}: contacts offered per month", phone, "offered"),
                   _Panel(f"{phone}: service level", phone, "service_level", "%", 100.0),
                   _Panel(f"{phone}: abandonment", phone, "abandon_rate", "%", 100.0)]
    panels.append(_Panel("Agent FTE", "fte", "agents"))
    panels.append(_Panel("Contacts per issue", "journey", "contacts_per_issue"))
    return panels


def _social_panels(months: pd.DataFrame) -> list[_Panel]:
    peer = _channels_with(months, "peer_answer_rate")
    social = [c for c in _channels_with(months, "response_coverage") if c not in peer]
    panels = [_Panel("Issues solved by self-service", "journey", "deflection_rate", "%", 100.0)]
    for name in social[:1]:
        panels += [_Panel(f"{name}: posts answered", name, "response_coverage", "%", 100.0),
                   _Panel(f"{name}: mean response time (min)", name, "mean_response_s", "min", 1 / 60)]
    for name in peer[:1]:
        panels.append(_Panel(f"{name}: questions answered by peers", name, "peer_answer_rate", "%", 100.0))
    panels.append(_Panel("Knowledge coverage (mean over issue types)", "knowledge", "*", "%", 100.0))
    panels.append(_Panel("Issues with a negative public post", "journey", "sentiment_negative", "%", 100.0, "issues"))
    panels.append(_Panel("Moderator FTE", "fte", "moderators"))
    return panels


def _panel_table(months: pd.DataFrame, panel: _Panel, arm: str) -> pd.DataFrame:
    if panel.kpi == "*":
        rows = months[(months["channel"] == panel.channel) & (months["arm"] == arm)]
        if rows.empty:
            return pd.DataFrame()
        table = rows.pivot_table(index="month", columns="replication", values="value", aggfunc="mean")
        return table.sort_index() * panel.scale
    table = _table(months, panel.channel, panel.kpi, arm)
    if panel.ratio_of and not table.empty:
        base = _table(months, panel.channel, panel.ratio_of, arm)
        table = table / base.where(base > 0)
    return table * panel.scale


def _draw_panel(ax: plt.Axes, months: pd.DataFrame, panel: _Panel) -> bool:
    drawn = False
    for arm, colour in ARM_COLOURS.items():
        table = _panel_table(months, panel, arm)
        if table.empty or table.isna().all().all() or (panel.kpi in ("moderators",) and not table.any().any()):
            continue
        band = _quantile_rows(table, (0.1, 0.5, 0.9))
        x = band.index.to_numpy(dtype=float)
        ax.fill_between(x, band[0.1], band[0.9], color=colour, alpha=0.18, lw=0)
        ax.plot(x, band[0.5], color=colour, lw=1.8, label=ARM_LABELS[arm])
        drawn = True
    if drawn:
        ax.set_title(panel.title, fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_axis_percent if panel.unit == "%" else _axis_number))
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    return drawn


def _axis_number(value: float, _: object = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")


def _axis_percent(value: float, _: object = None) -> str:
    return f"{_axis_number(value)} %"


def _present(months: pd.DataFrame, panels: list[_Panel]) -> list[_Panel]:
    def has(panel: _Panel) -> bool:
        return any(not _panel_table(months, panel, arm).dropna(how="all").empty
                   and (panel.kpi != "moderators" or _panel_table(months, panel, arm).to_numpy().any())
                   for arm in ARM_COLOURS)
    return [p for p in panels if has(p)]


def kpi_chart(months: pd.DataFrame, path: str | Path) -> Path:
    """Small multiples of the KPIs by month: the contact center (left) and social/community (right).

    Each panel shows the median over the simulated futures with an 80 % band,
    without (grey) and with (blue) the programme. Panels whose data is absent
    (e.g. a scenario without a social channel) are left out. Returns the PNG.
    """
    groups = [("Contact center", _present(months, _call_center_panels(months))),
              ("Social and community", _present(months, _social_panels(months)))]
    groups = [(name, panels) for name, panels in groups if panels]
    if not groups:
        fig, ax = plt.subplots(figsize=(8, 3))
        _no_data(ax, "no KPIs in the results")
        return _save(fig, path)
    rows = max(-(-len(panels) // 2) for _, panels in groups)
    fig = plt.figure(figsize=(7.2 * len(groups), 2.5 * rows + 1.2), layout="constrained")
    subfigs = fig.subfigures(1, len(groups), squeeze=False, wspace=0.04)[0]
    for sub, (name, panels) in zip(subfigs, groups):
        sub.suptitle(name, fontsize=13, fontweight="bold")
        axes = sub.subplots(rows, 2, squeeze=False)
        for ax, panel in zip(axes.flat, panels):
            _draw_panel(ax, months, panel)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        sub.supxlabel("month since the programme started", fontsize=9)
    fig.legend(handles=[Patch(color=c, label=f"{ARM_LABELS[a]} (median, 80 % band)") for a, c in ARM_COLOURS.items()],
               loc="outside lower center", ncol=2, fontsize=9)
    return _save(fig, path)
