"""Result files: atomic writes and JSON-ready values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.io.files import finite_or_none, json_ready, write_atomic, write_parquet


def test_json_ready_makes_numpy_and_non_finite_values_plain() -> None:
    value = {"a": np.float64(1.5), "b": [np.int64(3), float("nan")], "c": (np.inf, np.bool_(True)),
             "d": np.array([1.0, np.nan]), "e": "text", "f": None}
    ready = json_ready(value)
    assert ready == {"a": 1.5, "b": [3, None], "c": [None, True], "d": [1.0, None], "e": "text", "f": None}
    assert type(ready["a"]) is float and type(ready["b"][0]) is int and type(ready["c"][1]) is bool
    json.dumps(ready, allow_nan=False)


@given(st.recursive(st.floats() | st.integers() | st.text() | st.none(),
                    lambda children: st.lists(children) | st.dictionaries(st.text(), children), max_leaves=20))
def test_json_ready_output_is_always_strict_json(value: object) -> None:
    json.dumps(json_ready(value), allow_nan=False)


@pytest.mark.parametrize(("value", "expected"), [(None, None), (np.nan, None), (-np.inf, None), (np.float32(2.5), 2.5), (3, 3.0)])
def test_finite_or_none(value: object, expected: float | None) -> None:
    assert finite_or_none(value) == expected


def test_atomic_writes_replace_the_file_and_leave_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    frame = pd.DataFrame({"x": [1.0, math.nan]})
    write_parquet(tmp_path / "t.parquet", frame)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json", "t.parquet"]
