"""``RestStore``: the store interface spoken over HTTP to ``cairn server``'s native API.

Setting the tracking URI to ``http://host:port`` gives this store; the fluent API and
``CairnClient`` then work unchanged, artifacts included (through the server's proxy).
Validation happens here first (the shared base class), so bad input fails before any
request; the server validates again.
"""

from __future__ import annotations

import getpass
import time
from typing import Any

import httpx

from cairn.artifacts.base import Artifacts
from cairn.entities import (
    Experiment,
    Metric,
    MetricHistory,
    Page,
    Param,
    Run,
    RunInfo,
    RunTag,
    ViewType,
)
from cairn.errors import NotFound, StoreError
from cairn.store.base import (
    ExperimentRepository,
    RunRepository,
    SpoolMark,
    Store,
)
from cairn.store.rest import transport, wire
from cairn.store.rest.audit import RestAuditRepository
from cairn.store.rest.datasets import RestDatasetRepository
from cairn.store.rest.logged_models import RestLoggedModelRepository
from cairn.store.rest.monitors import RestMonitorRepository
from cairn.store.rest.registry import RestRegistryRepository
from cairn.store.rest.run_io import RestRunIORepository
from cairn.store.rest.schedules import RestScheduleRepository

READ_ATTEMPTS = 3


class _Api:
    """Requests to the native API with error mapping; reads retried on a failed transport."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        for attempt in range(1, READ_ATTEMPTS):
            try:
                return transport.request(self.client, "GET", f"/api/v1{path}", params=query).json()
            except StoreError:
                time.sleep(0.1 * 2**attempt)
        return transport.request(self.client, "GET", f"/api/v1{path}", params=query).json()

    def send(self, method: str, path: str, body: Any = None) -> Any:
        response = transport.request(self.client, method, f"/api/v1{path}", json=body)
        return response.json()


class RestExperimentRepository(ExperimentRepository):
    """Experiments on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _create_experiment(
        self, name: str, artifact_location: str | None, tags: dict[str, str]
    ) -> str:
        body = {"name": name, "artifact_location": artifact_location, "tags": tags}
        return str(self._api.send("POST", "/experiments", body)["experiment_id"])

    def _get_experiment(self, experiment_id: int) -> Experiment:
        return wire.experiment_in(self._api.get(f"/experiments/{experiment_id}"))

    def _find_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            return wire.experiment_in(self._api.get("/experiments/by-name", name=name))
        except NotFound:
            return None

    def _get_or_create_experiment(self, name: str) -> Experiment:
        return wire.experiment_in(
            self._api.send("POST", "/experiments/get-or-create", {"name": name})
        )

    def _search_experiments(
        self,
        view_type: ViewType,
        max_results: int,
        filter_string: str | None,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        body = {
            "view_type": view_type.value,
            "max_results": max_results,
            "filter_string": filter_string,
            "order_by": order_by,
            "page_token": page_token,
        }
        found = self._api.send("POST", "/experiments/search", body)
        return Page([wire.experiment_in(e) for e in found["items"]], found["next_page_token"])

    def _rename_experiment(self, experiment_id: int, new_name: str) -> None:
        self._api.send("PATCH", f"/experiments/{experiment_id}", {"name": new_name})

    def _set_experiment_stage(self, experiment_id: int, deleted: bool) -> None:
        if deleted:
            self._api.send("DELETE", f"/experiments/{experiment_id}")
        else:
            self._api.send("POST", f"/experiments/{experiment_id}/restore")

    def _set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None:
        self._api.send("POST", f"/experiments/{experiment_id}/tags", {"key": key, "value": value})

    def _purge_experiment(self, experiment_id: int) -> None:
        self._api.send("POST", f"/experiments/{experiment_id}/purge")

    def _list_deleted_experiments(self, older_than_ms: int | None) -> list[Experiment]:
        found = self._api.get("/experiments/deleted", older_than_ms=older_than_ms)
        return [wire.experiment_in(e) for e in found["items"]]


class RestRunRepository(RunRepository):
    """Runs on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _create_run(
        self,
        experiment_id: int,
        user_id: str,
        start_time: int,
        tags: list[RunTag],
        run_name: str | None,
        parent_run_id: str | None,
    ) -> Run:
        body = {
            "experiment_id": str(experiment_id),
            "user_id": user_id,
            "start_time": start_time,
            "tags": {t.key: t.value for t in tags},
            "run_name": run_name,
            "parent_run_id": parent_run_id,
        }
        return wire.run_in(self._api.send("POST", "/runs", body))

    def _get_run(self, run_id: str) -> Run:
        return wire.run_in(self._api.get(f"/runs/{run_id}"))

    def _update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        body = {"status": status, "end_time": end_time, "run_name": run_name}
        return wire.run_info_in(self._api.send("PATCH", f"/runs/{run_id}", body))

    def _set_run_stage(self, run_id: str, deleted: bool) -> None:
        if deleted:
            self._api.send("DELETE", f"/runs/{run_id}")
        else:
            self._api.send("POST", f"/runs/{run_id}/restore")

    def _purge_run(self, run_id: str) -> None:
        self._api.send("POST", f"/runs/{run_id}/purge")

    def _log_batch(
        self,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
        spool: SpoolMark | None,
    ) -> None:
        number = wire.number_out
        body: dict[str, Any] = {
            "metrics": [
                {"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}
                for m in metrics
            ],
            "params": [{"key": p.key, "value": p.value} for p in params],
            "tags": [{"key": t.key, "value": t.value} for t in tags],
        }
        if spool is not None:
            body["spool"] = {"spool_id": spool.spool_id, "offset": spool.offset}
        self._api.send("POST", f"/runs/{run_id}/batch", body)

    def _delete_tag(self, run_id: str, key: str) -> None:
        self._api.send("POST", f"/runs/{run_id}/tags/delete", {"key": key})

    def _get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        return wire.history_in(self._api.get(f"/runs/{run_id}/metrics/history", key=key))

    def _get_sampled_history(self, run_id: str, key: str, max_points: int) -> MetricHistory:
        found = self._api.get(f"/runs/{run_id}/metrics/history", key=key, max_points=max_points)
        return wire.history_in(found)

    def _get_latest_metrics(self, run_ids: list[str]) -> dict[str, dict[str, Metric]]:
        found: dict[str, dict[str, Metric]] = {}
        for start in range(0, len(run_ids), wire.MAX_RUN_IDS):
            chunk = run_ids[start : start + wire.MAX_RUN_IDS]
            items = self._api.send("POST", "/runs/latest-metrics", {"run_ids": chunk})["items"]
            for run_id, metrics in items.items():
                found[run_id] = {key: wire.metric_in(m) for key, m in metrics.items()}
        return found

    def _search_runs(
        self,
        experiment_ids: list[int],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        body = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter_string": filter_string,
            "run_view_type": run_view_type.value,
            "max_results": max_results,
            "order_by": order_by,
            "page_token": page_token,
        }
        found = self._api.send("POST", "/runs/search", body)
        return Page([wire.run_in(r) for r in found["items"]], found["next_page_token"])

    def _record_artifacts(self, run_id: str, files: dict[str, dict[str, Any]]) -> None:
        self._api.send("POST", f"/runs/{run_id}/artifact-records", {"files": files})

    def _get_spool_offset(self, spool_id: str) -> int:
        return int(self._api.get(f"/spools/{spool_id}")["offset"])

    def _list_deleted_runs(self, older_than_ms: int | None) -> list[RunInfo]:
        found = self._api.get("/runs/deleted", older_than_ms=older_than_ms)
        return [wire.run_info_in(i) for i in found["items"]]


class RestStore(Store):
    """A store behind ``cairn server`` at ``http(s)://host:port``."""

    remote = True

    def __init__(
        self, uri: str, artifact_root: str | None = None, auth: httpx.Auth | None = None
    ) -> None:
        self.uri = uri.rstrip("/")
        try:
            self.actor = getpass.getuser()
        except (KeyError, OSError):
            self.actor = "unknown"
        self._http = transport.make_client(self.uri, auth)
        api = _Api(self._http)
        self.experiments = RestExperimentRepository(api)
        self.runs = RestRunRepository(api)
        self.audit = RestAuditRepository(api)
        self.logged_models = RestLoggedModelRepository(api)
        self.run_io = RestRunIORepository(api)
        self.datasets = RestDatasetRepository(api)
        self.schedules = RestScheduleRepository(api)
        self.registry = RestRegistryRepository(api)
        self.monitors = RestMonitorRepository(api)
        self._api = api
        self._artifact_root: str | None = None

    @property
    def default_artifact_root(self) -> str:
        """The server's artifact destination."""
        if self._artifact_root is None:
            self._artifact_root = str(self._api.get("/store")["default_artifact_root"])
        return self._artifact_root

    def artifact_store(self, artifact_uri: str, run_id: str) -> Artifacts:
        """The run's files, through the server's artifact proxy."""
        from cairn.artifacts.http import HttpArtifactStore

        return HttpArtifactStore(self._http, run_id, artifact_uri)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
