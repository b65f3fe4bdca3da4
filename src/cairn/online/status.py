"""What ``cairn online status NAME`` reports: the checkpoints of an online model, the version
its alias points at, and the counts of the online runs that wrote them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.online import checkpoints

if TYPE_CHECKING:
    from cairn.tracking.client import CairnClient

__all__ = ["online_status"]


def online_status(client: CairnClient, model_name: str, alias: str = "online") -> dict[str, Any]:
    """The checkpoints (versions tagged by a trainer), the live version and per-run counts."""
    from cairn.errors import NotFound
    from cairn.store import registry_validation as rv

    registry = client.store.registry
    model = registry.get_registered_model(rv.model_name(model_name))
    rows: list[Any] = []
    token = None
    while True:
        page = registry.search_model_versions(
            f"name = '{model.name}'", max_results=200, page_token=token
        )
        rows.extend(page.items)
        token = page.next_page_token
        if not token:
            break
    try:
        live: int | None = int(registry.get_model_version_by_alias(model.name, alias).version)
    except NotFound:
        live = None
    versions = []
    runs: dict[str, dict[str, Any]] = {}
    for version in sorted(rows, key=lambda v: int(v.version)):
        run_id = version.tags.get(checkpoints.TAG_RUN_ID)
        if run_id is None:
            continue
        versions.append(
            {
                "version": int(version.version),
                "batches": int(version.tags.get(checkpoints.TAG_BATCHES, 0)),
                "rows": int(version.tags.get(checkpoints.TAG_ROWS, 0)),
                "run_id": run_id,
                "created": version.creation_time,
                "live": int(version.version) == live,
            }
        )
        if run_id not in runs:
            runs[run_id] = _run_counts(client, run_id)
    return {
        "model_name": model.name,
        "alias": alias,
        "live_version": live,
        "checkpoints": versions,
        "runs": list(runs.values()),
    }


def _run_counts(client: CairnClient, run_id: str) -> dict[str, Any]:
    from cairn.errors import NotFound

    try:
        run = client.get_run(run_id)
    except NotFound:
        return {"run_id": run_id, "status": "DELETED"}
    metrics = run.data.metrics
    return {
        "run_id": run_id,
        "status": run.info.status,
        "accepted": int(metrics.get("accepted", 0)),
        "rejected": int(metrics.get("rejected", 0)),
        "rolled_back_to": run.data.tags.get("cairn.online.rolled_back_to"),
    }
