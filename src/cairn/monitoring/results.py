"""The JSON shape of one window's results (``MonitorWindow.results``), shared by the code
that computes it (:mod:`cairn.monitoring.compute`), the rules that read it and the report
and UI that draw it. Numbers are plain floats (NaN never appears: a value that cannot be
computed is None); column names are the data's.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "ColumnDrift",
    "ColumnQuality",
    "DataQuality",
    "Drift",
    "Histogram",
    "SegmentResult",
    "WindowResults",
]

#: Keys of ``quality`` for a classification task (``f1`` is an alias of ``f1_macro``,
#: ``precision``/``recall`` of their macro forms, in rules).
CLASSIFICATION_METRICS = (
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc",
    "log_loss",
)
#: Keys of ``quality`` for a regression task.
REGRESSION_METRICS = ("mae", "rmse", "r2", "mape")


class Histogram(TypedDict):
    """Reference vs current distribution of a column, for plots: numeric columns share
    ``edges`` (len(bins) + 1 values); categorical ones list ``categories``. ``reference``
    and ``current`` are shares (each sums to 1 over the bins or categories)."""

    edges: list[float] | None
    categories: list[str] | None
    reference: list[float]
    current: list[float]


class ColumnDrift(TypedDict):
    """Drift of one column (or of the prediction): the method chosen (``ks``,
    ``wasserstein``, ``chisquare``, ``jensenshannon``, ``psi``, ``z``), its statistic, its
    p-value for tests (None for distances), the threshold, and whether it drifted
    (``p_value < threshold`` for tests, ``statistic > threshold`` for distances)."""

    kind: str  # "numeric" | "categorical"
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int
    histogram: Histogram


class Drift(TypedDict):
    """Per-feature drift, the prediction's drift (None without a prediction column), and the
    share of drifted features (``drifted_columns / columns``)."""

    columns: dict[str, ColumnDrift]
    prediction: ColumnDrift | None
    drifted_columns: int
    column_count: int
    drift_share: float


class ColumnQuality(TypedDict, total=False):
    """Data quality of one monitored column: ``missing_share``, ``type_mismatch_share``
    (values that are not of the column's kind), for numeric columns ``out_of_range_share``
    (outside the reference's min..max), for categorical ones ``new_categories`` (up to 20,
    most frequent first) and ``new_category_share``."""

    missing_share: float
    type_mismatch_share: float
    out_of_range_share: float
    new_categories: list[str]
    new_category_share: float


class DataQuality(TypedDict):
    """Data quality of the window: per column, duplicate rows (over the monitored columns),
    and monitored columns lost / unmonitored columns added relative to the reference."""

    columns: dict[str, ColumnQuality]
    duplicate_rows: int
    duplicate_share: float
    columns_lost: list[str]
    columns_added: list[str]


class SegmentResult(TypedDict):
    """One segment (a value of each segment column): its rows, quality (None without
    labels), drift share, and ``score``, the value it is ranked on (the task's main metric,
    f1_macro or rmse, else drift share); segments are listed worst first."""

    segment: dict[str, str]
    rows: int
    labelled_rows: int
    quality: dict[str, Any] | None
    drift_share: float | None
    score: float | None


class WindowResults(TypedDict):
    """Everything measured on one window. ``quality`` is None without labels;
    ``reference_quality`` is the quality the reference summary recorded (None if the
    reference had no target and prediction); ``problems`` are one-line messages about bad
    input (a missing monitored column, a column of the wrong type, an empty window, labels
    for unknown request ids), never an exception."""

    rows: int
    labelled_rows: int
    quality: dict[str, Any] | None
    reference_quality: dict[str, Any] | None
    data_quality: DataQuality
    drift: Drift
    segments: list[SegmentResult]
    problems: list[str]
