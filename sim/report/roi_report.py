"""Figures and a one-file HTML report of an ROI study, for the people who decide.

Works from what the ROI study writes (nothing here simulates):

- ``months``: tidy month table (``replication, month, arm, channel, kpi,
  value, simulated``), arms ``baseline``, ``programme`` and ``net``;
- ``outcomes``: per-replication outcomes (``replication, channel, kpi,
  value``; channels ``roi``, ``input`` and ``roi_twin``);
- ``summary``: the study's summary (bands, payback chances, noise split,
  checks of the sources' claims).

:func:`write_report` draws the four figures (:mod:`sim.report.roi_figures`)
and writes ``report.html``: a single self-contained file (images embedded as
data URIs, inline CSS, no scripts and no external resources) that opens
anywhere and can be mailed as is.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from sim.report.roi_figures import FIGURES, cost_breakdown_chart, fan_chart, kpi_chart, payback_chart
from sim.report.roi_text import (
    STAFFING_TEXT,
    belief_sentence,
    claim_rows,
    currency_of,
    key_rows,
    money,
    month_text,
    noise_text,
    percent,
    plain_name,
    plain_number,
    summary_sentences,
    value_text,
)
from sim.studies.roi_summary import BELIEF_SHARE, outcome_values


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
    cur = currency_of(summary)
    names = {"npv": ("NPV", lambda v: money(v, cur)), "roi": ("ROI", percent),
             "net_benefit_total": ("Net benefit", lambda v: money(v, cur))}
    rows = []
    for key, values in split.items():
        label, fmt = names.get(key, (str(key), lambda v: plain_number(v, 2)))
        rows.append((label, fmt(values.get("total_sd")), fmt(values.get("simulation_sd")),
                     fmt(values.get("parameter_sd")), percent(values.get("simulation_share_of_variance"))))
    table = _html_table(["Outcome", "Total spread (SD)", "Simulation noise (SD)", "Uncertain inputs (SD)",
                         "Share of variance from noise"], rows) if rows else ""
    return f"<p>{_e(noise_text(summary))}</p>{table}"


def _direction(rho: float, noise: float) -> str:
    if not math.isfinite(rho):
        return "did not vary"
    if abs(rho) < noise:
        return "no clear effect"
    return "higher value, higher NPV" if rho > 0 else "higher value, lower NPV"


def _drivers_html(outcomes: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
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
        rows.append(f"<tr><td>{_e(plain_name(row['input'], labels))}<br><code class=note>{_e(row['input'])}</code></td>"
                    f"<td class=n>{plain_number(rho, 2)}</td>"
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
            f"random numbers), {plain_number(contacts)} simulated contacts.")
    if not months.empty and "simulated" in months:
        sim_months = months.loc[months["simulated"].astype(bool), "month"].nunique()
        all_months = months["month"].nunique()
        if sim_months < all_months:
            text += (f" {sim_months} of the {all_months} months were simulated; the months between were "
                     f"interpolated.")
    return text


def _staffing_html(summary: Mapping[str, Any]) -> str:
    policy = summary.get("staffing")
    how = ("<p>How the staffing is decided: every month, each arm's demand is probed on other simulated customers "
           "and each team is given, per half hour, the agents a staffing rule fitted by simulation says it needs "
           "to meet its phone and chat service targets (posts and forum moderation by their workload). The month "
           "is then simulated with the agents the policy pays for, and the service figures above are those of "
           "that simulation.</p>")
    lead = int(summary.get("hiring_lead_months") or 0)
    if lead > 0:
        how += (f"<p>A hire decided in one month takes contacts {lead} month{'s' if lead > 1 else ''} later "
                "(recruiting and training): until then a team whose need rose works short, simulated with the "
                "agents it has, and its service falls below the target.</p>")
    else:
        how += "<p>Hires take contacts the month they are decided (no recruiting or training delay).</p>"
    if policy in STAFFING_TEXT:
        return f"{how}<p>This study: <b>{_e(policy)}</b>. {_e(STAFFING_TEXT[policy])}</p>"
    return how + "<p>The staffing policy was not recorded. " + " ".join(
        f"<b>{_e(k)}</b>: {_e(v)}" for k, v in STAFFING_TEXT.items()) + "</p>"


def _policies_html(summary: Mapping[str, Any]) -> str:
    """Payback under each staffing policy, side by side, on the same futures."""
    policies = summary.get("policies") or {}
    if not policies:
        return ("<p>The policies were not compared in this study (<code>roi.compare_policies: 0</code>).</p>")
    cur = currency_of(summary)
    rows = []
    for name in ("to_target", "attrition", "fixed"):
        got = policies.get(name)
        if not got:
            continue
        pb, npv = got["payback_month"], got["npv"]
        low, high = got["p_payback_12m_interval"]
        rows.append((name + (" (this study)" if name == summary.get("staffing") else ""),
                     f"{month_text(pb['p50'])} ({month_text(pb['p5'])} .. {month_text(pb['p95'])})",
                     f"{percent(got['p_payback_12m'])} ({percent(low)} .. {percent(high)})",
                     f"{money(npv['p50'], cur)} ({money(npv['p5'], cur)} .. {money(npv['p95'], cur)})"))
    n = max(int(g["replications"]) for g in policies.values())
    table = _html_table(["Staffing policy", "Payback: median (5 .. 95 %)", "Paid back within 12 months",
                         "NPV: median (5 .. 95 %)"], rows)
    words = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in STAFFING_TEXT.items())
    return (f"<p>The same {n} futures (the same inputs and random numbers) lived under each policy, each "
            f"simulated with the agents it pays for. The sign of the answer depends on this choice more than on "
            f"any uncertain input: read the row that matches what management will do.</p>{table}<ul>{words}</ul>")


def _beliefs_html(summary: Mapping[str, Any]) -> str:
    """What you must believe: the inputs that move payback most, in plain words, with payback at each end."""
    beliefs = summary.get("beliefs") or []
    if not beliefs:
        return "<p>The scenario declares no uncertain inputs, so there is nothing to weigh here.</p>"
    cur = currency_of(summary)
    labels = summary.get("input_labels") or {}
    rows = [(plain_name(b["input"], labels), value_text(b["low_value"]), month_text(b["low_payback_month"]),
             value_text(b["high_value"]), month_text(b["high_payback_month"]),
             f"{money(b['low_npv'], cur)} / {money(b['high_npv'], cur)}") for b in beliefs]
    share = round(100 * BELIEF_SHARE)
    lead = "".join(f"<li>{_e(belief_sentence(b, plain_name(b['input'], labels), cur))}</li>" for b in beliefs[:3])
    table = _html_table(["Input", "Low", "Payback if low", "High", "Payback if high", "NPV low / high"], rows)
    return (f"<p>The inputs that move payback most, strongest first. For each, the futures with its lowest and its "
            f"highest {share} % of values (their median value, payback and NPV); nothing else was held fixed, so "
            f"read them as \"if this is low, the futures look like this\".</p><ul>{lead}</ul>{table}")


def render_html(summary: Mapping[str, Any], months: pd.DataFrame, outcomes: pd.DataFrame, scenario_text: str,
                figures: Mapping[str, Path]) -> str:
    """The report as one HTML string; ``figures`` maps :data:`FIGURES` keys to PNG files to embed."""
    name = summary.get("scenario") or "ROI study"
    source = summary.get("scenario_path")
    minute = "".join(f"<p>{_e(s)}</p>" for s in summary_sentences(summary))
    key = _html_table(["Figure", "Median", "5 %", "95 %", "Mean (95 % CI of the mean)"], key_rows(summary))
    claims = _html_table(["Claim", "Sources say", "Simulated (median, 5-95 %)"], claim_rows(summary), 3)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        f"<title>ROI of the programme: {_e(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Does the programme pay back? {_e(name)}</h1>",
        f'<p class=sub>Scenario {_e(source) if source else "(inline)"}; amounts in {_e(currency_of(summary))}.</p>',
        f"<div class=minute>{minute}</div>",
        _img(figures["fan"], "Fan chart of the cumulative net benefit"),
        "<p class=note>Each simulated future draws the uncertain inputs and lives the horizon twice, without and "
        "with the programme. The dark line is the median future; the shaded bands hold 50, 80 and 95 % of the "
        "futures. Above the dashed line the programme has paid for itself.</p>",
        "<h2>Key figures</h2>", key,
        "<h2>When does it pay back?</h2>", _img(figures["payback"], "Distribution of the payback month"),
        "<h2>How sure are we?</h2>", _uncertainty_html(summary),
        "<h3>Which uncertain input drives the result?</h3>", _drivers_html(outcomes, summary.get("input_labels")),
        "<h2>What you must believe</h2>", _beliefs_html(summary),
        "<h2>Payback under each staffing policy</h2>", _policies_html(summary),
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
