"""Loading model folders written by MLflow: their ``python_function`` loader modules are
mapped to cairn's own loaders, so ``mlflow`` need not be installed for sklearn folders.

MLflow's sklearn flavor stores an estimator as skops (MLflow 3's default), pickle or
cloudpickle. A skops file loads when every type in it is trusted (skops' defaults plus the
folder's ``skops_trusted_types``); a pickle runs code from the file when loaded, so it loads
only with ``trusted=True`` — and so does a skops file holding other types.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.models.model import Model

__all__ = ["MLFLOW_LOADERS", "load_mlflow_sklearn", "resolve_loader"]


class _EstimatorPredictor:
    """A loaded estimator behind ``predict(data)`` (or the method MLflow's ``predict_fn`` names)."""

    def __init__(self, estimator: Any, predict_fn: str = "predict"):
        self.python_model = estimator
        method = getattr(estimator, predict_fn, None)
        if method is None:
            raise InvalidInput(f"the estimator has no method {predict_fn!r}")
        self._predict = method

    def predict(self, data: Any) -> Any:
        return self._predict(data)


def _load_skops(path: Path, declared: list[str], trusted: bool) -> Any:
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unknown = [t for t in untrusted if t not in set(declared)]
    if unknown and not trusted:
        raise InvalidInput(
            f"{path.name} holds types skops does not trust ({', '.join(unknown[:5])}); "
            "load it only if you trust its source: pass trusted=True"
        )
    return sio.load(path, trusted=untrusted)


def load_mlflow_sklearn(folder: Path, model: Model, trusted: bool = False) -> _EstimatorPredictor:
    """The estimator of an MLflow sklearn folder (skops, pickle or cloudpickle)."""
    conf = model.flavors.get("sklearn") or {}
    pyfunc_conf = model.flavors.get("python_function") or {}
    name = conf.get("pickled_model") or pyfunc_conf.get("model_path") or pyfunc_conf.get("data")
    if not name:
        raise InvalidInput(f"MLflow sklearn folder {folder} does not name its model file")
    path = folder / str(name)
    if not path.is_file():
        raise InvalidInput(f"MLflow sklearn model file {path} is missing")
    fmt = str(conf.get("serialization_format") or "cloudpickle")
    if fmt == "skops":
        estimator = _load_skops(path, list(conf.get("skops_trusted_types") or []), trusted)
    elif fmt in ("pickle", "cloudpickle"):
        if not trusted:
            raise InvalidInput(
                f"{path.name} is a {fmt} file written by MLflow; unpickling runs code from the "
                "file, so load it only if you trust its source: pass trusted=True"
            )
        import cloudpickle

        with path.open("rb") as handle:
            estimator = cloudpickle.load(handle)
    else:
        raise InvalidInput(
            f"MLflow sklearn serialization {fmt!r} is not one of skops, pickle, cloudpickle"
        )
    return _EstimatorPredictor(estimator, str(pyfunc_conf.get("predict_fn") or "predict"))


#: MLflow loader modules cairn loads itself: ``fn(folder, model, trusted)``.
MLFLOW_LOADERS: dict[str, Callable[[Path, Model, bool], Any]] = {
    "mlflow.sklearn": load_mlflow_sklearn
}


def resolve_loader(loader_module: str) -> Callable[..., Any]:
    """The ``_load_pyfunc(data_path)`` function of a (non-MLflow) loader module."""
    if loader_module.startswith("mlflow."):
        supported = ", ".join([*MLFLOW_LOADERS, "mlflow.pyfunc.model"])
        raise InvalidInput(
            f"model uses MLflow's loader {loader_module!r}, which cairn cannot load (supported: {supported})"
        )
    try:
        module = import_module(loader_module)
    except ImportError as exc:
        raise InvalidInput(
            f"model's loader module {loader_module!r} cannot be imported: {exc}"
        ) from exc
    loader = getattr(module, "_load_pyfunc", None)
    if loader is None:
        raise InvalidInput(f"loader module {loader_module!r} has no _load_pyfunc")
    return loader  # type: ignore[no-any-return]
