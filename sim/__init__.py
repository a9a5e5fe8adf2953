"""ccsim: discrete-event simulation of contact centers adding digital channels.

The Python API in a nutshell::

    import sim
    scenario = sim.load_scenario("scenarios/erlang-a.yaml", ["channels.phone.agents=55"])
    result = sim.simulate(scenario, replications=20, seed=1)
    result.kpis        # pandas DataFrame: channel, kpi, mean, ci95_low, ci95_high
    sim.erlang_a_metrics(rate_per_hour=1000, aht_s=180, agents=55, patience_s=300)
"""

from pathlib import Path as _Path

from sim.engine_build import select_engine as _select_engine

ENGINE = _select_engine(_Path(__file__).resolve().parent)
"""Which omnichannel engine this process runs: compiled (mypyc) or pure Python, and why."""

# the engine is chosen before its modules are imported
from sim.analysis.erlang_a import erlang_a_agents_for_sl, erlang_a_metrics  # noqa: E402
from sim.analysis.erlang_c import erlang_b, erlang_c, erlang_c_agents_for_sl, erlang_c_metrics  # noqa: E402
from sim.engine.model import run  # noqa: E402
from sim.errors import InputError, ScenarioError  # noqa: E402
from sim.io.scenario_files import load_scenario  # noqa: E402
from sim.spec.scenario import Scenario, scenario_from_dict  # noqa: E402
from sim.studies.runner import SimulationResult, simulate  # noqa: E402

__version__ = "0.1.0"

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
