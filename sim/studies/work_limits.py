"""How big a run is, estimated before it starts, and the limits that refuse one that would never end.

A scenario's expected work is simple arithmetic on its inputs: contacts
(and journey issues) per replication are the rates times their mean
profile times the horizon; agents are the largest staffing of any
interval; intervals are the horizon over the planning interval. A run
whose estimate exceeds a limit is refused before the first replication,
with the size of the request and the environment variable that raises
the limit:

=============================  =============  =====================================
variable                       default        what it bounds
=============================  =============  =====================================
``CCSIM_MAX_CONTACTS``         100,000,000    contacts and issues of the whole run
``CCSIM_MAX_REPLICATION``      5,000,000      contacts and issues of one replication (memory)
``CCSIM_MAX_AGENTS``           100,000        agents on duty at once
``CCSIM_MAX_INTERVALS``        1,000,000      planning intervals of the horizon
``CCSIM_MAX_TASKS``            100,000        design points x replications of a study
=============================  =============  =====================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.errors import InputError, ScenarioError
from sim.spec.scenario import Scenario, interval_count

if TYPE_CHECKING:
    from sim.studies.roi_settings import RoiSettings

LIMITS: dict[str, tuple[str, int, str]] = {
    "contacts": ("CCSIM_MAX_CONTACTS", 100_000_000, "contacts and issues in all"),
    "replication": ("CCSIM_MAX_REPLICATION", 5_000_000, "contacts and issues in one replication"),
    "agents": ("CCSIM_MAX_AGENTS", 100_000, "agents on duty at once"),
    "intervals": ("CCSIM_MAX_INTERVALS", 1_000_000, "planning intervals"),
    "tasks": ("CCSIM_MAX_TASKS", 100_000, "tasks (design points x replications)"),
}
"""Limit name -> (environment variable, default, what it counts)."""


def limit(name: str) -> float:
    """The limit ``name`` in force: its environment variable when set (a positive number), else the default."""
    variable, default, _ = LIMITS[name]
    text = os.environ.get(variable)
    if text is None or not text.strip():
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise InputError(variable, None, f"must be a positive number (got {text!r})")
    return value


@dataclass(frozen=True)
class WorkSize:
    """The expected size of one replication of a scenario."""

    contacts: float
    """Expected contacts arriving straight to channels, plus journey issues."""
    agents: float
    """The most agents on duty in any interval (channels and teams)."""
    intervals: float
    """Planning intervals of the horizon."""


def _mean(values: Sequence[float] | None) -> float:
    return sum(values) / len(values) if values else 1.0


def work_size(scenario: Scenario, hours: float | None = None) -> WorkSize:
    """The expected work of one replication of ``scenario`` (over ``hours`` instead of its horizon if given)."""
    hours = scenario.horizon.hours if hours is None else hours
    per_hour = sum(stream.rate_per_hour * _mean(stream.profile) for stream in scenario.arrivals.values())
    if scenario.journey is not None:
        issues = scenario.journey.issues
        per_hour += issues.rate_per_hour * _mean(issues.profile) * _mean(issues.day_profile)
    staffs = [channel.agents for channel in scenario.channels.values()]
    staffs += [team.agents for team in (scenario.teams or {}).values()]
    agents = sum(max(a) if isinstance(a, list) else (a or 0) for a in staffs)
    intervals = float(interval_count(hours * 3600.0, scenario.horizon.interval_s)) if math.isfinite(hours * 3600.0) \
        else math.inf
    return WorkSize(per_hour * hours, float(agents), intervals)


def _too_big(source: str, key: str | None, what: str, name: str, amount: float) -> ScenarioError:
    """The error for a request of ``amount`` over the limit ``name``: its size, the limit, how to raise it."""
    variable, _, counts = LIMITS[name]
    return ScenarioError(
        source, key, f"{what}, above the limit of {_count(limit(name))} {counts}; make the request smaller, or "
        f"raise the limit with the environment variable {variable} (e.g. {variable}={_above(amount)})",
    )


def _above(amount: float) -> str:
    """A round number above ``amount`` (the next power of ten), for the error's example."""
    return f"{10 ** (math.floor(math.log10(amount)) + 1):.0f}" if amount < 1e15 else f"{amount:.0e}"


def check_work(scenario: Scenario, replications: int, source: str, hours: float | None = None,
               runs_per_replication: float = 1.0, twins: int = 0) -> WorkSize:
    """Refuse (ScenarioError) a run of ``replications`` whose expected work exceeds a limit; returns the estimate.

    ``runs_per_replication`` counts the simulations of ``hours`` one
    replication makes (an ROI replication lives each simulated month in two
    arms); the memory limit applies to one of them. ``twins`` replications
    are lived a second time (an ROI study's noise twins).
    """
    size = work_size(scenario, hours)
    if size.intervals > limit("intervals"):
        raise _too_big(source, "horizon.hours", f"the horizon has {_count(size.intervals)} intervals of "
                       f"{scenario.horizon.interval_minutes} minutes", "intervals", size.intervals)
    if size.agents > limit("agents"):
        raise _too_big(source, None, f"the scenario puts {_count(size.agents)} agents on duty at once", "agents",
                       size.agents)
    if replications > limit("tasks"):
        raise _too_big(source, None, f"{replications:,} replications", "tasks", replications)
    if size.contacts > limit("replication"):
        what = "one replication" if runs_per_replication == 1 else "one simulated month of one arm"
        raise _too_big(source, None, f"{what} would simulate about {_count(size.contacts)} contacts and issues",
                       "replication", size.contacts)
    one = size.contacts * runs_per_replication
    total = one * (replications + twins)
    if total > limit("contacts"):
        lived = f"{replications:,} replications" + (f" and {twins:,} noise twins" if twins else "")
        raise _too_big(source, None, f"the run would simulate about {_count(total)} contacts and issues "
                       f"({_count(one)} per replication x {lived})", "contacts", total)
    return size


def check_tasks(points: int, replications: int, source: str, key: str | None = None) -> None:
    """Refuse (ScenarioError naming ``source`` and ``key``) a study of more tasks than the limit."""
    tasks = points * replications
    if tasks > limit("tasks"):
        raise _too_big(source, key, f"the study has {points:,} design points x {replications:,} replications = "
                       f"{tasks:,} tasks", "tasks", tasks)


def check_roi_work(scenario: Scenario, settings: RoiSettings, replications: int, source: str) -> WorkSize:
    """Refuse an ROI study that would never end: each replication lives every simulated month in two arms.

    A month of an arm is each of its day types, probed and then staffed and
    simulated (about 2.3 runs with the re-runs a missed target takes); the
    months grow with ``roi.demand_growth_per_month``; the first
    ``roi.noise_pairs`` replications are lived twice (their noise twins) and
    the first ``roi.compare_policies`` three times (under each staffing
    policy).
    """
    from sim.studies.roi_days import day_types  # the ROI study's modules only when it runs
    from sim.studies.roi_horizon import simulated_months

    data = scenario.model_dump(mode="python", exclude_unset=True)
    growth = sum((1.0 + settings.demand_growth_per_month) ** (m - 1) for m in simulated_months(settings))
    runs = 2.0 * growth * len(day_types(data, settings)) * RUNS_PER_STAFFED_DAY
    extra = min(settings.compare_policies, replications) * 2 / max(replications, 1)
    return check_work(scenario, replications, source, hours=24.0 * settings.sample_days,
                      runs_per_replication=runs * (1.0 + extra), twins=min(settings.noise_pairs, replications))


RUNS_PER_STAFFED_DAY = 2.3
"""Runs per arm and day type of a simulated ROI month: the probe, the staffed run, and re-runs now and then."""


def check_contacts(total: float, source: str, what: str) -> None:
    """Refuse (ScenarioError naming ``source``) ``what`` when its ``total`` contacts and issues exceed the limit."""
    if total > limit("contacts"):
        raise _too_big(source, None, f"{what} would simulate about {_count(total)} contacts and issues", "contacts",
                       total)


def _count(n: float) -> str:
    """A count with thousands separators, or in scientific notation when it is astronomical."""
    return f"{n:,.0f}" if n < 1e15 else f"{n:.3g}"
