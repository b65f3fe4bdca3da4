"""Read a monitor's reference data into a DataFrame, once, when the monitor is created.

Where it comes from (``spec.reference``):

- ``path``: a CSV, TSV, Parquet or JSON-lines file: a local path (a file tracked by cairn
  data whose content is absent is read from the data cache through its ``.cairn`` pointer),
  ``runs:/RUN_ID/path`` (a run's artifact) or any fsspec URI (``s3://...``, ``file://...``);
- ``dataset`` (with an optional ``digest``, a prefix is enough): a dataset version logged
  on a run (``cairn.log_input(cairn.data.dataset(...))``), read back at that version from
  the data cache, or from its path when the file there still has that content;
- neither: the dataset the model version was trained on, i.e. the input of its source run
  logged with context "training" (or its only input).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cairn.errors import CairnError, InvalidInput, NotFound
from cairn.tracking.inputs import CONTEXT_TAG

if TYPE_CHECKING:
    from cairn.entities import DatasetInput, ModelVersion
    from cairn.monitoring.spec import MonitorSpec
    from cairn.store.base import Store

__all__ = ["load_reference_frame", "logged_reference", "read_table", "resolve_version"]

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_FORMATS.update({".jsonl": "jsonl", ".ndjson": "jsonl"})


def table_kind(name: str) -> str:
    """The table format of a file name; InvalidInput for other suffixes."""
    kind = _FORMATS.get(Path(name.split("?", 1)[0]).suffix.lower())
    if kind is None:
        raise InvalidInput(
            f"{name} is not a table cairn reads (.csv, .tsv, .parquet, .jsonl); "
            "give reference: {path: FILE.parquet}"
        )
    return kind


def read_table(data: bytes, name: str) -> pd.DataFrame:
    """The table in ``data`` (format from ``name``'s suffix); InvalidInput if unreadable."""
    kind = table_kind(name)
    buffer = io.BytesIO(data)
    try:
        if kind == "parquet":
            return pd.read_parquet(buffer)
        if kind == "jsonl":
            return pd.read_json(buffer, lines=True)
        return pd.read_csv(buffer, sep="\t" if kind == "tsv" else ",")
    except (ValueError, OSError) as exc:
        raise InvalidInput(f"{name} cannot be read as {kind}: {exc}".split("\n")[0]) from None


def _read_uri(store: Store, uri: str) -> bytes:
    if uri.startswith("runs:/"):
        run_id, _, path = uri[len("runs:/") :].partition("/")
        if not run_id or not path:
            raise InvalidInput(f"reference path {uri!r} is not runs:/RUN_ID/PATH")
        run = store.runs.get_run(run_id)
        return store.artifact_store(run.info.artifact_uri, run_id).read_bytes(path)
    import fsspec

    try:
        with fsspec.open(uri, "rb") as handle:
            return handle.read()  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise NotFound(f"reference {uri} does not exist") from None
    except (OSError, ValueError, ImportError) as exc:
        raise InvalidInput(f"reference {uri} cannot be read: {exc}") from None


def _cached(oid: str) -> bytes | None:
    from cairn.data.workspace import Workspace

    workspace = Workspace.find()
    try:
        return workspace.cache.read_bytes(oid) if workspace.cache.has(oid) else None
    finally:
        workspace.close()


def _read_local(path: str) -> bytes:
    from cairn.data import pointer as pointers

    local = Path(path).expanduser()
    if local.is_file():
        return local.read_bytes()
    pointer_file = pointers.pointer_path_for(local.absolute())
    if pointer_file.is_file():
        found = pointers.read(pointer_file)
        data = None if found.is_dir else _cached(found.oid)
        if data is not None:
            return data
        raise NotFound(
            f"reference {path} is tracked by {pointer_file.name} but neither the file nor its "
            "cached content is here; run cairn data pull or cairn data checkout"
        )
    raise NotFound(f"reference {path} does not exist")


def read_path(store: Store, path: str) -> pd.DataFrame:
    """The table at a local path, ``runs:/`` URI or fsspec URI."""
    table_kind(path)
    data = _read_uri(store, path) if "://" in path or path.startswith("runs:/") else None
    return read_table(data if data is not None else _read_local(path), path)


def _source(dataset: DatasetInput) -> dict[str, Any]:
    try:
        found = json.loads(dataset.source)
    except (TypeError, ValueError):
        return {"uri": dataset.source}
    return found if isinstance(found, dict) else {"uri": dataset.source}


def read_dataset(store: Store, dataset: DatasetInput) -> pd.DataFrame:
    """A logged dataset version read back at its content (cache, else its unchanged path)."""
    source = _source(dataset)
    where = source.get("path") or source.get("uri")
    label = f"dataset {dataset.name!r} (digest {dataset.digest})"
    if source.get("kind") == "dir":
        raise InvalidInput(f"{label} is a folder; give reference: {{path: FILE}} inside it")
    if not isinstance(where, str) or not where:
        raise InvalidInput(f"{label} does not say where it was read from; give reference: {{path}}")
    table_kind(where)
    content = str(source.get("hash") or "")
    if not content.startswith("blake3:"):
        return read_path(store, where)  # an MLflow-logged source: read where it points
    oid = content.split(":", 1)[1]
    data = _cached(oid)
    if data is None and Path(where).is_file():
        from cairn.objects.hashing import hash_file

        data = Path(where).read_bytes() if hash_file(Path(where))[0] == oid else None
    if data is None:
        raise NotFound(
            f"{label} is neither in the data cache nor unchanged at {where}; run cairn data "
            f"pull, or give reference: {{path: {where}}} to use the file as it is now"
        )
    return read_table(data, where)


def resolve_version(store: Store, spec: MonitorSpec) -> ModelVersion:
    """The registered model version a spec names (its alias or number, else the latest)."""
    registry = store.registry
    ref = spec.model_ref
    if ref is None:
        latest = registry.get_registered_model(spec.model).latest_versions
        if not latest:
            raise NotFound(f"registered model {spec.model!r} has no version yet")
        return max(latest, key=lambda v: v.version)
    if ref.isdigit():
        return registry.get_model_version(spec.model, int(ref))
    return registry.get_model_version_by_alias(spec.model, ref)


def _training_input(store: Store, version: ModelVersion) -> DatasetInput:
    label = f"model {version.name} version {version.version}"
    fix = "give reference: {path: ...} or reference: {dataset: NAME}"
    if not version.run_id:
        raise NotFound(f"{label} has no source run, so no training data; {fix}")
    datasets = store.run_io.get_run_io(version.run_id).datasets
    if not datasets:
        raise NotFound(f"{label} was trained on no logged dataset; {fix}")
    training = [d for d in datasets if d.tags.get(CONTEXT_TAG) == "training"]
    if len(training) == 1 or len(datasets) == 1:
        return (training or datasets)[0]
    names = ", ".join(sorted({d.name for d in (training or datasets)}))
    raise InvalidInput(f"{label}'s run read several datasets ({names}); {fix}")


def _logged_dataset(store: Store, name: str, digest: str | None) -> DatasetInput:
    versions = store.datasets.get_dataset(name)
    if digest is None:
        return versions[0].dataset
    found = [v for v in versions if v.digest.startswith(digest) or digest.startswith(v.digest)]
    if not found:
        known = ", ".join(v.digest[:12] for v in versions)
        raise NotFound(f"dataset {name!r} has no version with digest {digest} (has: {known})")
    return found[0].dataset


def logged_reference(
    store: Store, spec: MonitorSpec, version: ModelVersion | None
) -> tuple[str, str] | None:
    """``(name, digest)`` of the logged dataset version the reference resolves to (None for
    a path, or a version-less spec whose model has no version)."""
    reference = spec.reference
    if reference.path is not None:
        return None
    if reference.dataset is not None:
        found = _logged_dataset(store, reference.dataset, reference.digest)
    else:
        found = _training_input(store, version or resolve_version(store, spec))
    return found.name, found.digest


def load_reference_frame(
    store: Store, spec: MonitorSpec, *, version: ModelVersion | None = None
) -> pd.DataFrame:
    """The reference data of ``spec`` (see the module docstring); ``version`` is the model
    version whose training data is the default (resolved from the spec when None)."""
    reference = spec.reference
    try:
        if reference.path is not None:
            return read_path(store, reference.path)
        if reference.dataset is not None:
            dataset = _logged_dataset(store, reference.dataset, reference.digest)
            return read_dataset(store, dataset)
        version = version or resolve_version(store, spec)
        return read_dataset(store, _training_input(store, version))
    except CairnError:
        raise
    except OSError as exc:
        raise InvalidInput(
            f"the reference of monitor {spec.name!r} cannot be read: {exc}"
        ) from None
