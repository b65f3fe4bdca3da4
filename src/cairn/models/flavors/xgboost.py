"""``cairn.xgboost``: XGBoost models in XGBoost's own binary format (``model.ubj``).

Both a ``xgboost.Booster`` and the scikit-learn wrappers (``XGBClassifier``, ``XGBRegressor``
...) are stored with ``save_model`` and come back as the same class: only classes defined by
xgboost itself are rebuilt, so the file never names code to import.
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

FLAVOR_NAME = "xgboost"
FORMATS = ("ubj", "json")


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    *,
    model_format: str = "ubj",
    signature: Signature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    mlmodel: Model | None = None,
) -> Model:
    """Save a trained Booster or XGBoost scikit-learn estimator into a new folder at ``path``."""
    xgb = require_library("xgboost", "xgboost")
    _check_model(xgb, xgb_model)
    if model_format not in FORMATS:
        raise InvalidInput(
            f"model_format {model_format!r} is not supported; use one of {', '.join(FORMATS)}"
        )
    filename = f"model.{model_format}"
    cls = type(xgb_model)

    def write(folder: Path) -> dict[str, Any]:
        xgb_model.save_model(str(folder / filename))
        return {
            "xgb_version": xgb.__version__,
            "data": filename,
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
            "model_format": model_format,
        }

    return save_flavor(
        path,
        flavor=FLAVOR_NAME,
        write=write,
        loader_module="cairn.xgboost",
        data=filename,
        packages=["xgboost"],
        predict=lambda folder: _XGBPredictor(xgb_model).predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        mlmodel=mlmodel,
    )


def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save ``xgb_model`` (see :func:`save_model`) and log it to the active run."""
    _check_model(require_library("xgboost", "xgboost"), xgb_model)
    return log_flavor(
        save_model, artifact_path, name, registered_model_name, xgb_model=xgb_model, **kwargs
    )


def load_model(
    model_uri: str | os.PathLike[str], *, dst_path: str | os.PathLike[str] | None = None
) -> Any:
    """The Booster or XGBoost estimator stored at ``model_uri``."""
    folder, conf = flavor_folder(model_uri, FLAVOR_NAME, dst_path)
    return _load(data_file(folder, conf, "data", "model.xgb"), str(conf.get("model_class") or ""))


def _load_pyfunc(data_path: str) -> Any:
    """The ``python_function`` loader (reads the model class from the folder's MLmodel)."""
    from cairn.models.model import Model

    target = Path(data_path)
    conf = Model.load(target.parent).flavors.get(FLAVOR_NAME, {})
    return _XGBPredictor(_load(target, str(conf.get("model_class") or "")))


class _XGBPredictor:
    """``predict(DataFrame)`` for a Booster (through a DMatrix) or an estimator."""

    def __init__(self, model: Any) -> None:
        self.python_model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        xgb = require_library("xgboost", "xgboost")
        if isinstance(self.python_model, xgb.Booster):
            return self.python_model.predict(xgb.DMatrix(data))
        return self.python_model.predict(data)


def _check_model(xgb: Any, xgb_model: Any) -> None:
    if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
        raise InvalidInput(
            "xgb_model must be an xgboost.Booster or an XGBoost scikit-learn estimator, "
            f"got {type(xgb_model).__name__}"
        )


def _load(target: Path, model_class: str) -> Any:
    xgb = require_library("xgboost", "xgboost")
    module, _, name = model_class.rpartition(".")
    if not model_class or model_class == "xgboost.core.Booster":
        model = xgb.Booster()
    elif module.split(".")[0] == "xgboost" and isinstance(getattr(xgb, name, None), type):
        model = getattr(xgb, name)()
    else:
        raise InvalidInput(
            f"model class {model_class!r} is not an xgboost class; cairn only rebuilds "
            "xgboost's own Booster and estimators"
        )
    try:
        model.load_model(str(target))
    except xgb.core.XGBoostError as exc:
        raise InvalidInput(
            f"model file {target.name} is not a readable XGBoost model: {first_line(exc)}"
        ) from exc
    return model
