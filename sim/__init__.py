"""ccsim: discrete-event simulation of contact centers adding digital channels.

The Python API in a nutshell::

    import sim
    scenario = sim.load_scenario("scenarios/erlang-a.yaml", ["channels.phone.agents=55"])
    result = sim.simulate(scenario, replications=20, seed=1)
    result.kpis        # pandas DataFrame: channel, kpi, mean, ci95_low, ci95_high
    sim.erlang_a_metrics(rate_per_hour=1000, aht_s=180, agents=55, patience_s=300)
"""

import importlib as _importlib
import typing as _typing
from pathlib import Path as _Path

from sim.engine_build import select_engine as _select_engine

ENGINE = _select_engine(_Path(__file__).resolve().parent)
"""Which omnichannel engine this process runs: compiled (mypyc) or pure Python, and why."""

__version__ = "0.1.0"

# The public names are imported on first use (PEP 562), so that ``import sim`` and the command line's
# ``--help`` do not pay for pandas and scipy; the engine is chosen above, before any of its modules loads.
_PUBLIC = {
    "erlang_a_agents_for_sl": "sim.analysis.erlang_a",
    "erlang_a_metrics": "sim.analysis.erlang_a",
    "erlang_b": "sim.analysis.erlang_c",
    "erlang_c": "sim.analysis.erlang_c",
    "erlang_c_agents_for_sl": "sim.analysis.erlang_c",
    "erlang_c_metrics": "sim.analysis.erlang_c",
    "run": "sim.engine.model",
    "InputError": "sim.errors",
    "ScenarioError": "sim.errors",
    "load_scenario": "sim.io.scenario_files",
    "Scenario": "sim.spec.scenario",
    "scenario_from_dict": "sim.spec.scenario",
    "SimulationResult": "sim.studies.runner",
    "simulate": "sim.studies.runner",
}
"""Public name -> the module that defines it."""

if _typing.TYPE_CHECKING:
    from sim.analysis.erlang_a import erlang_a_agents_for_sl, erlang_a_metrics
    from sim.analysis.erlang_c import erlang_b, erlang_c, erlang_c_agents_for_sl, erlang_c_metrics
    from sim.engine.model import run
    from sim.errors import InputError, ScenarioError
    from sim.io.scenario_files import load_scenario
    from sim.spec.scenario import Scenario, scenario_from_dict
    from sim.studies.runner import SimulationResult, simulate


def __getattr__(name: str) -> _typing.Any:
    """Import a public name's module on first use."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the public ones not yet imported included."""
    return sorted({*globals(), *_PUBLIC})


__all__ = [
    "ENGINE",
    "InputError",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "erlang_a_agents_for_sl",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_agents_for_sl",
    "erlang_c_metrics",
    "load_scenario",
    "run",
    "scenario_from_dict",
    "simulate",
    "__version__",
]
