"""Quality and drift per segment, ranked worst first: :func:`segment_results`.

A segment is one combination of values of the spec's segment columns (missing values form
their own segment, written ``(missing)``). Only the :data:`MAX_SEGMENTS` largest segments
are measured. A segment needs :data:`MIN_ROWS` labelled rows for its quality and
:data:`MIN_ROWS` rows for its drift share; below that it keeps its row counts and gets no
score. The score is the task's main metric (``f1_macro``, lower is worse; ``rmse``, higher
is worse) when the window has labels, else the drift share (higher is worse).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cairn.monitoring.data_quality import category_text
from cairn.monitoring.drift import dataset_drift
from cairn.monitoring.quality import compute_quality
from cairn.monitoring.reference import ReferenceSummary
from cairn.monitoring.results import SegmentResult
from cairn.monitoring.spec import MonitorSpec

__all__ = ["MAX_SEGMENTS", "MIN_ROWS", "MISSING", "probability_frame", "segment_results"]

#: Segments measured per window: the largest ones by rows.
MAX_SEGMENTS = 50
#: Rows (labelled rows for quality) a segment needs to be measured and scored.
MIN_ROWS = 30
#: How a missing segment value is written.
MISSING = "(missing)"


def segment_results(
    summary: ReferenceSummary, frame: pd.DataFrame, spec: MonitorSpec
) -> list[SegmentResult]:
    """One result per segment of ``frame`` (at most :data:`MAX_SEGMENTS`), worst first.
    Segment columns missing from ``frame`` are skipped; without any, the list is empty."""
    columns = [name for name in spec.segments if name in frame.columns]
    if not columns or frame.empty:
        return []
    groups = frame.groupby(columns, dropna=False, sort=False, observed=True).indices
    largest = sorted(groups.items(), key=lambda item: (-len(item[1]), _key_text(item[0])))[
        :MAX_SEGMENTS
    ]
    labelled = _labelled(frame, spec)
    results = []
    for key, positions in largest:
        part = frame.iloc[np.sort(positions)]
        mask = labelled[np.sort(positions)]
        results.append(_measure(summary, spec, columns, key, part, mask))
    by_quality = any(result["quality"] is not None for result in results)
    for result in results:
        result["score"] = _score(result, spec.task, by_quality)
    return sorted(results, key=lambda result: _rank(result, spec.task, by_quality))


def probability_frame(frame: pd.DataFrame, spec: MonitorSpec) -> pd.DataFrame | None:
    """The spec's probability columns of ``frame`` keyed by class label, or None unless
    every one is present."""
    if not spec.probabilities or any(
        column not in frame.columns for column in spec.probabilities.values()
    ):
        return None
    return pd.DataFrame(
        {label: frame[column].to_numpy() for label, column in spec.probabilities.items()}
    )


def _labelled(frame: pd.DataFrame, spec: MonitorSpec) -> np.ndarray:
    if spec.target not in frame.columns or spec.prediction not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return (frame[spec.target].notna() & frame[spec.prediction].notna()).to_numpy()


def _key_text(key: Any) -> str:
    return repr(key if isinstance(key, tuple) else (key,))


def _measure(
    summary: ReferenceSummary,
    spec: MonitorSpec,
    columns: list[str],
    key: Any,
    part: pd.DataFrame,
    labelled: np.ndarray,
) -> SegmentResult:
    values = key if isinstance(key, tuple) else (key,)
    segment = {
        name: MISSING if _missing(value) else category_text(value)
        for name, value in zip(columns, values, strict=True)
    }
    count = int(labelled.sum())
    quality = None
    if count >= MIN_ROWS:
        rows = part[labelled]
        quality = compute_quality(
            spec.task, rows[spec.target], rows[spec.prediction], probability_frame(rows, spec)
        )
    drift_share = None
    if len(part) >= MIN_ROWS:
        drift_share = float(dataset_drift(summary, part, spec)["drift_share"])
    return SegmentResult(
        segment=segment,
        rows=len(part),
        labelled_rows=count,
        quality=quality,
        drift_share=drift_share,
        score=None,
    )


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _score(result: SegmentResult, task: str, by_quality: bool) -> float | None:
    if not by_quality:
        return result["drift_share"]
    if result["quality"] is None:
        return None
    return result["quality"]["f1_macro" if task == "classification" else "rmse"]


def _rank(result: SegmentResult, task: str, by_quality: bool) -> tuple[int, float, int]:
    """Sort key: scored segments first, worst first; then the unscored, largest first."""
    score = result["score"]
    if score is None:
        return (1, 0.0, -result["rows"])
    higher_is_worse = not by_quality or task == "regression"
    return (0, -score if higher_is_worse else score, -result["rows"])
