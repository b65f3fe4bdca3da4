"""MLflow's logging endpoints: metrics, params, tags, batches, inputs, outputs, models.

A metric carrying a ``model_id`` is logged to the run and recorded for that logged model
(with its dataset), as MLflow does. MLflow's client logs such points again when it logs a
model (points the run has already); a point the run holds already is therefore not added to
the run twice. Other points are appended as sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cairn.entities import DatasetInput, Metric, ModelMetric, ModelOutput, Param, RunTag
from cairn.errors import InvalidInput
from cairn.server.deps import StoreDep
from cairn.server.mlflow import schemas as s
from cairn.server.mlflow import tags as system_tags
from cairn.server.mlflow.route import MlflowJsonRoute
from cairn.store import Store
from cairn.store.model_validation import model_metric
from cairn.store.validation import validate_run_name

router = APIRouter(prefix="/runs", route_class=MlflowJsonRoute)

EMPTY: dict[str, object] = {}
MAX_BATCH_BYTES = 1_000_000
MAX_METRICS = 1000
MAX_PARAMS_TAGS = 100
MAX_ENTITIES = 1000
MAX_DATASETS = 1000
_MODEL_KEYS = ("artifact_path", "flavors", "run_id", "utc_time_created")


@router.post("/log-metric")
def log_metric(body: s.LogMetric, store: StoreDep) -> JSONResponse:
    """Append one metric point (``run_uuid`` accepted for ``run_id``)."""
    point = s.MetricIn.model_validate(body.model_dump(exclude={"run_id", "run_uuid"}))
    log_metrics(store, body.id, [point])
    return JSONResponse(EMPTY)


@router.post("/log-parameter")
def log_param(body: s.LogParam, store: StoreDep) -> JSONResponse:
    """Log a param (the same value again is fine; another value is refused)."""
    store.runs.log_param(body.id, Param(body.key, body.value))
    return JSONResponse(EMPTY)


@router.post("/set-tag")
def set_tag(body: s.SetTag, store: StoreDep) -> JSONResponse:
    """Set a tag; ``mlflow.runName`` renames the run."""
    set_tags(store, body.id, [s.KeyValue(key=body.key, value=body.value)])
    return JSONResponse(EMPTY)


@router.post("/delete-tag")
def delete_tag(body: s.DeleteTag, store: StoreDep) -> JSONResponse:
    """Remove a tag; RESOURCE_DOES_NOT_EXIST if the run has no such tag."""
    if body.key == system_tags.RUN_NAME:
        raise InvalidInput(
            f"{system_tags.RUN_NAME} is the run's name, which cannot be removed; rename the run"
        )
    store.runs.delete_tag(body.run_id, system_tags.to_cairn(body.key, "")[0])
    return JSONResponse(EMPTY)


async def _body_size(request: Request) -> int:
    return len(await request.body())  # read (and capped) already by MlflowJsonRoute


@router.post("/log-batch")
def log_batch(
    body: s.LogBatch, store: StoreDep, size: Annotated[int, Depends(_body_size)]
) -> JSONResponse:
    """Log metrics, params and tags in one transaction, within MLflow's limits (1000
    metrics, 100 params, 100 tags, 1000 in all, 1 MB)."""
    _check_batch(body, size)
    tags, name = _split_tags(body.tags)
    params = [Param(p.key, p.value) for p in body.params]
    log_metrics(store, body.run_id, body.metrics, params, tags)
    if name is not None:
        store.runs.update_run_info(body.run_id, run_name=name)
    return JSONResponse(EMPTY)


@router.post("/log-inputs")
def log_inputs(body: s.LogInputs, store: StoreDep) -> JSONResponse:
    """Record datasets (with their input tags) and logged models the run read."""
    if len(body.datasets) > MAX_DATASETS:
        raise InvalidInput(
            f"A request can log at most {MAX_DATASETS} datasets; got {len(body.datasets)}"
        )
    datasets = [
        DatasetInput(
            name=d.dataset.name,
            digest=d.dataset.digest,
            source_type=d.dataset.source_type,
            source=d.dataset.source,
            schema=d.dataset.schema_,
            profile=d.dataset.profile,
            tags={tag.key: tag.value for tag in d.tags},
        )
        for d in body.datasets
    ]
    store.run_io.log_inputs(body.run_id, datasets, [m.model_id for m in body.models])
    return JSONResponse(EMPTY)


@router.post("/outputs")
def log_outputs(body: s.LogOutputs, store: StoreDep) -> JSONResponse:
    """Record logged models the run produced, each at a step."""
    store.run_io.log_outputs(body.run_id, [ModelOutput(m.model_id, m.step) for m in body.models])
    return JSONResponse(EMPTY)


@router.post("/log-model")
def log_model(body: s.LogModel, store: StoreDep) -> JSONResponse:
    """Append a model's description to the run's ``mlflow.log-model.history`` tag."""
    try:
        model = json.loads(body.model_json)
    except ValueError as exc:
        raise InvalidInput(f"model_json is not valid JSON: {exc}") from exc
    if not isinstance(model, dict):
        raise InvalidInput("model_json must be a JSON object describing the model")
    missing = sorted(set(_MODEL_KEYS) - set(model))
    if missing:
        raise InvalidInput(f"model_json is missing mandatory fields: {', '.join(missing)}")
    run = store.runs.get_run(body.run_id)
    history = _model_history(run.data.tags.get(system_tags.LOG_MODEL_HISTORY, "[]"))
    history.append(model)
    value = json.dumps(history)
    store.runs.set_tag(run.info.run_id, RunTag(system_tags.LOG_MODEL_HISTORY, value))
    return JSONResponse(EMPTY)


def _model_history(text: str) -> list[object]:
    try:
        history = json.loads(text)
    except ValueError:
        history = None
    if not isinstance(history, list):
        raise InvalidInput(
            f"the run's {system_tags.LOG_MODEL_HISTORY} tag holds {text[:60]!r}, not a JSON "
            "list; delete the tag to start the history again"
        )
    return history


def set_tags(store: Store, run_id: str, tags: Iterable[s.KeyValue]) -> None:
    """Set tags as MLflow names them: ``mlflow.runName`` renames, the others map to cairn's."""
    stored, name = _split_tags(tags)
    if stored:
        store.runs.log_batch(run_id, tags=stored)
    if name is not None:
        store.runs.update_run_info(run_id, run_name=name)


def _split_tags(tags: Iterable[s.KeyValue]) -> tuple[list[RunTag], str | None]:
    """The tags cairn stores, and the run name (checked) if ``mlflow.runName`` is among them."""
    stored, name = [], None
    for tag in tags:
        if tag.key == system_tags.RUN_NAME:
            name = validate_run_name(tag.value)  # before anything is written
        else:
            stored.append(RunTag(*system_tags.to_cairn(tag.key, tag.value)))
    return stored, name


def log_metrics(
    store: Store,
    run_id: str,
    points: list[s.MetricIn],
    params: list[Param] | None = None,
    tags: list[RunTag] | None = None,
) -> None:
    """Append points (with params and tags, in one transaction) to the run, then record the
    points naming a logged model for that model."""
    by_model: dict[str, list[ModelMetric]] = {}
    for p in points:
        if p.model_id:
            by_model.setdefault(p.model_id, []).append(
                ModelMetric(
                    p.key, p.value, p.timestamp, p.step, run_id, p.dataset_name, p.dataset_digest
                )
            )
    for model_id, model_metrics in by_model.items():  # refuse bad points before writing
        store.logged_models.get_logged_model(model_id)
        by_model[model_id] = [model_metric(m) for m in model_metrics]
    metrics = [
        Metric(p.key, p.value, p.timestamp, p.step) for p in _new_points(store, run_id, points)
    ]
    store.runs.log_batch(run_id, metrics=metrics, params=params or [], tags=tags or [])
    for model_id, model_metrics in by_model.items():
        store.logged_models.log_logged_model_metrics(model_id, model_metrics)


def _new_points(store: Store, run_id: str, points: list[s.MetricIn]) -> list[s.MetricIn]:
    """The points to append: a point naming a model only if the run does not hold it yet."""
    linked = {p.key for p in points if p.model_id}
    held = {
        (key, _same(m.value), m.timestamp, m.step)
        for key in linked
        for m in store.runs.get_metric_history(run_id, key)
    }
    fresh = []
    for p in points:
        if p.model_id:
            point = (p.key, _same(p.value), p.timestamp, p.step)
            if point in held:
                continue
            held.add(point)
        fresh.append(p)
    return fresh


def _same(value: float) -> float | str:
    return "nan" if value != value else value


def _check_batch(body: s.LogBatch, size: int) -> None:
    if size > MAX_BATCH_BYTES:
        raise InvalidInput(
            f"Batched logging API requests must be at most {MAX_BATCH_BYTES} bytes, got "
            f"payload of length {size}"
        )
    counts = {"metrics": len(body.metrics), "params": len(body.params), "tags": len(body.tags)}
    limits = {"metrics": MAX_METRICS, "params": MAX_PARAMS_TAGS, "tags": MAX_PARAMS_TAGS}
    for kind, count in counts.items():
        if count > limits[kind]:
            raise InvalidInput(
                f"A batch logging request can contain at most {limits[kind]} {kind}. Got "
                f"{count} {kind}. Please split up {kind} across multiple requests and try again."
            )
    total = sum(counts.values())
    if total > MAX_ENTITIES:
        raise InvalidInput(
            f"A batch logging request can contain at most {MAX_ENTITIES} metrics, params, and "
            f"tags. Got {total} metrics, params, and tags. Please split up metrics, params, and "
            "tags across multiple requests and try again."
        )
