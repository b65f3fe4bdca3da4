"""Turn what a stream yields into a checked :class:`~cairn.online.guard_api.Batch`.

A batch is valid when it has rows, its columns are exactly the model's features (any order;
they are put in the model's order), it has one label per row without missing labels, and, for
a classifier with known classes, every label is one of them. Anything else raises
:class:`MalformedBatch` (an :class:`~cairn.errors.InvalidInput`) naming the problem.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from cairn.errors import InvalidInput
from cairn.online.guard_api import Batch

__all__ = ["MalformedBatch", "make_batch", "model_features"]


class MalformedBatch(InvalidInput):
    """A batch that cannot be learned from (no rows, wrong columns, bad labels)."""


def model_features(model: Any) -> list[str] | None:
    """The feature names a fitted model was trained on, when it records them."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = getattr(model, "features_", None)  # cairn's River adapter
    return [str(name) for name in names] if names is not None else None


def _frame(X: Any, features: Sequence[str] | None) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, (list, tuple)) and X and all(isinstance(row, dict) for row in X):
        return pd.DataFrame.from_records(X)
    array = np.asarray(X)
    if array.ndim != 2:
        raise MalformedBatch(f"X must be a table (2-D), got {array.ndim}-D data")
    if features is None:
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if array.shape[1] != len(features):
        raise MalformedBatch(
            f"X has {array.shape[1]} columns; the model expects {len(features)} "
            f"({', '.join(features)})"
        )
    return pd.DataFrame(array, columns=list(features))


def _labels(y: Any, rows: int, classes: Sequence[Any] | None) -> Any:
    import numpy as np
    import pandas as pd

    if y is None:
        raise MalformedBatch("the batch has no labels (y is None): online learning needs labels")
    labels = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise MalformedBatch(f"y must be one label per row, got an array of shape {labels.shape}")
    if len(labels) != rows:
        raise MalformedBatch(f"the batch has {rows} rows but {len(labels)} labels")
    if pd.isna(labels).any():
        missing = int(pd.isna(labels).sum())
        raise MalformedBatch(f"{missing} of {rows} labels are missing (null/NaN)")
    if classes is not None:
        unknown = sorted({str(v) for v in pd.unique(labels)} - {str(c) for c in classes})
        if unknown:
            raise MalformedBatch(
                f"label(s) {', '.join(unknown[:5])} are not among the classes "
                f"{', '.join(map(str, classes))}"
            )
        kind = np.asarray(list(classes)).dtype
        if labels.dtype.kind == "O" and kind.kind != "O":  # "1" from a JSON file -> 1
            labels = labels.astype(kind)
    return labels


def make_batch(
    X: Any,
    y: Any,
    *,
    features: Sequence[str] | None,
    classes: Sequence[Any] | None,
    index: int,
    source: str | None = None,
) -> Batch:
    """The checked batch of ``(X, y)``; MalformedBatch naming the first problem."""
    frame = _frame(X, features)
    if len(frame) == 0:
        raise MalformedBatch("the batch has no rows")
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        raise MalformedBatch(f"the batch repeats a column: {', '.join(columns)}")
    frame.columns = columns
    if features is not None:
        missing = [name for name in features if name not in columns]
        extra = [name for name in columns if name not in features]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(extra)}")
            raise MalformedBatch(
                f"the batch's columns do not match the model's features ({'; '.join(parts)}); "
                f"expected {', '.join(features)}"
            )
        frame = frame[list(features)]
    labels = _labels(y, len(frame), classes)
    return Batch(
        X=frame.reset_index(drop=True),
        y=labels,
        source=source,
        index=index,
        received_ms=int(time.time() * 1000),
    )
