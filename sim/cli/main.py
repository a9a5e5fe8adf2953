"""The ``ccsim`` command line: parses arguments, calls the library, prints.

Each subcommand lives in :mod:`sim.cli.commands` as a module with
``add_parser(subparsers)`` and ``main(args) -> int``. User mistakes
(:class:`~sim.errors.InputError`) print one line on stderr and exit with
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from sim import ENGINE, __version__
from sim.errors import InputError

COMMANDS = ("run", "erlang", "roi", "calibrate", "validate", "staff", "evaluate", "schedule", "curve", "sweep", "sensitivity")
"""Subcommand modules under :mod:`sim.cli.commands`, in ``--help`` order."""

DESCRIPTION = """\
ccsim simulates a contact center (phone queues with abandonment, agents per
interval) with a discrete-event engine, and reports every KPI with a 95 %
confidence interval over independent replications.

Start with:
  ccsim run scenarios/phone-day.yaml            simulate a day, print KPIs
  ccsim run scenarios/erlang-a.yaml --set channels.phone.agents=55
  ccsim erlang --rate-per-hour 1000 --aht-s 180 --agents 55 --patience-s 300
"""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line on bad usage."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full ``ccsim`` parser with every subcommand registered."""
    parser = _Parser(prog="ccsim", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ccsim {__version__} (engine: {ENGINE})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"sim.cli.commands.{name}")
        module.add_parser(sub)
    return parser


def check_common_options(args: argparse.Namespace) -> None:
    """Options several commands share, judged once for all of them (InputError on a bad value)."""
    seed = getattr(args, "seed", None)
    if seed is not None and seed < 0:
        raise InputError("--seed", str(seed), "must be 0 or more")
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 0:
        raise InputError("--workers", str(workers), "must be 0 (one per core) or more")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ccsim`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        check_common_options(args)
        return int(args.handler(args) or 0)
    except InputError as exc:
        print(f"ccsim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a full disk, an output that cannot be written: one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ccsim: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ccsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
