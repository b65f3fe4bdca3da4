"""Define monitors: parse the spec, resolve the model version and its features, summarise
the reference once and store it all (``store.monitors``).

``create_monitor("monitor.yaml")``, ``create_monitor({...})`` or
``create_monitor(MonitorSpec(...), reference=frame)``. Features left out of the spec come
from the model version's signature (double, float, long, integer -> numeric; string,
boolean -> categorical; other types are not monitored). A reference left out of the spec is
the dataset the version was trained on, and the stored spec records which dataset version
that was (``reference: {dataset, digest}``), so the monitor's lineage is explicit. Any
failure (unknown model, feature missing from the reference, bad spec) stores nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from cairn.errors import AlreadyExists, CairnError, InvalidInput, NotFound
from cairn.monitoring.reference_data import load_reference_frame, resolve_version
from cairn.monitoring.spec import ColumnSpec, MonitorSpec, ReferenceSpec
from cairn.monitoring.spec_parse import check_columns, load_spec_file, parse_spec

if TYPE_CHECKING:
    import pandas as pd

    from cairn.entities import ModelVersion, Monitor
    from cairn.models.signature import Signature
    from cairn.monitoring.reference import ReferenceSummary
    from cairn.store.base import Store

log = logging.getLogger("cairn.monitoring")

__all__ = [
    "create_monitor",
    "delete_monitor",
    "get_reference_summary",
    "get_spec",
    "signature_features",
    "update_monitor",
]

SpecLike = MonitorSpec | Mapping[str, Any] | str | os.PathLike[str]
_NUMERIC = {"double", "float", "long", "integer"}
_CATEGORICAL = {"string", "boolean"}
_MAX_MLMODEL = 1024 * 1024


def store_or_default(store: Store | None) -> Store:
    """``store``, else the current tracking store (``CairnClient().store``)."""
    if store is not None:
        return store
    from cairn.tracking.client import CairnClient

    return CairnClient().store


def _as_spec(spec: SpecLike) -> MonitorSpec:
    if isinstance(spec, MonitorSpec):
        check_columns(spec, f"monitor {spec.name}")
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(spec)
    if isinstance(spec, (str, os.PathLike)):
        return load_spec_file(spec)
    raise InvalidInput(
        f"a monitor spec is a MonitorSpec, a mapping or a YAML file path, got {type(spec).__name__}"
    )


def read_signature(store: Store, version: ModelVersion) -> Signature | None:
    """The signature in the ``MLmodel`` of a version's files (None when logged without)."""
    from cairn.artifacts import open_artifact_store
    from cairn.models.model import Model
    from cairn.models.uris import locate_model

    uri, _ = locate_model(f"models:/{version.name}/{version.version}", store)
    try:
        if uri.startswith("runs:/"):
            run_id, _, path = uri[len("runs:/") :].partition("/")
            run = store.runs.get_run(run_id)
            files = store.artifact_store(run.info.artifact_uri, run_id)
            raw = files.read_bytes(f"{path.strip('/')}/MLmodel".lstrip("/"))
        else:
            raw = open_artifact_store(uri.removeprefix("file://")).read_bytes("MLmodel")
    except (FileNotFoundError, NotFound) as exc:
        raise NotFound(f"model {version.name} version {version.version} has no MLmodel") from exc
    if len(raw) > _MAX_MLMODEL:
        raise InvalidInput(f"the MLmodel of {version.name} version {version.version} is too big")
    try:
        return Model.from_dict(yaml.safe_load(raw)).signature
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the MLmodel of {version.name}/{version.version}: {exc}") from None


def signature_features(signature: Signature | None, label: str) -> tuple[ColumnSpec, ...]:
    """Monitored features from a signature's named input columns."""
    from cairn.models.signature import ColSpec

    fix = "list them in the spec: features: {age: numeric, plan: categorical}"
    if signature is None or signature.inputs.is_tensor:
        raise InvalidInput(f"{label} has no column signature to take features from; {fix}")
    columns = []
    for col in signature.inputs.inputs:
        if not isinstance(col, ColSpec) or col.name is None:
            continue
        if col.type in _NUMERIC:
            columns.append(ColumnSpec(col.name, "numeric"))
        elif col.type in _CATEGORICAL:
            columns.append(ColumnSpec(col.name, "categorical"))
    if not columns:
        raise InvalidInput(f"{label}'s signature has no numeric or text input columns; {fix}")
    return tuple(columns)


def _resolve(store: Store, spec: MonitorSpec) -> tuple[MonitorSpec, ModelVersion | None]:
    """The spec with features filled in, and the version they came from."""
    try:
        version: ModelVersion | None = resolve_version(store, spec)
    except NotFound:
        if spec.model_ref is not None or not spec.features:
            raise
        store.registry.get_registered_model(spec.model)  # the model itself must exist
        version = None
    if not spec.features:
        assert version is not None  # noqa: S101 - resolve_version raised otherwise
        label = f"model {spec.model} version {version.version}"
        features = signature_features(read_signature(store, version), label)
        taken = {spec.prediction, spec.target, *spec.probabilities.values()}
        spec = dataclasses.replace(spec, features=tuple(c for c in features if c.name not in taken))
    check_columns(spec, f"monitor {spec.name}")
    return spec, version


def _pinned_reference(store: Store, spec: MonitorSpec, version: ModelVersion | None) -> MonitorSpec:
    """Record which logged dataset version the default (or undated) reference resolved to."""
    from cairn.monitoring.reference_data import logged_reference

    found = logged_reference(store, spec, version)
    if found is None:
        return spec
    return dataclasses.replace(spec, reference=ReferenceSpec(dataset=found[0], digest=found[1]))


def _with_predictions(
    store: Store, spec: MonitorSpec, version: ModelVersion | None, frame: pd.DataFrame
) -> pd.DataFrame:
    """The reference with the model version's predictions added when it has none, so the
    prediction's drift and the reference quality (for "drops 5% below the reference" rules)
    can be measured; a model that cannot score it leaves it as it is (logged)."""
    if version is None or spec.prediction in frame.columns:
        return frame
    import numpy as np

    from cairn.models.pyfunc import load_model
    from cairn.models.uris import download_model, locate_model

    inputs = frame.drop(columns=[c for c in (spec.target,) if c in frame.columns])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source, _ = locate_model(f"models:/{version.name}/{version.version}", store)
            predicted = load_model(download_model(source, tmp, store)).predict(inputs)
    except Exception as exc:  # noqa: BLE001 - any model failure: summarise without predictions
        log.warning("monitor %s: model %s/%s could not score the reference: %s",
                    spec.name, version.name, version.version, exc)  # fmt: skip
        return frame
    values = np.asarray(predicted.iloc[:, 0] if hasattr(predicted, "iloc") and getattr(
        predicted, "ndim", 1) == 2 else predicted)  # fmt: skip
    if values.ndim != 1 or len(values) != len(frame):
        return frame
    return frame.assign(**{spec.prediction: values})


def _summary(
    store: Store, spec: MonitorSpec, version: ModelVersion | None, frame: pd.DataFrame | None
) -> tuple[bytes, str]:
    from cairn.monitoring.reference import summarize

    if frame is None:
        frame = load_reference_frame(store, spec, version=version)
    frame = _with_predictions(store, spec, version, frame)
    missing = [name for name in spec.feature_names if name not in frame.columns]
    if missing:
        where = spec.reference.path or spec.reference.dataset or "the given frame"
        raise InvalidInput(
            f"monitor {spec.name}: the reference ({where}) lacks feature(s) "
            f"{', '.join(missing)}; it has {', '.join(map(str, frame.columns))}"
        )
    data = summarize(frame, spec).to_bytes()
    return data, hashlib.sha256(data).hexdigest()


def _json(spec: MonitorSpec) -> dict[str, Any]:
    return json.loads(json.dumps(spec.to_dict()))  # type: ignore[no-any-return]


def create_monitor(
    spec: SpecLike, *, reference: pd.DataFrame | None = None, store: Store | None = None
) -> Monitor:
    """Define and store a monitor (see the module docstring); ``reference`` overrides the
    spec's reference data."""
    store = store_or_default(store)
    parsed = _as_spec(spec)
    if store.monitors.find_monitor(parsed.name) is not None:
        raise AlreadyExists(f"a monitor called {parsed.name!r} exists; update or delete it")
    parsed, version = _resolve(store, parsed)
    if reference is None:
        parsed = _pinned_reference(store, parsed, version)
    data, digest = _summary(store, parsed, version, reference)
    return store.monitors.create_monitor(parsed.name, parsed.model, _json(parsed), data, digest)


_SUMMARY_FIELDS = ("task", "features", "prediction", "target", "probabilities", "segments")


def update_monitor(
    name: str,
    spec: SpecLike | None = None,
    *,
    reference: pd.DataFrame | None = None,
    store: Store | None = None,
) -> Monitor:
    """Replace a monitor's spec and/or reference; the reference is summarised again when
    ``reference`` is given or the spec changes what the summary holds (same name and model)."""
    store = store_or_default(store)
    current = get_spec(store.monitors.get_monitor(name))
    new = current if spec is None else _as_spec(spec)
    if (new.name, new.model) != (current.name, current.model):
        raise InvalidInput(
            f"monitor {name}: the name and model of a monitor cannot change "
            f"(got {new.name!r} for {new.model!r}); create a new monitor instead"
        )
    new, version = _resolve(store, new)
    changed = any(getattr(new, f) != getattr(current, f) for f in _SUMMARY_FIELDS)
    changed = changed or new.reference != current.reference
    if reference is None and not changed:
        return store.monitors.update_monitor(name, spec=_json(new))
    if reference is None and new.reference != current.reference:
        new = _pinned_reference(store, new, version)
    data, digest = _summary(store, new, version, reference)
    return store.monitors.update_monitor(
        name, spec=_json(new), reference=data, reference_digest=digest
    )


def delete_monitor(name: str, store: Store | None = None) -> None:
    """Remove a monitor with its data, windows and alerts."""
    store_or_default(store).monitors.delete_monitor(name)


def get_spec(monitor: Monitor) -> MonitorSpec:
    """The parsed spec of a stored monitor."""
    try:
        return parse_spec(monitor.spec, source=f"monitor {monitor.name}")
    except CairnError as exc:
        raise InvalidInput(f"the stored spec is no longer valid: {exc}") from exc


def get_reference_summary(name: str, store: Store | None = None) -> ReferenceSummary:
    """The reference summary a monitor compares its windows against."""
    from cairn.monitoring.reference import ReferenceSummary

    return ReferenceSummary.from_bytes(store_or_default(store).monitors.get_reference(name))
