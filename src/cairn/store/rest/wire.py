"""The JSON form of cairn's entities on the native API, shared by server and client.

One module encodes and decodes, so the two sides cannot drift. Metric values that JSON
cannot carry (NaN, +/-infinity) travel as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"``; metric histories travel as columns (``steps``, ``timestamps``, ``values``).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import asdict
from typing import Any

from cairn.entities import (
    AuditEvent,
    DatasetInput,
    DatasetSummary,
    DatasetUse,
    DatasetVersion,
    Experiment,
    FileInfo,
    LoggedModel,
    Metric,
    MetricHistory,
    ModelMetric,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
    RunIO,
)

MAX_RUN_IDS = 1000  # most runs one bulk read names; clients send more in several requests
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def number_out(value: float) -> float | str:
    """A float as JSON can carry it."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def number_in(value: float | int | str) -> float:
    """A float back from its JSON form."""
    if isinstance(value, str):
        return _SPECIAL[value] if value in _SPECIAL else float(value)
    return float(value)


def experiment_out(experiment: Experiment) -> dict[str, Any]:
    """An experiment as JSON."""
    return asdict(experiment)


def experiment_in(data: dict[str, Any]) -> Experiment:
    """An experiment from JSON."""
    return Experiment(**data)


def run_info_out(info: RunInfo) -> dict[str, Any]:
    """A run's info as JSON."""
    return asdict(info)


def run_info_in(data: dict[str, Any]) -> RunInfo:
    """A run's info from JSON."""
    return RunInfo(**data)


def run_out(run: Run) -> dict[str, Any]:
    """A run as JSON."""
    data = run.data
    return {
        "info": asdict(run.info),
        "data": {
            "metrics": {k: number_out(val) for k, val in data.metrics.items()},
            "params": data.params,
            "tags": data.tags,
        },
    }


def run_in(data: dict[str, Any]) -> Run:
    """A run from JSON."""
    body = data["data"]
    return Run(
        RunInfo(**data["info"]),
        RunData(
            {k: number_in(val) for k, val in body["metrics"].items()},
            dict(body["params"]),
            dict(body["tags"]),
        ),
    )


def history_out(history: MetricHistory) -> dict[str, Any]:
    """A metric history as columns."""
    values = history.values.tolist()
    if not all(map(math.isfinite, values)):
        values = [number_out(val) for val in values]
    return {
        "key": history.key,
        "steps": history.steps.tolist(),
        "timestamps": history.timestamps.tolist(),
        "values": values,
    }


def history_in(data: dict[str, Any]) -> MetricHistory:
    """A metric history from columns."""
    values = data["values"]
    if any(isinstance(val, str) for val in values):
        values = [number_in(val) for val in values]
    return MetricHistory(
        data["key"], array("q", data["steps"]), array("q", data["timestamps"]), array("d", values)
    )


def file_info_out(info: FileInfo) -> dict[str, Any]:
    """An artifact listing entry as JSON."""
    return asdict(info)


def audit_event_out(event: AuditEvent) -> dict[str, Any]:
    """An audit event as JSON."""
    return asdict(event)


def audit_event_in(data: dict[str, Any]) -> AuditEvent:
    """An audit event from JSON."""
    return AuditEvent(**data)


def metric_out(metric: Metric) -> dict[str, Any]:
    """One metric point as JSON."""
    return {
        "key": metric.key,
        "value": number_out(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
    }


def metric_in(data: dict[str, Any]) -> Metric:
    """One metric point from JSON."""
    return Metric(data["key"], number_in(data["value"]), data["timestamp"], data["step"])


def model_metric_out(metric: ModelMetric) -> dict[str, Any]:
    """A logged model's metric point as JSON."""
    return {**asdict(metric), "value": number_out(metric.value)}


def model_metric_in(data: dict[str, Any]) -> ModelMetric:
    """A logged model's metric point from JSON."""
    return ModelMetric(**{**data, "value": number_in(data["value"])})


def logged_model_out(model: LoggedModel) -> dict[str, Any]:
    """A logged model as JSON."""
    return {**asdict(model), "metrics": [model_metric_out(m) for m in model.metrics]}


def logged_model_in(data: dict[str, Any]) -> LoggedModel:
    """A logged model from JSON."""
    return LoggedModel(
        **{
            **data,
            "tags": dict(data["tags"]),
            "params": dict(data["params"]),
            "metrics": [model_metric_in(m) for m in data["metrics"]],
        }
    )


def dataset_input_out(dataset: DatasetInput) -> dict[str, Any]:
    """A dataset a run read, as JSON."""
    return asdict(dataset)


def dataset_input_in(data: dict[str, Any]) -> DatasetInput:
    """A dataset a run read, from JSON."""
    return DatasetInput(**{**data, "tags": dict(data["tags"])})


def dataset_summary_out(summary: DatasetSummary) -> dict[str, Any]:
    """A dataset name with its version and run counts, as JSON."""
    return asdict(summary)


def dataset_summary_in(data: dict[str, Any]) -> DatasetSummary:
    """A dataset summary from JSON."""
    return DatasetSummary(data["name"], data["versions"], data["runs"], data["last_used"])


def dataset_version_out(version: DatasetVersion) -> dict[str, Any]:
    """A dataset version with the runs that read it, as JSON."""
    return {
        "dataset": dataset_input_out(version.dataset),
        "uses": [asdict(use) for use in version.uses],
    }


def dataset_version_in(data: dict[str, Any]) -> DatasetVersion:
    """A dataset version from JSON."""
    uses = [DatasetUse(**use) for use in data["uses"]]
    return DatasetVersion(dataset_input_in(data["dataset"]), uses)


def model_output_out(output: ModelOutput) -> dict[str, Any]:
    """A logged model a run produced, as JSON."""
    return {"model_id": output.model_id, "step": output.step}


def model_output_in(data: dict[str, Any]) -> ModelOutput:
    """A logged model a run produced, from JSON."""
    return ModelOutput(data["model_id"], data["step"])


def run_io_out(io: RunIO) -> dict[str, Any]:
    """A run's inputs and outputs as JSON."""
    return {
        "datasets": [dataset_input_out(d) for d in io.datasets],
        "model_inputs": list(io.model_inputs),
        "model_outputs": [model_output_out(o) for o in io.model_outputs],
    }


def run_io_in(data: dict[str, Any]) -> RunIO:
    """A run's inputs and outputs from JSON."""
    return RunIO(
        [dataset_input_in(d) for d in data["datasets"]],
        list(data["model_inputs"]),
        [model_output_in(o) for o in data["model_outputs"]],
    )
