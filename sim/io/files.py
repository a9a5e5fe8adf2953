"""Result files: atomic writes (a reader never sees half a file) and JSON-ready values.

Studies write their results as they go; each file appears whole, by writing
it beside its place and renaming it over, so an interrupted run leaves the
previous complete file or none. JSON has no NaN or infinity and no numpy
types: :func:`json_ready` turns those into ``null`` and plain numbers.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it (flushed to disk first)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as exc:  # a full disk or an interruption leaves the previous file (or none), never a temporary
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:  # name the file the error is about
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` as Parquet, atomically."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(path, buffer.getvalue())


def finite_or_none(value: Any) -> float | None:
    """A number as a float, or None when it is missing, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as plain Python and NaN or infinities as None, recursively."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, (np.generic, np.ndarray)):
        return json_ready(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
