"""Request and response bodies of the native API (they make its OpenAPI document).

Requests forbid unknown fields, so a misspelt field is an error naming it rather than a
silently ignored value. Responses are built by :mod:`cairn.store.rest.wire`; the models
here describe them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH_ITEMS = 50_000
Number = float | str  # NaN and infinities travel as "NaN", "Infinity", "-Infinity"


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class CreateExperiment(Body):
    name: str
    artifact_location: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class ExperimentName(Body):
    name: str


class SearchExperiments(Body):
    view_type: str | int = "active_only"
    max_results: int = 1000
    filter_string: str | None = None
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class Tag(Body):
    key: str
    value: str


class CreateRun(Body):
    experiment_id: str
    user_id: str = ""
    start_time: int | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    run_name: str | None = None
    parent_run_id: str | None = None


class UpdateRun(Body):
    status: str | None = None
    end_time: int | None = None
    run_name: str | None = None


class MetricPoint(Body):
    key: str
    value: float
    timestamp: int
    step: int = 0


class Param(Body):
    key: str
    value: str


class SpoolMark(Body):
    spool_id: str = Field(min_length=1, max_length=64)
    offset: int = Field(ge=0)


class LogBatch(Body):
    metrics: list[MetricPoint] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    params: list[Param] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    spool: SpoolMark | None = None


class TagKey(Body):
    key: str


class SearchRuns(Body):
    experiment_ids: list[str]
    filter_string: str | None = None
    run_view_type: str | int = "active_only"
    max_results: int = 1000
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class ArtifactFacts(Body):
    size: int = Field(ge=0)
    blake3: str = Field(min_length=64, max_length=64, pattern="^[0-9a-f]+$")


class RecordArtifacts(Body):
    files: dict[str, ArtifactFacts]


# -- responses (documentation) -------------------------------------------------------------


class ExperimentOut(BaseModel):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str]
    creation_time: int | None
    last_update_time: int | None


class ExperimentPage(BaseModel):
    items: list[ExperimentOut]
    next_page_token: str | None


class ExperimentId(BaseModel):
    experiment_id: str


class RunInfoOut(BaseModel):
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str


class RunDataOut(BaseModel):
    metrics: dict[str, Number]
    params: dict[str, str]
    tags: dict[str, str]


class RunOut(BaseModel):
    info: RunInfoOut
    data: RunDataOut


class RunPage(BaseModel):
    items: list[RunOut]
    next_page_token: str | None


class RunInfoList(BaseModel):
    items: list[RunInfoOut]


class ExperimentList(BaseModel):
    items: list[ExperimentOut]


class HistoryOut(BaseModel):
    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[Number]
    total: int
    downsampled: bool


class SpoolOffset(BaseModel):
    spool_id: str
    offset: int


class AuditEventOut(BaseModel):
    seq: int
    time: int
    actor: str
    action: str
    entity: str
    payload_hash: str
    prev_hash: str
    hash: str


class AuditEvents(BaseModel):
    items: list[AuditEventOut]


class AuditHead(BaseModel):
    seq: int
    hash: str


class StoreInfo(BaseModel):
    default_artifact_root: str
    version: str


class Done(BaseModel):
    ok: bool = True
