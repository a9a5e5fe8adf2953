"""Independent replications of a scenario, summarised with confidence intervals.

:func:`simulate` is the main Python entry point::

    import sim
    scenario = sim.load_scenario("scenarios/erlang-a.yaml")
    result = sim.simulate(scenario, replications=20, seed=7)
    result.kpis          # one row per channel and KPI: mean, ci95_low, ci95_high
    result.intervals     # per replication, channel and interval

Replication ``r`` always uses the streams of ``(seed, r)``, so the numbers do
not depend on how many worker processes ran them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.journey_metrics import JOURNEY_SUMMARY_KPIS, POST_KPI_ALIASES
from sim.analysis.metrics import KPI_NAMES, run_interval_kpis, run_kpis, summarize
from sim.engine.model import run
from sim.io.files import finite_or_none
from sim.spec.scenario import Scenario
from sim.studies.executors import worker_pool
from sim.studies.work_limits import check_work


@dataclass
class SimulationResult:
    """KPIs of a set of replications, tidy and summarised."""

    scenario: Scenario
    seed: int
    replications: int
    per_replication: pd.DataFrame = field(repr=False)
    intervals: pd.DataFrame = field(repr=False)
    days: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def kpis(self) -> pd.DataFrame:
        """Mean and 95 % confidence interval per channel and KPI."""
        return self.summary(0.95)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and ``level`` confidence interval per channel and KPI."""
        return summarize(self.per_replication, ["channel", "kpi"], level)

    def interval_summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and confidence interval of each KPI per channel and interval."""
        return _period_summary(self.intervals, level)

    def day_summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and confidence interval of each KPI per channel and day (``interval`` = day number)."""
        return _period_summary(self.days, level)

    def kpi(self, channel: str, name: str, level: float = 0.95) -> tuple[float, float, float]:
        """``(mean, low, high)`` of one KPI of one channel."""
        table = self.summary(level)
        row = table[(table["channel"] == channel) & (table["kpi"] == name)]
        if row.empty:
            raise KeyError(f"no KPI {name!r} for channel {channel!r}")
        values = row.iloc[0]
        return float(values["mean"]), float(values.iloc[3]), float(values.iloc[4])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``kpis.<channel>.<kpi> = {mean, ci95_low, ci95_high}``.

        Omnichannel scenarios also get a top-level ``journey`` summary (the
        names of :data:`sim.analysis.journey_metrics.JOURNEY_SUMMARY_KPIS`), and their
        social and forum channels ``response_time_s`` beside
        ``response_coverage``; both repeat KPIs found under ``kpis``.
        """
        kpis: dict[str, dict[str, dict[str, float | None]]] = {}
        for row in self.kpis.to_dict(orient="records"):
            kpis.setdefault(row["channel"], {})[row["kpi"]] = {
                "mean": finite_or_none(row["mean"]),
                "ci95_low": finite_or_none(row["ci95_low"]),
                "ci95_high": finite_or_none(row["ci95_high"]),
            }
        for name, channel in self.scenario.channels.items():
            if channel.kind_for(name) in ("social", "forum") and name in kpis:
                for alias, kpi in POST_KPI_ALIASES.items():
                    if kpi in kpis[name]:
                        kpis[name][alias] = dict(kpis[name][kpi])
        payload: dict[str, Any] = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "horizon_hours": self.scenario.horizon.hours,
            "warmup_hours": self.scenario.horizon.warmup_hours,
            "kpis": kpis,
        }
        journey = kpis.get("journey", {})
        if journey:
            payload["journey"] = {
                name: dict(journey.get(kpi, {"mean": None, "ci95_low": None, "ci95_high": None}))
                for name, kpi in JOURNEY_SUMMARY_KPIS.items()
            }
        return payload


def _period_summary(frame: pd.DataFrame, level: float) -> pd.DataFrame:
    """Summarise a wide per-period table (one row per replication, channel, period)."""
    ids = ["replication", "channel", "interval", "interval_start_s"]
    value_cols = [c for c in frame.columns if c not in ids]
    tidy = frame.melt(id_vars=ids, value_vars=value_cols, var_name="kpi").dropna(subset=["value"])
    return summarize(tidy, ["channel", "interval", "interval_start_s", "kpi"], level)


def _one(args: tuple[Scenario, int, int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    scenario, seed, replication = args
    records = run(scenario, seed=seed, replication=replication)
    return run_kpis(records), run_interval_kpis(records), run_interval_kpis(records, 86400.0)


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run ``replications`` independent replications and summarise them.

    ``replications`` and ``seed`` default to the scenario's own values.
    ``workers`` > 1 spreads replications over processes; results are the
    same for any worker count. ``progress(done, total)`` is called after each
    replication. A run too big to finish is refused before it starts
    (:func:`sim.studies.work_limits.check_work`, ScenarioError).
    """
    reps = scenario.replications if replications is None else int(replications)
    if reps < 1:
        raise ValueError("replications must be at least 1")
    seed = scenario.seed if seed is None else int(seed)
    check_work(scenario, reps, f"scenario {scenario.name!r}" if scenario.name else "the scenario")
    tasks = [(scenario, seed, r) for r in range(reps)]
    outputs: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []
    for done, output in enumerate(_map(_one, tasks, workers), start=1):
        outputs.append(output)
        if progress:
            progress(done, reps)
    per_rep = pd.concat([o[0] for o in outputs], ignore_index=True)
    order = {name: i for i, name in enumerate(KPI_NAMES)}
    per_rep["_order"] = per_rep["kpi"].map(lambda k: order.get(k, len(order)))
    per_rep = per_rep.sort_values(["replication", "channel", "_order"], kind="stable").drop(columns="_order")
    intervals = pd.concat([o[1] for o in outputs], ignore_index=True)
    days = pd.concat([o[2] for o in outputs], ignore_index=True)
    return SimulationResult(scenario, seed, reps, per_rep.reset_index(drop=True), intervals, days)


def _map(fn: Callable[[Any], Any], tasks: list[Any], workers: int) -> Iterable[Any]:
    if workers <= 1 or len(tasks) <= 1:
        return map(fn, tasks)
    pool = worker_pool(workers)  # its workers exit if this process is killed
    return _drain(pool, pool.map(fn, tasks))


def _drain(pool: ProcessPoolExecutor, results: Iterable[Any]) -> Iterable[Any]:
    with pool:
        yield from results
