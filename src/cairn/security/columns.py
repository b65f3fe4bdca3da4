"""Columns as plain Python values, so the logging hooks scan tables without importing pandas.

A :class:`Column` holds a column's name, its broad type (``text``, ``int``, ``float``,
``bool``, ``datetime``) and its non-null sampled values. :func:`from_series` builds one from a
pandas Series; :func:`read_columns` reads the first rows of a CSV, TSV, JSON-lines (stdlib)
or parquet (pyarrow) file.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput

TEXT, INT, FLOAT, BOOL, DATETIME = "text", "int", "float", "bool", "datetime"
SUFFIXES = {
    ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}  # fmt: skip
SUPPORTED = "CSV (.csv), TSV (.tsv), parquet (.parquet, .pq), JSON lines (.jsonl, .ndjson)"


@dataclass(frozen=True)
class Column:
    """A column's name, broad type and non-null (sampled) values."""

    name: str
    kind: str
    values: list[Any]


def table_format(path: Path) -> str:
    """``csv``, ``tsv``, ``parquet`` or ``jsonl`` from the file's suffix, else ``InvalidInput``."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"{path}: unknown table format {path.suffix or '(no suffix)'!r}; "
                           f"supported: {SUPPORTED}")  # fmt: skip
    return fmt


def from_series(name: Any, series: Any) -> Column:
    """A Column from a pandas Series (nulls dropped, time zones removed)."""
    import pandas as pd

    values = series.dropna()
    if pd.api.types.is_bool_dtype(values):
        kind = BOOL
    elif pd.api.types.is_integer_dtype(values):
        kind = INT
    elif pd.api.types.is_float_dtype(values):
        kind = FLOAT
    elif pd.api.types.is_datetime64_any_dtype(values):
        kind = DATETIME
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        return Column(str(name), kind, [v.to_pydatetime() for v in values])
    else:
        kind = TEXT
    return Column(str(name), kind, values.tolist())


def _typed(name: str, raw: list[Any]) -> Column:
    """A Column of JSON values: one broad type when all values share it, else text."""
    values = [v for v in raw if v is not None and v != ""]
    types = {type(v) for v in values}
    if types == {bool}:
        return Column(name, BOOL, values)
    if types == {int}:
        return Column(name, INT, values)
    if types and types <= {int, float}:
        return Column(name, FLOAT, values)
    return Column(name, TEXT, [v if isinstance(v, str) else json.dumps(v) for v in values])


def _sample(rows: list[Any], sample: int, seed: int) -> list[Any]:
    if len(rows) <= sample:
        return rows
    chosen = sorted(random.Random(seed).sample(range(len(rows)), sample))
    return [rows[i] for i in chosen]


def read_columns(
    path: Path, *, max_rows: int, sample: int, seed: int = 0
) -> tuple[list[Column], int]:
    """The columns of the first ``max_rows`` rows of the table in ``path`` (``sample`` of them
    kept) and the number of rows read."""
    fmt = table_format(path)
    try:
        if fmt == "parquet":
            return _parquet(path, max_rows, sample, seed)
        if fmt == "jsonl":
            return _jsonl(path, max_rows, sample, seed)
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.reader(handle, delimiter="\t" if fmt == "tsv" else ",")
            header = next(reader, [])
            rows = [row for _, row in zip(range(max_rows), reader, strict=False)]
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path}: cannot read it as {fmt}: {exc}") from exc
    kept = _sample(rows, sample, seed)
    columns = [
        Column(name, TEXT, [r[i].strip() for r in kept if i < len(r) and r[i].strip()])
        for i, name in enumerate(header)
    ]
    return columns, len(rows)


def _jsonl(path: Path, max_rows: int, sample: int, seed: int) -> tuple[list[Column], int]:
    records: list[dict] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if len(records) >= max_rows:
                break
            if line.strip():
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"line {len(records) + 1} is not a JSON object")
                records.append(record)
    kept = _sample(records, sample, seed)
    names = list(dict.fromkeys(k for r in kept for k in r))
    return [_typed(n, [r.get(n) for r in kept]) for n in names], len(records)


def _parquet(path: Path, max_rows: int, sample: int, seed: int) -> tuple[list[Column], int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        batch = next(handle.iter_batches(batch_size=max_rows), None)
    except pa.ArrowException as exc:
        raise ValueError(str(exc)) from exc
    if batch is None:
        return [Column(n, TEXT, []) for n in handle.schema_arrow.names], 0
    rows = batch.num_rows
    picked = _sample(list(range(rows)), sample, seed)
    batch = batch.take(pa.array(picked, type=pa.int64()))
    columns = []
    for name, array in zip(batch.schema.names, batch.columns, strict=True):
        kind = (
            BOOL if pa.types.is_boolean(array.type)
            else INT if pa.types.is_integer(array.type)
            else FLOAT if pa.types.is_floating(array.type)
            else DATETIME if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type)
            else TEXT
        )  # fmt: skip
        values = [v for v in array.to_pylist() if v is not None]
        if kind == DATETIME:
            values = [
                v if isinstance(v, datetime) else datetime(v.year, v.month, v.day) for v in values
            ]
            values = [v.replace(tzinfo=None) for v in values]
        elif kind == TEXT:
            values = [v if isinstance(v, str) else str(v) for v in values]
        columns.append(Column(name, kind, values))
    return columns, rows
