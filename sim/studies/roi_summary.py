"""Summaries of ROI replications: quantile bands, payback chances, and simulation noise against uncertain inputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.metrics import confidence_interval, share_interval

_POSSIBLE: dict[str, tuple[float | None, float | None]] = {
    "shifted_contacts": (0.0, None), "programme_cost_total": (0.0, None), "baseline_cost_per_contact": (0.0, None),
    "baseline_personnel_share": (0.0, 1.0), "phone_drop_programme_users": (None, 1.0),
}
"""The values an outcome can take (contacts, costs and shares), to which its confidence interval is cut."""


def quantiles(values: np.ndarray, qs: tuple[float, ...] = (0.05, 0.5, 0.95), observed: bool = False) -> dict[str, float]:
    """``{"p5": .., "p50": .., "p95": ..}`` of the finite values (NaN when there are none).

    ``observed`` takes each quantile from the values themselves (the
    inverse of the empirical distribution) rather than interpolating: for
    payback months, a month in which some simulated future paid back.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    keys = [f"p{round(q * 100):d}" for q in qs]
    if not len(v):
        return dict.fromkeys(keys, math.nan)
    found = np.quantile(v, qs, method="inverted_cdf") if observed else np.quantile(v, qs, method="linear")
    return dict(zip(keys, (float(x) for x in found)))


def uncertainty_split(values: np.ndarray, twin_a: np.ndarray, twin_b: np.ndarray) -> dict[str, float]:
    """Split the spread of an outcome into simulation noise and parameter uncertainty.

    ``values`` are the outcome over all replications (each with its own
    inputs); ``twin_a``/``twin_b`` the outcome of the same inputs lived
    twice with different simulation random numbers. Simulation variance is
    ``mean((a - b)^2) / 2``; parameter variance is the rest of the total.
    """
    v = np.asarray(values, dtype=float)
    a, b = np.asarray(twin_a, dtype=float), np.asarray(twin_b, dtype=float)
    total = float(np.var(v, ddof=1)) if len(v) > 1 else math.nan
    noise = float(np.mean((a - b) ** 2) / 2.0) if len(a) else math.nan
    parameter = max(0.0, total - noise) if math.isfinite(total) and math.isfinite(noise) else math.nan
    share = noise / total if total and math.isfinite(total) and math.isfinite(noise) and total > 0 else math.nan
    return {
        "total_sd": math.sqrt(total) if math.isfinite(total) else math.nan,
        "simulation_sd": math.sqrt(noise) if math.isfinite(noise) else math.nan,
        "parameter_sd": math.sqrt(parameter) if math.isfinite(parameter) else math.nan,
        "simulation_share_of_variance": min(1.0, share) if math.isfinite(share) else math.nan,
        "pairs": float(len(a)),
    }


def outcome_values(outcomes: pd.DataFrame, kpi: str, channel: str = "roi") -> pd.Series:
    """One outcome (or drawn input, channel ``input``) per replication, indexed and sorted by replication."""
    rows = outcomes[(outcomes["channel"] == channel) & (outcomes["kpi"] == kpi)]
    return rows.set_index("replication")["value"].sort_index()


def summarise_outcomes(outcomes: pd.DataFrame, months: int, currency: str = "USD", level: float = 0.95,
                       staffing: str | None = None) -> dict[str, Any]:
    """The manager's numbers over replications: bands, payback chances, noise vs parameters.

    ``outcomes`` has columns ``replication, channel, kpi, value`` as the
    ``roi`` task writes them. Payback months that never come are counted as
    beyond the horizon: a quantile that falls there is None, and ``p_never``
    gives their share. Payback quantiles are months that occurred; the
    chances of payback come with their Wilson interval over the
    ``replications`` futures. ``policies`` compares the staffing policies
    on the replications lived under each (``staffing`` is the study's own);
    ``beliefs`` lists the uncertain inputs by how far they move payback.
    """
    def values(kpi: str, channel: str = "roi") -> pd.Series:
        return outcome_values(outcomes, kpi, channel)

    payback = values("payback_month").to_numpy(dtype=float)
    never = payback > months
    n = len(payback)
    figures = _payback_figures(payback, months, level)
    summary: dict[str, Any] = {
        "roi": quantiles(values("roi").to_numpy()),
        "npv": quantiles(values("npv").to_numpy()),
        "payback_month": figures["payback_month"],
        "p_never": figures["p_never"],
        "p_payback_12m": figures["p_payback_12m"],
        "p_payback_horizon": float((~never).mean()) if len(payback) else math.nan,
        "p_payback_12m_interval": figures["p_payback_12m_interval"],
        "p_payback_horizon_interval": list(share_interval(int((~never).sum()), n, level)),
        "replications": int(len(payback)),
        "months": int(months),
        "currency": currency,
        "simulated_contacts": float(values("simulated_contacts").sum() + values("simulated_contacts", "roi_twin").sum()),
    }
    summary["policies"] = policy_comparison(outcomes, months, level)
    main = None if staffing is None else f"{staffing}.simulated_contacts"
    summary["simulated_contacts"] += float(sum(values(f"{p}.simulated_contacts", "policy").sum()
                                               for p in summary["policies"] if f"{p}.simulated_contacts" != main))
    summary["beliefs"] = what_you_must_believe(outcomes, months)
    for kpi in ("deflected_contacts", "shifted_contacts", "net_benefit_total", "programme_cost_total", "savings_total",
                "fte_saved_last_month"):
        summary[kpi] = mean_and_band(values(kpi).to_numpy(), level, *_POSSIBLE.get(kpi, (None, None)))
    summary["claims"] = {kpi: mean_and_band(values(kpi).to_numpy(), level, *_POSSIBLE.get(kpi, (None, None)))
                         for kpi in ("baseline_cost_per_contact", "baseline_personnel_share", "phone_drop_programme_users")}
    summary["uncertainty"] = {}
    for kpi in ("npv", "roi", "net_benefit_total"):
        twins = values(kpi, "roi_twin")
        firsts = values(kpi).reindex(twins.index)
        summary["uncertainty"][kpi] = uncertainty_split(values(kpi).to_numpy(), firsts.to_numpy(), twins.to_numpy())
    return summary


def mean_and_band(values: np.ndarray, level: float = 0.95, low: float | None = None,
                  high: float | None = None) -> dict[str, float]:
    """Mean with its confidence interval, and the 5/50/95 % quantiles of the spread.

    ``low`` and ``high`` are the values the quantity can take at most (a
    share between 0 and 1, a count not below 0): the interval is cut to them.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    mean, lo, hi = confidence_interval(v, level) if len(v) else (math.nan, math.nan, math.nan)
    if low is not None and math.isfinite(lo):
        lo = max(lo, low)
    if high is not None and math.isfinite(hi):
        hi = min(hi, high)
    suffix = f"ci{round(level * 100):d}"
    return {"mean": float(mean), f"{suffix}_low": float(lo), f"{suffix}_high": float(hi), **quantiles(v)}


def _payback_figures(payback: np.ndarray, months: int, level: float) -> dict[str, Any]:
    """Payback months that occurred (None beyond the horizon) and the chance of payback within 12 months."""
    never = payback > months
    q = quantiles(np.where(never, months + 1.0, payback), observed=True)
    paid_12 = int((payback <= min(12, months)).sum())
    return {
        "payback_month": {k: (None if not v <= months else v) for k, v in q.items()},
        "p_payback_12m": float(paid_12 / len(payback)) if len(payback) else math.nan,
        "p_payback_12m_interval": list(share_interval(paid_12, len(payback), level)),
        "p_never": float(never.mean()) if len(payback) else math.nan,
    }


def policy_comparison(outcomes: pd.DataFrame, months: int, level: float = 0.95) -> dict[str, dict[str, Any]]:
    """Per staffing policy, over the replications lived under all of them: payback, its chances, NPV, FTE saved."""
    rows = outcomes[outcomes["channel"] == "policy"]
    out: dict[str, dict[str, Any]] = {}
    for policy in dict.fromkeys(k.split(".", 1)[0] for k in rows["kpi"]):
        payback = outcome_values(outcomes, f"{policy}.payback_month", "policy").to_numpy(dtype=float)
        out[policy] = {
            "replications": int(len(payback)),
            **_payback_figures(payback, months, level),
            "npv": quantiles(outcome_values(outcomes, f"{policy}.npv", "policy").to_numpy()),
            "fte_saved_last_month": quantiles(outcome_values(outcomes, f"{policy}.fte_saved_last_month", "policy").to_numpy()),
        }
    return out


BELIEF_SHARE = 0.2
"""What you must believe: the futures in the lowest and the highest fifth of each input are compared."""


def what_you_must_believe(outcomes: pd.DataFrame, months: int) -> list[dict[str, Any]]:
    """Each uncertain input with the payback and NPV of the futures at either end of its range, strongest first.

    For each drawn input, the replications whose value lies in its lowest
    and in its highest :data:`BELIEF_SHARE` of draws: their values, median
    payback month (None where most of them never pay back) and median NPV.
    Ranked by how far apart the two ends' paybacks are, then their NPVs.
    Nothing is re-simulated: these are the study's own futures.
    """
    payback = outcome_values(outcomes, "payback_month")
    npv = outcome_values(outcomes, "npv")
    drawn = outcomes[outcomes["channel"] == "input"]
    rows = []
    for path, group in drawn.groupby("kpi", sort=False):
        values = group.set_index("replication")["value"].sort_values(kind="stable")
        k = max(1, int(round(BELIEF_SHARE * len(values))))
        if len(values) < 5 or values.nunique() < 2:
            continue
        ends = {"low": values.index[:k], "high": values.index[-k:]}
        row: dict[str, Any] = {"input": str(path), "futures_per_end": k}
        for end, index in ends.items():
            pb = payback.reindex(index).to_numpy(dtype=float)
            median = float(np.quantile(np.where(pb > months, months + 1.0, pb), 0.5, method="inverted_cdf"))
            row[f"{end}_value"] = float(values.loc[index].median())
            row[f"{end}_payback_month"] = None if median > months else median
            row[f"{end}_npv"] = float(np.median(npv.reindex(index).to_numpy(dtype=float)))
        rows.append(row)

    def strength(row: dict[str, Any]) -> tuple[float, float]:
        a, b = (months + 1.0 if row[f"{e}_payback_month"] is None else row[f"{e}_payback_month"] for e in ("low", "high"))
        return -abs(a - b), -abs(row["high_npv"] - row["low_npv"])

    return sorted(rows, key=strength)
