"""Tables that fit the terminal: width from COLUMNS, short headers, columns left out by priority, compact numbers."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from rich.console import Console

from sim.cli.console import Column, console, fit_table, format_compact, kpi_column, kpi_table, terminal_width


def render(renderable: object, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, soft_wrap=False).print(renderable)
    return out.getvalue().splitlines()


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "channel": ["phone", "chat", "social"], "start": ["08:00", "08:15", "08:30"],
        "offered_per_hour": [352.0, 61.5, 7.25], "agents": [27, 9, 2], "service_level": [0.8312, 0.9, float("nan")],
        "asa_s": [5.53, 12.0, 1800.0], "abandon_rate": [0.031, 0.0, None], "occupancy": [0.86, 0.71, 0.12],
    })


COLUMNS = [Column("channel", "channel"), Column("start", "start"), kpi_column("offered_per_hour", priority=2),
           Column("agents", "agents", "int", priority=1), kpi_column("service_level"), kpi_column("asa_s", priority=3),
           kpi_column("abandon_rate", priority=4), kpi_column("occupancy", priority=5)]


def test_terminal_width_follows_columns_and_defaults_to_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert terminal_width() == 100 and console().width == 100
    monkeypatch.setenv("COLUMNS", "not a number")
    assert terminal_width() == 80  # stdout is captured, not a terminal
    monkeypatch.delenv("COLUMNS")
    assert terminal_width() == 80 and console().width == 80


def test_wide_enough_shows_every_column_with_units_in_headers() -> None:
    fitted = fit_table(frame(), COLUMNS, width=120, title="Per interval")
    lines = render(fitted, 120)
    assert lines[0] == "Per interval"
    assert lines[1].split() == ["channel", "start", "offered/h", "agents", "SL", "%", "ASA", "s", "abandon", "%",
                                "occupancy", "%"]
    assert lines[3].split() == ["phone", "08:00", "352", "27", "83.1", "6", "3.1", "86.0"]
    assert lines[5].split() == ["social", "08:30", "7", "2", "-", "1,800", "-", "12.0"]  # NaN and None print as "-"
    assert fitted.dropped == [] and len(lines) == 6


def test_num_format_chooses_decimals_for_the_whole_column() -> None:
    lines = render(fit_table(frame(), [Column("asa_s", "ASA s", "num"), Column("offered_per_hour", "o", "num")], width=40), 40)
    assert [line.split() for line in lines[2:]] == [["6", "352"], ["12", "62"], ["1,800", "7"]]
    small = pd.DataFrame({"x": [0.123, 1.5, -0.0001]})
    assert [line.strip() for line in render(fit_table(small, [Column("x", "x", "num")], width=20), 20)[2:]] == \
        ["0.12", "1.50", "0.00"]


def test_narrow_widths_shorten_headers_then_leave_out_low_priority_columns() -> None:
    full = fit_table(frame(), COLUMNS, width=200)
    natural = max(len(line) for line in render(full, 200))
    shorter = fit_table(frame(), COLUMNS, width=natural - 1)
    assert shorter.dropped == [] and "aband %" in render(shorter, natural - 1)[0]  # short headers first
    narrow = fit_table(frame(), COLUMNS, width=40)
    assert narrow.shown[:2] == ["channel", "start"] and "service_level" in narrow.shown
    assert narrow.dropped[0] == "occ %" and "occupancy" not in narrow.shown  # the highest priority goes first
    lines = render(narrow, 40)
    assert " ".join(" ".join(lines[-2:]).split()) == "(not shown at 40 columns: occ %, aband %, ASA s)"
    assert max(len(line) for line in lines) <= 40 and lines[0].split() == ["channel", "start", "offered/h", "agents", "SL", "%"]


@pytest.mark.parametrize("width", [12, 20, 33, 47, 60, 80, 101])
def test_no_line_is_longer_than_the_width(width: int) -> None:
    names = pd.DataFrame({"output": ["phone.service_level", "phone.abandon_rate"],
                          "input": ["arrivals.phone.rate_per_hour", "channels.phone.patience.mean_s"], "ST": [0.81, 0.23]})
    for fitted in (fit_table(frame(), COLUMNS, width=width, title="A long title that has to wrap somewhere " * 2),
                   fit_table(names, [Column("output", "output"), Column("input", "input"), Column("ST", "ST", "{:.3f}")],
                             width=width)):
        assert max(len(line) for line in render(fitted, width)) <= width


def test_text_columns_are_cut_with_an_ellipsis_as_a_last_resort() -> None:
    names = pd.DataFrame({"input": ["arrivals.phone.rate_per_hour", "channels.phone.patience.mean_s"], "ST": [0.81, 0.23]})
    lines = render(fit_table(names, [Column("input", "input"), Column("ST", "ST", "{:.2f}")], width=20), 20)
    assert lines[2].endswith("0.81") and "…" in lines[2] and len(lines) == 4  # one line per row, never wrapped


def test_missing_columns_are_skipped_and_styled_cells_are_measured_as_text() -> None:
    from rich.text import Text

    data = pd.DataFrame({"channel": ["phone"], "meets": [False]})
    fitted = fit_table(data, [Column("channel", "channel"), Column("erlang_a", "Erl A", "pct"),
                              Column("meets", "met", lambda ok: "yes" if ok else Text("miss", style="red"))], width=30)
    assert fitted.shown == ["channel", "meets"]
    assert render(fitted, 30)[2].split() == ["phone", "miss"]
    bracket = pd.DataFrame({"name": ["[bold]not markup[/]"]})
    assert "[bold]not markup[/]" in render(fit_table(bracket, [Column("name", "name")], width=40), 40)[2]


def test_format_compact() -> None:
    assert format_compact("service_level", 0.8312) == "83.1 %"
    assert format_compact("offered", 3546.4) == "3,546"
    assert format_compact("asa_s", 7.56) == "7.6 s" and format_compact("aht_s", 235.9) == "236 s"
    assert format_compact("line_minutes", 13932.35) == "13,932" and format_compact("agents", 11.72) == "11.7"
    assert format_compact("net_sentiment", -0.3) == "-0.30" and format_compact("asa_s", math.inf) == "inf s"
    assert format_compact("asa_s", float("nan")) == "-"


def test_kpi_table_falls_back_to_half_widths_then_to_means() -> None:
    rows = []
    for channel in ("phone", "chat"):
        for kpi, mean, half in (("offered", 3546.0, 89.0), ("service_level", 0.83, 0.021),
                                ("mean_first_peer_answer_s", 2881.2, 275.0)):
            rows.append({"channel": channel, "kpi": kpi, "mean": mean, "ci95_low": mean - half, "ci95_high": mean + half})
    summary = pd.DataFrame(rows)
    wide = render(kpi_table(summary, width=100), 100)
    assert "phone 95 % CI" in wide[0] and "3,457 .. 3,635" in wide[2]
    middle = kpi_table(summary, width=70)
    assert "± 95 %" in render(middle, 70)[0] and "± 89" in render(middle, 70)[2] and middle.dropped == []
    narrow = kpi_table(summary, width=45)
    lines = render(narrow, 45)
    assert narrow.dropped == ["95 % intervals"] and "±" not in "".join(lines) and max(map(len, lines)) <= 45
