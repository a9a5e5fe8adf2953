"""``ccsim erlang --target``: the fewest agents by Erlang C or Erlang A, and clean errors for impossible targets."""

from __future__ import annotations

import json

import pytest

import sim
from sim.cli.main import main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["erlang", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_erlang_c_target_gives_46_agents_for_600_per_hour(capsys: pytest.CaptureFixture[str]) -> None:
    result = _json(capsys, "--rate", "600", "--aht", "240", "--target", "80/20")
    assert result["model"] == "erlang_c" and result["agents"] == 46
    assert result["agents"] == sim.erlang_c_agents_for_sl(600, 240, sl_target=0.8, sl_threshold_s=20)
    assert result["at_agents"]["agents"] == 46 and result["one_fewer"]["agents"] == 45
    assert result["at_agents"]["service_level"] >= 0.8 > result["one_fewer"]["service_level"]
    assert result["at_agents"]["service_level"] == pytest.approx(0.8388, abs=1e-4)
    assert result["one_fewer"]["service_level"] == pytest.approx(0.7754, abs=1e-4)


def test_erlang_c_target_prints_both_staffings(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["erlang", "--rate", "600", "--aht", "240", "--target", "80/20"]) == 0
    out = capsys.readouterr().out
    assert "fewest agents for 80 % answered within 20 s: 46" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["45"], ["46"])}
    assert rows["45"][1] == "77.54" and rows["45"][-1] == "no"
    assert rows["46"][1] == "83.88" and rows["46"][-1] == "yes"
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize("extra, max_abandon", [([], None), (["--max-abandon", "0.01"], 0.01), (["--max-abandon", "2%"], 0.02)])
def test_erlang_a_target_matches_the_api(capsys: pytest.CaptureFixture[str], extra: list[str], max_abandon: float | None) -> None:
    result = _json(capsys, "--rate", "600", "--aht", "240", "--patience", "300", "--target", "80/20", *extra)
    expected = sim.erlang_a_agents_for_sl(600, 240, 300, 0.8, 20, max_abandon=max_abandon)
    assert result["model"] == "erlang_a" and result["agents"] == expected
    at, fewer = result["at_agents"], result["one_fewer"]
    assert at["service_level"] >= 0.8 and (max_abandon is None or at["p_abandon"] <= max_abandon)
    assert fewer["service_level"] < 0.8 or (max_abandon is not None and fewer["p_abandon"] > max_abandon)


def test_erlang_a_abandonment_ceiling_alone(capsys: pytest.CaptureFixture[str]) -> None:
    result = _json(capsys, "--rate-per-hour", "600", "--aht-s", "240", "--patience-s", "300", "--max-abandon", "0.05")
    assert result["agents"] == sim.erlang_a_agents_for_sl(600, 240, 300, 0.0, 20, max_abandon=0.05)
    assert result["at_agents"]["p_abandon"] <= 0.05 < result["one_fewer"]["p_abandon"]
    assert result["sl_target"] is None


@pytest.mark.parametrize("target, threshold_s", [("phone=80/20", 20.0), ("80%/20s", 20.0), ("0.8/20", 20.0), ("90/1h", 3600.0)])
def test_erlang_target_syntax_of_staff(capsys: pytest.CaptureFixture[str], target: str, threshold_s: float) -> None:
    result = _json(capsys, "--rate", "600", "--aht", "240", "--target", target)
    assert result["sl_threshold_s"] == threshold_s
    assert result["agents"] == sim.erlang_c_agents_for_sl(600, 240, sl_target=result["sl_target"], sl_threshold_s=threshold_s)


@pytest.mark.parametrize("argv, words", [
    (["--target", "100/0"], "--target: 100/0: a 100 % service level is never reached"),
    (["--target", "0/20"], "above 0 and below 100 %"),
    (["--target", "80/-20"], "expected PERCENT/SECONDS"),
    (["--target=-80/20"], "expected PERCENT/SECONDS"),
    (["--target", "eighty"], "expected PERCENT/SECONDS"),
    (["--patience", "300", "--target", "80/20", "--max-abandon", "0"], "--max-abandon: 0: must be above 0"),
    (["--patience", "300", "--target", "80/20", "--max-abandon", "0%"], "must be above 0"),
    (["--patience", "300", "--max-abandon", "-0.05"], "expected a fraction above 0 and below 1"),
    (["--target", "80/20", "--max-abandon", "0.05"], "needs --patience-s"),
    (["--target", "80/20", "--agents", "40"], "not both"),
    (["--target", "80/20", "--sl-threshold-s", "30"], "part of --target"),
    (["--target", "80/20", "--patience", "-5"], "--patience-s"),
    ([], "give --agents N"),
])
def test_bad_targets_exit_2_with_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erlang", "--rate", "600", "--aht", "240", *argv]) == 2
    captured = capsys.readouterr()
    assert words in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and captured.out == ""


def test_erlang_help_shows_solving_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["erlang", "--help"])
    text = capsys.readouterr().out
    assert "--target 80/20" in text and "--max-abandon" in text and "one agent fewer" in text
