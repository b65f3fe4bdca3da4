"""MLflow's model registry messages (``model_registry.proto``): requests as pydantic models,
and registered models and versions in MLflow's JSON shape.

Versions travel as strings, times as ``*_timestamp`` milliseconds, tags as key/value pairs
and a model's aliases as ``{"alias", "version"}`` pairs, as MLflow's server writes them.
"""

from __future__ import annotations

from typing import Any

from cairn.entities import ModelVersion, RegisteredModel
from cairn.server.mlflow.convert import compact, pairs
from cairn.server.mlflow.schemas import Int64, KeyValue, Message


class ModelRef(Message):
    name: str


class CreateRegisteredModel(ModelRef):
    tags: list[KeyValue] = []
    description: str | None = None


class RenameRegisteredModel(ModelRef):
    new_name: str


class UpdateRegisteredModel(ModelRef):
    description: str | None = None


class Search(Message):
    filter: str | None = None
    max_results: Int64 | None = None
    order_by: list[str] = []
    page_token: str | None = None


class LatestVersions(ModelRef):
    stages: list[str] = []


class ModelTag(ModelRef):
    key: str
    value: str


class ModelTagKey(ModelRef):
    key: str


class AliasRef(ModelRef):
    alias: str


class SetAlias(AliasRef):
    version: str


class CreateModelVersion(ModelRef):
    source: str
    run_id: str | None = None
    tags: list[KeyValue] = []
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None


class VersionRef(ModelRef):
    version: str


class UpdateModelVersion(VersionRef):
    description: str | None = None


class TransitionStage(VersionRef):
    stage: str
    archive_existing_versions: bool = False


class VersionTag(VersionRef):
    key: str
    value: str


class VersionTagKey(VersionRef):
    key: str


def model_version(found: ModelVersion) -> dict[str, Any]:
    """A model version in MLflow's JSON shape."""
    return compact(
        {
            "name": found.name,
            "version": str(found.version),
            "creation_timestamp": found.creation_time,
            "last_updated_timestamp": found.last_updated_time,
            "user_id": found.user_id,
            "current_stage": found.current_stage,
            "description": found.description,
            "source": found.source,
            "run_id": found.run_id,
            "status": found.status,
            "tags": pairs(found.tags),
            "aliases": list(found.aliases),
            "model_id": found.model_id,
        }
    )


def registered_model(found: RegisteredModel) -> dict[str, Any]:
    """A registered model in MLflow's JSON shape."""
    return compact(
        {
            "name": found.name,
            "creation_timestamp": found.creation_time,
            "last_updated_timestamp": found.last_updated_time,
            "user_id": found.user_id,
            "description": found.description,
            "latest_versions": [model_version(v) for v in found.latest_versions],
            "tags": pairs(found.tags),
            "aliases": [{"alias": a, "version": str(v)} for a, v in found.aliases.items()],
        }
    )
