"""Datasets as runs recorded them, on a cairn server (the native API's dataset routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.entities import DatasetSummary, DatasetVersion
from cairn.store.base import DatasetRepository
from cairn.store.rest import wire

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api


class RestDatasetRepository(DatasetRepository):
    """Dataset names, versions and uses on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _list_datasets(
        self, experiment_ids: list[int] | None, name_like: str | None, max_results: int
    ) -> list[DatasetSummary]:
        params: dict[str, Any] = {"max_results": max_results}
        if name_like is not None:
            params["name_like"] = name_like
        if experiment_ids is not None:
            params["experiment_ids"] = [str(e) for e in experiment_ids]
        found = self._api.get("/datasets", **params)
        return [wire.dataset_summary_in(d) for d in found["items"]]

    def _get_dataset(self, name: str, experiment_ids: list[int] | None) -> list[DatasetVersion]:
        params: dict[str, Any] = {"name": name}
        if experiment_ids is not None:
            params["experiment_ids"] = [str(e) for e in experiment_ids]
        found = self._api.get("/datasets/by-name", **params)
        return [wire.dataset_version_in(v) for v in found["versions"]]

    def _get_dataset_versions(
        self, digest: str, experiment_ids: list[int] | None
    ) -> list[DatasetVersion]:
        params: dict[str, Any] = {"digest": digest}
        if experiment_ids is not None:
            params["experiment_ids"] = [str(e) for e in experiment_ids]
        found = self._api.get("/datasets/by-digest", **params)
        return [wire.dataset_version_in(v) for v in found["versions"]]
