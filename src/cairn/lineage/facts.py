"""What each node of a lineage graph says about its entity (pure functions of entities)."""

from __future__ import annotations

from typing import Any

from cairn.entities import DatasetInput, ModelVersion, Monitor, MonitorAlert, MonitorWindow, Run
from cairn.humanize import iso_utc

COMMIT_TAGS = ("cairn.source.git.commit", "mlflow.source.git.commit")
DIRTY_TAG = "cairn.source.git.dirty"
ENVIRONMENT_TAG = "cairn.environment.hash"
SEED_PREFIX = "cairn.seed."
KIND_TAG = "cairn.run.kind"
STAGE_TAG = "cairn.stage.name"
PARENT_TAGS = ("cairn.parentRunId", "mlflow.parentRunId")
CONTEXT_TAG = "mlflow.data.context"
OUTPUT_CONTEXT = "output"


def run_kind(run: Run) -> str:
    """``pipeline_run``, ``stage`` or ``run`` from the run's ``cairn.run.kind`` tag."""
    kind = run.data.tags.get(KIND_TAG)
    return {"pipeline": "pipeline_run", "stage": "stage"}.get(kind or "", "run")


def parent_of(run: Run) -> str | None:
    """The parent run id a run names, if any."""
    return next((run.data.tags[t] for t in PARENT_TAGS if run.data.tags.get(t)), None)


def run_label(run: Run) -> str:
    """The run's name, or its short id when it has none."""
    return run.info.run_name or run.info.run_id[:8]


def run_facts(run: Run) -> dict[str, Any]:
    """Status, code commit, params, seeds and environment of a run."""
    tags = run.data.tags
    dirty = tags.get(DIRTY_TAG)
    facts: dict[str, Any] = {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "start_time": iso_utc(run.info.start_time),
        "end_time": iso_utc(run.info.end_time),
        "commit": next((tags[t] for t in COMMIT_TAGS if tags.get(t)), None),
        "dirty": None if dirty is None else dirty.lower() == "true",
        "params": dict(sorted(run.data.params.items())),
        "seeds": {
            k[len(SEED_PREFIX) :]: v for k, v in sorted(tags.items()) if k.startswith(SEED_PREFIX)
        },
        "environment": tags.get(ENVIRONMENT_TAG),
    }
    if tags.get(STAGE_TAG):
        facts["stage"] = tags[STAGE_TAG]
    return facts


def is_output(dataset: DatasetInput) -> bool:
    """Whether a run recorded this dataset as something it wrote (context ``output``)."""
    return dataset.tags.get(CONTEXT_TAG) == OUTPUT_CONTEXT


def dataset_label(dataset: DatasetInput) -> str:
    """``name@digest`` with the digest cut to 12 characters."""
    return f"{dataset.name}@{dataset.digest[:12]}"


def dataset_facts(dataset: DatasetInput) -> dict[str, Any]:
    """Name, digest and where the data came from."""
    return {
        "name": dataset.name,
        "digest": dataset.digest,
        "source_type": dataset.source_type,
        "source": dataset.source,
    }


def version_label(version: ModelVersion) -> str:
    """``name v3 @champion``."""
    aliases = "".join(f" @{a}" for a in sorted(version.aliases))
    return f"{version.name} v{version.version}{aliases}"


def version_facts(version: ModelVersion) -> dict[str, Any]:
    """Registry facts of a model version."""
    return {
        "name": version.name,
        "version": version.version,
        "aliases": sorted(version.aliases),
        "status": version.status,
        "stage": version.current_stage,
        "source": version.source,
        "run_id": version.run_id,
        "creation_time": iso_utc(version.creation_time),
    }


def monitor_facts(monitor: Monitor) -> dict[str, Any]:
    """What a monitor watches and how much it has seen."""
    return {
        "name": monitor.name,
        "model": monitor.model,
        "model_ref": monitor.spec.get("model_ref"),
        "records": monitor.records,
    }


def alert_facts(alert: MonitorAlert, window: MonitorWindow | None) -> dict[str, Any]:
    """The fired rule, its value and message, and the window it judged."""
    facts: dict[str, Any] = {
        "alert_id": alert.alert_id,
        "monitor": alert.monitor,
        "rule": alert.rule,
        "window_id": alert.window_id,
        "time": iso_utc(alert.time),
        "value": alert.value,
        "message": alert.message,
    }
    if window is not None:
        facts["window"] = {
            "start_time": iso_utc(window.start_time),
            "end_time": iso_utc(window.end_time),
            "rows": window.rows,
            "model_version": window.model_version,
        }
    return facts


def monitor_targets(monitor: Monitor, version: ModelVersion) -> bool:
    """Whether a monitor covers ``version`` now: its model is the version's registered model
    and its ``model_ref`` (in the spec, or ``name@alias`` / ``name/3`` in the model field)
    is an alias of the version, the version's number, or absent (every version)."""
    base, at, alias = monitor.model.partition("@")
    name, slash, number = base.partition("/")
    if name != version.name:
        return False
    ref = alias if at else number if slash else monitor.spec.get("model_ref")
    if not ref:
        return True
    ref = str(ref)
    return int(ref) == version.version if ref.isdigit() else ref in version.aliases
