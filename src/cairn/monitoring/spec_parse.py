"""Build a :class:`~cairn.monitoring.spec.MonitorSpec` from a mapping or a ``monitor.yaml``.

The YAML form (every key but ``name``, ``model`` and ``task`` is optional)::

    name: churn-monitor
    model: churn            # a registered model
    version: champion       # an alias or a version number (default: any version)
    task: classification    # or regression
    description: churn model in production
    features: {age: numeric, plan: categorical}   # default: the model version's signature
    prediction: prediction  # the column holding the model's output
    target: churned         # the column holding the ground truth
    probabilities: {"1": proba_1}                  # class label -> probability column
    reference: {path: data/train.parquet}          # or {dataset: train, digest: 3f2a...};
                                                   # default: the data the version trained on
    window: {count: 1000}                          # or {time: 1d} (s, m, h, d, w)
    segments: [region]
    drift: {method: auto, threshold: null, columns: {age: {method: psi, threshold: 0.2}}}
    rules:
      - name: f1-decay
        when: f1 < 0.8 for 2 windows
        actions:
          - {webhook: http://127.0.0.1:9000/hook, timeout: 5}
          - {command: "echo retrain"}
          - {pipeline: ., stages: [train]}

The stored form (``MonitorSpec.to_dict``: ``model_ref``, ``window: {kind, size}``, rules with
``expr`` and actions with ``kind``/``target``/``options``) is accepted too, so a spec read
back from the store parses to the same spec. Every problem raises one InvalidInput naming
the source and the field, e.g. ``monitor.yaml: rules[0].when: ...``; unknown keys are
refused with the list of known ones.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from cairn.errors import InvalidInput, NotFound, did_you_mean
from cairn.monitoring.spec import (
    ColumnSpec,
    DriftSpec,
    MonitorSpec,
    ReferenceSpec,
    WindowSpec,
)
from cairn.monitoring.spec_fields import DRIFT_METHODS, FieldReader, parse_rules

__all__ = ["DRIFT_METHODS", "load_spec_file", "parse_duration", "parse_spec"]

KINDS = ("numeric", "categorical")
TASKS = ("classification", "regression")
_KEYS = (
    "name", "model", "version", "model_ref", "task", "description", "features", "prediction",
    "target", "probabilities", "reference", "window", "segments", "drift", "rules",
)  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_duration(text: str) -> int:
    """``"15m"``, ``"1h"``, ``"1d"``... in milliseconds; ValueError otherwise."""
    found = _DURATION.match(text) if isinstance(text, str) else None
    if found is None or int(found.group(1)) <= 0:
        raise ValueError(text)
    return int(found.group(1)) * _UNIT_MS[found.group(2)]


def _features(r: FieldReader, value: Any) -> tuple[ColumnSpec, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items = [(k, v, f"features.{k}") for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = []
        for i, item in enumerate(value):
            entry = r.keys(item, f"features[{i}]", ("name", "kind"))
            items.append((entry.get("name"), entry.get("kind"), f"features[{i}]"))
    else:
        raise r.fail("features", f"must map column names to numeric/categorical, got {value!r}")
    columns = []
    for name, kind, field in items:
        r.text(name, field)
        if kind not in KINDS:
            raise r.fail(field, f"must be numeric or categorical, got {kind!r}")
        columns.append(ColumnSpec(name, kind))
    if len({c.name for c in columns}) != len(columns):
        raise r.fail("features", "lists a column twice")
    return tuple(columns)


def _model_ref(r: FieldReader, data: Mapping[str, Any]) -> str | None:
    if "version" in data and "model_ref" in data:
        raise r.fail("version", "and model_ref say the same thing; give only version")
    field = "version" if "version" in data else "model_ref"
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise r.fail(field, f"must be a version number >= 1 or an alias, got {value}")
        return str(value)
    return r.text(value, field)


def _reference(r: FieldReader, value: Any) -> ReferenceSpec:
    if value is None:
        return ReferenceSpec()
    if isinstance(value, str):
        return ReferenceSpec(path=r.text(value, "reference"))
    data = r.keys(value, "reference", ("path", "dataset", "digest"))
    path, dataset, digest = data.get("path"), data.get("dataset"), data.get("digest")
    if path is not None and (dataset is not None or digest is not None):
        raise r.fail("reference", "takes either path or dataset (with digest), not both")
    if digest is not None and dataset is None:
        raise r.fail("reference.digest", "needs reference.dataset (the dataset's name)")
    return ReferenceSpec(
        path=None if path is None else r.text(path, "reference.path"),
        dataset=None if dataset is None else r.text(dataset, "reference.dataset"),
        digest=None if digest is None else r.text(digest, "reference.digest"),
    )


def _window(r: FieldReader, value: Any) -> WindowSpec:
    if value is None:
        return WindowSpec()
    data = r.keys(value, "window", ("count", "time", "kind", "size"))
    given = [k for k in ("count", "time", "kind") if k in data]
    if len(given) != 1 or ("size" in data) != ("kind" in data):
        raise r.fail(
            "window", f"must be {{count: N}}, {{time: 1d}} or {{kind, size}}, got {value!r}"
        )
    kind = data["kind"] if "kind" in data else given[0]
    if kind not in ("count", "time"):
        raise r.fail("window.kind", f"must be count or time, got {kind!r}")
    field = "window.size" if "size" in data else f"window.{kind}"
    size = data["size"] if "size" in data else data[kind]
    if kind == "time" and isinstance(size, str):
        try:
            return WindowSpec("time", parse_duration(size))
        except ValueError:
            pass
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        shape = " or a duration like 1h" if kind == "time" else ""
        raise r.fail(field, f"must be a positive integer{shape}, got {size!r}")
    return WindowSpec("time" if kind == "time" else "count", size)


def _drift(r: FieldReader, value: Any) -> DriftSpec:
    if value is None:
        return DriftSpec()
    data = r.keys(value, "drift", ("method", "threshold", "columns"))
    columns: dict[str, dict[str, Any]] = {}
    raw = data.get("columns") or {}
    if not isinstance(raw, Mapping):
        raise r.fail("drift.columns", f"must map column names to settings, got {raw!r}")
    for name, settings in raw.items():
        field = f"drift.columns.{name}"
        entry = r.keys(settings, field, ("method", "threshold"))
        columns[r.text(name, field)] = {
            "method": r.method(entry.get("method", "auto"), f"{field}.method"),
            "threshold": r.threshold(entry.get("threshold"), f"{field}.threshold"),
        }
    return DriftSpec(
        method=r.method(data.get("method", "auto"), "drift.method"),
        threshold=r.threshold(data.get("threshold"), "drift.threshold"),
        columns=columns,
    )


def _probabilities(r: FieldReader, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise r.fail("probabilities", f"must map class labels to columns, got {value!r}")
    return {str(k): r.text(v, f"probabilities.{k}") for k, v in value.items()}


def check_columns(spec: MonitorSpec, source: str = "monitor spec") -> None:
    """Cross-field checks once the features are known: no column plays two roles, drift
    settings name features."""
    r = FieldReader(source)
    roles: dict[str, str] = {}
    named = [(c.name, f"features.{c.name}") for c in spec.features]
    named += [(spec.prediction, "prediction"), (spec.target, "target")]
    named += [(col, f"probabilities.{label}") for label, col in spec.probabilities.items()]
    for name, field in named:
        if name in roles:
            raise r.fail(field, f"names column {name!r}, already used by {roles[name]}")
        roles[name] = field
    if spec.features:
        for name in spec.drift.columns:
            if name not in roles or not roles[name].startswith("features."):
                hint = did_you_mean(name, spec.feature_names)
                raise r.fail(f"drift.columns.{name}", f"is not a monitored feature{hint}")


def parse_spec(data: Mapping[str, Any], *, source: str = "monitor spec") -> MonitorSpec:
    """A validated spec from ``data``; InvalidInput names ``source`` and the bad field."""
    r = FieldReader(source)
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{source}: must be a mapping (name, model, task, ...)")
    data = r.keys(data, "", _KEYS)
    task = data.get("task")
    if task not in TASKS:
        raise r.fail("task", f"must be classification or regression, got {task!r}")
    spec = MonitorSpec(
        name=r.text(data.get("name"), "name", name=True),
        model=r.text(data.get("model"), "model"),
        task=task,
        features=_features(r, data.get("features")),
        model_ref=_model_ref(r, data),
        prediction=r.text(data.get("prediction", "prediction"), "prediction"),
        target=r.text(data.get("target", "target"), "target"),
        probabilities=_probabilities(r, data.get("probabilities")),
        reference=_reference(r, data.get("reference")),
        window=_window(r, data.get("window")),
        segments=r.names(data.get("segments") or (), "segments"),
        drift=_drift(r, data.get("drift")),
        rules=parse_rules(r, data.get("rules")),
        description=None if data.get("description") is None else str(data["description"]),
    )
    check_columns(spec, source)
    return spec


def load_spec_file(path: str | os.PathLike[str]) -> MonitorSpec:
    """The spec in a YAML file; InvalidInput names the file and the field."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no monitor spec at {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file}: cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{file.name}: is not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{file.name}: must hold a mapping (name, model, task, ...)")
    return parse_spec(data, source=file.name)
