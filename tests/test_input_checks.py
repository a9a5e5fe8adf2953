"""Inputs that used to give silently wrong results, a traceback or a run that never ends.

Every case here either gives the right result or is refused before any
work starts, in one line (file, dotted key, what is expected) with exit
status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.io.yaml_files import MAX_BYTES, MAX_DEPTH
from sim.studies.checkpoints import SweepFolderError
from sim.studies.plan import plan_sweep
from sim.studies.sweep import run_plan
from sim.studies.sweep_spec import SweepSpecError

from .conftest import SCENARIOS

EMPIRICAL_SCENARIO = """\
seed: 3
replications: 2
horizon: {hours: 1}
arrivals: {phone: {rate_per_hour: 60}}
channels:
  phone:
    agents: 2
    aht: {dist: empirical, csv: aht.csv, column: talk}
"""


def one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``ccsim argv``; it must exit 2 with one line on stderr and no traceback. Returns the line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


# ---------------------------------------------------------------------------
# Silent wrong results


def test_resume_refuses_when_a_csv_the_scenario_reads_has_changed(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(EMPIRICAL_SCENARIO, encoding="utf-8")
    (tmp_path / "aht.csv").write_text("talk\n170\n180\n190\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text("scenario: scenario.yaml\ncommand: run\nfactors: {channels.phone.agents: [2, 3]}\n", encoding="utf-8")
    first = plan_sweep(spec)
    run_plan(first, tmp_path / "out")
    assert plan_sweep(spec).hash == first.hash  # the same files: the same study
    (tmp_path / "aht.csv").write_text("talk\n370\n380\n390\n", encoding="utf-8")
    changed = plan_sweep(spec)
    assert changed.hash != first.hash
    with pytest.raises(SweepFolderError, match="different spec"):
        run_plan(changed, tmp_path / "out", resume=True)


@pytest.mark.parametrize("key", ["journey.self_service.placement", "forum.placement"])
def test_a_placement_needs_a_forum_channel_whichever_spelling(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["run", str(SCENARIOS / "baseline.yaml"), "--set", f"{key}=after_login", "-q"], capsys)
    assert f"baseline.yaml: {key}: is 'after_login' but the scenario has no forum channel" in err
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--set", f"{key}=none", "-r", "1", "-q",
                 "--set", "horizon.hours=1"]) == 0


@pytest.mark.parametrize("override, words", [
    ("costs.zzz=1", "costs.zzz: unknown key"),
    ("roi.staffing=whatever", "roi.staffing: input should be 'fixed', 'to_target' or 'attrition'"),
    ("roi.months=-1", "roi.months: input should be greater than or equal to 1"),
    ("uncertain[channels.phone.agents]={dist: uniform, low: 40, high: 60}", None),
    ("uncertain[channels.phone.nope]=[1, 2]", "uncertain.channels.phone.nope: names no number of this scenario"),
])
def test_run_judges_the_roi_sections_as_roi_does(override: str, words: str | None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", str(SCENARIOS / "erlang-a.yaml"), "--set", override, "-r", "1", "-q", "--set", "horizon.hours=1",
            "--set", "horizon.warmup_hours=0"]
    if words is None:
        assert main(argv) == 0
        return
    err = one_line_error(argv, capsys)
    assert f"erlang-a.yaml: {words}" in err


@pytest.mark.parametrize("distribution, words", [
    ("{dist: uniform, low: 0.5, high: 1.2}", "its highest value 1.2 is not valid there"),
    ("{dist: normal, mean: 0.8, sd: 0.1}", "its 0.999999 quantile 1.27534 is not valid there"),
    ("{dist: triangular, low: -0.1, mode: 0.7, high: 0.9}", "its lowest value -0.1 is not valid there"),
])
def test_an_uncertain_range_is_judged_at_its_ends_before_the_first_replication(
    distribution: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "roi"
    err = one_line_error(["roi", str(SCENARIOS / "roi-mid-size.yaml"), "-n", "2", "--out", str(out), "-q",
                          "--set", f"uncertain[channels.social.response_coverage]={distribution}"], capsys)
    assert f"uncertain.channels.social.response_coverage: {words}" in err
    assert not out.exists()  # refused before any replication ran


def test_a_sweep_judges_the_roi_sections_of_each_design_point(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"scenario: {SCENARIOS / 'erlang-a.yaml'}\ncommand: run\n"
                    "factors: {roi.months: [12, 0]}\n", encoding="utf-8")
    with pytest.raises(SweepSpecError, match=r"factors.roi.months: design point 1 .*roi.months: input should be"):
        plan_sweep(spec)


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("channels:\n  phone:\n    agents: 3\n    aht: {mean_s: 60}\n    agents: 4\n", encoding="utf-8")
    err = one_line_error(["run", str(path), "-q"], capsys)
    assert err == f"ccsim: error: {path}: channels.phone.agents: is given twice (lines 3 and 5); give each key once"



def test_a_scenario_file_larger_than_the_limit_is_refused_unread(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk used, and /dev/zero behaves the same
    assert one_line_error(["run", str(big), "-q"], capsys) == (
        f"ccsim: error: {big}: is larger than 10 MB; expected a YAML file of settings")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 100_000])
def test_deeply_nested_yaml_gives_one_line(depth: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("description: " + "[" * depth + "]" * depth + "\nchannels: {}\n", encoding="utf-8")
    err = one_line_error(["run", str(deep), "-q"], capsys)
    if depth == MAX_DEPTH + 5:
        assert err.endswith(f"{deep}: description: is nested too deeply (at most 50 levels of mappings and lists)")
    else:  # libyaml stops at its own limit; the pure-Python parser runs out of stack
        assert "exceeded maximum nesting depth" in err or "is nested too deeply" in err


def test_a_deeply_nested_override_gives_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 5000 + "]" * 5000
    err = one_line_error(["run", str(SCENARIOS / "erlang-a.yaml"), "-q", "--set", f"description={deep}"], capsys)
    assert err.endswith("erlang-a.yaml: description: the value is nested too deeply to be a setting")


@pytest.mark.parametrize("override, key", [
    ("channels.phone.agents=true", "channels.phone.agents"),
    ("channels.phone.agents=[50, false]", "channels.phone.agents.1"),
    ("arrivals.phone.rate_per_hour=true", "arrivals.phone.rate_per_hour"),
    ("channels.phone.aht={dist: erlang, k: true, mean_s: 180}", "channels.phone.aht.k"),
    ("seed=false", "seed"),
])
def test_true_or_false_is_not_a_number(override: str, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["run", str(SCENARIOS / "erlang-a.yaml"), "--set", override, "-q"], capsys)
    assert f"erlang-a.yaml: {key}: expected a number, not " in err


def test_a_true_or_false_setting_still_takes_a_boolean() -> None:
    from sim.io.scenario_files import load_scenario

    assert load_scenario(SCENARIOS / "erlang-a.yaml", ["horizon.drain=false"]).horizon.drain is False


def test_a_deterministic_time_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["run", str(SCENARIOS / "erlang-a.yaml"), "-q",
                          "--set", "channels.phone.aht={dist: deterministic, mean_s: 0}"], capsys)
    assert "erlang-a.yaml: channels.phone.aht.mean_s: input should be greater than 0" in err


@pytest.mark.parametrize("argv, words", [
    (["run", str(SCENARIOS / "erlang-a.yaml"), "--workers", "-2"], "--workers: -2: must be 0 (one per core) or more"),
    (["run", str(SCENARIOS / "erlang-a.yaml"), "--seed", "-1"], "--seed: -1: must be 0 or more"),
    (["roi", str(SCENARIOS / "roi-mid-size.yaml"), "--seed", "-1", "--out", "unused"], "--seed: -1: must be 0 or more"),
])
def test_negative_seeds_and_workers_are_refused(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert one_line_error([*argv, "-q"], capsys) == f"ccsim: error: {words}"


# ---------------------------------------------------------------------------
# One line instead of a traceback


@pytest.mark.parametrize("name", ["[/bold] x", "[red]x[/red]"])
def test_user_text_is_printed_literally_not_as_markup(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SCENARIOS / "erlang-a.yaml"), "--set", f"name={name}", "-r", "1", "-q",
                 "--set", "horizon.hours=1", "--set", "horizon.warmup_hours=0"]) == 0
    assert capsys.readouterr().out.startswith(f"{name}: 1 replications")


def short_sweep(folder: Path) -> Path:
    """A sweep spec of two quick design points in ``folder``."""
    spec = folder / "spec.yaml"
    spec.write_text(f"scenario: {SCENARIOS / 'erlang-a.yaml'}\ncommand: run\nreplications: 1\n"
                    "overrides: {horizon.hours: 1, horizon.warmup_hours: 0}\n"
                    "factors: {channels.phone.agents: [40, 50]}\n", encoding="utf-8")
    return spec


def test_an_out_folder_that_cannot_be_created_gives_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    out = blocker / "out"
    err = one_line_error(["sweep", str(short_sweep(tmp_path)), "--out", str(out), "--workers", "1", "-q"], capsys)
    assert err.startswith(f"ccsim: error: {out}: cannot be created or written (")
    err = one_line_error(["roi", str(SCENARIOS / "roi-mid-size.yaml"), "-n", "1", "--out", str(out), "--workers", "1",
                          "-q", "--set", "roi.months=1", "--set", "roi.noise_pairs=0"], capsys)
    assert err.startswith(f"ccsim: error: {out}: cannot be created or written (")


def test_calibrate_refuses_a_folder_as_its_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = Path(__file__).parent / "data" / "anonymous_bank_1999_08_01-15_calls.csv"
    err = one_line_error(["calibrate", str(log), "--out", str(tmp_path)], capsys)
    assert err == f"ccsim: error: --out: {tmp_path}: is a folder; expected the name of the scenario file to write"


def test_a_damaged_output_folder_gives_one_line_on_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec, out = short_sweep(tmp_path), tmp_path / "out"
    argv = ["sweep", str(spec), "--out", str(out), "--workers", "1", "-q", "--resume"]
    assert main(argv) == 0
    task = out / "tasks" / "dp000001-r00000.task"
    task.unlink()
    task.mkdir()  # a folder where a task file belongs
    assert one_line_error(argv, capsys) == (f"ccsim: error: {task}: is a folder where a task file belongs (the output "
                                            "folder is damaged); delete it and rerun with --resume")
    task.rmdir()
    for path in (out / "tasks").iterdir():
        path.unlink()
    (out / "tasks").rmdir()
    (out / "tasks").write_text("", encoding="utf-8")  # a file where the tasks folder belongs
    assert "tasks: exists and is not a folder" in one_line_error(argv, capsys)


def test_a_full_disk_gives_one_line_and_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import errno
    import os

    out = tmp_path / "out"
    sync = os.fsync
    calls = []

    def full_after_the_lock(fd: int) -> None:  # the lock is written, then the disk is full
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        sync(fd)

    monkeypatch.setattr(os, "fsync", full_after_the_lock)
    err = one_line_error(["sweep", str(short_sweep(tmp_path)), "--out", str(out), "--workers", "1", "-q"], capsys)
    assert err == f"ccsim: error: {out / 'tasks' / 'dp000000-r00000.task'}: No space left on device"
    assert (out / "spec.lock").is_file() and len(calls) > 1
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------
# Runs that never end


@pytest.mark.parametrize("override, words", [
    ("arrivals.phone.rate_per_hour=1e7", "one replication would simulate about 1,000,000,000 contacts and issues, "
                                         "above the limit of 5,000,000"),
    ("arrivals.phone.rate_per_hour=1e300", "one replication would simulate about 1e+302 contacts and issues"),
    ("horizon.hours=1e300", "horizon.hours: the horizon has 1e+300 intervals of 60 minutes"),
    ("horizon.hours=100000", "one replication would simulate about 100,000,000 contacts and issues"),
    ("channels.phone.agents=1000000", "the scenario puts 1,000,000 agents on duty at once, above the limit of 100,000"),
])
def test_a_run_too_big_to_finish_is_refused_before_it_starts(override: str, words: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["run", str(SCENARIOS / "erlang-a.yaml"), "-q", "--set", override], capsys)
    assert f"erlang-a.yaml: {words}" in err and "raise the limit with the environment variable CCSIM_MAX_" in err


def test_the_whole_run_is_bounded_and_the_limit_can_be_raised(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", str(SCENARIOS / "erlang-a.yaml"), "-q", "-r", "3", "--set", "horizon.hours=1",
            "--set", "horizon.warmup_hours=0"]
    monkeypatch.setenv("CCSIM_MAX_CONTACTS", "2000")
    err = one_line_error(argv, capsys)
    assert "the run would simulate about 3,000 contacts and issues (1,000 per replication x 3 replications), " \
           "above the limit of 2,000 contacts and issues in all" in err and "CCSIM_MAX_CONTACTS=10000" in err
    monkeypatch.setenv("CCSIM_MAX_CONTACTS", "3000")
    assert main(argv) == 0
    assert one_line_error([*argv[:4], "1000000000"], capsys).endswith(
        "1,000,000,000 replications, above the limit of 100,000 tasks (design points x replications); make the "
        "request smaller, or raise the limit with the environment variable CCSIM_MAX_TASKS "
        "(e.g. CCSIM_MAX_TASKS=10000000000)")


def test_a_sweep_grid_too_big_is_refused_before_it_is_built(tmp_path: Path) -> None:
    from sim.errors import InputError

    spec = tmp_path / "spec.yaml"
    levels = list(range(1, 2001))
    spec.write_text(f"scenario: {SCENARIOS / 'erlang-a.yaml'}\ncommand: run\nreplications: 1\n"
                    f"factors: {{channels.phone.agents: {levels}, arrivals.phone.rate_per_hour: {levels}}}\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"factors: the study has 4,000,000 design points x 1 replications"):
        plan_sweep(spec)


def test_an_roi_study_counts_every_month_of_both_arms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "roi"
    err = one_line_error(["roi", str(SCENARIOS / "roi-mid-size.yaml"), "-n", "5000", "--out", str(out), "-q"], capsys)
    assert "roi-mid-size.yaml: the run would simulate about " in err
    assert "per replication x 5,000 replications and 10 noise twins), above the limit of 100,000,000" in err
    assert not out.exists()


def test_every_command_that_simulates_is_bounded_through_simulate() -> None:
    from sim.errors import ScenarioError
    from sim.io.scenario_files import load_scenario
    from sim.studies.runner import simulate

    scenario = load_scenario(SCENARIOS / "erlang-a.yaml", ["horizon.hours=100000"])
    with pytest.raises(ScenarioError, match=r"^scenario 'Erlang A .*': one replication would simulate about "
                                            r"100,000,000 contacts and issues"):
        simulate(scenario, replications=1)


def _descendants(pid: int) -> set[int]:
    """Processes below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker processes")
@pytest.mark.parametrize("command", ["sweep", "run"])
def test_workers_do_not_outlive_a_killed_parent(command: str, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    if command == "sweep":
        spec = tmp_path / "spec.yaml"
        spec.write_text(f"scenario: {SCENARIOS / 'erlang-a.yaml'}\ncommand: run\nreplications: 50\n"
                        "factors: {channels.phone.agents: [48, 50, 52]}\n", encoding="utf-8")
        argv = ["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "2", "-q"]
    else:
        argv = ["run", str(SCENARIOS / "erlang-a.yaml"), "-r", "100", "--workers", "2", "-q"]
    parent = subprocess.Popen([sys.executable, "-m", "sim", *argv], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers := _descendants(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) >= 2, "the workers never started"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while (alive := {p for p in workers if Path(f"/proc/{p}").exists()
                         and "Z" not in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]}) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive, f"workers {sorted(alive)} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in workers:  # never leave a stray worker behind, even when the test fails
            try:
                if argv[1].encode() in Path(f"/proc/{pid}/cmdline").read_bytes():  # still ours, not a reused id
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# ---------------------------------------------------------------------------
# Targets no staffing can meet


@pytest.mark.parametrize("command, option, words", [
    ("staff", ["--target", "phone=100/0"], "--target: phone=100/0: a 100 % service level is never reached"),
    ("staff", ["--target", "phone=1/20"], "--target: phone=100/20: a 100 % service level is never reached"),
    ("staff", ["--max-abandon", "phone=0"], "--max-abandon: phone=0: must be above 0"),
    ("staff", ["--max-abandon", "0%"], "--max-abandon: 0: must be above 0"),
    ("staff", ["--set", "channels.phone.sl_target=1"], "phone-day.yaml: channels.phone.sl_target: is 1 (100 %)"),
    ("curve", ["--target", "phone=100/0"], "--target: phone=100/0: a 100 % service level is never reached"),
    ("curve", ["--set", "channels.phone.sl_target=1"], "phone-day.yaml: channels.phone.sl_target: is 1 (100 %)"),
])
def test_a_target_no_staffing_meets_is_refused_in_one_line(command: str, option: list[str], words: str,
                                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--channel", "phone", "--interval", "10:00"] if command == "curve" else []
    err = one_line_error([command, str(SCENARIOS / "phone-day.yaml"), *extra, *option, "--out", str(tmp_path / "o"),
                          "-q"], capsys)
    assert words in err
    assert not (tmp_path / "o").exists()  # refused before any work


@pytest.mark.parametrize("option, words", [
    (["--set", "arrivals.phone.rate_per_hour=1e7"], "one replication would simulate about 97,550,000 contacts"),
    (["--set", "horizon.hours=1e300"], "horizon.hours: the horizon has 2e+300 intervals"),
    (["-r", "1000000000"], "the staffing search (up to 60 simulated horizons x 1,000,000,000 replications, then up to "
                           "160 confirmation replications) would simulate about"),
    (["--max-evaluations", "1000000000"], "the staffing search (up to 1,000,000,000 simulated horizons"),
    (["--max-replications", "1000000000"], "the staffing search (up to 60 simulated horizons x 10 replications, "
                                          "then up to 1,000,000,000 confirmation replications)"),
    (["--stationary", "-r", "100000"], "the stationary search (48 intervals x 8 hours x about 3 agent counts x "
                                       "100,000 replications)"),
])
def test_a_staffing_search_too_big_to_finish_is_refused_before_it_starts(
    option: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    err = one_line_error(["staff", str(SCENARIOS / "phone-day.yaml"), *option, "--out", str(tmp_path / "o"), "-q"],
                         capsys)
    assert f"phone-day.yaml: {words}" in err and "raise the limit with the environment variable CCSIM_MAX_" in err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------
# Flags where users expect them


def test_sweep_takes_replications_and_seed_from_the_command_line(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec, out = short_sweep(tmp_path), tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "-q", "-r", "2", "--seed", "11"]) == 0
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["spec"]["replications"] == 2 and metadata["spec"]["seed"] == 11
    assert plan_sweep(spec, replications=2, seed=11).design["seed"].tolist() == [11, 11]
    assert plan_sweep(spec).replications == 1  # the spec's own when not given
    # another -r is another study: resuming it into the same folder would mix results
    err = one_line_error(["sweep", str(spec), "--out", str(out), "--workers", "1", "-q", "-r", "3", "--resume"], capsys)
    assert "-r/--seed given changed since" in err
    assert one_line_error(["sweep", str(spec), "--out", str(out), "-q", "--replications", "0"], capsys) == (
        "ccsim: error: --replications: 0: must be at least 1")


def test_sensitivity_takes_replications_and_seed_from_the_command_line(tmp_path: Path) -> None:
    from sim.studies.sensitivity import plan_sensitivity

    spec = tmp_path / "sens.yaml"
    spec.write_text(f"scenario: {SCENARIOS / 'erlang-a.yaml'}\nreplications: 1\nseed: 3\n"
                    "overrides: {horizon.hours: 1, horizon.warmup_hours: 0}\noutputs: [phone.service_level]\n"
                    "inputs: {channels.phone.agents: [40, 50]}\ninteger: [channels.phone.agents]\nsobol: null\n",
                    encoding="utf-8")
    given = plan_sensitivity(spec, replications=2, seed=9).plan
    assert (given.replications, given.seed) == (2, 9)
    own = plan_sensitivity(spec).plan
    assert (own.replications, own.seed) == (1, 3) and own.hash != given.hash
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "1", "-q", "-r", "2", "--seed", "9"]) == 0
    assert json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))["replications"] == 2


def test_sweep_says_a_folder_is_not_a_scenario_file(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"scenario: {tmp_path}\ncommand: run\nfactors: {{channels.phone.agents: [1]}}\n", encoding="utf-8")
    with pytest.raises(SweepSpecError, match=rf"scenario: {tmp_path} is a folder; expected a scenario YAML file"):
        plan_sweep(spec)
