"""``cairn.lightgbm``: LightGBM models in LightGBM's own text format (``model.txt``).

A ``lightgbm.Booster`` is stored as is. For the scikit-learn wrappers (``LGBMClassifier``,
``LGBMRegressor`` ...) the fitted booster is stored, with the wrapper's class and, for a
classifier, its labels in ``MLmodel``: :func:`load_model` returns the native Booster, and the
``python_function`` flavor predicts like the wrapper did (labels for a classifier). Nothing in
the folder is a pickle.
"""

from __future__ import annotations

import os
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

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "lightgbm"
_FILE = "model.txt"


def save_model(
    lgb_model: Any,
    path: str | os.PathLike[str],
    *,
    signature: Signature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    mlmodel: Model | None = None,
) -> Model:
    """Save a trained Booster or fitted LightGBM scikit-learn estimator into a new folder."""
    lgb = require_library("lightgbm", "lightgbm")
    booster = _booster(lgb, lgb_model)
    cls = type(lgb_model)
    classes = getattr(lgb_model, "classes_", None) if isinstance(lgb_model, lgb.LGBMModel) else None

    def write(folder: Path) -> dict[str, Any]:
        booster.save_model(str(folder / _FILE))
        conf: dict[str, Any] = {
            "lgb_version": lgb.__version__,
            "data": _FILE,
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
        }
        if classes is not None:
            conf["classes"] = [c.item() if hasattr(c, "item") else c for c in classes]
        return conf

    return save_flavor(
        path,
        flavor=FLAVOR_NAME,
        write=write,
        loader_module="cairn.lightgbm",
        data=_FILE,
        packages=["lightgbm"],
        predict=lambda folder: lgb_model.predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        mlmodel=mlmodel,
    )


def log_model(
    lgb_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save ``lgb_model`` (see :func:`save_model`) and log it to the active run."""
    _booster(require_library("lightgbm", "lightgbm"), lgb_model)
    return log_flavor(
        save_model, artifact_path, name, registered_model_name, lgb_model=lgb_model, **kwargs
    )


def load_model(
    model_uri: str | os.PathLike[str], *, dst_path: str | os.PathLike[str] | None = None
) -> Any:
    """The ``lightgbm.Booster`` stored at ``model_uri``."""
    folder, conf = flavor_folder(model_uri, FLAVOR_NAME, dst_path)
    return _load(data_file(folder, conf, "data", _FILE))


def _load_pyfunc(data_path: str) -> Any:
    """The ``python_function`` loader: labels for classifiers, the booster's output otherwise."""
    from cairn.models.model import Model

    target = Path(data_path)
    conf = Model.load(target.parent).flavors.get(FLAVOR_NAME, {})
    return _LGBPredictor(_load(target), conf.get("classes"))


class _LGBPredictor:
    """Predicts like the scikit-learn wrapper: probabilities become labels for classifiers."""

    def __init__(self, booster: Any, classes: list[Any] | None) -> None:
        self.python_model = booster
        self.classes = classes

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np

        output = self.python_model.predict(data)
        if not self.classes:
            return output
        classes = np.asarray(self.classes)
        if output.ndim == 1:
            return classes[(output > 0.5).astype(int)]
        return classes[np.argmax(output, axis=1)]


def _booster(lgb: Any, lgb_model: Any) -> Any:
    if isinstance(lgb_model, lgb.Booster):
        return lgb_model
    if isinstance(lgb_model, lgb.LGBMModel):
        if not getattr(lgb_model, "fitted_", False):
            raise InvalidInput(
                f"{type(lgb_model).__name__} is not fitted; call fit() before saving it"
            )
        return lgb_model.booster_
    raise InvalidInput(
        "lgb_model must be a lightgbm.Booster or a LightGBM scikit-learn estimator, "
        f"got {type(lgb_model).__name__}"
    )


def _load(target: Path) -> Any:
    lgb = require_library("lightgbm", "lightgbm")
    try:
        return lgb.Booster(model_file=str(target))
    except lgb.basic.LightGBMError as exc:
        raise InvalidInput(
            f"model file {target.name} is not a readable LightGBM model: {first_line(exc)}"
        ) from exc
