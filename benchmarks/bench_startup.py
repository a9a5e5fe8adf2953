"""How fast ``ccsim --help`` (and a usage error) answers, as a ratio to a bare interpreter start.

Each command runs as a whole process with ``subprocess.run``, ``--repeats``
times in turn with the others; the best time of each counts (the run least
disturbed by other work on the machine). The bare interpreter is ``python -c
pass`` with the same interpreter (its ``site`` and the editable install's
path hook included, as every command pays them). Timed:

- ``ccsim --help`` (the parser with every subcommand registered);
- ``ccsim run --help``;
- ``ccsim run x.yaml --replicatons 5`` (a mistyped flag: usage and error);
- ``ccsim --version``.

Target: ``ccsim --help`` at most 10x the bare interpreter.

Usage::

    python benchmarks/bench_startup.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

_SCRIPT = Path(sys.executable).parent / "ccsim"  # the console script installed beside this interpreter
CCSIM = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "sim"]
TARGET = 10.0
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "ccsim --help": [*CCSIM, "--help"],
    "ccsim run --help": [*CCSIM, "run", "--help"],
    "ccsim run x.yaml --replicatons 5": [*CCSIM, "run", "x.yaml", "--replicatons", "5"],
    "ccsim --version": [*CCSIM, "--version"],
}
"""Label -> the command timed."""


def best_times(repeats: int) -> dict[str, float]:
    """The best wall-clock time of each command over ``repeats`` interleaved rounds."""
    best = {label: float("inf") for label in COMMANDS}
    root = Path(__file__).resolve().parents[1]
    for _ in range(repeats):
        for label, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root, check=False)
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Time the commands, print a table of times and ratios; exit 1 when ``ccsim --help`` misses the target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15, help="rounds; the best time of each command counts")
    args = parser.parse_args(argv)
    best = best_times(args.repeats)
    bare = best["python -c pass"]
    print(f"Python {platform.python_version()}, {platform.machine()}, best of {args.repeats}")
    print(f"{'command':<36} {'time':>9} {'x bare':>8}")
    for label, seconds in best.items():
        print(f"{label:<36} {seconds * 1000:7.1f} ms {seconds / bare:7.1f}x")
    ratio = best["ccsim --help"] / bare
    met = ratio <= TARGET
    print(f"ccsim --help: {ratio:.1f}x the bare interpreter (target at most {TARGET:g}x): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
