"""Figures of a sweep: each KPI against each factor, and a heat map of two factors.

Works from the summary table of :func:`sim.studies.sweep.run_plan` (mean and 95 %
interval per design point, channel and KPI); nothing here simulates. PNG
files through matplotlib's Agg backend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402

DEFAULT_KPIS = ("service_level", "asa_s", "abandon_rate", "occupancy", "mean_wait_s", "p_wait")
"""KPIs drawn when the spec keeps them all (the counts say little against a factor)."""

MAX_LINES = 8
"""Above this many combinations of the other factors, design points are drawn as a cloud."""


def plot_sweep(summary: pd.DataFrame, factors: Sequence[str], folder: Path, kpis: Sequence[str] | None = None) -> list[Path]:
    """Draw ``kpi_<channel>_<kpi>.png`` (one panel per factor) and ``heatmap_<channel>_<kpi>.png``.

    The heat map uses the first two factors, averaging over any others.
    Returns the files written; none when there are no factors.
    """
    if summary.empty or not factors:
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    present = list(dict.fromkeys(summary["kpi"]))
    chosen = [k for k in (kpis or [k for k in DEFAULT_KPIS if k in present] or present[:12]) if k in present]
    written = []
    for (channel, kpi), rows in summary[summary["kpi"].isin(chosen)].groupby(["channel", "kpi"], sort=False):
        if rows["mean"].notna().sum() == 0:
            continue
        written.append(_factor_panels(rows, list(factors), str(channel), str(kpi), folder))
        if len(factors) >= 2:
            written.append(_heat_map(rows, list(factors), str(channel), str(kpi), folder))
    return written


def _factor_panels(rows: pd.DataFrame, factors: list[str], channel: str, kpi: str, folder: Path) -> Path:
    n = len(factors)
    cols = min(n, 3)
    nrows = -(-n // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.6 * nrows + 0.5), squeeze=False)
    low, high = rows.columns[-3], rows.columns[-2]  # ci95_low, ci95_high
    for ax, factor in zip(axes.flat, factors):
        others = [f for f in factors if f != factor]
        x_of, ticks = _positions(rows[factor])
        combos = rows.groupby(others, sort=True) if others else [((), rows)]
        n_combos = rows[others].drop_duplicates().shape[0] if others else 1
        if n_combos <= MAX_LINES:
            for key, group in combos:
                group = group.assign(_x=group[factor].map(x_of)).sort_values("_x")
                label = ", ".join(f"{_short(o)}={v}" for o, v in zip(others, key if isinstance(key, tuple) else (key,)))
                _errorbar(ax, group, low, high, label=label or None, marker="o", capsize=3, lw=1.4, ms=4)
            if others:
                ax.legend(fontsize=7, frameon=False)
        else:
            cloud = rows.assign(_x=rows[factor].map(x_of))
            _errorbar(ax, cloud, low, high, fmt="o", ms=3, alpha=0.5, capsize=0, color="tab:blue", elinewidth=0.8)
        if ticks is not None:
            ax.set_xticks(range(len(ticks)), ticks, rotation=30, ha="right", fontsize=7)
        ax.set_xlabel(factor)
        ax.set_ylabel(kpi)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{channel}: {kpi} (mean and 95 % CI per design point)")
    fig.tight_layout()
    path = folder / f"kpi_{_slug(channel)}_{_slug(kpi)}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _heat_map(rows: pd.DataFrame, factors: list[str], channel: str, kpi: str, folder: Path) -> Path:
    fx, fy = factors[0], factors[1]
    table = rows.groupby([fy, fx], sort=True)["mean"].mean().reset_index()
    fig, ax = plt.subplots(figsize=(7, 5.5))
    nx, ny = table[fx].nunique(), table[fy].nunique()
    if nx <= 25 and ny <= 25 and nx * ny <= len(table) * 1.0 + 1e-9:
        grid = table.pivot(index=fy, columns=fx, values="mean")
        image: ScalarMappable = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [_label(v) for v in grid.columns], rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(grid.shape[0]), [_label(v) for v in grid.index], fontsize=8)
        if grid.size <= 150:
            values = grid.to_numpy(dtype=float)
            span = np.nanmax(values) - np.nanmin(values) if np.isfinite(values).any() else 0
            for (i, j), value in np.ndenumerate(values):
                if np.isfinite(value):
                    dark = span > 0 and value < np.nanmin(values) + 0.5 * span
                    ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    else:
        x_of, _ = _positions(table[fx])
        y_of, _ = _positions(table[fy])
        image = ax.scatter(table[fx].map(x_of), table[fy].map(y_of), c=table["mean"], cmap="viridis", s=40)
    fig.colorbar(image, ax=ax, label=kpi)
    ax.set_xlabel(fx)
    ax.set_ylabel(fy)
    extra = f" (mean over {', '.join(factors[2:])})" if len(factors) > 2 else ""
    if len(factors) > 2 and len(table) == len(rows):  # sampled design: nothing was averaged
        extra = " (each design point; the other factors vary too)"
    ax.set_title(f"{channel}: {kpi}{extra}")
    fig.tight_layout()
    path = folder / f"heatmap_{_slug(channel)}_{_slug(kpi)}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _errorbar(ax: plt.Axes, frame: pd.DataFrame, low: str, high: str, **style: Any) -> None:
    mean = frame["mean"].to_numpy(dtype=float)
    below = np.nan_to_num(mean - frame[low].to_numpy(dtype=float), nan=0.0)
    above = np.nan_to_num(frame[high].to_numpy(dtype=float) - mean, nan=0.0)
    ax.errorbar(frame["_x"].to_numpy(dtype=float), mean, yerr=[below, above], **style)


def _positions(values: pd.Series) -> tuple[dict, list[str] | None]:
    """Numeric factors map to themselves; others to category positions (with tick labels)."""
    unique = list(dict.fromkeys(values))
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return {v: float(v) for v in unique}, None
    ordered = sorted(unique, key=str)
    return {v: float(i) for i, v in enumerate(ordered)}, [_label(v) for v in ordered]


def _label(value: object) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 18 else text[:17] + "…"


def _short(path: str) -> str:
    return path.rsplit(".", 2)[-2] + "." + path.rsplit(".", 1)[-1] if path.count(".") >= 1 else path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def plot_tornado(tornado: pd.DataFrame, path: Path) -> Path:
    """One-at-a-time chart: per output, the change from the base when each input is at its low and high.

    Bars are sorted by swing (largest on top); the whiskers are the paired
    95 % intervals of the changes over the common-random-number replications.
    """
    outputs = list(dict.fromkeys(tornado["output"]))
    k = tornado["input"].nunique()
    fig, axes = plt.subplots(len(outputs), 1, figsize=(8.5, 0.55 * k * len(outputs) + 1.4 * len(outputs) + 0.4), squeeze=False)
    for ax, output in zip(axes[:, 0], outputs):
        rows = tornado[tornado["output"] == output].sort_values("swing")
        y = np.arange(len(rows))
        for side, color in (("low", "tab:blue"), ("high", "tab:orange")):
            change = rows[f"change_{side}"].to_numpy(dtype=float)
            err = np.vstack([change - rows[f"change_{side}_ci_low"].to_numpy(dtype=float),
                             rows[f"change_{side}_ci_high"].to_numpy(dtype=float) - change])
            ax.barh(y, change, color=color, alpha=0.8, label=f"input at its {side}",
                    xerr=np.nan_to_num(err), error_kw={"capsize": 3, "lw": 1})
        labels = [f"{r.input}\n[{_label(r.low)} .. {_label(r.high)}]" for r in rows.itertuples()]
        ax.set_yticks(y, labels, fontsize=8)
        ax.axvline(0, color="black", lw=0.8)
        base = rows["y_base"].iloc[0] if len(rows) else float("nan")
        ax.set_xlabel(f"change of {output} from its base value {base:.4g}")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    fig.suptitle("One-at-a-time sensitivity (others at their base)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_sobol(sobol: pd.DataFrame, path: Path) -> Path:
    """Sobol first-order and total indices per input with bootstrap intervals, one panel per output."""
    outputs = list(dict.fromkeys(sobol["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(max(5.0, 1.1 * sobol["input"].nunique() + 2) * len(outputs), 4.6),
                             squeeze=False)
    for ax, output in zip(axes[0], outputs):
        rows = sobol[sobol["output"] == output]
        x = np.arange(len(rows))
        for offset, name, color in ((-0.2, "S1", "tab:blue"), (0.2, "ST", "tab:red")):
            value = rows[name].to_numpy(dtype=float)
            low, high = rows[f"{name}_low"].to_numpy(dtype=float), rows[f"{name}_high"].to_numpy(dtype=float)
            err = np.vstack([value - low, high - value])
            ax.bar(x + offset, value, width=0.4, color=color, alpha=0.85,
                   label="first order" if name == "S1" else "total", yerr=np.clip(np.nan_to_num(err), 0, None),
                   error_kw={"capsize": 3, "lw": 1})
        ax.set_xticks(x, [_short(i) for i in rows["input"]], rotation=20, ha="right", fontsize=8)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("index")
        ax.set_title(output)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    fig.suptitle("Sobol indices (bootstrap percentile intervals)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
