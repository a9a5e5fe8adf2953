"""Figures of the calibration and of the replay validation (matplotlib, PNG).

Kept apart from :mod:`sim.studies.calibrate` so the study stays free of plotting;
every function takes the study's result and an output folder and returns
the paths it wrote.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np

from sim.io.calllog import DAY_TYPES
from sim.studies.calibrate import Calibration
from sim.studies.replay import Validation


def _plt() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_figures(cal: Calibration, out: Path) -> list[Path]:
    """Arrivals and staffing per day type, service-time fits, patience survival and hazard."""
    out.mkdir(parents=True, exist_ok=True)
    return [_arrivals(cal, out / "arrivals.png"), _service(cal, out / "service_fit.png"),
            _patience(cal, out / "patience_km.png"), _hazard(cal, out / "patience_hazard.png")]


def _arrivals(cal: Calibration, path: Path) -> Path:
    plt = _plt()
    kinds = [k for k in DAY_TYPES if k in cal.rates]
    fig, axes = plt.subplots(len(kinds), 1, figsize=(9, 2.6 * len(kinds)), sharex=True, squeeze=False)
    for ax, kind in zip(axes[:, 0], kinds):
        r = cal.rates[kind]
        hours = np.arange(len(r.rate_per_hour)) * r.interval_s / 3600
        ax.step(hours, r.rate_per_hour, where="post", color="C0", label="calls asking for an agent / h")
        ax.fill_between(hours, r.ci_low, r.ci_high, step="post", color="C0", alpha=0.2, label="95 % Poisson CI")
        ax2 = ax.twinx()
        ax2.step(hours, cal.agents[kind], where="post", color="C3", label="agents on duty")
        ax2.step(hours, cal.busy[kind], where="post", color="C3", ls=":", label="busy agents")
        ax2.set_ylabel("agents", color="C3")
        ax.set_title(f"{kind}: {r.days} day(s), dispersion index {r.dispersion_index:.2f}", fontsize=10)
        ax.set_ylabel("calls / h")
        if kind == kinds[0]:
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    axes[-1, 0].set_xlabel("hour of day")
    axes[-1, 0].set_xticks(range(0, 25, 2))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _service(cal: Calibration, path: Path) -> Path:
    plt = _plt()
    x = cal.service_all
    threshold = cal.options.short_service_s
    long_ = np.sort(x[x > threshold])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    bins = np.logspace(0, np.log10(max(x.max(), 10)), 60)
    ax1.hist(np.maximum(x, 1), bins=bins, density=True, color="0.75", label=f"observed (n={len(x)})")
    grid = np.logspace(0, np.log10(max(x.max(), 10)), 400)
    for key, color in (("lognormal/long", "C0"), ("gamma/long", "C1"), ("exponential/long", "C2"), ("lognormal/all", "C0")):
        fit = cal.service_fits[key]
        share = len(long_) / len(x) if key.endswith("/long") else 1.0
        style = "-" if key.endswith("/long") else "--"
        ax1.plot(grid, share * fit.pdf(grid), style, color=color,
                 label=f"{key.replace('/long', f' (>{threshold:g} s)').replace('/all', ' (all)')}: KS {fit.ks:.3f}")
    ax1.axvline(threshold, color="k", lw=0.8, ls=":")
    ax1.set_xscale("log")
    ax1.set_xlabel("service time (s, log scale)")
    ax1.set_ylabel("density")
    ax1.set_title("Service time: fits", fontsize=10)
    ax1.legend(fontsize=7)
    ecdf = np.arange(1, len(long_) + 1) / len(long_)
    for key, color in (("lognormal/long", "C0"), ("gamma/long", "C1"), ("exponential/long", "C2")):
        ax2.plot(ecdf, cal.service_fits[key].cdf(long_), color=color, label=key.split("/")[0])
    ax2.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax2.set_xlabel("empirical CDF")
    ax2.set_ylabel("fitted CDF")
    ax2.set_title(f"P-P plot, services > {threshold:g} s", fontsize=10)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _patience(cal: Calibration, path: Path) -> Path:
    plt = _plt()
    km = cal.km
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.step(km.time_s, km.survival, where="post", color="k", label="Kaplan-Meier")
    ax.fill_between(km.time_s, km.ci_low, km.ci_high, step="post", color="k", alpha=0.15, label="95 % band")
    t = np.linspace(0, float(np.quantile(cal.patience_time_s, 0.995)), 400)
    for (name, fit), color in zip(cal.patience_fits.items(), ("C0", "C1", "C2", "C4")):
        ax.plot(t, fit.survival(t), color=color, label=f"{name} (mean {fit.mean_s:,.0f} s, AIC {fit.aic:,.0f})")
    ax.set_xlim(0, t[-1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time waiting (s)")
    ax.set_ylabel("P(patience > t)")
    ax.set_title("Patience with censoring (served callers' waits are censored)", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _hazard(cal: Calibration, path: Path) -> Path:
    plt = _plt()
    h = cal.hazard
    mid = (h.edges_s[:-1] + h.edges_s[1:]) / 2
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.errorbar(mid, h.rate_per_s * 60, yerr=[(h.rate_per_s - h.ci_low) * 60, (h.ci_high - h.rate_per_s) * 60],
                fmt="o", color="k", ms=3, label="events / time at risk (95 % CI)")
    t = np.linspace(1, h.edges_s[-1], 300)
    for (name, fit), color in zip(cal.patience_fits.items(), ("C0", "C1", "C2", "C4")):
        ax.plot(t, fit.hazard(t) * 60, color=color, label=name)
    ax.set_xlabel("time waiting (s)")
    ax.set_ylabel("abandonment hazard (per minute)")
    ax.set_ylim(bottom=0)
    ax.set_title("Patience hazard", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


KPI_LABELS = {
    "offered": "calls offered per hour",
    "abandon_rate": "abandonment rate",
    "mean_wait_s": "mean wait (s), all queued callers",
    "p_wait": "P(wait > 0)",
    "service_level": "answered within 20 s / offered",
}


def validation_figures(validation: Validation, out: Path) -> list[Path]:
    """One figure per KPI: hourly observed, simulated (95 % band) and Erlang A over the replayed days."""
    plt = _plt()
    out.mkdir(parents=True, exist_ok=True)
    hourly = validation.hourly
    hourly = hourly[hourly["observed_offered"] > 0].reset_index(drop=True)
    x = np.arange(len(hourly))
    dates = hourly["date"].to_numpy()
    starts = [i for i in range(len(dates)) if i == 0 or dates[i] != dates[i - 1]]
    paths = []
    for kpi, label in KPI_LABELS.items():
        fig, ax = plt.subplots(figsize=(12, 3.6))
        ax.fill_between(x, hourly[f"simulated_{kpi}_low"], hourly[f"simulated_{kpi}_high"], color="C0", alpha=0.25,
                        step="mid", label="simulated 95 % band")
        ax.plot(x, hourly[f"simulated_{kpi}"], color="C0", lw=1, drawstyle="steps-mid", label="simulated mean")
        if f"erlang_a_{kpi}" in hourly:
            ax.plot(x, hourly[f"erlang_a_{kpi}"], color="C1", lw=1, drawstyle="steps-mid", label="Erlang A")
        ax.plot(x, hourly[f"observed_{kpi}"], "k.", ms=3, label="observed")
        for s in starts:
            ax.axvline(s - 0.5, color="0.8", lw=0.6)
        ax.set_xticks(starts)
        ax.set_xticklabels([str(dates[s])[5:] for s in starts], fontsize=7)
        ax.set_xlabel("open hours of each replayed day (date MM-DD)")
        ax.set_ylabel(label)
        ax.set_xlim(-0.5, len(x) - 0.5)
        ax.legend(fontsize=7, ncol=4, loc="upper right")
        fig.tight_layout()
        path = out / f"validation_{kpi}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        paths.append(path)
    return paths
