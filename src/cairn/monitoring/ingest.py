"""Feed monitors: predictions, ground truth that arrives later, batch files, serving logs.

- :func:`log_predictions` stores a DataFrame as one Parquet chunk per monitor of the model
  (request ids from ``request_id_column``; times from ``time_column``, datetimes, ISO 8601
  text or epoch milliseconds, else now; the model version from ``name@alias``/``name/3``
  or ``model_version``, written into the chunk for the window reader). A batch
  missing the prediction column, or every feature, is refused with InvalidInput and nothing
  is stored; a batch missing only some features is stored, and the window's data quality
  reports the missing columns. Rows that also carry the monitor's target column are logged
  as labels too (rows without a request id then get generated ones, ``<uuid>-<i>``).
  Every monitor's checks run before anything is written; a request id one monitor already
  has is refused by the store for that monitor only, after earlier monitors took the batch.
- :func:`log_ground_truth` sets labels by request id (JSON text in the store) and returns
  how many matched and which ids no prediction has (kept, and attached if the prediction
  arrives later).
- :func:`log_file` logs a CSV/TSV/Parquet/JSON-lines file (local, ``runs:/`` or fsspec URI).
- :func:`import_serving_logs` (from :mod:`cairn.monitoring.serving_logs`) reads the
  prediction log of ``cairn models serve``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from cairn.errors import InvalidInput, NotFound
from cairn.monitoring.chunks import is_missing, label_json, to_parquet
from cairn.monitoring.monitors import get_spec, store_or_default
from cairn.monitoring.reference_data import read_path
from cairn.monitoring.serving_logs import import_serving_logs
from cairn.security.guard import check_frame

if TYPE_CHECKING:
    from cairn.entities import Monitor
    from cairn.monitoring.spec import MonitorSpec
    from cairn.store.base import Store

#: Rows per stored chunk (a server takes at most 64 MiB per request).
CHUNK_ROWS = 100_000

__all__ = ["import_serving_logs", "log_file", "log_ground_truth", "log_predictions"]


def _targets(
    store: Store, model: str | None, monitor: str | None
) -> tuple[list[Monitor], int | None]:
    """The monitors a call feeds and the model version ``model`` names (``name@alias``,
    ``name/3``), if any."""
    if (model is None) == (monitor is None):
        raise InvalidInput("give either model= (name, name@alias, name/3) or monitor=, not both")
    if monitor is not None:
        return [store.monitors.get_monitor(monitor)], None
    assert model is not None  # noqa: S101
    version = None
    name = model.removeprefix("models:/")
    if "@" in name:
        name, alias = name.split("@", 1)
        version = store.registry.get_model_version_by_alias(name, alias).version
    elif "/" in name:
        name, number = name.rsplit("/", 1)
        version = store.registry.get_model_version(name, number).version
    found = store.monitors.list_monitors(model=name)
    if not found:
        raise NotFound(
            f"no monitor watches model {name!r}; create one with cairn monitor create -f FILE"
        )
    return found, version


def _times(frame: pd.DataFrame, column: str | None) -> list[int]:
    now = int(time.time() * 1000)
    if column is None:
        return [now] * len(frame)
    if column not in frame.columns:
        raise InvalidInput(f"time_column {column!r} is not a column of the batch")
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        stamps = values.astype("float64")
    else:
        try:
            iso = None if pd.api.types.is_datetime64_any_dtype(values) else "ISO8601"
            parsed = pd.to_datetime(values, utc=True, format=iso)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                f"time_column {column!r} holds values that are not times: {exc}"
            ) from None
        stamps = (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    if stamps.isna().any():
        raise InvalidInput(f"time_column {column!r} has missing times")
    return [int(v) for v in stamps]


def _request_ids(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    ids = [None if is_missing(v) else str(v) for v in frame[column]]
    present = [i for i in ids if i is not None]
    if len(set(present)) != len(present):
        seen: set[str] = set()
        twice = next(i for i in present if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise InvalidInput(f"request id {twice!r} appears twice in the batch")
    return ids


def _check_columns(frame: pd.DataFrame, spec: MonitorSpec) -> None:
    label = f"monitor {spec.name}"
    if spec.prediction not in frame.columns:
        raise InvalidInput(
            f"{label}: the batch has no prediction column {spec.prediction!r}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )
    if spec.features and not any(name in frame.columns for name in spec.feature_names):
        raise InvalidInput(
            f"{label}: the batch has none of the monitored features "
            f"({', '.join(spec.feature_names)})"
        )


def log_predictions(
    df: pd.DataFrame,
    *,
    model: str | None = None,
    monitor: str | None = None,
    request_id_column: str = "request_id",
    time_column: str | None = None,
    model_version: int | None = None,
    store: Store | None = None,
) -> int:
    """Log a batch of predictions to every monitor of ``model`` (or to ``monitor``); the
    number of rows logged. See the module docstring for what is refused."""
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"log_predictions takes a pandas DataFrame, got {type(df).__name__}")
    store = store_or_default(store)
    monitors, resolved = _targets(store, model, monitor)
    if model_version is not None and (isinstance(model_version, bool) or int(model_version) < 1):
        raise InvalidInput(f"model_version must be a version number >= 1, got {model_version!r}")
    version = int(model_version) if model_version is not None else resolved
    if df.empty:
        return 0
    specs = [get_spec(m) for m in monitors]
    for spec in specs:
        _check_columns(df, spec)
    check_frame(df, f"monitoring log of {monitor or model}")  # sensitive-data policy
    times = _times(df, time_column)
    ids = _request_ids(df, request_id_column)
    if any(s.target in df.columns for s in specs) and None in ids:
        stem = uuid.uuid4().hex[:12]
        ids = [i if i is not None else f"{stem}-{n}" for n, i in enumerate(ids)]
    for spec in specs:
        dropped = {request_id_column, spec.target} | ({time_column} if time_column else set())
        kept = df[[c for c in df.columns if c not in dropped]]
        for start in range(0, len(kept), CHUNK_ROWS):
            end = start + CHUNK_ROWS
            store.monitors.append_records(
                spec.name,
                to_parquet(kept.iloc[start:end], version),
                ids[start:end],
                times[start:end],
                version,
            )
        if spec.target in df.columns:
            pairs = [(i, label_json(v)) for i, v in zip(ids, df[spec.target], strict=True)]
            labels = [(i, text) for i, text in pairs if i is not None and text is not None]
            if labels:
                store.monitors.put_labels(spec.name, labels, int(time.time() * 1000))
    return len(df)


def _label_pairs(
    labels: pd.DataFrame | pd.Series | Mapping[Any, Any], id_column: str, target: str | None
) -> list[tuple[str, Any]]:
    if isinstance(labels, Mapping):
        return [(str(k), v) for k, v in labels.items()]
    if isinstance(labels, pd.Series):
        return [(str(k), v) for k, v in labels.items()]
    if not isinstance(labels, pd.DataFrame):
        raise InvalidInput(
            f"labels are a DataFrame, a Series or a dict of request id -> label, "
            f"got {type(labels).__name__}"
        )
    if id_column not in labels.columns:
        raise InvalidInput(f"the labels have no request id column {id_column!r}")
    others = [c for c in labels.columns if c != id_column]
    column = target if target is not None else (others[0] if len(others) == 1 else None)
    if column is None or column not in labels.columns:
        raise InvalidInput(
            f"say which column holds the labels (target_column=); the labels have "
            f"{', '.join(map(str, labels.columns))}"
        )
    return [(str(i), v) for i, v in zip(labels[id_column], labels[column], strict=True)]


def log_ground_truth(
    labels: pd.DataFrame | pd.Series | Mapping[Any, Any],
    *,
    model: str | None = None,
    monitor: str | None = None,
    request_id_column: str = "request_id",
    target_column: str | None = None,
    store: Store | None = None,
) -> tuple[int, list[str]]:
    """Attach ground truth to logged predictions by request id: ``(matched, unknown ids)``
    (for several monitors: the most matched by one, and the ids none of them has)."""
    store = store_or_default(store)
    monitors, _ = _targets(store, model, monitor)
    if isinstance(labels, pd.DataFrame) and target_column is None and len(monitors) == 1:
        spec_target = get_spec(monitors[0]).target
        target_column = spec_target if spec_target in labels.columns else None
    pairs = _label_pairs(labels, request_id_column, target_column)
    texts = [(i, label_json(v)) for i, v in pairs if i and not is_missing(i)]
    clean = [(i, t) for i, t in texts if t is not None]
    if len({i for i, _ in clean}) != len(clean):
        raise InvalidInput("a request id appears twice among the labels")
    if not clean:
        return 0, []
    now = int(time.time() * 1000)
    matched, unknown = 0, None
    for found in monitors:
        missing = store.monitors.put_labels(found.name, clean, now)
        matched = max(matched, len(clean) - len(missing))
        unknown = set(missing) if unknown is None else unknown & set(missing)
    return matched, sorted(unknown or ())


def log_file(
    path: str,
    monitor: str,
    *,
    request_id_column: str = "request_id",
    time_column: str | None = None,
    store: Store | None = None,
) -> int:
    """Log a file of predictions (rows with the target column are labels too)."""
    store = store_or_default(store)
    store.monitors.get_monitor(monitor)
    frame = read_path(store, str(path))
    return log_predictions(
        frame, monitor=monitor, request_id_column=request_id_column,
        time_column=time_column, store=store,
    )  # fmt: skip
