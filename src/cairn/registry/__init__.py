"""The model registry: named models, their numbered versions, aliases (``champion``,
``challenger``) and MLflow's legacy stages, kept in the one metadata store.

:func:`register_model` turns a model URI (``runs:/RUN/path``, ``models:/m-...``,
``models:/name@alias``, a local folder or any artifact URI) into the next version of a
registered model, created on first use. The other functions are thin over
``store.registry`` (:class:`cairn.store.base.RegistryRepository`), which checks input,
writes in one transaction and appends the audit event.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from cairn.registry.sources import ModelSource, resolve_model_source

if TYPE_CHECKING:
    from cairn.entities import ModelVersion, Page, RegisteredModel
    from cairn.store.base import Store
    from cairn.store.registry_repository import RegistryRepository

__all__ = [
    "ModelSource",
    "create_registered_model",
    "delete_alias",
    "delete_model_version",
    "delete_registered_model",
    "get_latest_versions",
    "get_model_version",
    "get_model_version_by_alias",
    "get_registered_model",
    "register_model",
    "rename_registered_model",
    "resolve_model_source",
    "search_model_versions",
    "search_registered_models",
    "set_alias",
    "set_model_version_tag",
    "set_registered_model_tag",
    "transition_stage",
    "update_model_version",
    "update_registered_model",
]


def _store(tracking_uri: str | None = None) -> Store:
    """The store of ``tracking_uri``, else the one the fluent API uses (so a registry call
    follows ``cairn.set_tracking_uri`` like the run that logged the model)."""
    if tracking_uri is None:
        from cairn.tracking.fluent import _client

        return _client().store
    from cairn.tracking.client import CairnClient

    return CairnClient(tracking_uri).store


def _registry(tracking_uri: str | None) -> RegistryRepository:
    return _store(tracking_uri).registry


def register_model(
    model_uri: str,
    name: str,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    *,
    tracking_uri: str | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name`` (creating the
    registered model when it does not exist yet) and return that version."""
    from cairn.store import registry_validation as rv

    store = _store(tracking_uri)
    rv.model_name(name)
    tags, description = rv.tags(tags), rv.description(description)  # checked before any write
    found = resolve_model_source(store, model_uri)
    if store.registry.find_registered_model(name) is None:
        from cairn.errors import AlreadyExists

        with contextlib.suppress(AlreadyExists):  # another process created it first
            store.registry.create_registered_model(name)
    return store.registry.create_model_version(
        name,
        found.source,
        run_id=found.run_id,
        description=description,
        tags=tags,
        model_id=found.model_id,
    )


def create_registered_model(
    name: str,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    *,
    tracking_uri: str | None = None,
) -> RegisteredModel:
    """Add a registered model with no versions yet."""
    return _registry(tracking_uri).create_registered_model(name, description, tags)


def get_registered_model(name: str, *, tracking_uri: str | None = None) -> RegisteredModel:
    """The registered model called ``name``."""
    return _registry(tracking_uri).get_registered_model(name)


def rename_registered_model(
    name: str, new_name: str, *, tracking_uri: str | None = None
) -> RegisteredModel:
    """Rename a registered model."""
    return _registry(tracking_uri).rename_registered_model(name, new_name)


def update_registered_model(
    name: str, description: str | None, *, tracking_uri: str | None = None
) -> RegisteredModel:
    """Set a registered model's description."""
    return _registry(tracking_uri).update_registered_model(name, description)


def delete_registered_model(name: str, *, tracking_uri: str | None = None) -> None:
    """Remove a registered model with its versions (the runs and files stay)."""
    _registry(tracking_uri).delete_registered_model(name)


def search_registered_models(
    filter_string: str | None = None,
    max_results: int = 100,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
    *,
    tracking_uri: str | None = None,
) -> Page:
    """A page of registered models matching an MLflow filter string."""
    return _registry(tracking_uri).search_registered_models(
        filter_string, max_results, order_by, page_token
    )


def set_registered_model_tag(
    name: str, key: str, value: str, *, tracking_uri: str | None = None
) -> None:
    """Set a tag on a registered model."""
    _registry(tracking_uri).set_registered_model_tag(name, key, value)


def get_model_version(
    name: str, version: int | str, *, tracking_uri: str | None = None
) -> ModelVersion:
    """One version of a registered model."""
    return _registry(tracking_uri).get_model_version(name, version)


def update_model_version(
    name: str, version: int | str, description: str | None, *, tracking_uri: str | None = None
) -> ModelVersion:
    """Set a version's description."""
    return _registry(tracking_uri).update_model_version(name, version, description)


def delete_model_version(name: str, version: int | str, *, tracking_uri: str | None = None) -> None:
    """Remove one version (with the aliases pointing at it)."""
    _registry(tracking_uri).delete_model_version(name, version)


def search_model_versions(
    filter_string: str | None = None,
    max_results: int = 100,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
    *,
    tracking_uri: str | None = None,
) -> Page:
    """A page of model versions matching an MLflow filter string."""
    return _registry(tracking_uri).search_model_versions(
        filter_string, max_results, order_by, page_token
    )


def set_model_version_tag(
    name: str, version: int | str, key: str, value: str, *, tracking_uri: str | None = None
) -> None:
    """Set a tag on a model version."""
    _registry(tracking_uri).set_model_version_tag(name, version, key, value)


def set_alias(
    name: str,
    alias: str,
    version: int | str,
    *,
    force: bool = False,
    reason: str | None = None,
    tracking_uri: str | None = None,
) -> ModelVersion:
    """Point ``alias`` at ``version`` (moving it, in one transaction, if it pointed elsewhere).

    A protected alias moves only to a version whose run passes the model's gates
    (:mod:`cairn.registry.protection`); ``force=True`` with a ``reason`` overrides, and the
    audit trail records it. GateFailed otherwise, naming each failing rule.
    """
    from cairn.registry.protection import guarded_set_alias

    store = _store(tracking_uri)
    return guarded_set_alias(store, name, alias, version, force=force, reason=reason)


def delete_alias(name: str, alias: str, *, tracking_uri: str | None = None) -> None:
    """Remove an alias."""
    _registry(tracking_uri).delete_alias(name, alias)


def get_model_version_by_alias(
    name: str, alias: str, *, tracking_uri: str | None = None
) -> ModelVersion:
    """The version ``alias`` points at."""
    return _registry(tracking_uri).get_model_version_by_alias(name, alias)


def transition_stage(
    name: str,
    version: int | str,
    stage: str,
    archive_existing: bool = False,
    *,
    tracking_uri: str | None = None,
) -> ModelVersion:
    """Move a version to a legacy stage (None, Staging, Production, Archived)."""
    return _registry(tracking_uri).transition_stage(name, version, stage, archive_existing)


def get_latest_versions(
    name: str, stages: Sequence[str] | None = None, *, tracking_uri: str | None = None
) -> list[ModelVersion]:
    """The newest version of ``name`` in each stage."""
    return _registry(tracking_uri).get_latest_versions(name, stages)
