"""Figures of the workforce-planning studies (PNG, matplotlib's Agg backend).

Each function takes the DataFrame a study returned and a path, draws one
figure and writes it; nothing here simulates.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _hours(frame: pd.DataFrame) -> np.ndarray:
    return frame["interval_start_s"].to_numpy(dtype=float) / 3600.0


def _step_x(hours: np.ndarray) -> np.ndarray:
    width = float(np.diff(hours).min()) if len(hours) > 1 else 1.0
    return np.append(hours, hours[-1] + width)


def _step(ax: plt.Axes, hours: np.ndarray, values: np.ndarray, **style: Any) -> None:
    ax.stairs(values, _step_x(hours), baseline=0 if style.get("fill") else None, **style)


def _panels(n: int, height: float = 2.6) -> tuple[plt.Figure, list[plt.Axes]]:
    fig, axes = plt.subplots(n, 1, figsize=(10, height * n + 0.6), sharex=True, squeeze=False)
    return fig, list(axes[:, 0])


def clock_label(hour: float, multi_day: bool) -> str:
    """``08:00`` (or ``d2 08:00`` on horizons beyond a day) for an hour of the horizon."""
    whole = int(round(hour * 60))
    clock = f"{whole // 60 % 24:02d}:{whole % 60:02d}"
    return f"d{whole // 1440 + 1} {clock}" if multi_day else clock


def _hour_axis(ax: plt.Axes, hours: np.ndarray) -> None:
    span = hours[-1] - hours[0] if len(hours) else 24
    step = 2 if span <= 26 else 6 if span <= 80 else 24
    ticks = np.arange(math.floor(hours[0]), math.ceil(hours[-1]) + 1, step) if len(hours) else np.arange(0, 25, 2)
    ax.set_xticks(ticks)
    ax.set_xticklabels([clock_label(float(t), span > 24) for t in ticks], fontsize=8)
    ax.set_xlabel("clock time (interval start)")


def _volume_behind(ax: plt.Axes, hours: np.ndarray, per_hour: np.ndarray) -> None:
    """The contacts per hour as light bars on a second axis, so staffing reads against demand."""
    if not np.nansum(per_hour) > 0:
        return
    twin = ax.twinx()
    twin.stairs(np.nan_to_num(per_hour), _step_x(hours), fill=True, color="tab:gray", alpha=0.15, label="contacts/h")
    twin.set_ylabel("contacts per hour", color="tab:gray", fontsize=8)
    twin.tick_params(axis="y", colors="tab:gray", labelsize=8)
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)


def plot_staffing(table: pd.DataFrame, path: str | Path, title: str = "Required agents per interval") -> Path:
    """Agents per interval by Erlang C, Erlang A and simulation (plus paid FTE), one panel per team and channel.

    The contacts per hour of the channel are drawn behind, on their own axis.
    """
    team = table["team"] if "team" in table else table["channel"]
    table = table.assign(team=team)
    panels = list(dict.fromkeys(zip(table["team"], table["channel"])))
    fig, axes = _panels(len(panels))
    for ax, (unit, name) in zip(axes, panels):
        g = table[(table["team"] == unit) & (table["channel"] == name)].sort_values("interval")
        hours = _hours(g)
        _volume_behind(ax, hours, g["offered_per_hour"].to_numpy(dtype=float))
        if (g["erlang_c_agents"] > 0).any():  # channels with a forecast rate (not those fed by the journey)
            _step(ax, hours, g["erlang_c_agents"].to_numpy(dtype=float), color="tab:gray", linestyle="--", label="Erlang C")
        if g["erlang_a_agents"].notna().any() and (g["erlang_a_agents"].fillna(0) > 0).any():
            _step(ax, hours, g["erlang_a_agents"].to_numpy(dtype=float, na_value=np.nan), color="tab:orange", linestyle=":",
                  linewidth=1.8, label="Erlang A")
        _step(ax, hours, g["simulated_agents"].to_numpy(dtype=float), color="tab:blue", linewidth=2, label="simulated")
        if "required_fte" in g and (g["shrinkage"] > 0).any():
            _step(ax, hours, g["required_fte"].to_numpy(dtype=float), color="tab:green", alpha=0.6,
                  label=f"FTE (shrinkage {100 * g['shrinkage'].iloc[0]:g} %)")
        first = g.iloc[0]
        who = name if unit == name else f"team {unit}, {name}"
        ax.set_title(f"{who}: target {100 * first['sl_target']:g} % within {first['sl_threshold_s']:g} s",
                     loc="left", fontsize=10)
        ax.set_ylabel("agents on duty")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        _hour_axis(ax, hours)
        if ax is not axes[-1]:
            ax.set_xlabel("")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_service_levels(report: pd.DataFrame, path: str | Path, title: str = "Service level through the day") -> Path:
    """Pooled service level per interval with its 95 % band, the target, misses marked, agents behind."""
    channels = list(dict.fromkeys(report["channel"]))
    fig, axes = _panels(len(channels))
    for ax, name in zip(axes, channels):
        g = report[report["channel"] == name].sort_values("interval")
        hours = _hours(g)
        mid = hours + (np.diff(_step_x(hours)) / 2)
        twin = ax.twinx()
        _step(twin, hours, g["agents"].to_numpy(dtype=float), color="tab:gray", alpha=0.35, fill=True, label="agents")
        twin.set_ylabel("agents", color="tab:gray")
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        sl = 100 * g["service_level"].to_numpy(dtype=float)
        ax.fill_between(mid, 100 * g["service_level_ci95_low"].to_numpy(dtype=float),
                        100 * g["service_level_ci95_high"].to_numpy(dtype=float), color="tab:blue", alpha=0.2, linewidth=0)
        ax.plot(mid, sl, color="tab:blue", marker=".", label="service level (95 % band)")
        target = 100 * float(g["sl_target"].iloc[0])
        ax.axhline(target, color="tab:red", linestyle="--", label=f"target {target:g} % in {g['sl_threshold_s'].iloc[0]:g} s")
        miss = ~g["meets_target"].astype(bool).to_numpy()
        if miss.any():
            ax.scatter(mid[miss], sl[miss], color="tab:red", zorder=5, label=f"misses ({int(miss.sum())})")
        ax.set_ylim(0, 105)
        ax.set_ylabel("service level (%)")
        ax.set_title(name, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
        _hour_axis(ax, hours)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_coverage(cover: pd.DataFrame, path: str | Path, title: str = "Scheduled versus required agents") -> Path:
    """Required agents (from the requirements file) and the scheduled shifts' coverage per interval."""
    channels = list(dict.fromkeys(cover["channel"]))
    fig, axes = _panels(len(channels))
    for ax, name in zip(axes, channels):
        g = cover[cover["channel"] == name].sort_values("interval")
        hours = g["interval"].to_numpy(dtype=float) * 24.0 / len(g)
        _step(ax, hours, g["scheduled"].to_numpy(dtype=float), color="tab:green", fill=True, alpha=0.35, label="scheduled")
        _step(ax, hours, g["required"].to_numpy(dtype=float), color="black", linewidth=1.5, label="required")
        ax.set_ylabel("agents")
        ax.set_title(name, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        _hour_axis(ax, hours)
    axes[-1].set_xlabel("hour of the day")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_curve(curve: pd.DataFrame, path: str | Path) -> Path:
    """Service level, ASA and abandonment against agents: simulated (95 % CI) and Erlang C/A."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    n = curve["agents"].to_numpy()
    panels = [("service_level", "service level (%)", 100.0), ("asa_s", "ASA (s)", 1.0), ("abandon_rate", "abandoned (%)", 100.0)]
    for ax, (kpi, label, scale) in zip(axes, panels):
        mean = curve[kpi].to_numpy(dtype=float) * scale
        low = curve[f"{kpi}_ci95_low"].to_numpy(dtype=float) * scale
        high = curve[f"{kpi}_ci95_high"].to_numpy(dtype=float) * scale
        err = np.vstack([np.clip(mean - low, 0, None), np.clip(high - mean, 0, None)])
        err = np.nan_to_num(err)
        ax.errorbar(n, mean, yerr=err, fmt="o-", color="tab:blue", capsize=3, label="simulated (95 % CI)")
        analytic = {"service_level": ("erlang_c_service_level", "erlang_a_service_level"),
                    "asa_s": ("erlang_c_asa_s", "erlang_a_asa_s"),
                    "abandon_rate": (None, "erlang_a_abandon_rate")}[kpi]
        if analytic[0] and analytic[0] in curve:
            values = curve[analytic[0]].to_numpy(dtype=float) * scale
            ax.plot(n, np.where(np.isfinite(values), values, np.nan), "s--", color="tab:gray", label="Erlang C")
        if analytic[1] and analytic[1] in curve:
            ax.plot(n, curve[analytic[1]].to_numpy(dtype=float) * scale, "^:", color="tab:orange", label="Erlang A")
        if kpi == "service_level" and "sl_target" in curve.attrs:
            ax.axhline(100 * curve.attrs["sl_target"], color="tab:red", linestyle="--", linewidth=1, label="target")
        if kpi == "asa_s":
            finite = mean[np.isfinite(mean)]
            if len(finite):
                ax.set_ylim(0, max(1.0, float(np.nanmax(finite)) * 1.15))
        ax.set_xlabel("agents")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    a = curve.attrs
    if a.get("mode") == "day":
        fig.suptitle(f"{a.get('channel', '')} at {a.get('interval_start', '')}, team {a.get('team', '')}'s agents in that "
                     f"interval (the day simulated around it), threshold {a.get('sl_threshold_s', 0):g} s, "
                     f"{a.get('replications', '')} replications")
    else:
        fig.suptitle(f"{a.get('channel', '')} at {a.get('interval_start', '')}: "
                     f"{curve['offered_per_hour'].iloc[0]:g}/h held constant, threshold {a.get('sl_threshold_s', 0):g} s, "
                     f"{a.get('replications', '')} replications of {a.get('hours', '')} h")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
