"""cairn's entities as MLflow's JSON messages (``service.proto`` names, protobuf's JSON form).

Empty lists and absent values are left out, as MLflow's server leaves them out; doubles that
JSON cannot carry are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. Artifact
locations are the proxy's ``mlflow-artifacts:`` URIs, whatever store holds the files.
"""

from __future__ import annotations

import math
from typing import Any

from cairn.entities import (
    DatasetInput,
    Experiment,
    FileInfo,
    LoggedModel,
    Metric,
    ModelMetric,
    Run,
    RunInfo,
    RunIO,
)
from cairn.server.mlflow import tags as system_tags

Json = dict[str, Any]
MODEL_STATUS = {
    "PENDING": "LOGGED_MODEL_PENDING",
    "READY": "LOGGED_MODEL_READY",
    "FAILED": "LOGGED_MODEL_UPLOAD_FAILED",
}
MODEL_STATUS_IN = {name: status for status, name in MODEL_STATUS.items()}


def number(value: float) -> float | str:
    """A double as protobuf's JSON writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def compact(message: Json) -> Json:
    """``message`` without its None values and empty lists or messages."""
    return {k: v for k, v in message.items() if v is not None and v != [] and v != {}}


def pairs(mapping: dict[str, str]) -> list[Json]:
    """A dict as a list of ``{"key", "value"}`` messages."""
    return [{"key": k, "value": v} for k, v in mapping.items()]


def run_artifact_uri(experiment_id: str, run_id: str) -> str:
    """Where MLflow's client finds a run's files: the artifact proxy."""
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def model_artifact_uri(experiment_id: str, model_id: str) -> str:
    """Where MLflow's client finds a logged model's files: the artifact proxy."""
    return f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts"


def experiment(exp: Experiment) -> Json:
    """An ``Experiment`` message."""
    return compact(
        {
            "experiment_id": exp.experiment_id,
            "name": exp.name,
            "artifact_location": f"mlflow-artifacts:/{exp.experiment_id}",
            "lifecycle_stage": exp.lifecycle_stage,
            "last_update_time": exp.last_update_time,
            "creation_time": exp.creation_time,
            "tags": pairs(exp.tags),
        }
    )


def run_info(info: RunInfo) -> Json:
    """A ``RunInfo`` message."""
    return compact(
        {
            "run_uuid": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "artifact_uri": run_artifact_uri(info.experiment_id, info.run_id),
            "lifecycle_stage": info.lifecycle_stage,
            "run_id": info.run_id,
        }
    )


def metric(point: Metric | ModelMetric) -> Json:
    """A ``Metric`` message."""
    message: Json = {
        "key": point.key,
        "value": number(point.value),
        "timestamp": point.timestamp,
        "step": point.step,
    }
    if isinstance(point, ModelMetric):
        message.update(
            dataset_name=point.dataset_name,
            dataset_digest=point.dataset_digest,
            run_id=point.run_id,
        )
    return compact(message)


def run(found: Run, latest: dict[str, Metric], io: RunIO) -> Json:
    """A ``Run`` message: info, data (latest metrics, params, MLflow's tags), inputs, outputs."""
    data = {
        "metrics": [metric(latest[key]) for key in found.data.metrics if key in latest],
        "params": pairs(found.data.params),
        "tags": pairs(system_tags.to_mlflow(found)),
    }
    inputs = {
        "dataset_inputs": [dataset_input(d) for d in io.datasets],
        "model_inputs": [{"model_id": m} for m in io.model_inputs],
    }
    outputs = {
        "model_outputs": [{"model_id": m.model_id, "step": m.step} for m in io.model_outputs]
    }
    return {
        "info": run_info(found.info),
        "data": compact(data),
        "inputs": compact(inputs),
        "outputs": compact(outputs),
    }


def dataset_input(found: DatasetInput) -> Json:
    """A ``DatasetInput`` message."""
    dataset = {
        "name": found.name,
        "digest": found.digest,
        "source_type": found.source_type,
        "source": found.source,
        "schema": found.schema,
        "profile": found.profile,
    }
    return compact({"tags": pairs(found.tags), "dataset": compact(dataset)})


def logged_model(model: LoggedModel) -> Json:
    """A ``LoggedModel`` message."""
    info = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": model.creation_time,
        "last_updated_timestamp_ms": model.last_update_time,
        "artifact_uri": model_artifact_uri(model.experiment_id, model.model_id),
        "status": MODEL_STATUS[model.status],
        "model_type": model.model_type or "",
        "source_run_id": model.source_run_id,
        "status_message": model.status_message,
        "tags": pairs(model.tags),
    }
    data = {
        "params": pairs(model.params),
        "metrics": [dict(metric(m), model_id=model.model_id) for m in model.metrics],
    }
    return {"info": compact(info), "data": compact(data)}


def file_info(info: FileInfo, path: str) -> Json:
    """A ``FileInfo`` message naming the file by ``path``."""
    message: Json = {"path": path, "is_dir": info.is_dir}
    if not info.is_dir and info.file_size is not None:
        message["file_size"] = info.file_size
    return message
