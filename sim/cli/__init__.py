"""The ``ccsim`` command line (:mod:`sim.cli.main`) and its subcommands (:mod:`sim.cli.commands`)."""

from sim.cli.main import main

__all__ = ["main"]
