"""The model registry on a cairn server (the native API's ``/registered-models`` and
``/model-versions`` routes), and the JSON form of its entities, which the routes share."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cairn.entities import ModelVersion, Page, RegisteredModel
from cairn.errors import NotFound
from cairn.store import registry_validation as rv
from cairn.store.registry_repository import RegistryRepository

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api


def version_out(version: ModelVersion) -> dict[str, Any]:
    """A model version as JSON."""
    return asdict(version)


def version_in(data: dict[str, Any]) -> ModelVersion:
    """A model version from JSON."""
    return ModelVersion(**data)


def model_out(model: RegisteredModel) -> dict[str, Any]:
    """A registered model as JSON."""
    return asdict(model)


def model_in(data: dict[str, Any]) -> RegisteredModel:
    """A registered model from JSON."""
    latest = [version_in(v) for v in data.get("latest_versions", [])]
    return RegisteredModel(**{**data, "latest_versions": latest})


def _model(name: str) -> str:
    return f"/registered-models/{quote(name, safe='')}"


def _version(name: str, version: int) -> str:
    return f"{_model(name)}/versions/{version}"


class RestRegistryRepository(RegistryRepository):
    """The model registry on a cairn server (which checks protected aliases itself)."""

    guards_aliases = True

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _create_registered_model(
        self, name: str, description: str | None, tags: dict[str, str]
    ) -> RegisteredModel:
        body = {"name": name, "description": description, "tags": tags}
        return model_in(self._api.send("POST", "/registered-models", body))

    def _find_registered_model(self, name: str) -> RegisteredModel | None:
        try:
            return model_in(self._api.get(_model(name)))
        except NotFound:
            return None

    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        found = self._api.send("POST", f"{_model(name)}/rename", {"new_name": new_name})
        return model_in(found)

    def _update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        return model_in(self._api.send("PATCH", _model(name), {"description": description}))

    def _delete_registered_model(self, name: str) -> None:
        self._api.send("DELETE", _model(name))

    def _search_registered_models(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        body = {
            "filter_string": filter_string,
            "max_results": max_results,
            "order_by": order_by,
            "page_token": page_token,
        }
        found = self._api.send("POST", "/registered-models/search", body)
        return Page([model_in(m) for m in found["items"]], found["next_page_token"])

    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._api.send("POST", f"{_model(name)}/tags", {"key": key, "value": value})

    def _delete_registered_model_tag(self, name: str, key: str) -> None:
        self._api.send("POST", f"{_model(name)}/tags/delete", {"key": key})

    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: dict[str, str],
        model_id: str | None,
    ) -> ModelVersion:
        body = {
            "source": source,
            "run_id": run_id,
            "description": description,
            "tags": tags,
            "model_id": model_id,
        }
        return version_in(self._api.send("POST", f"{_model(name)}/versions", body))

    def _find_model_version(self, name: str, version: int) -> ModelVersion | None:
        try:
            return version_in(self._api.get(_version(name, version)))
        except NotFound:
            return None

    def _update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        body = {"description": description}
        return version_in(self._api.send("PATCH", _version(name, version), body))

    def _delete_model_version(self, name: str, version: int) -> None:
        self._api.send("DELETE", _version(name, version))

    def _search_model_versions(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        body = {
            "filter_string": filter_string,
            "max_results": max_results,
            "order_by": order_by,
            "page_token": page_token,
        }
        found = self._api.send("POST", "/model-versions/search", body)
        return Page([version_in(v) for v in found["items"]], found["next_page_token"])

    def _set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        self._api.send("POST", f"{_version(name, version)}/tags", {"key": key, "value": value})

    def _delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        self._api.send("POST", f"{_version(name, version)}/tags/delete", {"key": key})

    def _set_alias(
        self, name: str, alias: str, version: int, override: dict[str, Any] | None
    ) -> None:
        body: dict[str, Any] = {"version": version}
        if override:  # the server judges the gates again; only force and reason travel
            body |= {"force": True, "reason": override["reason"]}
        self._api.send("PUT", f"{_model(name)}/aliases/{alias}", body)

    def _delete_alias(self, name: str, alias: str) -> None:
        self._api.send("DELETE", f"{_model(name)}/aliases/{alias}")

    def _transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool
    ) -> ModelVersion:
        body = {"stage": stage, "archive_existing": archive_existing}
        return version_in(self._api.send("POST", f"{_version(name, version)}/stage", body))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at, in one request (servers poll this)."""
        alias = rv.alias_name(alias)
        path = f"{_model(rv.model_name(name))}/aliases/{quote(alias, safe='')}"
        return version_in(self._api.get(path))

    def _get_latest_versions(self, name: str, stages: tuple[str, ...]) -> list[ModelVersion]:
        found = self._api.send("POST", f"{_model(name)}/latest-versions", {"stages": list(stages)})
        return [version_in(v) for v in found["items"]]
