"""What ``log_input`` accepts: a ``DatasetInput``, or anything that can describe itself as one.

``cairn.data.dataset(...)`` returns such an object; tracking does not import the data
capability, it only asks the object for its ``DatasetInput``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from cairn.entities import DatasetInput
from cairn.errors import InvalidInput

CONTEXT_TAG = "mlflow.data.context"  # MLflow's input tag for the role of a dataset


@runtime_checkable
class SupportsDatasetInput(Protocol):
    """A dataset description that can be recorded on a run."""

    def to_dataset_input(self) -> DatasetInput:
        """The dataset as a run input (name, digest, source, schema, profile)."""
        ...


def as_dataset_input(
    dataset: DatasetInput | SupportsDatasetInput,
    context: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> DatasetInput:
    """The run input to record for ``dataset``, with its role and extra tags."""
    if isinstance(dataset, DatasetInput):
        found = dataset
    elif isinstance(dataset, SupportsDatasetInput):
        found = dataset.to_dataset_input()
    else:
        raise InvalidInput(
            f"log_input takes a dataset, got {type(dataset).__name__}; describe files with "
            "cairn.data.dataset('data/train.csv', name='train')"
        )
    merged = dict(found.tags)
    merged.update({str(k): str(v) for k, v in (tags or {}).items()})
    if context is not None:
        merged[CONTEXT_TAG] = str(context)
    return replace(found, tags=merged)


def _json_object(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def describe_dataset_input(dataset: DatasetInput) -> dict[str, Any]:
    """A flat, readable description of a run input for tables and JSON: name, digest, role,
    where it came from, and (when recorded) hash, size, files, rows and columns.

    Works for inputs logged by cairn (``source_type`` "cairn") and by MLflow clients alike;
    what an input does not carry is None.
    """
    source = _json_object(dataset.source)
    profile = _json_object(dataset.profile)
    schema = _json_object(dataset.schema)
    columns = [
        (str(c.get("name")), str(c.get("type")))
        for c in schema.get("mlflow_colspec", [])
        if isinstance(c, dict)
    ]
    return {
        "name": dataset.name,
        "digest": dataset.digest,
        "context": dataset.tags.get(CONTEXT_TAG),
        "source_type": dataset.source_type,
        "path": source.get("path") or source.get("uri") or (dataset.source if not source else None),
        "hash": source.get("hash"),
        "kind": source.get("kind"),
        "size": profile.get("size"),
        "files": profile.get("files"),
        "rows": profile.get("num_rows"),
        "columns": columns or None,
    }
