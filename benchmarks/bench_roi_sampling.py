"""How biased is an ROI month from its sampled days, against simulating every day of the month?

For each seed and each arm of ``scenarios/roi-mid-size.yaml`` (to_target
staffing, the study's fitted staffing rule), one month is priced two ways:

- *every day*: 28 days (four whole weeks) simulated one after another, each
  staffed by the rule and simulated with that staffing, the knowledge
  coverage each day ends with carried into the next; the month's cost is
  ``days_per_month`` times the mean day;
- *day types* (``roi.day_sampling: day_types``, the study's estimate): one
  weekday at the mean weekday profile and one weekend day at the mean
  weekend profile, from the knowledge of the month's middle day (carried at
  the pace the day types grew it from the month's start), weighted by the
  5/7 and 2/7 of the month they stand for;
- *fixed Tuesday* (``day_sampling: fixed``): one Tuesday scaled by the
  day-of-week profile, as the study did before.

Monthly cost: every cost line of :func:`sim.analysis.costs.monthly_costs`
with the FTE of the staffing (shrinkage added back), telephone minutes and
self-service resolutions of the simulated days. Target: |bias| of the
day-type estimate under 1 % of monthly cost in both arms.

    python benchmarks/bench_roi_sampling.py --seeds 4 --month 1
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import sim
from sim.analysis.costs import MonthWorkload, monthly_costs
from sim.studies.roi_arms import arm_scenario
from sim.studies.roi_days import day_types, shared_probes
from sim.studies.roi_horizon import advance_knowledge, daily_gap_ratio, study_rule
from sim.studies.roi_month import measure_month, month_seed
from sim.studies.roi_settings import ARMS
from sim.studies.roi_staffing import agent_hours, staff_and_run
from sim.studies.roi_study import prepare_study
from sim.studies.staffing_units import staffing_units

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "roi-mid-size.yaml"
WEEKS = 4


def _day(study, arm_days, rule, seed, coverage):  # type: ignore[no-untyped-def]
    """Both arms of one day: per arm (FTE-days, line minutes, self-resolved, moderator FTE-days, knowledge at the end)."""
    return _measured(study, staff_and_run([(1.0, arm_days, seed)], rule)[0], coverage)


def _measured(study, staffed, coverage):  # type: ignore[no-untyped-def]
    """Per arm of one staffed day: (FTE-days, line minutes, self-resolved, moderator FTE-days, knowledge at the end)."""
    out = {}
    programme = set(study.programme_channels)
    for arm, month in staffed.items():
        units = staffing_units(month.scenario)
        hours = agent_hours(month.staffing, month.scenario.horizon.interval_minutes * 60.0)
        fte = {u: h / (1.0 - units[u].shrinkage) / study.costs.personnel.hours_per_fte_month for u, h in hours.items()}
        mods = sum(v for u, v in fte.items() if set(units[u].channels) <= programme)
        measures = measure_month(month.records, month.scenario, study.costs)
        minutes = sum(measures.get(f"{n}.line_minutes", 0.0) for n, kind in study.kinds.items() if kind == "phone")
        resolved = measures.get("journey.deflected", 0.0)
        journey = month.records.journey
        knowledge = dict(journey.knowledge_end) if journey is not None else dict(coverage[arm])
        out[arm] = (sum(fte.values()) - mods, minutes, resolved, mods, knowledge)
    return out


def _month_cost(study, month: int, arm: str, days: list[tuple[float, float, float, float]]) -> float:  # type: ignore[no-untyped-def]
    """The month's cost from its days' (agent FTE, minutes, self-resolved, moderator FTE), scaled to the month."""
    k = study.settings.days_per_month / len(days)
    agents, minutes, resolved, mods = (k * sum(d[i] for d in days) for i in range(4))
    work = MonthWorkload(agent_fte=agents, moderator_fte=mods, hires=0.0, line_minutes=minutes, self_resolved=resolved,
                         programme_active=arm == "programme")
    return sum(monthly_costs(study.costs, month, work).values())


def main() -> None:
    """Print the bias of each estimate per arm, over the seeds."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--month", type=int, default=1)
    args = parser.parse_args()
    study = prepare_study(sim.load_scenario(SCENARIO), str(SCENARIO))
    rule = study_rule(study, study.data.get("seed", 1))
    journey = study.data["journey"]
    start_cov = {n: float(t["knowledge_coverage"]) for n, t in journey["issue_types"].items()}
    ceiling = float(journey["knowledge"]["ceiling"])
    started = time.perf_counter()
    results: dict[str, dict[str, list[float]]] = {arm: {"every": [], "day_types": [], "fixed": []} for arm in ARMS}
    types = day_types(study.data, study.settings)
    for s in range(args.seeds):
        coverage = {arm: dict(start_cov) for arm in ARMS}
        every: dict[str, list[tuple[float, float, float, float]]] = {arm: [] for arm in ARMS}
        for t in range(7 * WEEKS):
            weekday = (study.settings.start_day + t) % 7
            days = {arm: arm_scenario(study, study.data, arm, args.month, coverage[arm], weekday) for arm in ARMS}
            got = _day(study, days, rule, month_seed(1000 + s, t, 0), coverage)
            for arm in ARMS:
                every[arm].append(got[arm][:4])
                coverage[arm] = got[arm][4]
        start = {arm: dict(start_cov) for arm in ARMS}

        def typed_days(cover: dict[str, dict[str, float]], offset: int, s: int = s) -> list[tuple[float, dict]]:  # type: ignore[type-arg]
            # as a study's month: the day types staffed together, sharing their probe where they open alike
            staffed = staff_and_run([(day.weight, {arm: arm_scenario(study, study.data, arm, args.month, cover[arm],
                                                                     day.weekday, day.profile) for arm in ARMS},
                                      month_seed(offset + s, i, 0)) for i, day in enumerate(types)], rule,
                                    probes=shared_probes(types))
            return [(day.weight, _measured(study, got, cover)) for day, got in zip(types, staffed)]

        # as the study does: the pace the knowledge grew at (here measured on the month's day types from its start,
        # as the month before would have measured it), then the day types from the month's middle day
        first = typed_days(start, 4000)
        middle = {}
        for arm in ARMS:
            total = sum(w for w, _ in first)
            end = {n: sum(w * got[arm][4][n] for w, got in first) / total for n in start_cov}
            pace = daily_gap_ratio(start_cov, end, ceiling, study.settings.sample_days)
            middle[arm] = advance_knowledge(start_cov, pace, ceiling, study.settings.days_per_month / 2)
        typed = typed_days(middle, 2000)
        fixed_day = {arm: arm_scenario(study, study.data, arm, args.month, start_cov, study.settings.start_day)
                     for arm in ARMS}
        fixed = _day(study, fixed_day, rule, month_seed(3000 + s, 0, 0), start)
        profile = journey["issues"]["day_profile"]
        ratio = (sum(profile) / 7.0) / profile[study.settings.start_day]
        for arm in ARMS:
            results[arm]["every"].append(_month_cost(study, args.month, arm, every[arm]))
            total = sum(w for w, _ in typed)
            mix = tuple(sum(w * got[arm][i] for w, got in typed) / total for i in range(4))
            results[arm]["day_types"].append(_month_cost(study, args.month, arm, [mix]))  # type: ignore[list-item]
            scaled = tuple(v * ratio for v in fixed[arm][:4])
            results[arm]["fixed"].append(_month_cost(study, args.month, arm, [scaled]))  # type: ignore[list-item]
    print(f"month {args.month}, {args.seeds} seeds, {7 * WEEKS} days each, {time.perf_counter() - started:.0f} s")
    for arm in ARMS:
        truth = np.mean(results[arm]["every"])
        for way in ("day_types", "fixed"):
            diffs = (np.array(results[arm][way]) - np.array(results[arm]["every"])) / truth
            half = 1.96 * diffs.std(ddof=1) / np.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")
            print(f"{arm:9s} {way:9s} bias {100 * diffs.mean():+.2f} % of {truth:,.0f} per month (+-{100 * half:.2f})")


if __name__ == "__main__":
    main()
