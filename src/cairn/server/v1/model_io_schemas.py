"""Request and response bodies of the native logged-model and run input/output routes.

Requests forbid unknown fields (see :mod:`cairn.server.v1.schemas`); numbers refuse
booleans and 64-bit integers stay in range, so what cannot be stored is a 400 naming the
field. The store checks every value again (lengths, ids, keys).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from cairn.server.v1.schemas import MAX_BATCH_ITEMS, Body, Number
from cairn.store.rest.wire import MAX_RUN_IDS


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")  # noqa: TRY004 (pydantic needs ValueError)
    return value


Int64 = Annotated[int, BeforeValidator(_no_bool), Field(ge=-(2**63), le=2**63 - 1)]
Double = Annotated[float, BeforeValidator(_no_bool)]


class CreateLoggedModel(Body):
    experiment_id: str
    name: str | None = None
    source_run_id: str | None = None
    model_type: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)


class DatasetRef(Body):
    name: str
    digest: str | None = None


class SearchLoggedModels(Body):
    experiment_ids: list[str]
    filter_string: str | None = None
    max_results: Int64 = 1000
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None
    datasets: list[DatasetRef] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)


class FinalizeLoggedModel(Body):
    status: str
    status_message: str | None = None


class LoggedModelTags(Body):
    tags: dict[str, str]


class LoggedModelParams(Body):
    params: dict[str, str]


class ModelMetricPoint(Body):
    key: str
    value: Double
    timestamp: Int64
    step: Int64 = 0
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class LogModelMetrics(Body):
    metrics: list[ModelMetricPoint] = Field(max_length=MAX_BATCH_ITEMS)


class DatasetInputIn(Body):
    name: str
    digest: str
    source_type: str
    source: str
    dataset_schema: str | None = Field(default=None, alias="schema")  # BaseModel.schema is taken
    profile: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class LogInputs(Body):
    datasets: list[DatasetInputIn] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    models: list[str] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)


class ModelOutputIn(Body):
    model_id: str
    step: Int64 = 0


class LogOutputs(Body):
    models: list[ModelOutputIn] = Field(max_length=MAX_BATCH_ITEMS)


class RunIds(Body):
    run_ids: list[str] = Field(max_length=MAX_RUN_IDS)


# -- responses (documentation) -------------------------------------------------------------


class ModelMetricOut(BaseModel):
    key: str
    value: Number
    timestamp: int
    step: int
    run_id: str | None
    dataset_name: str | None
    dataset_digest: str | None


class LoggedModelOut(BaseModel):
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    status: str
    creation_time: int
    last_update_time: int
    source_run_id: str | None
    model_type: str | None
    status_message: str | None
    lifecycle_stage: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: list[ModelMetricOut]


class LoggedModelPage(BaseModel):
    items: list[LoggedModelOut]
    next_page_token: str | None


class DatasetInputOut(BaseModel):
    name: str
    digest: str
    source_type: str
    source: str
    dataset_schema: str | None = Field(alias="schema")
    profile: str | None
    tags: dict[str, str]


class ModelOutputOut(BaseModel):
    model_id: str
    step: int


class RunIOOut(BaseModel):
    datasets: list[DatasetInputOut]
    model_inputs: list[str]
    model_outputs: list[ModelOutputOut]


class RunIOMap(BaseModel):
    items: dict[str, RunIOOut]


class MetricOut(BaseModel):
    key: str
    value: Number
    timestamp: int
    step: int


class LatestMetrics(BaseModel):
    items: dict[str, dict[str, MetricOut]]
