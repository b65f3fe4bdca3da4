"""What ``log_model`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.models.signature import Signature

__all__ = ["ModelInfo"]


@dataclass(frozen=True)
class ModelInfo:
    """A logged model: ``model_uri`` (``runs:/<run>/<path>``) loads it back."""

    model_uri: str
    artifact_path: str
    run_id: str
    model_uuid: str
    signature: Signature | None = None
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    registered_model_version: int | None = None
    model_id: str | None = None
    utc_time_created: str | None = None
