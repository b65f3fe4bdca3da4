"""Logged models on a cairn server, through the native API's ``/logged-models`` routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.entities import LoggedModel, ModelMetric, Page
from cairn.store.base import LoggedModelRepository
from cairn.store.rest import wire

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api


class RestLoggedModelRepository(LoggedModelRepository):
    """Logged models on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _create_logged_model(
        self,
        experiment_id: int,
        name: str | None,
        source_run_id: str | None,
        model_type: str | None,
        tags: dict[str, str],
        params: dict[str, str],
    ) -> LoggedModel:
        body = {
            "experiment_id": str(experiment_id),
            "name": name,
            "source_run_id": source_run_id,
            "model_type": model_type,
            "tags": tags,
            "params": params,
        }
        return wire.logged_model_in(self._api.send("POST", "/logged-models", body))

    def _get_logged_model(self, model_id: str, allow_deleted: bool) -> LoggedModel:
        found = self._api.get(f"/logged-models/{model_id}", allow_deleted=allow_deleted)
        return wire.logged_model_in(found)

    def _search_logged_models(
        self,
        experiment_ids: list[int],
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
        datasets: list[tuple[str, str | None]],
    ) -> Page:
        body = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter_string": filter_string,
            "max_results": max_results,
            "order_by": order_by,
            "page_token": page_token,
            "datasets": [{"name": name, "digest": digest} for name, digest in datasets],
        }
        found = self._api.send("POST", "/logged-models/search", body)
        return Page([wire.logged_model_in(m) for m in found["items"]], found["next_page_token"])

    def _finalize_logged_model(
        self, model_id: str, status: str, status_message: str | None
    ) -> LoggedModel:
        body = {"status": status, "status_message": status_message}
        return wire.logged_model_in(self._api.send("PATCH", f"/logged-models/{model_id}", body))

    def _set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        self._api.send("POST", f"/logged-models/{model_id}/tags", {"tags": tags})

    def _delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._api.send("POST", f"/logged-models/{model_id}/tags/delete", {"key": key})

    def _log_logged_model_params(self, model_id: str, params: dict[str, str]) -> None:
        self._api.send("POST", f"/logged-models/{model_id}/params", {"params": params})

    def _log_logged_model_metrics(self, model_id: str, metrics: list[ModelMetric]) -> None:
        body = {"metrics": [wire.model_metric_out(m) for m in metrics]}
        self._api.send("POST", f"/logged-models/{model_id}/metrics", body)

    def _delete_logged_model(self, model_id: str) -> None:
        self._api.send("DELETE", f"/logged-models/{model_id}")

    def _record_logged_model_artifacts(
        self, model_id: str, files: dict[str, dict[str, Any]]
    ) -> None:
        self._api.send("POST", f"/logged-models/{model_id}/artifact-records", {"files": files})
