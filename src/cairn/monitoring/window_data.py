"""The rows of one window, as :func:`cairn.monitoring.compute.compute_window` wants them.

A window's rows come from the Parquet chunks its records sit in, cut to the records in its
sequence range and time range. The ground truth comes from the records' labels (JSON text,
decoded; missing where no label arrived yet) and replaces any column of the spec's target
name the chunks carry. Labels that arrived during the window for request ids no prediction
has are reported as a problem, not an error.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pandas as pd

from cairn.monitoring.spec import MonitorSpec
from cairn.monitoring.windows import WindowBounds

__all__ = ["MODEL_VERSION_COLUMN", "load_window", "model_version_of", "unknown_labels_problem"]

#: A chunk column holding the model version that made each prediction (when ingestion
#: writes one); it is taken out of the frame and becomes the window's ``model_version``.
MODEL_VERSION_COLUMN = "__cairn_model_version__"
_EXAMPLES = 3


def unknown_labels_problem(request_ids: list[str]) -> str | None:
    """The one-line problem for labels of unknown request ids (None when there are none)."""
    if not request_ids:
        return None
    count = len(request_ids)
    shown = ", ".join(request_ids[:_EXAMPLES]) + (", ..." if count > _EXAMPLES else "")
    noun = "label" if count == 1 else "labels"
    return f"{count} {noun} arrived for request ids no prediction has (e.g. {shown})"


def _decode(label: str | None) -> Any:
    if label is None:
        return None
    try:
        return json.loads(label)
    except ValueError:  # stored by a client that skipped JSON: keep the text
        return label


def _labels(values: list[Any]) -> pd.Series:
    series = pd.Series(values, dtype=object)
    present = series.dropna()
    if len(present) and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return series.astype("Int64")
    if len(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in present
    ):
        return pd.to_numeric(series, errors="coerce")
    return series


def model_version_of(frame: pd.DataFrame, spec: MonitorSpec) -> int | None:
    """The model version most of the window's rows were predicted by: the chunks' model
    version column when ingestion wrote one, else the spec's version number, else None."""
    if MODEL_VERSION_COLUMN in frame.columns:
        versions = Counter(int(v) for v in frame[MODEL_VERSION_COLUMN].dropna())
        if versions:
            return versions.most_common(1)[0][0]
    if spec.model_ref is not None and spec.model_ref.isdigit():
        return int(spec.model_ref)
    return None


def load_window(
    store: Any, monitor_name: str, spec: MonitorSpec, bounds: WindowBounds
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the window ``bounds`` (indexed by sequence number, with the labels as
    ``spec.target``) and the problems found reading them."""
    repo = store.monitors
    records = repo.list_records(
        monitor_name,
        first_seq=bounds.first_seq,
        last_seq=bounds.last_seq,
        start_time=bounds.start_time,
        end_time=bounds.end_time,
    )
    problems: list[str] = []
    frames = []
    for first, data in repo.read_chunks(monitor_name, bounds.first_seq, bounds.last_seq):
        chunk = pd.read_parquet(io.BytesIO(data))
        chunk.index = pd.RangeIndex(first, first + len(chunk), name="seq")
        frames.append(chunk)
    seqs = [record.seq for record in records]
    if frames:
        frame = pd.concat(frames) if len(frames) > 1 else frames[0]
        missing = [seq for seq in seqs if seq not in frame.index]
        if missing:
            problems.append(f"{len(missing)} records have no stored row (e.g. seq {missing[0]})")
            seqs = [seq for seq in seqs if seq in frame.index]
        frame = frame.loc[seqs]
    else:
        frame = pd.DataFrame(index=pd.Index([], name="seq"))
        if seqs:
            problems.append(f"{len(seqs)} records have no stored rows")
    labels = {record.seq: _decode(record.label) for record in records}
    frame[spec.target] = _labels([labels.get(seq) for seq in frame.index]).to_numpy()
    unknown = repo.unmatched_labels(monitor_name, bounds.start_time, bounds.end_time)
    problem = unknown_labels_problem([request_id for request_id, _ in unknown])
    if problem:
        problems.append(problem)
    return frame, problems
