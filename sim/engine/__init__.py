"""The simulation engine: one omnichannel model of customers, channels and agents.

Modules here import only :mod:`sim.spec` and the package's base modules. The
engine never reads files, prints or plots. This package's ``__init__`` imports
nothing: :mod:`sim.engine_build` must choose between the compiled and the
Python modules before any of them is first imported.
"""
