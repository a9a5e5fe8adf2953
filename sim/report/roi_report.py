"""Figures and a one-file HTML report of an ROI study, for the people who decide.

Works from what the ROI study writes (nothing here simulates):

- ``months``: tidy month table (``replication, month, arm, channel, kpi,
  value, simulated``), arms ``baseline``, ``programme`` and ``net``;
- ``outcomes``: per-replication outcomes (``replication, channel, kpi,
  value``; channels ``roi``, ``input`` and ``roi_twin``);
- ``summary``: the study's summary (bands, payback chances, noise split,
  checks of the sources' claims).

:func:`write_report` draws the four figures (PNG, matplotlib's Agg backend)
and writes ``report.html``: a single self-contained file (images embedded as
data URIs, inline CSS, no scripts and no external resources) that opens
anywhere and can be mailed as is.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter  # noqa: E402
from scipy import stats  # noqa: E402

from sim.analysis.costs import COST_LINES, PROGRAMME_LINES  # noqa: E402
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

STAFFING_TEXT = {
    "fixed": ("Fixed headcount: the center keeps the agents it has, even when the programme takes contacts "
              "away. Savings come only from costs that vary with contacts (telephone minutes, fewer new hires "
              "as demand grows); the programme's staff are an extra cost. This is the cautious reading."),
    "to_target": ("Staffing to target: each month the center employs the FTE it needs to meet its service "
                  "targets. When the programme takes contacts away, fewer agents are needed and their cost "
                  "is saved (through attrition and fewer hires). This reading assumes management actually "
                  "adjusts headcount."),
}
"""What each staffing policy of the ROI study means, in plain words."""


# ---------------------------------------------------------------------------
# Formatting


def money(value: float | None, currency: str = "USD") -> str:
    """``USD 1.23 M`` / ``USD 618 k`` / ``USD 950``: a compact amount for text and tables."""
    if value is None or not math.isfinite(value):
        return "n/a"
    size = abs(value)
    sign = "-" if value < 0 else ""
    if size >= 1e6:
        text = f"{size / 1e6:,.2f} M"
    elif size >= 1e4:
        text = f"{size / 1e3:,.0f} k"
    else:
        text = f"{size:,.0f}" if size >= 100 else f"{size:,.2f}"
    return f"{sign}{currency} {text}"


def percent(value: float | None, digits: int = 0) -> str:
    """``0.834`` -> ``83 %``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.{digits}f} %"


def month_text(value: float | None) -> str:
    """``7.0`` -> ``month 7``; ``None`` (beyond the horizon) -> ``never``.

    Payback comes at the end of a whole month, so a quantile between two
    months (e.g. 6.5) reads as the later one.
    """
    if value is None or not math.isfinite(value):
        return "never"
    return f"month {math.ceil(value - 1e-9):d}"


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}"


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


def _currency(summary: Mapping[str, Any]) -> str:
    return str(summary.get("currency") or "USD")


def input_drivers(outcomes: pd.DataFrame, kpi: str = "npv") -> pd.DataFrame:
    """Spearman rank correlation of each drawn uncertain input with an outcome, strongest first.

    Columns ``input``, ``rho`` and ``p_value``; an input that did not vary
    (or fewer than three replications) gets NaN. Empty when the study had no
    uncertain inputs.
    """
    target = outcome_values(outcomes, kpi)
    drawn = outcomes[outcomes["channel"] == "input"]
    rows = []
    for name, values in drawn.groupby("kpi", sort=False):
        pair = pd.concat([values.set_index("replication")["value"], target], axis=1, join="inner").dropna()
        rho, p = math.nan, math.nan
        if len(pair) >= 3 and pair.iloc[:, 0].nunique() > 1 and pair.iloc[:, 1].nunique() > 1:
            result = stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1])
            rho, p = float(result.statistic), float(result.pvalue)
        rows.append({"input": str(name), "rho": rho, "p_value": p})
    table = pd.DataFrame(rows, columns=["input", "rho", "p_value"])
    order = table["rho"].abs().fillna(-1.0).sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)


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
    currency = _currency(summary)
    if table.empty:
        _no_data(ax, "no monthly net benefit in the results")
        return _save(fig, path)
    x = table.index.to_numpy(dtype=float)
    for level in (95, 80, 50):
        tail = (1 - level / 100) / 2
        band = _quantile_rows(table, (tail, 1 - tail))
        ax.fill_between(x, band.iloc[:, 0], band.iloc[:, 1], color=BAND_COLOURS[level], lw=0,
                        label=f"{level} % of the simulated futures")
    median = table.median(axis=1)
    ax.plot(x, median, color=MEDIAN_COLOUR, lw=2.4, label="median")
    ax.axhline(0, color="black", lw=1.2, ls="--", label="break-even")
    ax.set_xlim(x.min(), x.max())
    _mark_payback(ax, summary)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("month since the programme started")
    ax.set_ylabel(f"cumulative net benefit ({currency})")
    ax.grid(alpha=0.3)
    ax.set_title(f"Cumulative net benefit of the programme\n{_chances(summary)}", fontsize=12)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    return _save(fig, path)


def _chances(summary: Mapping[str, Any]) -> str:
    """``P(payback within 12 months) = 83 %, within the 24-month horizon = 95 %`` (one figure when equal)."""
    horizon = summary.get("months")
    whole = f"P(payback within the {horizon}-month horizon) = {percent(summary.get('p_payback_horizon'))}"
    if horizon is not None and horizon <= 12:
        return whole
    return (f"P(payback within 12 months) = {percent(summary.get('p_payback_12m'))}, "
            f"within the {horizon}-month horizon = {percent(summary.get('p_payback_horizon'))}")


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
    currency = _currency(summary)
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
        ax.text(xi, total, f"{total:,.0f}", ha="center", va="bottom", fontsize=10, fontweight="bold")
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
    subfigs = np.atleast_1d(fig.subfigures(1, len(groups), wspace=0.04))
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


# ---------------------------------------------------------------------------
# Report text


def summary_sentences(summary: Mapping[str, Any]) -> list[str]:
    """The plain-language summary a manager reads in a minute (plain text, not yet escaped)."""
    cur = _currency(summary)
    horizon = summary.get("months")
    pay = summary.get("payback_month") or {}
    p50 = pay.get("p50")
    if p50 is None:
        first = f"In the median case the programme does not pay back within the {horizon}-month horizon"
    else:
        first = f"In the median case the programme pays back in {month_text(p50)}"
    first += (f"; in 90 % of the simulated futures between {month_text(pay.get('p5'))} "
              f"and {month_text(pay.get('p95'))}.")
    npv_q, roi_q = summary.get("npv") or {}, summary.get("roi") or {}
    out = [
        first,
        _chances(summary).replace(", within", "; within") + ".",
        f"Median NPV {money(npv_q.get('p50'), cur)} (5-95 %: {money(npv_q.get('p5'), cur)} "
        f"to {money(npv_q.get('p95'), cur)}).",
        f"ROI {percent(roi_q.get('p50'))} (5-95 %: {percent(roi_q.get('p5'))} to {percent(roi_q.get('p95'))}): "
        f"net benefit per unit spent on the programme.",
    ]
    deflected = summary.get("deflected_contacts") or {}
    if deflected.get("mean") is not None and math.isfinite(deflected["mean"]):
        out.append(f"Over the horizon about {_number(deflected['mean'])} more issues are solved by self-service "
                   f"than without the programme (95 % CI of the mean {_number(deflected.get('ci95_low'))} "
                   f"to {_number(deflected.get('ci95_high'))}).")
    return out


def _key_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, median, 5 %, 95 %, mean with 95 % CI) rows of the key-figures table."""
    cur = _currency(summary)
    spec: list[tuple[str, str, Callable[[float | None], str]]] = [
        ("Net present value (NPV)", "npv", lambda v: money(v, cur)),
        ("Return on investment (ROI)", "roi", percent),
        ("Payback month", "payback_month", month_text),
        ("Net benefit over the horizon", "net_benefit_total", lambda v: money(v, cur)),
        ("Savings over the horizon", "savings_total", lambda v: money(v, cur)),
        ("Programme cost over the horizon", "programme_cost_total", lambda v: money(v, cur)),
        ("Extra issues solved by self-service", "deflected_contacts", _number),
        ("Contacts handled in the programme's channels", "shifted_contacts", _number),
        ("Agent FTE saved in the last month", "fte_saved_last_month", lambda v: _number(v, 1)),
    ]
    rows = []
    for label, key, fmt in spec:
        band = summary.get(key)
        if not isinstance(band, Mapping):
            continue
        mean = ""
        if "mean" in band:
            mean = f"{fmt(band['mean'])} ({fmt(band.get('ci95_low'))} to {fmt(band.get('ci95_high'))})"
        rows.append((label, fmt(band.get("p50")), fmt(band.get("p5")), fmt(band.get("p95")), mean))
    twelve = (("P(payback within 12 months)", "p_payback_12m"),) if (summary.get("months") or 0) > 12 else ()
    for label, key in (*twelve,
                       ("P(payback within the horizon)", "p_payback_horizon"),
                       ("P(never pays back within the horizon)", "p_never")):
        if key in summary:
            rows.append((label, percent(summary[key]), "", "", ""))
    return rows


def _band_text(band: Mapping[str, Any] | None, fmt: Callable[[float | None], str]) -> str:
    if not isinstance(band, Mapping):
        return "not measured"
    centre = band.get("p50", band.get("mean"))
    return f"{fmt(centre)} (5-95 %: {fmt(band.get('p5'))} to {fmt(band.get('p95'))})"


def claim_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(what the sources claim, their figure, what the simulation gives) for the claims checked."""
    claims = summary.get("claims") or {}
    cur = _currency(summary)
    per_contact = _band_text(claims.get("baseline_cost_per_contact"), lambda v: money(v, cur))
    self_service = summary.get("self_service_cost_per_resolution")
    if self_service is not None:
        per_contact += f"; self-service {money(self_service, cur)} per self-solved issue (an input of the scenario)"
    pay = summary.get("payback_month") or {}
    rows = [
        ("Cost per contact handled by the center vs per self-service resolution", "about USD 12 vs USD 0.15",
         per_contact),
        ("Personnel share of the center's cost", "about 77 %",
         _band_text(claims.get("baseline_personnel_share"), percent)),
        ("Drop in calls among customers who use social channels", "about 20 %",
         _band_text(claims.get("phone_drop_programme_users"), percent)),
        ("A social customer service programme pays back within a year", "within 12 months",
         f"P(payback within {min(12, summary.get('months') or 12)} months) = "
         f"{percent(summary.get('p_payback_12m'))}; median {month_text(pay.get('p50'))}"),
    ]
    known = {"baseline_cost_per_contact", "baseline_personnel_share", "phone_drop_programme_users"}
    for key, band in claims.items():
        if key not in known:
            rows.append((str(key).replace("_", " "), "", _band_text(band, lambda v: _number(v, 2))))
    return rows


def _noise_text(summary: Mapping[str, Any]) -> str:
    split = (summary.get("uncertainty") or {}).get("npv") or {}
    share = split.get("simulation_share_of_variance")
    pairs = split.get("pairs") or 0
    if share is None or not math.isfinite(share) or not pairs:
        return ("The split of the spread between simulation noise and uncertain inputs was not measured "
                "(no replication was lived twice).")
    return (f"Of the spread in NPV, {percent(share)} is simulation noise (the luck of the "
            f"simulated days; more simulated days per month, roi.sample_days, shrink it) and "
            f"{percent(1 - share)} comes from the uncertain inputs (only better knowledge of the inputs shrinks it); "
            f"measured on {pairs:.0f} replications lived twice.")


# ---------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d2733;max-width:1080px;
margin:0 auto;padding:18px 28px 60px;line-height:1.45;background:#fff}
h1{font-size:1.55em;margin:0 0 2px}h2{font-size:1.2em;margin:30px 0 8px;border-bottom:1px solid #dde3ea;
padding-bottom:3px}.sub{color:#5b6773;margin:0 0 12px;font-size:.92em}
.minute{background:#eef5fb;border-left:5px solid #2171b5;padding:10px 16px;margin:8px 0 14px}
.minute p{margin:4px 0}img{max-width:100%;height:auto;display:block;margin:6px auto}
table{border-collapse:collapse;margin:6px 0 10px;font-size:.93em}th,td{border-bottom:1px solid #e3e8ee;
padding:5px 10px;text-align:left;vertical-align:top}th{background:#f4f6f8}td.n{text-align:right;white-space:nowrap}
.bar{display:inline-block;height:10px;vertical-align:middle}.pos{background:#2171b5}.neg{background:#cb181d}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:10px;overflow-x:auto;font-size:.82em}
.note{color:#5b6773;font-size:.9em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td{" class=n" if i >= numeric_from else ""}>{_e(c)}</td>' for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _uncertainty_html(summary: Mapping[str, Any]) -> str:
    split = summary.get("uncertainty") or {}
    cur = _currency(summary)
    names = {"npv": ("NPV", lambda v: money(v, cur)), "roi": ("ROI", percent),
             "net_benefit_total": ("Net benefit", lambda v: money(v, cur))}
    rows = []
    for key, values in split.items():
        label, fmt = names.get(key, (str(key), lambda v: _number(v, 2)))
        rows.append((label, fmt(values.get("total_sd")), fmt(values.get("simulation_sd")),
                     fmt(values.get("parameter_sd")), percent(values.get("simulation_share_of_variance"))))
    table = _html_table(["Outcome", "Total spread (SD)", "Simulation noise (SD)", "Uncertain inputs (SD)",
                         "Share of variance from noise"], rows) if rows else ""
    return f"<p>{_e(_noise_text(summary))}</p>{table}"


def _direction(rho: float, noise: float) -> str:
    if not math.isfinite(rho):
        return "did not vary"
    if abs(rho) < noise:
        return "no clear effect"
    return "higher value, higher NPV" if rho > 0 else "higher value, lower NPV"


def _drivers_html(outcomes: pd.DataFrame) -> str:
    drivers = input_drivers(outcomes, "npv")
    if drivers.empty:
        return ("<p>The scenario declares no uncertain inputs: every future uses the same inputs, so the spread "
                "comes from simulation noise only.</p>")
    n = int(outcomes.loc[outcomes["channel"] == "input", "replication"].nunique())
    noise = 1.96 / math.sqrt(n - 1) if n > 1 else math.inf
    rows = []
    for _, row in drivers.iterrows():
        rho = row["rho"]
        width = 0 if not math.isfinite(rho) else round(abs(rho) * 120)
        bar = f'<span class="bar {"pos" if rho >= 0 else "neg"}" style="width:{width}px"></span>'
        effect = _direction(rho, noise)
        rows.append(f"<tr><td><code>{_e(row['input'])}</code></td><td class=n>{_number(rho, 2)}</td>"
                    f"<td>{bar}</td><td>{_e(effect)}</td></tr>")
    return ("<p>Spearman rank correlation of each drawn input with the NPV over the simulated futures: the "
            "further from 0, the more that input drives the result. "
            f"With {n} futures, a correlation within &plusmn;{min(noise, 1.0):.2f} cannot be told from chance.</p>"
            "<table><thead><tr><th>Uncertain input</th>"
            "<th>rank correlation</th><th></th><th>direction</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _basis_text(summary: Mapping[str, Any], months: pd.DataFrame) -> str:
    reps, horizon = summary.get("replications"), summary.get("months")
    contacts = summary.get("simulated_contacts")
    text = (f"{reps} replications x {horizon} months x 2 arms (without and with the programme, on the same "
            f"random numbers), {_number(contacts)} simulated contacts.")
    if not months.empty and "simulated" in months:
        sim_months = months.loc[months["simulated"].astype(bool), "month"].nunique()
        all_months = months["month"].nunique()
        if sim_months < all_months:
            text += (f" {sim_months} of the {all_months} months were simulated; the months between were "
                     f"interpolated.")
    return text


def _staffing_html(summary: Mapping[str, Any]) -> str:
    policy = summary.get("staffing")
    if policy in STAFFING_TEXT:
        return f"<p><b>{_e(policy)}</b>: {_e(STAFFING_TEXT[policy])}</p>"
    return ("<p>The staffing policy was not recorded. " + " ".join(
        f"<b>{_e(k)}</b>: {_e(v)}" for k, v in STAFFING_TEXT.items()) + "</p>")


def render_html(summary: Mapping[str, Any], months: pd.DataFrame, outcomes: pd.DataFrame, scenario_text: str,
                figures: Mapping[str, Path]) -> str:
    """The report as one HTML string; ``figures`` maps :data:`FIGURES` keys to PNG files to embed."""
    name = summary.get("scenario") or "ROI study"
    source = summary.get("scenario_path")
    minute = "".join(f"<p>{_e(s)}</p>" for s in summary_sentences(summary))
    key = _html_table(["Figure", "Median", "5 %", "95 %", "Mean (95 % CI of the mean)"], _key_rows(summary))
    claims = _html_table(["Claim", "Sources say", "Simulated (median, 5-95 %)"], claim_rows(summary), 3)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        f"<title>ROI of the programme: {_e(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Does the programme pay back? {_e(name)}</h1>",
        f'<p class=sub>Scenario {_e(source) if source else "(inline)"}; amounts in {_e(_currency(summary))}.</p>',
        f"<div class=minute>{minute}</div>",
        _img(figures["fan"], "Fan chart of the cumulative net benefit"),
        "<p class=note>Each simulated future draws the uncertain inputs and lives the horizon twice, without and "
        "with the programme. The dark line is the median future; the shaded bands hold 50, 80 and 95 % of the "
        "futures. Above the dashed line the programme has paid for itself.</p>",
        "<h2>Key figures</h2>", key,
        "<h2>When does it pay back?</h2>", _img(figures["payback"], "Distribution of the payback month"),
        "<h2>How sure are we?</h2>", _uncertainty_html(summary),
        "<h3>Which uncertain input drives the result?</h3>", _drivers_html(outcomes),
        "<h2>Where the money goes</h2>", _img(figures["costs"], "Average monthly cost by line"),
        "<h2>Service and community</h2>", _img(figures["kpis"], "KPIs by month"),
        "<h2>The sources' claims, checked</h2>", claims,
        "<h2>What the result rests on</h2>", f"<p>{_e(_basis_text(summary, months))}</p>",
        "<h3>Staffing policy</h3>", _staffing_html(summary),
        "<h3>Scenario</h3>", f"<pre>{_e(scenario_text)}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(out_dir: str | Path, summary: Mapping[str, Any], months: pd.DataFrame, outcomes: pd.DataFrame,
                 scenario_text: str) -> Path:
    """Write the four figures (:data:`FIGURES`) and the self-contained ``report.html`` into ``out_dir``.

    Returns the path of ``report.html``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "fan": fan_chart(months, summary, out / FIGURES["fan"]),
        "payback": payback_chart(outcomes, summary, out / FIGURES["payback"]),
        "costs": cost_breakdown_chart(months, summary, out / FIGURES["costs"]),
        "kpis": kpi_chart(months, out / FIGURES["kpis"]),
    }
    report = out / "report.html"
    report.write_text(render_html(summary, months, outcomes, scenario_text, figures), encoding="utf-8")
    return report


__all__ = [
    "BAND_COLOURS", "COST_LABELS", "FIGURES", "STAFFING_TEXT", "claim_rows", "cost_breakdown_chart", "fan_chart",
    "input_drivers", "kpi_chart", "money", "month_text", "payback_chart", "percent", "render_html",
    "summary_sentences", "write_report",
]
