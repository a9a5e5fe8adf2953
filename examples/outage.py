"""An outage as a SimPy process: the phone team goes offline for an hour, and waits rise in that hour.

Run: python examples/outage.py [scenario.yaml]. The outage is a plain SimPy
generator on the model's own clock; nothing in the package is edited.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sim
from sim.analysis.metrics import run_interval_kpis
from sim.engine.simulation import Simulation

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "erlang-a.yaml"
OUTAGE_START_H = 10.0


def outage(simulation: Simulation, start_h: float, hours: float = 1.0):
    """Take every phone agent offline from ``start_h`` for ``hours``, then hand back to the roster."""
    yield simulation.env.timeout(start_h * 3600.0)
    simulation.set_agents("phone", 0, until_s=(start_h + hours) * 3600.0)


def mean_wait_by_hour(path: Path, with_outage: bool, seed: int = 1) -> dict[int, float]:
    """Mean wait (s) of calls arriving in each hour (interval number -> wait) of one replication."""
    scenario = sim.load_scenario(path, ["horizon.hours=14"])
    simulation = Simulation(scenario, seed=seed, use_simpy=True)
    if with_outage:
        simulation.process(outage(simulation, OUTAGE_START_H))
    table = run_interval_kpis(simulation.run())
    phone = table[table["channel"] == "phone"]
    return dict(zip(phone["interval"].astype(int), phone["mean_wait_s"]))


def main() -> None:
    """Print the hourly mean wait with and without the outage."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else SCENARIO
    normal, broken = mean_wait_by_hour(path, False), mean_wait_by_hour(path, True)
    print("hour  mean wait (s) normal  with outage")
    for hour, wait in normal.items():
        print(f"{hour:4d}  {wait:20.1f}  {broken[hour]:11.1f}")


if __name__ == "__main__":
    main()
