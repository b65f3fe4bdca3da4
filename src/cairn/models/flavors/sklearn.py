"""``cairn.sklearn``: scikit-learn models, stored with skops by default.

skops files hold no code: loading one only builds objects of types skops trusts (scikit-learn's
estimators, numpy, scipy) plus the other classes scikit-learn defines (its tree and KD-tree
structures, distance metrics). Any other type or function in the file is refused with its name
unless the caller trusts it (``trusted=True``, or a list of type names). ``serialization="pickle"`` (also how
MLflow stores sklearn models) runs code from the file when it is loaded, so it is written only
with ``trusted=True`` and loaded only with ``load_model(uri, trusted=True)``.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput
from cairn.models.flavors._base import (
    data_file,
    first_line,
    flavor_folder,
    log_flavor,
    require_library,
    save_flavor,
)

if TYPE_CHECKING:
    from cairn.models.info import ModelInfo
    from cairn.models.model import Model
    from cairn.models.signature import Signature

__all__ = ["FLAVOR_NAME", "autolog", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
SERIALIZATIONS = ("skops", "pickle", "cloudpickle")
_FILES = {"skops": "model.skops", "pickle": "model.pkl", "cloudpickle": "model.pkl"}
Trusted = bool | Sequence[str]
PREDICT_FNS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "score_samples",
)


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    *,
    serialization: str = "skops",
    trusted: bool = False,
    pyfunc_predict_fn: str = "predict",
    signature: Signature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    mlmodel: Model | None = None,
) -> Model:
    """Save a fitted scikit-learn estimator (or any object with ``predict``) into a new model
    folder at ``path``. ``serialization="pickle"`` needs ``trusted=True``;
    ``pyfunc_predict_fn`` names the method the ``python_function`` flavor calls."""
    if pyfunc_predict_fn not in PREDICT_FNS:
        raise InvalidInput(
            f"pyfunc_predict_fn {pyfunc_predict_fn!r} is not one of {', '.join(PREDICT_FNS)}"
        )
    _check_model(sk_model, pyfunc_predict_fn)
    if serialization not in SERIALIZATIONS:
        raise InvalidInput(
            f"serialization {serialization!r} is not supported; use one of {', '.join(SERIALIZATIONS)}"
        )
    if serialization != "skops" and trusted is not True:
        raise InvalidInput(
            f"serialization={serialization!r} stores a pickle that runs code when loaded; "
            "pass trusted=True to write it (or keep the default serialization='skops')"
        )
    sklearn = require_library("sklearn", "sklearn")
    packages = ["scikit-learn", "skops" if serialization == "skops" else "cloudpickle"]

    def write(folder: Path) -> dict[str, Any]:
        target = folder / _FILES[serialization]
        _dump(sk_model, target, serialization)
        conf = {
            "pickled_model": target.name,
            "sklearn_version": sklearn.__version__,
            "serialization_format": serialization,
            "code": None,
        }
        if serialization == "skops":
            conf["skops_version"] = require_library("skops", "sklearn").__version__
        return conf

    return save_flavor(
        path,
        flavor=FLAVOR_NAME,
        write=write,
        loader_module="cairn.sklearn",
        data=_FILES[serialization],
        packages=packages,
        predict=lambda folder: getattr(sk_model, pyfunc_predict_fn),
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        mlmodel=mlmodel,
        pyfunc_conf={"predict_fn": pyfunc_predict_fn},
    )


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save ``sk_model`` (see :func:`save_model`) and log it to the active run."""
    _check_model(sk_model, kwargs.get("pyfunc_predict_fn", "predict"))
    return log_flavor(
        save_model, artifact_path, name, registered_model_name, sk_model=sk_model, **kwargs
    )


def load_model(
    model_uri: str | os.PathLike[str],
    *,
    trusted: Trusted = False,
    dst_path: str | os.PathLike[str] | None = None,
) -> Any:
    """The fitted estimator stored at ``model_uri`` (a path, ``runs:/``, ``models:/`` ...).

    ``trusted``: ``True`` to load any type in a skops file and to allow pickles, or a list of
    extra type names to allow in a skops file."""
    folder, conf = flavor_folder(model_uri, FLAVOR_NAME, dst_path)
    target = data_file(folder, conf, "pickled_model", "model.pkl")
    return _load(target, str(conf.get("serialization_format") or "cloudpickle"), trusted)


def _load_pyfunc(data_path: str, trusted: Trusted = False) -> Any:
    """The ``python_function`` loader: the estimator, whose ``predict`` takes a DataFrame."""
    from cairn.models.model import MLMODEL_FILE, Model

    target = Path(data_path)
    fmt = "skops" if target.suffix == ".skops" else "pickle"
    conf = {}
    if (target.parent / MLMODEL_FILE).is_file():
        conf = Model.load(target.parent).flavors.get("python_function", {})
    predict_fn = str(conf.get("predict_fn") or "predict")
    if predict_fn not in PREDICT_FNS:
        raise InvalidInput(f"predict_fn {predict_fn!r} is not one of {', '.join(PREDICT_FNS)}")
    return _SklearnPredictor(_load(target, fmt, trusted), predict_fn)


class _SklearnPredictor:
    """Adapts an estimator to ``predict(data, params=None)``."""

    def __init__(self, model: Any, predict_fn: str = "predict") -> None:
        self.python_model = model
        self.predict_fn = predict_fn

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return getattr(self.python_model, self.predict_fn)(data)


def _check_model(sk_model: Any, predict_fn: str) -> None:
    if not callable(getattr(sk_model, predict_fn, None)):
        raise InvalidInput(
            f"sk_model must be a fitted scikit-learn estimator with a {predict_fn}() method, "
            f"got {type(sk_model).__name__}"
        )


def _dump(sk_model: Any, target: Path, serialization: str) -> None:
    if serialization == "skops":
        sio = require_library("skops.io", "sklearn")
        try:
            sio.dump(sk_model, target)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(
                f"skops cannot store a {type(sk_model).__name__}: {first_line(exc)}; "
                "pass serialization='pickle', trusted=True if you must"
            ) from exc
        return
    cloudpickle = require_library("cloudpickle", "sklearn")
    with target.open("wb") as handle:
        cloudpickle.dump(sk_model, handle)


def _load(target: Path, fmt: str, trusted: Trusted) -> Any:
    if fmt == "skops":
        return _load_skops(target, trusted)
    if trusted is not True:
        raise InvalidInput(
            f"model file {target.name} is a pickle ({fmt}): loading it runs code from the file; "
            "pass trusted=True to load_model if you trust where it came from"
        )
    with target.open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 (the caller said trusted=True)


def _load_skops(target: Path, trusted: Trusted) -> Any:
    sio = require_library("skops.io", "sklearn")
    try:
        untrusted = list(sio.get_untrusted_types(file=target))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InvalidInput(
            f"model file {target.name} is not a readable skops file: {first_line(exc)}"
        ) from exc
    allowed = (
        set(untrusted) if trusted is True else set(trusted or ()) | _sklearn_classes(untrusted)
    )
    refused = [name for name in untrusted if name not in allowed]
    if refused:
        raise InvalidInput(
            f"model file {target.name} holds types skops does not trust: {', '.join(refused)}; "
            "pass trusted=[...those names...] (or trusted=True) if you trust where it came from"
        )
    return sio.load(target, trusted=untrusted)


def _sklearn_classes(names: list[str]) -> set[str]:
    """The names that are classes defined by scikit-learn itself (its trees, KD-trees, distance
    metrics ...): skops does not list them as trusted, cairn does. Functions are not included."""
    from importlib import import_module

    found = set()
    for name in names:
        module, _, attr = name.rpartition(".")
        if module.split(".")[0] != "sklearn":
            continue
        try:
            value = getattr(import_module(module), attr, None)
        except ImportError:
            continue
        if isinstance(value, type):
            found.add(name)
    return found


def autolog(
    disable: bool = False,
    *,
    log_models: bool = True,
    max_tuning_runs: int | None = None,
) -> None:
    """Log params, training metrics and the fitted model of every scikit-learn ``fit``;
    ``autolog(disable=True)`` turns it off. See :mod:`cairn.models.autolog`."""
    from cairn.models.autolog import autolog as _autolog

    _autolog(disable=disable, log_models=log_models, max_tuning_runs=max_tuning_runs)
