"""The pieces of ingestion shared by its entry points: a batch as Parquet bytes (one chunk
of ``store.monitors``), labels as JSON text, and what counts as a missing value."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from cairn.monitoring.window_data import MODEL_VERSION_COLUMN

__all__ = ["is_missing", "label_json", "to_parquet"]


def is_missing(value: Any) -> bool:
    """Whether ``value`` is None, NaN or pd.NA."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def to_parquet(frame: pd.DataFrame, model_version: int | None = None) -> bytes:
    """``frame`` as Parquet bytes, with the model version that made the predictions in
    the column the window reader takes it from; columns of mixed types are kept as text
    (the window's data quality reports them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = frame.reset_index(drop=True)
    if model_version is not None:
        frame = frame.assign(**{MODEL_VERSION_COLUMN: np.int64(model_version)})
    frame.columns = [str(c) for c in frame.columns]
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # mixed types in a column: keep it as text; the window's data quality reports it
        mixed = {c: frame[c].map(lambda v: None if is_missing(v) else str(v)) for c in frame.columns
                 if frame[c].dtype == object}  # fmt: skip
        table = pa.Table.from_pandas(frame.assign(**mixed), preserve_index=False)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def label_json(value: Any) -> str | None:
    """A label as JSON text (None for a missing one)."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.isoformat()
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return json.dumps(str(value))
