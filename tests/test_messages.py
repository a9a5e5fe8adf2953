"""Messages and flags: usage errors name the subcommand and the closest flag; help answers without pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


# ---------------------------------------------------------------------------
# Wording of the errors about files and keys


def one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``ccsim argv``; it must exit 2 with one line on stderr and no traceback. Returns the line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


BOM = "\ufeff"
"""The byte-order mark Excel writes at the start of a "CSV UTF-8" file."""


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    from sim.io.rosters import read_roster
    from sim.io.scenario_files import load_scenario

    roster = tmp_path / "roster.csv"
    roster.write_text(f"{BOM}team,start,length_min,breaks,headcount\nphone,08:00,480,,30\n", encoding="utf-8")
    assert read_roster(roster).shifts[0].team == "phone"
    # pandas, which reads the CSV columns of empirical times and call logs, skips the mark itself
    (tmp_path / "aht.csv").write_text(f"{BOM}talk\n170\n190\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("horizon: {hours: 1}\narrivals: {phone: {rate_per_hour: 10}}\nchannels:\n  phone:\n"
                        "    agents: 2\n    aht: {dist: empirical, csv: aht.csv, column: talk}\n", encoding="utf-8")
    assert load_scenario(scenario).channels["phone"].aht.mean == pytest.approx(180.0)


def test_an_empty_call_log_name_is_not_reported_as_a_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert one_line_error(["calibrate", "", "--out", "x.yaml"], capsys) == (
        "ccsim: error: '': is not a file name; expected the path of a CSV call log")


def test_an_acronym_keeps_its_capitals_in_a_validation_message() -> None:
    from sim.spec.validation_errors import _expectation

    def said(msg: str) -> str:
        return _expectation({"type": "value_error", "msg": msg, "input": None}, [], {}, BaseModelStub)

    assert said("Value error, CSV file x.csv not found") == "CSV file x.csv not found"
    assert said("Input should be greater than 0") == "input should be greater than 0"
    assert said("A") == "a"


class BaseModelStub:
    """A stand-in for the model class the message helper does not need for these error types."""


@pytest.mark.parametrize("override, expected", [
    ("channels.phone.zzz=3", "channels.phone.zzz: unknown key; allowed keys here: agents, aht, "),
    ("channels.phone.agnts=3", "channels.phone.agnts: unknown key (did you mean 'agents'?); allowed keys here: "
                               "agents, aht, "),
])
def test_an_unknown_key_reads_as_a_sentence(override: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["run", str(SCENARIOS / "erlang-a.yaml"), "--set", override, "-q"], capsys)
    assert f"erlang-a.yaml: {expected}" in err and "Allowed" not in err and not err.endswith(".")


def test_open_hours_24_7_points_to_opening_hours(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["run", str(SCENARIOS / "erlang-a.yaml"), "--set", "channels.phone.open_hours=24/7", "-q"],
                         capsys)
    assert err.endswith("erlang-a.yaml: channels.phone.open_hours: open_hours takes [start_hour, end_hour]; for 24/7 "
                        "or office write opening_hours: 24/7 (got '24/7')")
    assert main(["run", str(SCENARIOS / "erlang-a.yaml"), "--set", "channels.phone.opening_hours=24/7", "-q", "-r", "1",
                 "--set", "horizon.hours=1", "--set", "horizon.warmup_hours=0", "--json"]) == 0


def test_validate_names_the_scenario_file_it_cannot_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = ROOT / "tests" / "data" / "anonymous_bank_1999_08_01-15_calls.csv"
    scenario = SCENARIOS / "omnichannel-day.yaml"
    err = one_line_error(["validate", str(log), "--scenario", str(scenario), "--out", str(tmp_path / "v"), "-q"],
                         capsys)
    assert err.startswith(f"ccsim: error: {scenario}: channels: a replay is of one phone queue, but the scenario has "
                          "channels phone, chat, social, forum and teams and a journey")


def test_a_sweep_with_an_empty_scenario_says_so(tmp_path: Path) -> None:
    from sim.studies.plan import plan_sweep
    from sim.studies.sweep_spec import SweepSpecError

    spec = tmp_path / "spec.yaml"
    spec.write_text("scenario: ''\ncommand: run\nfactors: {channels.phone.agents: [1]}\n", encoding="utf-8")
    with pytest.raises(SweepSpecError, match="scenario: is empty; expected the path of a scenario YAML file"):
        plan_sweep(spec)


def test_a_shift_type_for_an_unknown_team_names_it(tmp_path: Path) -> None:
    from sim.errors import InputError
    from sim.io.rosters import read_shift_types

    shifts = tmp_path / "shifts.yaml"
    shifts.write_text("shifts:\n  - {name: day, starts: ['08:00'], length_min: 480, cost: 8}\n"
                      "  - {name: late, starts: ['16:00'], length_min: 360, cost: 6, teams: [chat, sociall]}\n",
                      encoding="utf-8")
    assert len(read_shift_types(shifts)) == 2  # without the scenario's teams, nothing to judge against
    with pytest.raises(InputError) as err:
        read_shift_types(shifts, teams=["phone", "chat", "social"])
    assert str(err.value) == (f"{shifts}: shifts.1.teams: shift type 'late' names unknown team(s) sociall; the "
                              "scenario's teams are phone, chat, social")


def test_a_one_month_fan_chart_gives_no_matplotlib_warning(tmp_path: Path) -> None:
    import warnings

    import pandas as pd

    from sim.report.roi_figures import fan_chart

    months = pd.DataFrame([{"replication": r, "month": 1, "arm": "net", "channel": "finance",
                            "kpi": "cumulative_net_benefit", "value": -1000.0 * (r + 1), "simulated": True}
                           for r in range(5)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = fan_chart(months, {"payback_month": {"p50": None}}, tmp_path / "fan.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
