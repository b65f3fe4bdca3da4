"""``cairn online run CONFIG.yaml``: build a trainer and its folder source from a YAML file.

::

    model_name: churn-online            # the registered model the checkpoints go to
    model: models:/churn@champion       # a model URI (scikit-learn flavor) ...
    # model: {estimator: sklearn.linear_model.SGDClassifier, params: {random_state: 0}}
    classes: [0, 1]                     # classifiers: every label the stream may carry
    features: [tenure, spend]           # optional (else the model's or the first batch's)
    source:
      folder: feedback/                 # where files arrive (e.g. cairn models serve --feedback-dir)
      pattern: "*.jsonl|*.csv"
      label_column: label
      source_column: source
      poll: 1.0
      stop_when_idle: 60                # seconds without a file before the run ends (optional)
    holdout: data/holdout.csv           # optional trusted rows (with the label column)
    checkpoint_every: 10
    alias: online
    experiment: online
    max_batches: 1000                   # optional
    guard: {...}                        # optional: cairn.online.guard.guard_from_config's form

Relative paths are read from the config file's folder. Estimators are built from their class
name (scikit-learn or River only) and parameters: nothing is unpickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput, did_you_mean
from cairn.online.sources import FolderSource
from cairn.online.trainer import OnlineTrainer

__all__ = ["OnlineJob", "load_job"]

_KEYS = (
    "model_name",
    "model",
    "classes",
    "features",
    "source",
    "holdout",
    "checkpoint_every",
    "alias",
    "experiment",
    "max_batches",
    "guard",
)
_SOURCE_KEYS = ("folder", "pattern", "label_column", "source_column", "poll", "stop_when_idle")
_ESTIMATOR_ROOTS = ("sklearn", "river")


@dataclass
class OnlineJob:
    """A trainer, the folder it reads and how many batches to read at most."""

    trainer: OnlineTrainer
    source: FolderSource
    max_batches: int | None


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"online config: {field} {message}")


def _known(data: Any, field: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(field or "the file", f"must be a mapping, got {type(data).__name__}")
    for key in data:
        if key not in keys:
            raise _fail(
                f"{field}.{key}" if field else str(key), f"is unknown{did_you_mean(str(key), keys)}"
            )
    return data


def _path(base: Path, value: Any, field: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, f"must be a path, got {value!r}")
    found = Path(value).expanduser()
    return found if found.is_absolute() else base / found


def _estimator(spec: Mapping[str, Any]) -> Any:
    spec = _known(spec, "model", ("estimator", "params"))
    dotted = spec.get("estimator")
    if not isinstance(dotted, str) or "." not in dotted:
        raise _fail(
            "model.estimator",
            f"must be a class path such as sklearn.linear_model.SGDClassifier, got {dotted!r}",
        )
    if dotted.split(".")[0] not in _ESTIMATOR_ROOTS:
        raise _fail("model.estimator", f"must be a scikit-learn or River class, got {dotted!r}")
    module_name, _, class_name = dotted.rpartition(".")
    try:
        cls = getattr(import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise _fail("model.estimator", f"{dotted!r} cannot be imported: {exc}") from exc
    params = spec.get("params") or {}
    if not isinstance(params, Mapping):
        raise _fail("model.params", f"must be a mapping, got {params!r}")
    if not isinstance(cls, type):
        raise _fail("model.estimator", f"{dotted!r} is not a class")
    try:
        return cls(**params)
    except TypeError as exc:
        raise _fail("model.params", f"do not fit {class_name}: {exc}") from exc


def _holdout(path: Path, label: str) -> tuple[Any, Any]:
    import pandas as pd

    if not path.is_file():
        raise _fail("holdout", f"file {path} does not exist")
    table = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    if label not in table.columns:
        raise _fail("holdout", f"file {path} has no label column {label!r}")
    return table.drop(columns=[label]), table[label].to_numpy()


def load_job(path: str | Path, *, tracking_uri: str | None = None) -> OnlineJob:
    """The job described by the YAML file at ``path`` (InvalidInput naming a bad field)."""
    import yaml

    config_path = Path(path)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"online config {path}: cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"online config {path}: not valid YAML: {exc}") from exc
    data = _known(data, "", _KEYS)
    base = config_path.resolve().parent
    for key in ("model_name", "model", "source"):
        if key not in data:
            raise _fail(key, "is required")
    source_conf = dict(_known(data["source"], "source", _SOURCE_KEYS))
    if "folder" not in source_conf:
        raise _fail("source.folder", "is required (the folder files arrive in)")
    source_conf["path"] = _path(base, source_conf.pop("folder"), "source.folder")
    source = FolderSource(**source_conf)
    model_spec = data["model"]
    if isinstance(model_spec, str):
        from cairn.online.checkpoints import load_estimator
        from cairn.tracking.client import CairnClient

        model = load_estimator(CairnClient(tracking_uri), model_spec)
    else:
        model = _estimator(model_spec)
    holdout = None
    if data.get("holdout") is not None:
        holdout = _holdout(_path(base, data["holdout"], "holdout"), source.label_column)
    guard = None
    if data.get("guard") is not None:
        guard = _guard(data["guard"], base, model)
    max_batches = data.get("max_batches")
    if max_batches is not None and (not isinstance(max_batches, int) or max_batches < 1):
        raise _fail("max_batches", f"must be a whole number >= 1, got {max_batches!r}")
    trainer = OnlineTrainer(
        model,
        model_name=data["model_name"],
        classes=data.get("classes"),
        features=data.get("features"),
        guard=guard,
        holdout=holdout,
        checkpoint_every=data.get("checkpoint_every", 10),
        alias=data.get("alias", "online"),
        experiment=data.get("experiment", "online"),
        tracking_uri=tracking_uri,
    )
    return OnlineJob(trainer, source, max_batches)


def _guard(conf: Any, base: Path, model: Any) -> Any:
    from cairn.online.guard import guard_from_config
    from cairn.online.learners import is_fitted

    if not isinstance(conf, Mapping):
        raise _fail("guard", f"must be a mapping, got {type(conf).__name__}")
    resolved = dict(conf)
    for key in ("reference", "holdout"):
        if isinstance(resolved.get(key), str):
            resolved[key] = str(_path(base, resolved[key], f"guard.{key}"))
    trusted = model if is_fitted(model) else None
    return guard_from_config(resolved, trusted_model=trusted)
