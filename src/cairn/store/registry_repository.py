"""The store interface of the model registry (see :mod:`cairn.store.base` for the verbs).

Public methods validate their input once, here, and call a private hook a backend implements.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import ModelVersion, Page, RegisteredModel
from cairn.errors import InvalidInput, NotFound
from cairn.store import model_validation as mv
from cairn.store import registry_validation as rv
from cairn.store import validation as v

MAX_REASON_LENGTH = 5000


def _alias_override(
    force: bool, reason: str | None, failed_rules: Sequence[str]
) -> dict[str, Any] | None:
    """The audit fields of a forced alias move (None when not forced); a reason is required."""
    if not force:
        if reason is not None or failed_rules:
            raise InvalidInput("a reason or failed rules were given without force=True")
        return None
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(
            "forcing an alias past its gates needs a reason (--reason TEXT): the audit trail "
            "records why"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"reason: {len(reason)} characters, at most {MAX_REASON_LENGTH}")
    return {
        "forced": True,
        "reason": reason.strip(),
        "failed_rules": [str(r) for r in failed_rules],
    }


class RegistryRepository(abc.ABC):
    """The model registry: registered models, their versions, tags, aliases and legacy stages.

    Checks happen here, once for every backend; the private hooks persist. Every write
    appends an audit event (``registered_model.*``, ``model_version.*``) with the actor in
    the same transaction. Version numbers come from a per-model counter bumped inside the
    creating transaction, so concurrent creates never share a number and a deleted
    version's number is never reused.
    """

    def create_registered_model(
        self, name: str, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> RegisteredModel:
        """Add a registered model; AlreadyExists when the name is taken."""
        return self._create_registered_model(
            rv.model_name(name), rv.description(description), rv.tags(tags)
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model called ``name``; NotFound (naming close matches) otherwise."""
        found = self.find_registered_model(name)
        if found is None:
            raise rv.unknown_model(name, self._model_names())
        return found

    def find_registered_model(self, name: str) -> RegisteredModel | None:
        """The registered model called ``name``, or None."""
        return self._find_registered_model(rv.model_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model (its versions, tags and aliases follow)."""
        new_name = rv.model_name(new_name, "new registered model name")
        self.get_registered_model(name)
        return self._rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set (or clear, with None) a model's description."""
        text = rv.description(description)
        self.get_registered_model(name)
        return self._update_registered_model(name, text)

    def delete_registered_model(self, name: str) -> None:
        """Remove a model with its versions, tags and aliases (the runs stay)."""
        self.get_registered_model(name)
        self._delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of registered models matching an MLflow filter (``name LIKE 'churn%'``,
        ``tags.team = 'growth'``), by name unless ``order_by`` says otherwise."""
        from cairn.store.search import decode_page_token
        from cairn.store.search.parser import parse_filter_with, parse_order_by_with

        parse_filter_with(filter_string, rv.REGISTERED_MODELS)
        parse_order_by_with(list(order_by or []), rv.REGISTERED_MODELS)
        decode_page_token(page_token)
        return self._search_registered_models(
            filter_string or None,
            v.check_max_results(max_results),
            list(order_by or []),
            page_token,
        )

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a tag on a registered model."""
        key, value = rv.tag_key(key), rv.tag_value(value)
        self.get_registered_model(name)
        self._set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model; NotFound when it has no such tag."""
        key = rv.tag_key(key)
        if key not in self.get_registered_model(name).tags:
            raise NotFound(f"registered model {name!r} has no tag {key!r}")
        self._delete_registered_model_tag(name, key)

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Add the next version of ``name`` (READY, stage "None") made from ``source``."""
        checked = (
            rv.source(source),
            v.validate_run_id(run_id) if run_id else None,
            rv.description(description),
            rv.tags(tags),
            mv.validate_model_id(model_id) if model_id else None,
        )
        self.get_registered_model(name)
        return self._create_model_version(name, *checked)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """Version ``version`` of ``name``; NotFound otherwise."""
        number = rv.version_number(version)
        found = self._find_model_version(rv.model_name(name), number)
        if found is None:
            self.get_registered_model(name)
            raise rv.unknown_version(name, number)
        return found

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Set (or clear) a version's description."""
        text = rv.description(description)
        found = self.get_model_version(name, version)
        return self._update_model_version(name, found.version, text)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Remove a version with its tags and the aliases pointing at it."""
        found = self.get_model_version(name, version)
        self._delete_model_version(name, found.version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of versions matching an MLflow filter (``name = 'churn'``, ``run_id = '...'``,
        ``tags.k = 'v'``), by name then newest version unless ``order_by`` says otherwise."""
        from cairn.store.search import decode_page_token
        from cairn.store.search.parser import parse_filter_with, parse_order_by_with

        parse_filter_with(filter_string, rv.MODEL_VERSIONS)
        parse_order_by_with(list(order_by or []), rv.MODEL_VERSIONS)
        decode_page_token(page_token)
        return self._search_model_versions(
            filter_string or None,
            v.check_max_results(max_results),
            list(order_by or []),
            page_token,
        )

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: str) -> None:
        """Set a tag on a model version."""
        key, value = rv.tag_key(key), rv.tag_value(value)
        found = self.get_model_version(name, version)
        self._set_model_version_tag(name, found.version, key, value)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a model version; NotFound when it has no such tag."""
        key = rv.tag_key(key)
        found = self.get_model_version(name, version)
        if key not in found.tags:
            raise NotFound(f"version {found.version} of {name!r} has no tag {key!r}")
        self._delete_model_version_tag(name, found.version, key)

    #: True when the backend checks protected aliases itself (a server does, so a client
    #: cannot skip the check); :mod:`cairn.registry` then only forwards ``force``/``reason``.
    guards_aliases: bool = False

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        *,
        force: bool = False,
        reason: str | None = None,
        failed_rules: Sequence[str] = (),
    ) -> ModelVersion:
        """Point ``alias`` at ``version`` (moving it from another version in one transaction).

        This verb does not judge gates (the store sits below :mod:`cairn.gates`):
        :func:`cairn.registry.set_alias` does and, when it overrides failing gates, passes
        ``force=True`` with the ``reason`` and the ``failed_rules`` it overrode, which the
        audit event records (``forced``, ``reason``, ``failed_rules``).
        """
        alias = rv.alias_name(alias)
        override = _alias_override(force, reason, failed_rules)
        found = self.get_model_version(name, version)
        self._set_alias(name, alias, found.version, override)
        return self.get_model_version(name, found.version)

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias; NotFound when the model has no such alias."""
        alias = rv.alias_name(alias)
        aliases = self.get_registered_model(name).aliases
        if alias not in aliases:
            raise rv.unknown_alias(name, alias, aliases)
        self._delete_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; NotFound otherwise."""
        alias = rv.alias_name(alias)
        aliases = self.get_registered_model(name).aliases
        if alias not in aliases:
            raise rv.unknown_alias(name, alias, aliases)
        return self.get_model_version(name, aliases[alias])

    def transition_stage(
        self, name: str, version: int | str, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        """Move a version to a legacy stage; with ``archive_existing`` the other versions in
        that stage (Staging or Production) move to Archived in the same transaction."""
        stage = rv.stage_name(stage)
        found = self.get_model_version(name, version)
        return self._transition_stage(name, found.version, stage, bool(archive_existing))

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (default: every stage), by version."""
        wanted = rv.stage_names(stages)
        self.get_registered_model(name)
        return self._get_latest_versions(name, wanted)

    def _model_names(self) -> list[str]:
        return [m.name for m in self.search_registered_models(max_results=1000)]

    @abc.abstractmethod
    def _create_registered_model(
        self, name: str, description: str | None, tags: dict[str, str]
    ) -> RegisteredModel: ...
    @abc.abstractmethod
    def _find_registered_model(self, name: str) -> RegisteredModel | None: ...
    @abc.abstractmethod
    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...
    @abc.abstractmethod
    def _update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...
    @abc.abstractmethod
    def _delete_registered_model(self, name: str) -> None: ...
    @abc.abstractmethod
    def _search_registered_models(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page: ...
    @abc.abstractmethod
    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...
    @abc.abstractmethod
    def _delete_registered_model_tag(self, name: str, key: str) -> None: ...
    @abc.abstractmethod
    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: dict[str, str],
        model_id: str | None,
    ) -> ModelVersion: ...
    @abc.abstractmethod
    def _find_model_version(self, name: str, version: int) -> ModelVersion | None: ...
    @abc.abstractmethod
    def _update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion: ...
    @abc.abstractmethod
    def _delete_model_version(self, name: str, version: int) -> None: ...
    @abc.abstractmethod
    def _search_model_versions(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page: ...
    @abc.abstractmethod
    def _set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...
    @abc.abstractmethod
    def _delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...
    @abc.abstractmethod
    def _set_alias(
        self, name: str, alias: str, version: int, override: dict[str, Any] | None
    ) -> None: ...
    @abc.abstractmethod
    def _delete_alias(self, name: str, alias: str) -> None: ...
    @abc.abstractmethod
    def _transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool
    ) -> ModelVersion: ...
    @abc.abstractmethod
    def _get_latest_versions(self, name: str, stages: tuple[str, ...]) -> list[ModelVersion]: ...
