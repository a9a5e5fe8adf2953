"""Post logs: the reader refuses bad files in one line; calibration recovers the engine's known parameters."""

from __future__ import annotations

import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli.main import main as ccsim
from sim.io.postlog import FILE_COLUMNS, PostLogError, clean_post_table, post_log_from_records, read_post_log
from sim.studies.calibrate_posts import PostCalibrationOptions, calibrate_posts, known_from_scenario
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "programme-intermediate.yaml"
EXAMPLE = ROOT / "tests" / "data" / "programme_intermediate_posts.csv"

TRUE = {  # the scenario's values
    ("forum", "accept_probability"): 0.7,
    ("forum", "answers_per_active_per_day"): 0.01,
    ("forum", "patience_mean_s"): 86400.0,
    ("social", "patience_mean_s"): 21600.0,
    ("social", "response_coverage"): 0.75,
    ("social", "sentiment_positive"): 0.15,
    ("social", "sentiment_neutral"): 0.45,
    ("social", "sentiment_negative"): 0.40,
    ("social", "sentiment_sour_after_s"): 14400.0,
    ("social", "sentiment_delight_probability"): 0.1,
}


@pytest.fixture(scope="module")
def engine_log() -> pd.DataFrame:
    """Posts of two simulated days of the intermediate programme, pooled in one log (two weeks apart)."""
    scenario = sim.load_scenario(SCENARIO)
    tables = []
    for replication in (0, 1):
        records = sim.run(scenario, seed=1, replication=replication)
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=14 * replication)
        tables.append(post_log_from_records(records, start.to_pydatetime(), prefix=f"r{replication}-"))
    return pd.concat(tables, ignore_index=True)


def test_calibration_recovers_the_engine_parameters_within_their_intervals(engine_log: pd.DataFrame) -> None:
    log = clean_post_table(engine_log)
    known = known_from_scenario(sim.load_scenario(SCENARIO))
    cal = calibrate_posts(log, PostCalibrationOptions(bootstrap=100, known=known))
    for (channel, name), true in TRUE.items():
        e = cal.estimate(channel, name)
        assert e.kind == "parameter" and e.key is not None
        assert e.low <= true <= e.high, (channel, name, e.value, e.low, e.high)
    # outcomes are not written as keys: the share answered is below the coverage taken on (authors give up)
    answered = cal.estimate("social", "answered_share")
    assert answered.kind == "outcome" and answered.value < cal.estimate("social", "response_coverage").value
    assert set(cal.keys) == {
        "channels.forum.community.accept_probability", "channels.forum.community.answers_per_active_per_day",
        "channels.forum.patience", "channels.social.patience", "channels.social.response_coverage",
        "channels.social.sentiment"}
    sim.load_scenario(SCENARIO, cal.keys)  # the keys apply to the scenario


def test_the_per_post_peer_rate_is_an_outcome_of_load(engine_log: pd.DataFrame) -> None:
    """Without the peers' capacity the rate per post is well below the light-load rate (600 members x 0.01 = 6 a day)."""
    cal = calibrate_posts(clean_post_table(engine_log), PostCalibrationOptions(bootstrap=0))
    per_post = cal.estimate("forum", "peer_answers_per_post_per_day")
    assert per_post.kind == "outcome" and per_post.high < 6.0 * 0.8
    assert "channels.forum.community.answers_per_active_per_day" not in cal.keys


def test_export_and_read_agree_with_the_records() -> None:
    records = sim.run(sim.load_scenario(SCENARIO), seed=2, replication=0)
    table = post_log_from_records(records)
    assert tuple(table.columns) == FILE_COLUMNS
    log = clean_post_table(table)
    j = records.journey
    assert j is not None
    forum = j.channels.index("forum")
    peer = (j.contact_channel == forum) & (j.contact_by == 1)
    assert int((log["answered_by"] == "peer").sum()) == int(peer.sum())
    assert (log["answer_after_s"].dropna() >= 0).all() and (log["closed_after_s"].dropna() >= 0).all()


def test_cli_calibrates_the_example_file(tmp_path: Path) -> None:
    out = tmp_path / "keys.yaml"
    status = ccsim(["calibrate", "--posts", str(EXAMPLE), "--scenario", str(SCENARIO), "--out", str(out),
                    "--bootstrap", "20", "--report", str(tmp_path / "report")])
    assert status == 0
    text = out.read_text(encoding="utf-8")
    assert "channels.social.response_coverage:" in text and "# 95 % CI" in text
    import yaml

    sim.load_scenario(SCENARIO, yaml.safe_load(text))
    assert (tmp_path / "report" / "summary.md").exists()


@pytest.mark.parametrize(("column", "value", "message"), [
    ("answered_by", "moderator", "answered_by: 'moderator' on data row 1: expected peer, agent or empty"),
    ("posted_at", "yesterday", "posted_at: 'yesterday' on data row 1: cannot read this time"),
    ("accepted", "maybe", "accepted: 'maybe' on data row 1: expected yes, no or empty"),
    ("sentiment", "angry", "sentiment: 'angry' on data row 1: expected positive, neutral, negative or empty"),
    ("kind", "email", "kind: 'email' on data row 1: expected forum or social"),
])
def test_a_bad_cell_is_one_line_naming_file_column_and_row(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            column: str, value: str, message: str) -> None:
    table = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False).head(5)
    table.loc[0, column] = value
    bad = tmp_path / "bad.csv"
    table.to_csv(bad, index=False)
    status = ccsim(["calibrate", "--posts", str(bad), "--out", str(tmp_path / "k.yaml")])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert err.endswith(message.split(": ", 1)[1]) or message in err, err
    assert str(bad) in err and column in err


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    table = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False).head(3).drop(columns=["closed_at"])
    path = tmp_path / "posts.csv"
    table.to_csv(path, index=False)
    with pytest.raises(PostLogError, match="closed_at: column missing"):
        read_post_log(path)
    with pytest.raises(PostLogError, match="file not found"):
        read_post_log(tmp_path / "none.csv")


_SECONDS = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@st.composite
def _posts(draw: st.DrawFn) -> pd.DataFrame:
    """A valid post log with times in seconds."""
    rows = []
    for i in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["forum", "social"]))
        posted = draw(_SECONDS)
        fate = draw(st.sampled_from(["answered", "closed", "open"]))
        by = draw(st.sampled_from(["peer", "agent"] if kind == "forum" else ["agent"])) if fate == "answered" else ""
        later = posted + draw(_SECONDS)
        rows.append({"post_id": f"p{i}", "channel": kind, "kind": kind, "posted_at": repr(posted),
                     "first_answer_at": repr(later) if fate == "answered" else "", "answered_by": by,
                     "accepted": draw(st.sampled_from(["yes", "no"])) if by else "",
                     "sentiment": draw(st.sampled_from(["", "positive", "neutral", "negative"])),
                     "closed_at": repr(later) if fate == "closed" else ""})
    return pd.DataFrame(rows, columns=list(FILE_COLUMNS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_posts())
def test_valid_logs_read_back_exactly(table: pd.DataFrame) -> None:
    log = clean_post_table(table)
    assert len(log) == len(table)
    answered = table["first_answer_at"] != ""
    assert int(log["answer_after_s"].notna().sum()) == int(answered.sum())
    assert (log["open_for_s"] >= 0).all()
    # the times themselves, post by post: posted, and the answer's or the closing's delay after it
    got = log.set_index("post_id")
    for row in table.to_dict("records"):
        read = got.loc[row["post_id"]]
        posted = float(row["posted_at"])
        assert read["posted_s"] == pytest.approx(posted, rel=1e-12, abs=1e-9)
        if row["first_answer_at"]:
            assert read["answer_after_s"] == pytest.approx(float(row["first_answer_at"]) - posted, rel=1e-9, abs=1e-6)
            assert read["answered_by"] == row["answered_by"]
        if row["closed_at"]:
            assert read["closed_after_s"] == pytest.approx(float(row["closed_at"]) - posted, rel=1e-9, abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(table=_posts(), row=st.integers(0, 7), column=st.sampled_from(list(FILE_COLUMNS)),
       value=st.text(alphabet=string.ascii_letters + string.digits + ":-. ", max_size=12))
def test_any_changed_cell_reads_or_is_refused_in_one_line(table: pd.DataFrame, row: int, column: str, value: str) -> None:
    table = table.copy()
    table.loc[row % len(table), column] = value
    try:
        clean_post_table(table, "posts.csv")
    except PostLogError as exc:
        assert str(exc).startswith("posts.csv") and "\n" not in str(exc)
