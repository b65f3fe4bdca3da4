"""``cairn.onnx``: ONNX models, run with onnxruntime (the language-agnostic way out).

:func:`convert_sklearn` turns a fitted scikit-learn estimator into an ONNX model (needs
skl2onnx). The ``python_function`` flavor feeds a DataFrame to the graph: with one graph
input the whole frame (as that input's element type); with several, each column to the input
of the same name. One graph output comes back as an array, several as a dict of arrays.
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

__all__ = ["FLAVOR_NAME", "convert_sklearn", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "onnx"
_FILE = "model.onnx"
_PROVIDERS = ["CPUExecutionProvider"]
_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


def save_model(
    onnx_model: Any,
    path: str | os.PathLike[str],
    *,
    signature: Signature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    mlmodel: Model | None = None,
) -> Model:
    """Save an ``onnx.ModelProto`` (checked with onnx's checker) into a new folder."""
    onnx = require_library("onnx", "onnx")
    _check_model(onnx, onnx_model)

    def write(folder: Path) -> dict[str, Any]:
        onnx.save_model(onnx_model, str(folder / _FILE))
        return {"onnx_version": onnx.__version__, "data": _FILE, "providers": _PROVIDERS}

    return save_flavor(
        path,
        flavor=FLAVOR_NAME,
        write=write,
        loader_module="cairn.onnx",
        data=_FILE,
        packages=["onnx", "onnxruntime"],
        predict=lambda folder: _load_pyfunc(str(folder / _FILE)).predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        mlmodel=mlmodel,
    )


def log_model(
    onnx_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save ``onnx_model`` (see :func:`save_model`) and log it to the active run."""
    _check_model(require_library("onnx", "onnx"), onnx_model)
    return log_flavor(
        save_model, artifact_path, name, registered_model_name, onnx_model=onnx_model, **kwargs
    )


def load_model(
    model_uri: str | os.PathLike[str], *, dst_path: str | os.PathLike[str] | None = None
) -> Any:
    """The ``onnx.ModelProto`` stored at ``model_uri``."""
    onnx = require_library("onnx", "onnx")
    folder, conf = flavor_folder(model_uri, FLAVOR_NAME, dst_path)
    return onnx.load_model(str(data_file(folder, conf, "data", _FILE)))


def convert_sklearn(sk_model: Any, n_features: int, *, name: str = "sklearn") -> Any:
    """An ONNX model computing ``sk_model`` on a float tensor of ``n_features`` columns
    (classifiers output labels and a probability tensor). Needs skl2onnx."""
    skl2onnx = require_library("skl2onnx", "onnx")
    from skl2onnx.common.data_types import FloatTensorType

    if not isinstance(n_features, int) or isinstance(n_features, bool) or n_features < 1:
        raise InvalidInput(f"n_features must be a positive integer, got {n_features!r}")
    options = {id(sk_model): {"zipmap": False}} if hasattr(sk_model, "predict_proba") else None
    try:
        return skl2onnx.convert_sklearn(
            sk_model, name, [("input", FloatTensorType([None, n_features]))], options=options
        )
    except (RuntimeError, ValueError, TypeError, NameError) as exc:
        raise InvalidInput(
            f"skl2onnx cannot convert {type(sk_model).__name__}: {first_line(exc)}"
        ) from exc


def _load_pyfunc(data_path: str) -> Any:
    """The ``python_function`` loader: an onnxruntime session on the CPU."""
    ort = require_library("onnxruntime", "onnx")
    try:
        session = ort.InferenceSession(data_path, providers=_PROVIDERS)
    except (RuntimeError, ValueError) as exc:
        raise InvalidInput(
            f"model file {Path(data_path).name} is not a loadable ONNX model: {first_line(exc)}"
        ) from exc
    return _OnnxPredictor(session)


class _OnnxPredictor:
    """Runs the session on a DataFrame, an array or a dict of arrays."""

    def __init__(self, session: Any) -> None:
        self.python_model = session
        self.inputs = session.get_inputs()
        self.outputs = [o.name for o in session.get_outputs()]

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        results = self.python_model.run(None, self._feeds(data))
        if len(results) == 1:
            return results[0]
        return dict(zip(self.outputs, results, strict=True))

    def _feeds(self, data: Any) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        if isinstance(data, dict):
            named = {k: np.asarray(v) for k, v in data.items()}
        elif len(self.inputs) == 1:
            return {self.inputs[0].name: self._cast(np.asarray(data), self.inputs[0])}
        elif isinstance(data, pd.DataFrame):
            named = {str(c): data[c].to_numpy().reshape(-1, 1) for c in data.columns}
        else:
            raise InvalidInput(
                f"the ONNX model has {len(self.inputs)} inputs; pass a DataFrame or a dict "
                "with one entry per input"
            )
        feeds = {}
        for spec in self.inputs:
            if spec.name not in named:
                raise InvalidInput(f"ONNX model input {spec.name!r} is missing from the data")
            feeds[spec.name] = self._cast(named[spec.name], spec)
        return feeds

    @staticmethod
    def _cast(array: Any, spec: Any) -> Any:
        dtype = _ORT_TYPES.get(spec.type)
        return array.astype(dtype) if dtype and array.dtype != dtype else array


def _check_model(onnx: Any, onnx_model: Any) -> None:
    if not isinstance(onnx_model, onnx.ModelProto):
        raise InvalidInput(
            f"onnx_model must be an onnx.ModelProto, got {type(onnx_model).__name__}"
        )
    try:
        onnx.checker.check_model(onnx_model)
    except onnx.checker.ValidationError as exc:
        raise InvalidInput(f"onnx_model is not a valid ONNX model: {first_line(exc)}") from exc
