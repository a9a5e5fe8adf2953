"""Generated inputs, as a careless user would give them: each either runs or is refused in one line, quickly.

The loaders (scenario YAML, rosters, call logs, sweep specs) and the command
line's flags get values drawn by Hypothesis: numbers far out of range, wrong
types, unknown keys, broken YAML and CSV, mistyped flags. The contract:

- a loader returns or raises :class:`~sim.errors.InputError`, whose text is
  one line naming the file;
- ``ccsim`` exits 0 (it ran), 1 (some task failed) or 2; on 2, stderr holds
  one error line (after argparse's usage for a usage error) and never a
  traceback;
- every example finishes within :data:`SECONDS` (the work limits are
  lowered so that a request too big is refused rather than run).
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.cli.main import main
from sim.errors import InputError

from .conftest import SCENARIOS

SECONDS = 20.0
"""The most one generated example may take."""
BASE = """\
seed: 1
replications: 2
horizon: {hours: 1, warmup_hours: 0, interval_minutes: 30}
arrivals: {phone: {rate_per_hour: 100}}
channels:
  phone:
    agents: 3
    aht: {dist: exponential, mean_s: 90}
    patience: {dist: exponential, mean_s: 120}
"""
"""A scenario that runs in well under a second, the base of the generated overrides."""

KEYS = ["seed", "replications", "name", "horizon.hours", "horizon.warmup_hours", "horizon.interval_minutes",
        "horizon.drain", "arrivals.phone.rate_per_hour", "arrivals.phone.profile", "channels.phone.agents",
        "channels.phone.aht", "channels.phone.aht.mean_s", "channels.phone.aht.dist", "channels.phone.patience",
        "channels.phone.sl_threshold_s", "channels.phone.sl_target", "channels.phone.lines",
        "channels.phone.opening_hours", "channels.phone.open_hours", "channels.phone.kind", "channels.chat",
        "costs.zzz", "roi.months", "uncertain", "journey", "forum.placement", "channels.phone.agnets", "teams"]
"""Dotted keys of the scenario, a few mistyped or of sections the base does not have."""

NUMBERS = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e300, -1e300, 1e7, 0.5, 24, 1e-300]),
)
VALUES = st.one_of(
    NUMBERS.map(str), st.sampled_from(["true", "false", "null", "~", "[]", "{}", "[1, 2]", "'x'", "24/7", "office",
                                       "[8, 20]", "{dist: deterministic, mean_s: 0}", "{dist: pareto, mean_s: 3}",
                                       "{dist: empirical, csv: nope.csv, column: x}", "[/bold]", "[" * 60 + "]" * 60,
                                       "{a: [1, {b: 2}]}", ": :", "'unterminated", "\t", "é", "\x00"]),
    st.text(max_size=12),
)
OVERRIDE = st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"{kv[0]}={kv[1]}")
FLAGS = st.sampled_from([
    ["-r", "0"], ["-r", "-3"], ["-r", "1000000000"], ["-r", "x"], ["--seed", "-1"], ["--seed", "2.5"],
    ["--workers", "-2"], ["--replicatons", "5"], ["--json"], ["--intervals"], ["--days"], ["-q"],
    ["--roster", "nope.csv"], ["--forecast", "nope.csv"], ["--set"], ["--set", "noequals"], ["--bogus"],
])


@contextlib.contextmanager
def bounded_limits(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a context manager
    """Work limits low enough that no generated request runs for long."""
    monkeypatch.setenv("CCSIM_MAX_CONTACTS", "20000")
    monkeypatch.setenv("CCSIM_MAX_REPLICATION", "10000")
    monkeypatch.setenv("CCSIM_MAX_AGENTS", "2000")
    monkeypatch.setenv("CCSIM_MAX_INTERVALS", "2000")
    monkeypatch.setenv("CCSIM_MAX_TASKS", "50")
    yield


def run_cli(argv: list[str]) -> tuple[int, str]:
    """``ccsim argv`` in this process: (exit status, stderr); it must finish within SECONDS."""
    err, out = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse: --help, usage errors
            code = int(stop.code or 0) if not isinstance(stop.code, str) else 2
    assert time.monotonic() - start < SECONDS, f"{argv} took {time.monotonic() - start:.1f} s"
    return code, err.getvalue()


def assert_contract(argv: list[str], code: int, err: str) -> None:
    """Exit 0, 1 or 2; on 2 one error line (argparse's usage before it allowed); never a traceback."""
    event(f"exit {code}")
    assert "Traceback" not in err, f"{argv}: {err}"
    assert code in (0, 1, 2), f"{argv}: exit {code}: {err}"
    if code == 2:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line]
        assert len(errors) == 1 and lines[-1] == errors[0], f"{argv}: {err}"
        assert lines[0].startswith(("usage:", "ccsim: error:")), f"{argv}: {err}"
        if lines[0].startswith("ccsim: error:"):
            assert len(lines) == 1, f"{argv}: {err}"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick base scenario, in a folder of its own."""
    path = tmp_path_factory.mktemp("fuzz") / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    return path


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.lists(OVERRIDE, max_size=3), flags=st.lists(FLAGS, max_size=2))
def test_run_with_generated_overrides_and_flags_runs_or_refuses_in_one_line(
    overrides: list[str], flags: list[list[str]], base: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["run", str(base), "-q"]
    for override in overrides:
        argv += ["--set", override]
    for flag in flags:
        argv += flag
    with bounded_limits(monkeypatch):
        code, err = run_cli(argv)
    assert_contract(argv, code, err)


ERLANG_FLAGS = st.lists(st.tuples(
    st.sampled_from(["--rate-per-hour", "--aht-s", "--agents", "--patience-s", "--target", "--max-abandon",
                     "--sl-threshold-s", "--json", "--zzz"]),
    st.one_of(NUMBERS.map(str), st.sampled_from(["80/20", "100/0", "0/5", "1/20", "x", "5%", "0", "phone=80/20"])),
), max_size=5)


@settings(max_examples=60, deadline=None)
@given(pairs=ERLANG_FLAGS)
def test_erlang_with_generated_flags_answers_or_refuses_in_one_line(pairs: list[tuple[str, str]]) -> None:
    argv = ["erlang", "--rate-per-hour", "100", "--aht-s", "180"]
    for flag, value in pairs:
        argv += [flag] if flag == "--json" else [flag, value]
    code, err = run_cli(argv)
    assert_contract(argv, code, err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(max_size=200),
    st.lists(st.tuples(st.sampled_from(["seed", "horizon", "channels", "arrivals", "replications", "teams",
                                        "journey", "zzz", "name"]), VALUES), max_size=5)
    .map(lambda pairs: BASE + "".join(f"{k}: {v}\n" for k, v in pairs)),
    st.binary(max_size=120).map(lambda b: b.decode("latin-1")),
))
def test_generated_scenario_files_load_or_raise_one_input_error(text: str, tmp_path: Path) -> None:
    from sim.io.scenario_files import load_scenario

    path = tmp_path / "generated.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        load_scenario(path)
    except InputError as exc:
        assert len(str(exc).splitlines()) == 1 and str(exc).startswith(str(path)), str(exc)


CSV_CELLS = st.one_of(st.sampled_from(["phone", "chat", "08:00", "25:00", "-1", "480", "0", "", "1e9", "x", "\ufeffteam",
                                       "120+15", "a;b", '"', "nan"]), st.text(max_size=6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.one_of(st.just(["team", "start", "length_min", "breaks", "headcount"]), st.lists(CSV_CELLS, max_size=6)),
       rows=st.lists(st.lists(CSV_CELLS, max_size=6), max_size=4))
def test_generated_rosters_read_or_raise_one_input_error(header: list[str], rows: list[list[str]],
                                                         tmp_path: Path) -> None:
    from sim.io.rosters import read_roster

    path = tmp_path / "roster.csv"
    path.write_text("\n".join(",".join(cells) for cells in [header, *rows]) + "\n", encoding="utf-8",
                    errors="surrogateescape")
    try:
        read_roster(path, teams=["phone"])
    except InputError as exc:
        assert len(str(exc).splitlines()) == 1 and str(exc).startswith(str(path)), str(exc)


LOG = Path(__file__).parent / "data" / "anonymous_bank_1999_08_01-15_calls.csv"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keep=st.integers(0, 40), damage=st.lists(st.tuples(st.integers(0, 40), CSV_CELLS), max_size=4))
def test_generated_call_logs_read_or_raise_one_input_error(keep: int, damage: list[tuple[int, str]],
                                                           tmp_path: Path) -> None:
    from sim.io.calllog import read_call_log

    lines = LOG.read_text(encoding="utf-8").splitlines()[:keep + 1]
    for where, cell in damage:  # a cell of some line replaced by something else
        if lines and where < len(lines):
            cells = lines[where].split(",")
            cells[where % len(cells)] = cell
            lines[where] = ",".join(cells)
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    try:
        read_call_log(path, "technion")
    except InputError as exc:
        assert len(str(exc).splitlines()) == 1 and str(exc).startswith(str(path)), str(exc)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(
    st.sampled_from(["scenario", "command", "replications", "seed", "crn", "overrides", "factors", "sample", "keep",
                     "zzz"]),
    st.one_of(VALUES, st.sampled_from(["{channels.phone.agents: [1, 2]}", "{channels.phone.agents: []}",
                                       "{method: lhs, points: 3, ranges: {channels.phone.agents: [1, 5]}}",
                                       "{method: sobol, points: -1}", "roi", "/tmp", "base.yaml"])),
), max_size=5))
def test_generated_sweep_specs_plan_or_raise_one_input_error(pairs: list[tuple[str, str]], base: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.studies.plan import plan_sweep

    spec = base.parent / "spec.yaml"
    spec.write_text("scenario: base.yaml\n" + "".join(f"{k}: {v}\n" for k, v in pairs), encoding="utf-8",
                    errors="surrogateescape")
    start = time.monotonic()
    with bounded_limits(monkeypatch):
        try:
            plan_sweep(spec)
        except InputError as exc:
            assert len(str(exc).splitlines()) == 1 and str(exc).startswith(str(spec)), str(exc)
    assert time.monotonic() - start < SECONDS


def test_the_shipped_scenarios_still_pass_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):  # a generated flag on every shipped file: refused in one line
        code, err = run_cli(["run", str(path), "-q", "--set", "horizon.hours=-1"])
        assert code == 2 and len(err.strip().splitlines()) == 1 and "horizon.hours" in err, (path, err)
