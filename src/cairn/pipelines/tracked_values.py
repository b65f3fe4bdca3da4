"""What a pipeline run records, made fit for the tracking store: flattened params and
metrics within the store's limits, and deps/outs as dataset inputs."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cairn.entities import DatasetInput, RunTag
from cairn.errors import InvalidInput
from cairn.pipelines.model import LOCK_FILE
from cairn.store import validation
from cairn.tracking.inputs import CONTEXT_TAG

DIGEST_LENGTH = 32  # as cairn.data.datasets records it (MLflow allows 36)


def flatten(values: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """``{"train": {"lr": 0.1}}`` -> ``{"train.lr": 0.1}``; lists stay whole values."""
    flat: dict[str, object] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def param_text(value: object) -> str:
    """A param value as text: JSON for lists, maps, None and booleans; cut at the limit."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple, Mapping)) or value is None or isinstance(value, bool):
        text = json.dumps(value, sort_keys=True, default=str)
    else:
        text = str(value)
    return text[: validation.MAX_PARAM_VALUE_LENGTH]


def valid_key(key: str) -> bool:
    """Whether ``key`` may name a param or metric (others are left out, not fatal)."""
    try:
        validation.validate_key(key, "param")
    except InvalidInput:
        return False
    return True


def truncated_tag(key: str, value: object) -> RunTag:
    """A tag whose value is cut at the store's limit."""
    return RunTag(key, str(value)[: validation.MAX_TAG_VALUE_LENGTH])


def dataset_input(path: str, oid: str, context: str) -> DatasetInput:
    """A pipeline dep or out as a run input: named by its path, versioned by its oid."""
    hex_oid = oid.split(":", 1)[-1]
    source = {"path": path, "hash": oid if ":" in oid else f"blake3:{oid}", "lock": LOCK_FILE}
    return DatasetInput(
        name=path,
        digest=hex_oid[:DIGEST_LENGTH],
        source_type="cairn",
        source=json.dumps(source, sort_keys=True),
        tags={CONTEXT_TAG: context},
    )
