"""Task functions of studies, by command name: what one replication of a design point computes.

A study spec names its ``command``; :func:`command_function` finds the
function registered under that name (:func:`register_command`). It maps
``(scenario, seed, replication, **options)`` to a tidy frame with columns
``channel, kpi, value`` (or a mapping of table names to frames). ``run`` (the
engine and its KPIs) is built in; a command registered by a module that is
not imported yet is listed in :data:`COMMAND_MODULES` and imported on first
use (``roi`` from :mod:`sim.studies.roi`). A registration may declare the
channels and KPIs the command produces, so a spec's ``keep`` section can be
checked before anything runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from sim.analysis.metrics import KPI_NAMES, run_interval_kpis, run_kpis
from sim.spec.scenario import Scenario

TaskFunction = Callable[..., "pd.DataFrame | Mapping[str, pd.DataFrame]"]
"""``fn(scenario, seed, replication, **options)`` returning a results frame or a mapping of frames."""
F = TypeVar("F", bound=TaskFunction)
"""A task function, kept with its own signature by :func:`register_command`."""


@dataclass(frozen=True)
class Command:
    """A registered task function and what it produces.

    ``channels`` and ``kpis`` list the channels and KPIs of its results table
    when they are fixed; None means the scenario's channels, or any KPI.
    """

    function: TaskFunction
    channels: tuple[str, ...] | None = None
    kpis: tuple[str, ...] | None = None


_COMMANDS: dict[str, Command] = {}
COMMAND_MODULES = {"roi": "sim.studies.roi"}
"""Commands registered by a module that is imported on first use."""


def register_command(
    name: str, *, channels: Sequence[str] | None = None, kpis: Sequence[str] | None = None,
) -> Callable[[F], F]:
    """Decorator: make ``fn(scenario, seed, replication, **options)`` runnable as ``command: name``.

    The function returns a tidy DataFrame with columns ``channel, kpi,
    value`` (a ``replication`` column is dropped, other columns are kept),
    or a mapping of table names to frames whose ``"results"`` entry is that
    frame; the other tables are saved as ``<name>.parquet``. It must be a
    module-level function so worker processes can import it. ``channels``
    and ``kpis``, when the command's are fixed, let a spec's ``keep``
    section be checked against them.
    """

    def add(fn: F) -> F:
        _COMMANDS[name] = Command(fn, tuple(channels) if channels is not None else None,
                                  tuple(kpis) if kpis is not None else None)
        return fn

    return add


def registered_command(name: str) -> Command:
    """The command registered as ``name``, importing its module first if needed (KeyError when there is none)."""
    if name not in _COMMANDS and name in COMMAND_MODULES:
        try:
            importlib.import_module(COMMAND_MODULES[name])
        except ImportError as exc:
            raise KeyError(f"command {name!r} comes from {COMMAND_MODULES[name]}, which cannot be imported ({exc})") from None
    if name not in _COMMANDS:
        raise KeyError(f"unknown command {name!r}; known: {', '.join(known_commands())}")
    return _COMMANDS[name]


def command_function(name: str) -> TaskFunction:
    """The task function registered as ``name`` (KeyError when there is none)."""
    return registered_command(name).function


def known_commands() -> list[str]:
    """Command names a spec may use."""
    return sorted(set(_COMMANDS) | set(COMMAND_MODULES))


@register_command("run", kpis=KPI_NAMES)
def run_command(scenario: Scenario, seed: int, replication: int,
                intervals: bool = False) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """One replication of the engine and its KPIs (and per-interval KPIs when asked)."""
    from sim.engine.model import run

    records = run(scenario, seed=seed, replication=replication)
    results = run_kpis(records)
    if not intervals:
        return results
    return {"results": results, "intervals": run_interval_kpis(records)}
