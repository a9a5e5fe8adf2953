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
    """argparse that exits with status 2 on bad usage: this (sub)command's usage, then one error line.

    A flag it does not know gets the closest one it does as a suggestion.
    """

    given: Sequence[str] = ()
    """The arguments being parsed, so that an error can name the flags that were mistyped."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{suggestion(self, self.given, message)}\n")


def suggestion(parser: argparse.ArgumentParser, given: Sequence[str], message: str = "") -> str:
    """`` (did you mean --replications?)`` for what ``parser`` does not know in ``given``, or ''.

    A flag gets the closest flag of ``parser``; an invalid choice named in
    ``message`` (a command, a --format) the closest choice. A suggestion
    names the mistyped word unless ``message`` does already.
    """
    import difflib  # only on a usage error: not part of every start-up
    import re

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        close = difflib.get_close_matches(choice[1], re.findall(r"'([^']*)'", choice[2]), n=1, cutoff=0.6)
        return f" (did you mean {close[0]}?)" if close else ""
    known = [option for action in parser._actions for option in action.option_strings]
    long = [option for option in known if option.startswith("--")]
    hints = []
    for token in given:
        flag = token.split("=", 1)[0]
        if not flag.startswith("-") or flag in known or flag == "--" or flag.lstrip("-")[:1].isdigit():
            continue
        if flag.startswith("--") and any(option.startswith(flag) for option in long):
            continue  # an abbreviation argparse accepts
        close = difflib.get_close_matches(flag, long, n=1, cutoff=0.6)
        if close:
            hints.append(close[0] if flag in message else f"{close[0]} for {flag}")
    return f" (did you mean {', '.join(dict.fromkeys(hints))}?)" if hints else ""


def _command_parser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser:
    """The subcommand ``name``'s parser, or ``parser`` itself when there is none of that name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            chosen: argparse.ArgumentParser = action.choices[name]
            return chosen
    return parser


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
    _Parser.given = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # a flag the subcommand does not know: its usage, not the top level's, and the closest flag
        _command_parser(parser, getattr(args, "command", None)).error(f"unrecognized arguments: {' '.join(extra)}")
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
