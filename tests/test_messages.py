"""Messages and flags: usage errors name the subcommand and the closest flag; help answers without pandas."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.cli.main import main

from .conftest import ROOT, SCENARIOS

HEAVY = ("pandas", "numpy", "scipy", "pydantic", "matplotlib", "simpy", "yaml")
"""Libraries a help text or a usage error must not wait for."""


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    """``ccsim argv`` must exit 2 with a usage and one error line; returns (usage lines, the error line)."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("usage: ") and "Traceback" not in "\n".join(lines)
    assert [line for line in lines if "error:" in line] == [lines[-1]]
    return lines[:-1], lines[-1]


@pytest.mark.parametrize("argv, prog, hint", [
    (["run", "x.yaml", "--replicatons", "5"], "ccsim run", "unrecognized arguments: --replicatons 5 "
                                                          "(did you mean --replications?)"),
    (["run", "x.yaml", "--replicatons=5"], "ccsim run", "(did you mean --replications?)"),
    (["sweep", "x.yaml", "--out", "o", "--wokers", "2"], "ccsim sweep", "(did you mean --workers?)"),
    (["staff", "x.yaml", "--ot", "o"], "ccsim staff", "required: --out (did you mean --out for --ot?)"),
    (["rnu", "x.yaml"], "ccsim", "(did you mean run?)"),
    (["--verison"], "ccsim", "(did you mean --version?)"),
])
def test_a_mistyped_flag_shows_the_subcommands_usage_and_the_closest_flag(
    argv: list[str], prog: str, hint: str, capsys: pytest.CaptureFixture[str],
) -> None:
    usage, error = usage_error(argv, capsys)
    assert usage[0].startswith(f"usage: {prog} ")
    assert error.startswith(f"{prog}: error: ") and error.endswith(hint)


def test_a_flag_far_from_every_flag_gets_no_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    _, error = usage_error(["run", "x.yaml", "--zzzzzz"], capsys)
    assert error == "ccsim run: error: unrecognized arguments: --zzzzzz"


def test_an_abbreviated_flag_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SCENARIOS / "erlang-a.yaml"), "--rep", "1", "-q", "--set", "horizon.hours=1",
                 "--set", "horizon.warmup_hours=0", "--json"]) == 0
    assert '"replications": 1' in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["sweep", "--help"], ["staff", "--help"],
                                  ["run", "x.yaml", "--replicatons", "5"]])
def test_help_and_usage_errors_import_no_heavy_library(argv: list[str]) -> None:
    code = ("import sys\nfrom sim.cli.main import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-500:]


def test_the_package_imports_its_public_names_on_first_use() -> None:
    code = ("import sys, sim\nassert 'pandas' not in sys.modules\nassert callable(sim.simulate) and "
            "sim.erlang_c(10, 12) > 0 and 'simulate' in dir(sim)\ntry:\n    sim.nope\nexcept AttributeError as e:\n"
            "    print(e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "module 'sim' has no attribute 'nope'"


def test_the_rule_choices_of_the_command_line_are_the_rosters() -> None:
    from sim.cli.commands.evaluate import RULES
    from sim.spec.roster import COVERAGE_RULES

    assert RULES == COVERAGE_RULES
