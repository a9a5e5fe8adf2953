"""ROI study: does a social and community programme pay back, when, and how sure are we?

One Monte Carlo replication is a whole horizon (24 months by default) lived
twice, by two *arms* on the same random numbers:

- ``baseline``: the scenario without the programme's channels (social posts
  and the peer forum by default): no community to search before contacting,
  no public posts;
- ``programme``: the scenario as written, with the programme's channels
  ramping up (an adoption curve scales their preference weights, the chance
  to search the community first, and the community's size).

Each month of each arm is simulated with the discrete-event engine
(``roi.sample_days`` days of customers, agents and posts; totals scaled to
the month), staffed by a rule fitted to simulations of the study
(:mod:`sim.studies.roi_staffing`) under the staffing policy
(:mod:`sim.studies.roi_headcount`): the arm runs the staffing it pays for.
:mod:`sim.analysis.costs` prices that staffing, the connected phone minutes
and the self-resolved issues. The knowledge coverage reached at the end of a
month is where the next month starts (the flywheel). Demand grows by
``roi.demand_growth_per_month`` in both arms.

Uncertain inputs (the scenario's ``uncertain`` section: any dotted path with
a distribution) are drawn once per replication and used by both arms and
every month. The first ``roi.noise_pairs`` replications are lived a second
time with the same inputs and other simulation random numbers: the spread
between the twins is simulation noise, the rest of the spread between
replications is parameter uncertainty (:func:`~sim.studies.roi_summary.uncertainty_split`).

Replication ``r`` uses seeds derived from ``(seed, r)`` only, so results do
not depend on the number of worker processes or on the executor.

This module runs replications (:func:`roi_command`, :func:`simulate_roi`).
The parts: settings and outcome names (:mod:`sim.studies.roi_settings`),
preparing a study (:mod:`sim.studies.roi_study`), the arms' scenarios
(:mod:`sim.studies.roi_arms`), one month simulated and measured
(:mod:`sim.studies.roi_month`), the horizon (:mod:`sim.studies.roi_horizon`),
pricing (:mod:`sim.studies.roi_pricing`) and summaries over replications
(:mod:`sim.studies.roi_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from sim.spec.scenario import Scenario
from sim.studies.commands import register_command
from sim.studies.roi_headcount import POLICIES
from sim.studies.roi_horizon import live_horizon, study_rule
from sim.studies.roi_settings import OUTCOME_CHANNELS, OUTCOME_KPIS, POLICY_KPIS, TWIN_KPIS, RoiStudy
from sim.studies.roi_study import prepare_study, replication_inputs, with_inputs
from sim.studies.roi_summary import summarise_outcomes


@register_command("roi", channels=OUTCOME_CHANNELS, kpis=OUTCOME_KPIS)
def roi_command(scenario: Scenario, seed: int, replication: int) -> dict[str, pd.DataFrame]:
    """One Monte Carlo replication of the ROI study (both arms, every month; a noise twin when due).

    Returns ``results`` (channel ``roi``: outcomes; ``roi_twin``: the twin's;
    ``input``: the drawn inputs; ``policy``: in the first
    ``roi.compare_policies`` replications, the outcomes under each staffing
    policy, every one simulated with the staffing it pays for) and ``months`` (month x arm x cost line and KPI).
    """
    study = prepare_study(scenario)
    values = replication_inputs(study, seed, replication)
    lived = with_inputs(study, values)
    rule = study_rule(study, seed)  # fitted on the study as written: one rule for every replication
    months, outcomes = live_horizon(lived, seed, replication, rule=rule)
    rows = [("roi", k, outcomes[k]) for k in OUTCOME_KPIS]
    rows += [("input", path, value) for path, value in values.items()]
    if replication < lived.settings.compare_policies:
        for policy in POLICIES:
            got = outcomes if policy == lived.settings.staffing else live_horizon(
                _with_policy(lived, policy), seed, replication, rule=rule)[1]
            rows += [("policy", f"{policy}.{k}", got[k]) for k in POLICY_KPIS]
    if replication < lived.settings.noise_pairs:
        _, twin = live_horizon(lived, seed, replication, twin=1, rule=rule)
        rows += [("roi_twin", k, twin[k]) for k in TWIN_KPIS]
        rows.append(("roi_twin", "simulated_contacts", twin["simulated_contacts"]))
    return {"results": pd.DataFrame(rows, columns=["channel", "kpi", "value"]), "months": months}


def _with_policy(study: RoiStudy, policy: str) -> RoiStudy:
    """The study under another staffing policy (same inputs, same random numbers)."""
    return replace(study, settings=study.settings.model_copy(update={"staffing": policy}))


@dataclass
class RoiResult:
    """An ROI study run from Python: the tidy tables the command writes, and its summary."""

    months: pd.DataFrame
    outcomes: pd.DataFrame
    summary: dict[str, Any]


def simulate_roi(scenario: Scenario, replications: int = 20, seed: int | None = None, workers: int = 1) -> RoiResult:
    """Run ``replications`` ROI replications (no checkpoints) and summarise them, for notebooks.

    ``months`` and ``outcomes`` are the tables of ``ccsim roi`` (with a
    ``replication`` column); the numbers are those of the command with the
    same seed, whatever ``workers``.
    """
    from sim.studies.executors import make_executor

    study = prepare_study(scenario)
    seed = scenario.seed if seed is None else int(seed)
    executor = make_executor(workers)
    try:
        tasks = [(scenario, seed, r) for r in range(replications)]
        produced = {task[2]: tables for task, tables in executor.map_unordered(_one_replication, tasks)}
    finally:
        executor.close()
    months, outcomes = [], []
    for replication in sorted(produced):
        tables = produced[replication]
        if not isinstance(tables, dict):
            raise RuntimeError(f"replication {replication} was lost: {tables}")
        months.append(tables["months"].assign(replication=replication))
        outcomes.append(tables["results"].assign(replication=replication))
    months_frame = pd.concat(months, ignore_index=True)
    outcomes_frame = pd.concat(outcomes, ignore_index=True)
    summary = summarise_outcomes(outcomes_frame, study.settings.months, study.costs.currency,
                                 staffing=study.settings.staffing)
    summary["hiring_lead_months"] = study.settings.hiring_lead_months
    return RoiResult(months_frame, outcomes_frame, summary)


def _one_replication(task: tuple[Scenario, int, int]) -> dict[str, pd.DataFrame]:
    return roi_command(*task)
