"""Data quality of one window against the reference summary: :func:`data_quality`.

Per monitored column: the share of missing values, of values that are not of the column's
kind (text in a numeric column; a categorical column takes any value, as text), of numeric
values outside the reference's min..max, and the categories the reference never saw. All
shares are shares of the window's rows. Duplicate rows are counted over the monitored
columns with a 64-bit hash of each row (collisions among a million distinct rows have a
probability near 3e-8). Columns are compared with the reference's column names.

Everything is vectorised (numpy, ``pd.factorize``); the only Python loops run over columns
and over a column's distinct values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cairn.monitoring.reference import CategoricalSummary, NumericSummary, ReferenceSummary
from cairn.monitoring.results import ColumnQuality, DataQuality
from cairn.monitoring.spec import MonitorSpec

__all__ = ["CheckedFrame", "check_frame", "data_quality", "window_columns"]

#: New categories listed per column (most frequent first).
MAX_NEW_CATEGORIES = 20
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_COMBINE = np.uint64(0x100000001B3)


@dataclass
class CheckedFrame:
    """Result of :func:`check_frame`: the data quality, problem messages, and the monitored
    columns usable for drift (numeric ones as float64 with non-numbers as NaN, categorical
    ones as they came); columns missing or holding no number at all are left out."""

    quality: DataQuality
    problems: list[str]
    usable: dict[str, pd.Series] = field(default_factory=dict)


def data_quality(
    summary: ReferenceSummary, frame: pd.DataFrame, spec: MonitorSpec
) -> tuple[DataQuality, list[str]]:
    """The window's data quality and one-line problem messages (a missing monitored column,
    a column with values of the wrong type)."""
    checked = check_frame(summary, frame, spec)
    return checked.quality, checked.problems


def window_columns(spec: MonitorSpec) -> set[str]:
    """Columns a window frame holds besides the features: prediction, target, probabilities
    and segments (they, and cairn's own ``__cairn*`` columns, are never reported as added)."""
    return {spec.prediction, spec.target, *spec.probabilities.values(), *spec.segments}


def check_frame(summary: ReferenceSummary, frame: pd.DataFrame, spec: MonitorSpec) -> CheckedFrame:
    """Measure ``frame``'s data quality once and keep the coerced monitored columns."""
    rows = len(frame)
    present = {str(name) for name in frame.columns}
    checked = CheckedFrame(
        quality=DataQuality(
            columns={},
            duplicate_rows=0,
            duplicate_share=0.0,
            columns_lost=[],
            columns_added=[],
        ),
        problems=[],
    )
    hash_columns: list[np.ndarray] = []
    for column in spec.features:
        if column.name not in present:
            checked.quality["columns_lost"].append(column.name)
            checked.problems.append(f"column {column.name!r} is missing from the window")
            continue
        series = frame[column.name]
        reference = summary.columns.get(column.name)
        if column.kind == "numeric":
            quality, values = _numeric(column.name, series, reference, rows, checked.problems)
            if values is not None:
                checked.usable[column.name] = pd.Series(
                    values, index=frame.index, name=column.name, copy=False
                )
            if quality["type_mismatch_share"]:  # text values must not all hash as NaN
                hash_columns.append(pd.factorize(series)[0])
            elif values is not None:
                hash_columns.append(values)
        else:
            quality, codes = _categorical(series, reference, rows)
            checked.usable[column.name] = series
            hash_columns.append(codes)
        checked.quality["columns"][column.name] = quality
    monitored = set(spec.feature_names) | window_columns(spec)
    known = set(summary.column_names)
    checked.quality["columns_added"] = [
        name
        for name in map(str, frame.columns)
        if name not in known and name not in monitored and not name.startswith("__cairn")
    ]
    duplicates = _duplicate_rows(hash_columns, rows)
    checked.quality["duplicate_rows"] = duplicates
    checked.quality["duplicate_share"] = _share(duplicates, rows)
    return checked


def _share(count: int, rows: int) -> float:
    return float(count / rows) if rows else 0.0


def _numeric(
    name: str,
    series: pd.Series,
    reference: Any,
    rows: int,
    problems: list[str],
) -> tuple[ColumnQuality, np.ndarray | None]:
    values = _numbers(series)
    invalid = int(np.count_nonzero(np.isnan(values)))
    missing = invalid if _is_number_dtype(series.dtype) else int(series.isna().sum())
    mismatched = invalid - missing
    quality = ColumnQuality(
        missing_share=_share(missing, rows),
        type_mismatch_share=_share(mismatched, rows),
    )
    if mismatched:
        problems.append(
            f"column {name!r} has {mismatched} values ({100 * mismatched / rows:.1f}%) "
            "that are not numbers"
        )
    if (
        isinstance(reference, NumericSummary)
        and reference.min is not None
        and reference.max is not None
    ):
        outside = np.count_nonzero(values < reference.min) + np.count_nonzero(
            values > reference.max
        )
        quality["out_of_range_share"] = _share(int(outside), rows)
    usable = None if mismatched and invalid == rows else values
    return quality, usable


def _is_number_dtype(dtype: Any) -> bool:
    return pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)


def _numbers(series: pd.Series) -> np.ndarray:
    """float64 values of ``series``; missing values and text that is not a number are NaN."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
    try:
        numbers = pd.to_numeric(series, errors="coerce")
    except (TypeError, ValueError):  # values pandas cannot even try (lists, dicts)
        numbers = pd.to_numeric(series.astype(str).where(series.notna()), errors="coerce")
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _categorical(series: pd.Series, reference: Any, rows: int) -> tuple[ColumnQuality, np.ndarray]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)  # counts[0]: missing values
    missing, counts = int(counts[0]), counts[1:]
    quality = ColumnQuality(
        missing_share=_share(missing, rows),
        type_mismatch_share=0.0,
    )
    if isinstance(reference, CategoricalSummary):
        new: dict[str, int] = {}
        for value, count in zip(
            np.asarray(uniques, dtype=object).tolist(), counts.tolist(), strict=True
        ):
            text = category_text(value)
            if text not in reference.counts:
                new[text] = new.get(text, 0) + int(count)
        ranked = sorted(new.items(), key=lambda item: (-item[1], item[0]))
        quality["new_categories"] = [text for text, _ in ranked[:MAX_NEW_CATEGORIES]]
        quality["new_category_share"] = _share(sum(new.values()), rows)
    return quality, codes


def category_text(value: Any) -> str:
    """A category as text, as the reference summary counts it: whole floats as integers."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _bits(column: np.ndarray, candidates: np.ndarray | None) -> np.ndarray:
    """The 64 bits of each candidate row's value: float64 values with one NaN and one zero,
    integer codes as they are."""
    part = column if candidates is None else column[candidates]
    if part.dtype.kind == "f":
        part = part.astype(np.float64) + 0.0  # a fresh array; -0.0 becomes 0.0
        part[np.isnan(part)] = np.nan  # one NaN bit pattern
        return part.view(np.uint64)
    return part.astype(np.int64, copy=False).view(np.uint64)


def _mixed(bits: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64's finaliser of ``bits + salt`` (a fresh array)."""
    x = bits + np.uint64(salt)
    x ^= x >> np.uint64(30)
    x *= _MIX_1
    x ^= x >> np.uint64(27)
    x *= _MIX_2
    x ^= x >> np.uint64(31)
    return x


def _duplicate_rows(columns: Iterable[np.ndarray], rows: int) -> int:
    """Rows equal to an earlier row over ``columns`` (each ``rows`` float64 values or
    integer codes).

    Rows stay candidates only while their partial hash collides with another row's, so
    columns with distinct values end the work early."""
    columns = list(columns)
    if rows < 2 or not columns:
        return 0
    candidates: np.ndarray | None = None  # None: every row
    hashes = np.zeros(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for index, column in enumerate(columns):
            hashes *= _COMBINE
            hashes ^= _mixed(_bits(column, candidates), index + 1)
            if ((index + 1) & index) == 0 or index == len(columns) - 1:  # after 1, 2, 4, 8, ...
                shared = pd.Series(hashes).duplicated(keep=False).to_numpy()
                candidates = np.flatnonzero(shared) if candidates is None else candidates[shared]
                hashes = hashes[shared]
                if len(candidates) == 0:
                    return 0
    return int(len(hashes) - len(pd.unique(hashes)))
