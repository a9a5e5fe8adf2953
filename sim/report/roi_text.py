"""The words and numbers of the ROI report: amounts, percentages, payback months, sentences and table rows.

Plain text (not yet escaped for HTML), shared by the figures' titles
(:mod:`sim.report.roi_figures`), the HTML report (:mod:`sim.report.roi_report`)
and the command line's summary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

STAFFING_TEXT = {
    "to_target": ("Staffing to target: each month every team employs exactly the agents it needs to meet its "
                  "service targets, and the month is simulated with those agents. When the programme takes "
                  "contacts away, agents beyond the month's leavers are let go at once. This is the most "
                  "favourable reading: it assumes management cuts headcount as soon as the work falls."),
    "attrition": ("Staffing through attrition: teams grow at once when more agents are needed but shrink only "
                  "as people leave (nobody is laid off); the agents kept beyond the need are on duty in the "
                  "simulation, so service is better than the target while the team shrinks."),
    "fixed": ("Fixed headcount: the center keeps the agents it has, even when the programme takes contacts "
              "away, and they stay on duty. Savings come only from costs that vary with contacts (telephone "
              "minutes, fewer new hires as demand grows); the programme's staff are an extra cost. This is the "
              "cautious reading."),
}
"""What each staffing policy of the ROI study means, in plain words."""
_POLICY_NAMES = {"to_target": "staff-to-target", "attrition": "shrink-through-attrition", "fixed": "fixed-headcount"}



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


def plain_number(value: float | None, digits: int = 0) -> str:
    """``12345.6`` -> ``12,346`` (``digits`` decimals); ``n/a`` when missing."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def value_text(value: float | None) -> str:
    """An input's value at a sensible precision: ``20,000``, ``0.25``, ``3e-05``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.2g}"


def currency_of(summary: Mapping[str, Any]) -> str:
    """The currency the summary's amounts are in (USD when it does not say)."""
    return str(summary.get("currency") or "USD")



def payback_chances(summary: Mapping[str, Any]) -> str:
    """``P(payback within 12 months) = 83 %, within the 24-month horizon = 95 %`` (one figure when equal)."""
    horizon = summary.get("months")
    whole = f"P(payback within the {horizon}-month horizon) = {percent(summary.get('p_payback_horizon'))}"
    if horizon is not None and horizon <= 12:
        return whole
    interval = summary.get("p_payback_12m_interval") or [None, None]
    futures = summary.get("replications")
    band = f" ({percent(interval[0])} to {percent(interval[1])} over {futures} futures)" if interval[0] is not None else ""
    return (f"P(payback within 12 months) = {percent(summary.get('p_payback_12m'))}{band}, "
            f"within the {horizon}-month horizon = {percent(summary.get('p_payback_horizon'))}")



# ---------------------------------------------------------------------------
# Report text


def summary_sentences(summary: Mapping[str, Any]) -> list[str]:
    """The plain-language summary a manager reads in a minute (plain text, not yet escaped)."""
    cur = currency_of(summary)
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
        payback_chances(summary).replace(", within", "; within") + ".",
        f"Median NPV {money(npv_q.get('p50'), cur)} (5-95 %: {money(npv_q.get('p5'), cur)} "
        f"to {money(npv_q.get('p95'), cur)}).",
        f"ROI {percent(roi_q.get('p50'))} (5-95 %: {percent(roi_q.get('p5'))} to {percent(roi_q.get('p95'))}): "
        f"net benefit per unit spent on the programme.",
    ]
    policy = summary.get("staffing")
    others = {k: v for k, v in (summary.get("policies") or {}).items() if k != policy}
    if policy:
        text = f"These figures assume the {_POLICY_NAMES.get(policy, policy)} staffing policy"
        if others:
            text += "; under " + " and under ".join(
                f"{_POLICY_NAMES.get(k, k)} the median payback is {month_text(v['payback_month']['p50'])}"
                for k, v in others.items())
            text += f" (the same {max(int(v['replications']) for v in others.values())} futures)"
        out.append(text + ".")
    deflected = summary.get("deflected_contacts") or {}
    if deflected.get("mean") is not None and math.isfinite(deflected["mean"]):
        out.append(f"Over the horizon about {plain_number(deflected['mean'])} more issues are solved by self-service "
                   f"than without the programme (95 % CI of the mean {plain_number(deflected.get('ci95_low'))} "
                   f"to {plain_number(deflected.get('ci95_high'))}).")
    return out


def key_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, median, 5 %, 95 %, mean with 95 % CI) rows of the key-figures table."""
    cur = currency_of(summary)
    spec: list[tuple[str, str, Callable[[float | None], str]]] = [
        ("Net present value (NPV)", "npv", lambda v: money(v, cur)),
        ("Return on investment (ROI)", "roi", percent),
        ("Payback month", "payback_month", month_text),
        ("Net benefit over the horizon", "net_benefit_total", lambda v: money(v, cur)),
        ("Savings over the horizon", "savings_total", lambda v: money(v, cur)),
        ("Programme cost over the horizon", "programme_cost_total", lambda v: money(v, cur)),
        ("Extra issues solved by self-service", "deflected_contacts", plain_number),
        ("Contacts handled in the programme's channels", "shifted_contacts", plain_number),
        ("Agent FTE saved in the last month", "fte_saved_last_month", lambda v: plain_number(v, 1)),
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
    cur = currency_of(summary)
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
            rows.append((str(key).replace("_", " "), "", _band_text(band, lambda v: plain_number(v, 2))))
    return rows


def noise_text(summary: Mapping[str, Any]) -> str:
    """One paragraph: how much of the NPV's spread is simulation noise and how much the uncertain inputs."""
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


_PLAIN_NAMES = {
    "journey.self_service.look_probability.before_login": "share of customers who search the community before logging in",
    "journey.self_service.look_probability.after_login": "share of customers who search the community after logging in",
    "journey.knowledge.gain_per_answer": "how much each public answer adds to the knowledge base",
    "journey.knowledge.gain_per_article": "how much each article adds to the knowledge base",
    "journey.issues.rate_per_hour": "customer issues per hour at the peak",
    "roi.adoption.start": "share of the programme's effect reached in its first month",
    "roi.adoption.months_to_full": "months until customers fully take up the programme",
    "roi.demand_growth_per_month": "growth of demand per month",
    "costs.personnel.agent_annual_salary": "an agent's annual salary",
    "costs.personnel.attrition_per_year": "share of staff who leave in a year",
    "costs.programme.setup_cost": "the programme's one-off set-up cost",
}
"""Plain names of the inputs studies most often leave uncertain (others are spelled out from their path)."""


def plain_name(path: str, labels: Mapping[str, str] | None = None) -> str:
    """The plain name of an uncertain input: its ``label``, a known name, or its path spelled out."""
    if labels and labels.get(path):
        return labels[path]
    if path in _PLAIN_NAMES:
        return _PLAIN_NAMES[path]
    parts = path.split(".")
    if len(parts) >= 3 and parts[0] == "channels":
        channel, rest = parts[1], parts[2:]
        if rest == ["community", "members"]:
            return f"members of the {channel} community"
        if rest == ["response_coverage"]:
            return f"share of {channel} posts the center answers"
        return f"{channel}: " + " ".join(p.replace("_", " ") for p in rest)
    skip = {"journey", "costs", "roi"}
    return " ".join(p.replace("_", " ") for p in parts if p not in skip)


def belief_sentence(row: Mapping[str, Any], name: str, currency: str) -> str:
    """One input of "what you must believe": the payback and NPV at either end of its range, in a sentence."""
    return (f"{name}: at {value_text(row['low_value'])} payback is {month_text(row['low_payback_month'])} "
            f"(NPV {money(row['low_npv'], currency)}); at {value_text(row['high_value'])} it is "
            f"{month_text(row['high_payback_month'])} (NPV {money(row['high_npv'], currency)}).")
