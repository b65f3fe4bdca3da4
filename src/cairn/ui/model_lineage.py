"""Where a registered model version came from, as its page shows it: the source run (when
the caller may read it), the datasets that run read, the code commit it ran at, the
signature in the version's ``MLmodel``, and the audit events of the version.

Reading the signature fetches only the ``MLmodel`` file of the version's files; a source
the server cannot read says why instead of failing the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from fastapi import Request

from cairn.entities import AuditEvent, DatasetInput, ModelVersion, Run
from cairn.errors import CairnError, NotFound
from cairn.models.model import Model
from cairn.models.uris import locate_model
from cairn.server.v1.artifact_runs import open_run_files
from cairn.store import Store
from cairn.ui.readable import readable_run

MAX_MLMODEL = 1024 * 1024
COMMIT_TAGS = ("cairn.source.git.commit", "mlflow.source.git.commit")


@dataclass(frozen=True, slots=True)
class Column:
    """One row of a signature table."""

    name: str
    type: str
    required: bool = True


@dataclass(slots=True)
class Lineage:
    """Everything the version page shows beyond the version itself."""

    run: Run | None = None
    run_hidden: bool = False  # the version names a run the caller may not read
    datasets: list[DatasetInput] = field(default_factory=list)
    commit: str | None = None
    inputs: list[Column] = field(default_factory=list)
    outputs: list[Column] = field(default_factory=list)
    signature_problem: str = ""
    events: list[AuditEvent] = field(default_factory=list)


def _columns(value: Any) -> list[Column]:
    specs = json.loads(value) if isinstance(value, str) else (value or [])
    return [
        Column(
            str(s.get("name") or f"[{i}]"), str(s.get("type", "")), bool(s.get("required", True))
        )
        for i, s in enumerate(specs)
    ]


def read_mlmodel(store: Store, version: ModelVersion) -> Model:
    """The ``MLmodel`` of a version's files (NotFound when they are not a run's artifacts)."""
    uri, _ = locate_model(f"models:/{version.name}/{version.version}", store)
    if not uri.startswith("runs:/"):
        raise NotFound(f"the files at {uri} are not a run's artifacts")
    run_id, _, path = uri[len("runs:/") :].partition("/")
    files = open_run_files(store, run_id)
    _, full = files.locate(f"{path.strip('/')}/MLmodel".lstrip("/"), file=True)
    try:
        with files.files.fs.open(full, "rb") as handle:
            raw = handle.read(MAX_MLMODEL)
    except FileNotFoundError as exc:
        raise NotFound(f"no MLmodel file at {uri}") from exc
    return Model.from_dict(yaml.safe_load(raw))


def _signature(store: Store, version: ModelVersion, found: Lineage) -> None:
    try:
        model = read_mlmodel(store, version)
    except (CairnError, OSError, yaml.YAMLError) as exc:
        found.signature_problem = f"The signature could not be read: {exc}"
        return
    if model.signature is None:
        found.signature_problem = "This model was logged without a signature."
        return
    described = model.signature.to_dict()
    found.inputs = _columns(described.get("inputs"))
    found.outputs = _columns(described.get("outputs"))


def version_events(store: Store, version: ModelVersion) -> list[AuditEvent]:
    """The audit events of one version (create, tags, stages, aliases set on it), oldest first."""
    entity = f"model_version:{version.name}/{version.version}"
    events: list[AuditEvent] = []
    after = 0
    while True:
        batch = store.audit.list_events(after, 1000, entity)
        events.extend(batch)
        if len(batch) < 1000:
            return events
        after = batch[-1].seq


def lineage(request: Request, store: Store, version: ModelVersion) -> Lineage:
    """The lineage of ``version`` as the caller may see it."""
    found = Lineage(events=version_events(store, version))
    if version.run_id:
        try:
            found.run = readable_run(request, store, version.run_id)
        except NotFound:
            found.run_hidden = True
    if found.run is not None:
        found.datasets = store.run_io.get_run_io(found.run.info.run_id).datasets
        tags = found.run.data.tags
        found.commit = next((tags[t] for t in COMMIT_TAGS if tags.get(t)), None)
        _signature(store, version, found)
    else:
        found.signature_problem = "The source run is not readable, so neither is its MLmodel."
    return found
