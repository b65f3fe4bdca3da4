"""The reference summary a monitor keeps: built once from the reference data when the monitor
is created, stored as bytes, and read by every window instead of the reference itself.

Numeric columns keep a sorted float64 sample of their non-missing values: all of them up to
:data:`SAMPLE_CAP` rows (so KS and Wasserstein statistics equal scipy's on the full
reference), above it a uniform random sample of :data:`SAMPLE_CAP` values drawn with a fixed
seed (count, missing, min, max, mean and std are still computed on every value). Categorical
columns keep their category counts. Categories are compared as text (see
:func:`category_counts`).

The bytes are a zip of ``.npy`` arrays and a JSON header (``np.load`` with
``allow_pickle=False``: safe to load); damaged bytes are refused with
:class:`~cairn.errors.InvalidInput`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cairn.errors import InvalidInput
from cairn.monitoring.spec import MonitorSpec

__all__ = [
    "SAMPLE_CAP",
    "CategoricalSummary",
    "NumericSummary",
    "ReferenceSummary",
    "category_counts",
    "numeric_values",
    "summarize",
]

#: Numeric reference values kept per column; above it, a seeded uniform sample of this size.
SAMPLE_CAP = 100_000
_SEED = 20_240_608
_FORMAT = 1
_HISTOGRAM_BINS = 20


@dataclass
class NumericSummary:
    """A numeric column: statistics of every non-missing value, a sorted float64 sample
    ``values`` (all values up to :data:`SAMPLE_CAP`), and a histogram (``edges``, ``counts``)."""

    name: str
    count: int
    missing: int
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    values: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    kind: str = field(default="numeric", init=False)

    @property
    def unique(self) -> np.ndarray:
        """The distinct values of the sample, ascending."""
        values = self.values
        if len(values) == 0:
            return values
        return values[np.concatenate(([True], values[1:] != values[:-1]))]


@dataclass
class CategoricalSummary:
    """A categorical column: ``counts`` of each category (as text) among non-missing values."""

    name: str
    count: int
    missing: int
    counts: dict[str, int]
    kind: str = field(default="categorical", init=False)


ColumnSummary = NumericSummary | CategoricalSummary


@dataclass
class ReferenceSummary:
    """What a window needs of the reference: its row count, a summary of each monitored
    feature and segment column, of the prediction (None without one), the reference's own
    quality (None without target and prediction) and the reference frame's column names."""

    rows: int
    columns: dict[str, ColumnSummary]
    prediction: ColumnSummary | None
    quality: dict[str, Any] | None
    column_names: list[str]

    def to_bytes(self) -> bytes:
        """The summary as a zip of ``.npy`` arrays and a JSON header (deterministic bytes)."""
        arrays: dict[str, np.ndarray] = {}
        entries = []
        items = list(self.columns.values()) + ([self.prediction] if self.prediction else [])
        for index, column in enumerate(items):
            entry: dict[str, Any] = {
                "name": column.name,
                "kind": column.kind,
                "count": column.count,
                "missing": column.missing,
            }
            if isinstance(column, NumericSummary):
                entry.update(min=column.min, max=column.max, mean=column.mean, std=column.std)
                for key in ("values", "edges", "counts"):
                    arrays[f"{key}_{index}"] = np.ascontiguousarray(getattr(column, key))
            else:
                entry["counts"] = column.counts
            entries.append(entry)
        header = {
            "format": _FORMAT,
            "rows": self.rows,
            "columns": entries[: len(self.columns)],
            "prediction": entries[len(self.columns)] if self.prediction else None,
            "quality": self.quality,
            "column_names": self.column_names,
        }
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                with archive.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceSummary:
        """Read :meth:`to_bytes` output; damaged or foreign bytes raise InvalidInput."""
        try:
            return cls._parse(data)
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
            raise InvalidInput(
                f"reference summary is damaged or not a cairn summary: {error}"
            ) from error

    @classmethod
    def _parse(cls, data: bytes) -> ReferenceSummary:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise TypeError("not a zip of arrays")
        with loaded as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(arrays.pop("header").tobytes().decode())
        if header.get("format") != _FORMAT:
            raise ValueError(f"format {header.get('format')!r}")
        columns = [_column(entry, index, arrays) for index, entry in enumerate(header["columns"])]
        prediction = header["prediction"]
        return cls(
            rows=int(header["rows"]),
            columns={column.name: column for column in columns},
            prediction=_column(prediction, len(columns), arrays) if prediction else None,
            quality=header["quality"],
            column_names=list(header["column_names"]),
        )

    @property
    def digest(self) -> str:
        """sha256 hex digest of :meth:`to_bytes`."""
        return hashlib.sha256(self.to_bytes()).hexdigest()


def _column(entry: dict[str, Any], index: int, arrays: dict[str, np.ndarray]) -> ColumnSummary:
    if entry["kind"] == "categorical":
        counts = {str(key): int(value) for key, value in entry["counts"].items()}
        return CategoricalSummary(entry["name"], int(entry["count"]), int(entry["missing"]), counts)
    if entry["kind"] != "numeric":
        raise ValueError(f"column kind {entry['kind']!r}")
    values = arrays[f"values_{index}"].astype(np.float64, copy=False)
    if values.ndim != 1 or np.any(values[1:] < values[:-1]):
        raise ValueError(f"values of {entry['name']!r} are not a sorted vector")
    return NumericSummary(
        name=entry["name"],
        count=int(entry["count"]),
        missing=int(entry["missing"]),
        min=entry["min"],
        max=entry["max"],
        mean=entry["mean"],
        std=entry["std"],
        values=values,
        edges=arrays[f"edges_{index}"].astype(np.float64, copy=False),
        counts=arrays[f"counts_{index}"].astype(np.int64, copy=False),
    )


def numeric_values(series: pd.Series) -> np.ndarray:
    """The values of ``series`` as float64; text that is not a number becomes NaN."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def category_counts(series: pd.Series) -> dict[str, int]:
    """Counts of each non-missing value of ``series`` as text; whole floats read as integers
    (``1.0`` and ``1`` are the same category), booleans as ``True``/``False``."""
    counts = series.value_counts(dropna=True, sort=False)
    result: dict[str, int] = {}
    for key, value in zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True):
        if isinstance(key, float) and key.is_integer():
            key = int(key)  # noqa: PLW2901
        text = str(key)
        result[text] = result.get(text, 0) + int(value)
    return result


def _summarize_numeric(name: str, series: pd.Series) -> NumericSummary:
    raw = numeric_values(series)
    valid = raw[~np.isnan(raw)]
    if np.isinf(valid).any():
        raise InvalidInput(f"reference column {name!r} holds infinite values; drop or clip them")
    bad = int(series.notna().sum()) - len(valid)
    if bad:
        example = series[series.notna() & np.isnan(raw)].iloc[0]
        raise InvalidInput(
            f"reference column {name!r} is declared numeric but holds {bad} non-numeric "
            f"values such as {example!r}; declare it categorical or fix the data"
        )
    count = len(valid)
    sample = valid
    if count > SAMPLE_CAP:
        sample = np.random.default_rng(_SEED).choice(valid, SAMPLE_CAP, replace=False)
    sample = np.sort(sample)
    if count:
        edges = np.histogram_bin_edges(sample, bins=_HISTOGRAM_BINS)
        counts = np.histogram(sample, bins=edges)[0].astype(np.int64)
    else:
        edges, counts = np.zeros(0), np.zeros(0, dtype=np.int64)
    return NumericSummary(
        name=name,
        count=count,
        missing=len(raw) - count,
        min=float(valid.min()) if count else None,
        max=float(valid.max()) if count else None,
        mean=float(valid.mean()) if count else None,
        std=float(valid.std()) if count else None,
        values=sample,
        edges=edges,
        counts=counts,
    )


def _summarize_categorical(name: str, series: pd.Series) -> CategoricalSummary:
    counts = category_counts(series)
    count = sum(counts.values())
    return CategoricalSummary(name, count, len(series) - count, counts)


def _summarize_column(name: str, series: pd.Series, kind: str) -> ColumnSummary:
    if kind == "numeric":
        return _summarize_numeric(name, series)
    return _summarize_categorical(name, series)


def summarize(frame: pd.DataFrame, spec: MonitorSpec) -> ReferenceSummary:
    """Summarize the reference ``frame`` for ``spec``: its features (each must be present),
    its segment columns that are present, the prediction and the reference's own quality
    (when the frame holds the prediction and target columns)."""
    missing = [name for name in spec.feature_names if name not in frame.columns]
    if missing:
        raise InvalidInput(
            f"reference data lacks monitored column(s) {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )
    columns: dict[str, ColumnSummary] = {}
    for column in spec.features:
        columns[column.name] = _summarize_column(column.name, frame[column.name], column.kind)
    for name in spec.segments:
        if name in frame.columns and name not in columns:
            columns[name] = _summarize_categorical(name, frame[name])
    prediction_kind = "categorical" if spec.task == "classification" else "numeric"
    prediction = None
    if spec.prediction in frame.columns:
        prediction = _summarize_column(spec.prediction, frame[spec.prediction], prediction_kind)
    return ReferenceSummary(
        rows=len(frame),
        columns=columns,
        prediction=prediction,
        quality=_reference_quality(frame, spec),
        column_names=[str(name) for name in frame.columns],
    )


def _reference_quality(frame: pd.DataFrame, spec: MonitorSpec) -> dict[str, Any] | None:
    if spec.target not in frame.columns or spec.prediction not in frame.columns:
        return None
    labelled = frame[frame[spec.target].notna() & frame[spec.prediction].notna()]
    if labelled.empty:
        return None
    from cairn.monitoring.quality import compute_quality  # noqa: PLC0415 (B's module)

    probabilities = None
    present = {label: col for label, col in spec.probabilities.items() if col in labelled.columns}
    if present and len(present) == len(spec.probabilities):
        probabilities = pd.DataFrame(
            {label: labelled[col].to_numpy() for label, col in present.items()}
        )
    return compute_quality(
        spec.task,
        labelled[spec.target].reset_index(drop=True),
        labelled[spec.prediction].reset_index(drop=True),
        probabilities,
    )
