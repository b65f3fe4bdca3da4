"""Everything measured on one window: :func:`compute_window`.

It assembles the window's model quality (:mod:`~cairn.monitoring.quality`), data quality
(:mod:`~cairn.monitoring.data_quality`), drift (:mod:`~cairn.monitoring.drift`) and segments
(:mod:`~cairn.monitoring.segments`) into one JSON-ready :class:`WindowResults`. Bad data
never raises here: it becomes a line in ``problems``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from cairn.errors import InvalidInput
from cairn.monitoring.data_quality import check_frame
from cairn.monitoring.drift import dataset_drift
from cairn.monitoring.quality import compute_quality
from cairn.monitoring.reference import ReferenceSummary
from cairn.monitoring.results import Drift, WindowResults
from cairn.monitoring.segments import probability_frame, segment_results
from cairn.monitoring.spec import MonitorSpec

__all__ = ["compute_window", "empty_drift", "json_ready"]


def compute_window(
    summary: ReferenceSummary,
    spec: MonitorSpec,
    frame: pd.DataFrame,
    problems: Sequence[str] = (),
) -> WindowResults:
    """Measure one window's rows against the reference ``summary``.

    ``frame`` holds the feature columns, the prediction, the target (missing where no label
    arrived yet), the probability columns and any segment columns. Quality is computed on
    the labelled rows; drift on the monitored columns present and readable as their kind.
    """
    found = list(problems)
    frame = frame.reset_index(drop=True)
    repeated = frame.columns[frame.columns.duplicated()].unique()
    if len(repeated):
        found.extend(
            f"column {name!r} appears more than once in the window; the first is used"
            for name in repeated
        )
        frame = frame.loc[:, ~frame.columns.duplicated()]
    rows = len(frame)
    if rows == 0:
        found.append("the window has no rows")
    checked = check_frame(summary, frame, spec)
    found.extend(checked.problems)
    for label, column in spec.probabilities.items():
        if rows and column not in frame.columns:
            found.append(
                f"probability column {column!r} (class {label!r}) is missing from the window"
            )
    if rows and spec.prediction not in frame.columns:
        found.append(f"prediction column {spec.prediction!r} is missing from the window")
    clean = _clean_frame(frame, checked.usable, spec)
    labelled = _labelled_rows(clean, spec)
    quality = None
    if len(labelled):
        quality = _attempt(
            found,
            "quality",
            lambda: compute_quality(
                spec.task,
                labelled[spec.target],
                labelled[spec.prediction],
                probability_frame(labelled, spec),
            ),
        )
    drift = empty_drift()
    if rows:
        drift = (
            _attempt(found, "drift", lambda: dataset_drift(summary, clean, spec, problems=found))
            or drift
        )
    segments = (
        _attempt(found, "segments", lambda: segment_results(summary, clean, spec)) if rows else []
    )
    results = WindowResults(
        rows=rows,
        labelled_rows=len(labelled),
        quality=quality,
        reference_quality=summary.quality,
        data_quality=checked.quality,
        drift=drift,
        segments=segments or [],
        problems=found,
    )
    return cast(WindowResults, json_ready(results))


def empty_drift() -> Drift:
    """The drift of a window with nothing to compare."""
    return Drift(columns={}, prediction=None, drifted_columns=0, column_count=0, drift_share=0.0)


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made Python, NaN and infinities made None,
    and mapping keys made text: safe for ``json.dumps(..., allow_nan=False)``."""
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean_frame(
    frame: pd.DataFrame, usable: dict[str, pd.Series], spec: MonitorSpec
) -> pd.DataFrame:
    """``frame`` with each monitored feature as :func:`check_frame` read it; features that
    are missing or unreadable are dropped."""
    features = set(spec.feature_names)
    kept = {name: frame[name] for name in frame.columns if name not in features}
    kept.update(usable)
    return pd.DataFrame(kept, index=frame.index, copy=False)


def _labelled_rows(frame: pd.DataFrame, spec: MonitorSpec) -> pd.DataFrame:
    if spec.target not in frame.columns or spec.prediction not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame[spec.target].notna() & frame[spec.prediction].notna()]


def _attempt(problems: list[str], what: str, call: Any) -> Any:
    """``call()``, or None with a problem line when the data makes it fail."""
    try:
        return call()
    except (InvalidInput, ValueError, TypeError, ZeroDivisionError) as error:
        problems.append(f"{what} not computed: {error}")
        return None
