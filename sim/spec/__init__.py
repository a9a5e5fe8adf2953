"""Scenario specification: the validated schema of scenarios, journeys, rosters and uncertain inputs.

The lowest layer above :mod:`sim.errors` and :mod:`sim.random`: pure data and
validation, no simulation, no printing.
"""
