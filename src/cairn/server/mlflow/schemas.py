"""Request messages of MLflow's REST API (``service.proto``), as pydantic models.

Fields keep the proto's names. As in protobuf's JSON form, 64-bit integers may come as
strings and doubles as ``"NaN"``/``"Infinity"``, enums by name or number; booleans are not
numbers. Unknown fields are ignored. Fields the proto marks required are required here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cairn.errors import InvalidInput


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")  # noqa: TRY004 (pydantic needs ValueError)
    return value


def _enum(names: dict[int, str]) -> BeforeValidator:
    def check(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and value in names:
            return names[value]
        if isinstance(value, str) and value.upper() in names.values():
            return value.upper()
        raise ValueError(f"expected one of {', '.join(names.values())}")

    return BeforeValidator(check)


Int64 = Annotated[int, BeforeValidator(_no_bool)]
Double = Annotated[float, BeforeValidator(_no_bool)]
ViewTypeName = Annotated[str, _enum({1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"})]
RunStatusName = Annotated[
    str, _enum({1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"})
]
ModelStatusName = Annotated[
    str,
    _enum(
        {
            1: "LOGGED_MODEL_PENDING",
            2: "LOGGED_MODEL_READY",
            3: "LOGGED_MODEL_UPLOAD_FAILED",
        }
    ),
]


class Message(BaseModel):
    """A request message: unknown fields ignored."""

    model_config = ConfigDict(extra="ignore")


class KeyValue(Message):
    """A param, tag, experiment tag, input tag, logged-model param or tag."""

    key: str
    value: str


class RunRef(Message):
    """A message naming a run by ``run_id`` or its older name ``run_uuid``."""

    run_id: str | None = None
    run_uuid: str | None = None

    @property
    def id(self) -> str:
        """The run id given; InvalidInput if neither field is."""
        found = self.run_id or self.run_uuid
        if not found:
            raise InvalidInput("Missing value for required parameter 'run_id'.")
        return found


# -- experiments -------------------------------------------------------------------------------


class CreateExperiment(Message):
    name: str
    artifact_location: str | None = None
    tags: list[KeyValue] = []


class ExperimentRef(Message):
    experiment_id: str


class GetExperimentByName(Message):
    experiment_name: str


class SearchExperiments(Message):
    max_results: Int64 | None = None
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: ViewTypeName | None = None


class UpdateExperiment(Message):
    experiment_id: str
    new_name: str


class SetExperimentTag(Message):
    experiment_id: str
    key: str
    value: str


# -- runs --------------------------------------------------------------------------------------


class CreateRun(Message):
    experiment_id: str | None = None
    user_id: str | None = None
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class UpdateRun(RunRef):
    status: RunStatusName | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class RunId(Message):
    run_id: str


class SearchRuns(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    run_view_type: ViewTypeName | None = None
    max_results: Int64 = 1000
    order_by: list[str] = []
    page_token: str | None = None


class MetricIn(Message):
    key: str
    value: Double
    timestamp: Int64
    step: Int64 = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str | None = None


class LogMetric(RunRef):
    key: str
    value: Double
    timestamp: Int64
    step: Int64 = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class LogParam(RunRef):
    key: str
    value: str


class SetTag(RunRef):
    key: str
    value: str


class DeleteTag(Message):
    run_id: str
    key: str


class LogBatch(Message):
    run_id: str
    metrics: list[MetricIn] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class DatasetIn(Message):
    name: str
    digest: str
    source_type: str
    source: str
    schema_: str | None = Field(default=None, alias="schema")  # BaseModel.schema is taken
    profile: str | None = None


class DatasetInputIn(Message):
    tags: list[KeyValue] = []
    dataset: DatasetIn


class ModelInputIn(Message):
    model_id: str


class ModelOutputIn(Message):
    model_id: str
    step: Int64


class LogInputs(Message):
    run_id: str
    datasets: list[DatasetInputIn] = []
    models: list[ModelInputIn] = []


class LogOutputs(Message):
    run_id: str
    models: list[ModelOutputIn] = []


class LogModel(Message):
    run_id: str
    model_json: str


class GetMetricHistory(RunRef):
    metric_key: str
    page_token: str | None = None
    max_results: Int64 | None = None


class ListArtifacts(RunRef):
    path: str | None = None
    page_token: str | None = None


# -- logged models -----------------------------------------------------------------------------


class CreateLoggedModel(Message):
    experiment_id: str
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class FinalizeLoggedModel(Message):
    model_id: str | None = None
    status: ModelStatusName


class DatasetRef(Message):
    dataset_name: str
    dataset_digest: str | None = None


class OrderBy(Message):
    field_name: str
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None


class SearchLoggedModels(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    datasets: list[DatasetRef] = []
    max_results: Int64 = 50
    order_by: list[OrderBy] = []
    page_token: str | None = None


class SetLoggedModelTags(Message):
    model_id: str | None = None
    tags: list[KeyValue] = []


class LogLoggedModelParams(Message):
    model_id: str | None = None
    params: list[KeyValue] = []


class GetLoggedModel(Message):
    allow_deleted: bool = False


class ListLoggedModelArtifacts(Message):
    artifact_directory_path: str | None = None
    page_token: str | None = None
