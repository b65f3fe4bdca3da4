"""Checks for logged models and run inputs/outputs, applied before any backend sees them.

Limits are MLflow's (dataset name 500, digest 36, source 64 KiB, schema 1 MiB, profile
16 MiB, input tag key 255 and value 500 characters) so that what an MLflow client may log,
cairn stores whole, and what it may not, cairn refuses with the same rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import DatasetInput, ModelMetric, ModelOutput
from cairn.errors import InvalidInput
from cairn.store import validation as v

MAX_MODEL_NAME_LENGTH = 256
MAX_MODEL_TYPE_LENGTH = 256
MAX_STATUS_MESSAGE_LENGTH = 8000
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 64
MAX_DATASET_SOURCE_LENGTH = 65_535
MAX_DATASET_SCHEMA_LENGTH = 1_048_575
MAX_DATASET_PROFILE_LENGTH = 16_777_215
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500

_MODEL_ID_RE = re.compile(r"^m-[0-9a-f]{32}$")


def new_model_id() -> str:
    """A fresh logged-model id: ``m-`` and 32 hex characters (MLflow's form)."""
    return f"m-{uuid.uuid4().hex}"


def validate_model_id(model_id: object) -> str:
    """A logged-model id: ``m-`` followed by 32 lowercase hex characters."""
    if not isinstance(model_id, str) or not _MODEL_ID_RE.match(model_id.strip()):
        raise InvalidInput(
            f"logged model id {model_id!r} is not 'm-' followed by 32 hexadecimal characters"
        )
    return model_id.strip()


def text(value: object, what: str, limit: int, required: bool = True) -> str:
    """``value`` as a string of at most ``limit`` characters (non-empty when ``required``)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__} {value!r:.60}")
    if required and not value:
        raise InvalidInput(f"{what} must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"{what} has {len(value)} characters; at most {limit} are allowed")
    return value


_DIGEST_PREFIX_RE = re.compile(rf"[0-9a-f]{{8,{MAX_DATASET_DIGEST_LENGTH}}}")


def digest_prefix(value: object) -> str:
    """A dataset digest or a prefix of one: 8 to 36 lowercase hex characters."""
    found = text(value, "dataset digest", MAX_DATASET_DIGEST_LENGTH)
    if not _DIGEST_PREFIX_RE.fullmatch(found):
        raise InvalidInput(
            f"dataset digest {found!r} is not 8 to {MAX_DATASET_DIGEST_LENGTH} lowercase "
            "hexadecimal characters; give the digest a run input recorded (or its first 8+)"
        )
    return found


def optional_text(value: object, what: str, limit: int) -> str | None:
    """Like :func:`text`, with None and the empty string meaning absent."""
    if value is None or value == "":
        return None
    return text(value, what, limit)


def model_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    """Logged-model tags checked like run tags."""
    return {
        v.validate_key(k, "logged model tag"): v.validate_tag_value(k, val)
        for k, val in tags.items()
    }


def model_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Logged-model params checked like run params."""
    return {
        v.validate_key(k, "logged model param"): v.validate_param_value(k, val)
        for k, val in params.items()
    }


def model_metric(metric: ModelMetric) -> ModelMetric:
    """A logged-model metric point checked like a run's, plus its run and dataset."""
    key = v.validate_key(metric.key, "metric")
    return ModelMetric(
        key,
        v.validate_metric_value(key, metric.value),
        v.validate_timestamp(key, metric.timestamp),
        v.validate_step(key, metric.step),
        v.validate_run_id(metric.run_id) if metric.run_id else None,
        optional_text(metric.dataset_name, "metric dataset name", MAX_DATASET_NAME_LENGTH),
        optional_text(metric.dataset_digest, "metric dataset digest", MAX_DATASET_DIGEST_LENGTH),
    )


def dataset_input(dataset: DatasetInput) -> DatasetInput:
    """A dataset input with every field within MLflow's limits."""
    tags = {
        text(k, "input tag key", MAX_INPUT_TAG_KEY_LENGTH): text(
            val, f"input tag {k!r} value", MAX_INPUT_TAG_VALUE_LENGTH, required=False
        )
        for k, val in dataset.tags.items()
    }
    return DatasetInput(
        name=text(dataset.name, "dataset name", MAX_DATASET_NAME_LENGTH),
        digest=text(dataset.digest, "dataset digest", MAX_DATASET_DIGEST_LENGTH),
        source_type=text(
            dataset.source_type, "dataset source_type", MAX_DATASET_SOURCE_TYPE_LENGTH
        ),
        source=text(dataset.source, "dataset source", MAX_DATASET_SOURCE_LENGTH),
        schema=optional_text(dataset.schema, "dataset schema", MAX_DATASET_SCHEMA_LENGTH),
        profile=optional_text(dataset.profile, "dataset profile", MAX_DATASET_PROFILE_LENGTH),
        tags=tags,
    )


def model_outputs(outputs: Sequence[ModelOutput]) -> list[ModelOutput]:
    """Model outputs with valid ids and integer steps."""
    return [
        ModelOutput(validate_model_id(o.model_id), v.validate_step("model output", o.step))
        for o in outputs
    ]
