"""Compiled scoring: a scikit-learn model served through its ONNX conversion.

``compile_model(model, "onnx")`` converts the estimator with skl2onnx, runs it on
onnxruntime, and checks the compiled model against scikit-learn before handing it out: both
score the model's saved input example plus ``check_rows`` rows drawn uniformly inside each
column's range in that example. Labels (``predict`` of a classifier) must be equal on every
row; numbers (a regressor's ``predict``, ``predict_proba``) within ``rtol=1e-5, atol=1e-6``
(ONNX computes in float32, as scikit-learn's trees do internally). A model without an input
example, with non-numeric inputs, or that the conversion does not reproduce is refused with
the reason; nothing is compiled silently.

Conversions are cached under ``$CAIRN_CACHE_DIR/compiled`` (default ``~/.cache/cairn``), keyed
by the model file's SHA-256 and the converter's version, so the workers of a server, and the
next start, skip the conversion.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.models.pyfunc import PyFuncModel

log = logging.getLogger("cairn.models")

__all__ = ["COMPILERS", "CompiledPredictor", "compile_model"]

COMPILERS = ("none", "onnx")
_NUMERIC = {"double", "float", "long", "integer", "boolean"}
_LABEL_FNS = {"predict"}
_NUMBER_FNS = {"predict", "predict_proba"}


def cache_dir() -> Path:
    """Where compiled models are kept."""
    root = os.environ.get("CAIRN_CACHE_DIR") or Path.home() / ".cache" / "cairn"
    return Path(root) / "compiled"


class CompiledPredictor:
    """Scores rows with an onnxruntime session: the ``output`` tensor, or, given ``classes``,
    the class of highest probability (the first of those within ``TIE`` of the highest, as
    scikit-learn's argmax takes the first of equal ones, which float32 sums only approach)."""

    TIE = 1e-5

    def __init__(self, session: Any, columns: list[str], output: str, classes: Any = None) -> None:
        self.session = session
        self.python_model = session
        self.columns = columns
        self.input_name = session.get_inputs()[0].name
        self.output = output
        self.classes = classes

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            array = data[self.columns].to_numpy(dtype=np.float32)
        else:
            array = np.asarray(data, dtype=np.float32)
            if array.ndim == 1:
                array = array.reshape(1, -1)
        result = self.session.run([self.output], {self.input_name: array})[0]
        if self.classes is not None:
            near_best = result >= result.max(axis=1, keepdims=True) - self.TIE
            return self.classes[near_best.argmax(axis=1)]
        return result.ravel() if result.ndim == 2 and result.shape[1] == 1 else result


def compile_model(
    model: PyFuncModel, compiler: str, *, check_rows: int = 1000, threads: int = 1
) -> PyFuncModel:
    """``model`` scored by ``compiler`` (``"none"`` returns it as it is), checked first.
    ``threads``: onnxruntime's threads per call (1 suits a server answering many small
    requests at once; 0, every core, suits batch scoring)."""
    if compiler not in COMPILERS:
        raise InvalidInput(f"--compile must be one of {', '.join(COMPILERS)}, got {compiler!r}")
    if compiler == "none":
        return model
    from cairn.models.pyfunc import PyFuncModel

    estimator, predict_fn = _sklearn_estimator(model)
    columns = _numeric_columns(model, estimator)
    example = _check_frame(model, columns, check_rows)
    session = _session(model, estimator, len(columns), threads)
    compiled = _predictor(model, session, columns, estimator, predict_fn)
    _verify(estimator, predict_fn, compiled, example, type(estimator).__name__)
    log.info("model %s is served through ONNX (checked on %d rows)", model.model_uri, len(example))
    return PyFuncModel(model.metadata, compiled, model.model_uri, model.path, model.model_version)


def _refuse(model: PyFuncModel, why: str) -> InvalidInput:
    return InvalidInput(
        f"cannot compile {model.model_uri} to ONNX: {why}; serve it without --compile"
    )


def _sklearn_estimator(model: PyFuncModel) -> tuple[Any, str]:
    if "sklearn" not in model.metadata.flavors:
        flavors = ", ".join(sorted(model.metadata.flavors))
        raise _refuse(model, f"only scikit-learn models compile, this one has {flavors}")
    impl = model._impl
    predict_fn = getattr(impl, "predict_fn", "predict")
    if predict_fn not in _NUMBER_FNS:
        raise _refuse(model, f"its predict_fn is {predict_fn}; predict and predict_proba compile")
    return impl.python_model, predict_fn


def _numeric_columns(model: PyFuncModel, estimator: Any) -> list[str]:
    """The input columns in the estimator's order; refused unless all are numeric."""
    signature = model.metadata.signature
    specs = [spec.to_dict() for spec in signature.inputs.inputs] if signature is not None else []
    if not specs or any(spec.get("type") == "tensor" for spec in specs):
        raise _refuse(model, "its signature does not name its input columns")
    bad = [str(s.get("name")) for s in specs if s.get("type") not in _NUMERIC]
    if bad:
        raise _refuse(model, f"non-numeric input columns ({', '.join(bad)})")
    names = [str(spec["name"]) for spec in specs]
    fitted = getattr(estimator, "feature_names_in_", None)
    return [str(name) for name in fitted] if fitted is not None else names


def _check_frame(model: PyFuncModel, columns: list[str], check_rows: int) -> Any:
    """The input example plus ``check_rows`` random rows inside its per-column ranges."""
    import numpy as np
    import pandas as pd

    example = model.metadata.load_input_example(model.path)
    if example is None:
        raise _refuse(model, "it has no input example to check the conversion against")
    frame = pd.DataFrame(example) if not isinstance(example, pd.DataFrame) else example
    if list(map(str, frame.columns)) != columns and set(map(str, frame.columns)) >= set(columns):
        frame = frame[columns]
    values = frame.to_numpy(dtype=np.float64)
    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    drawn = np.random.default_rng(0).uniform(low, high, size=(check_rows, len(columns)))
    return pd.DataFrame(np.vstack([values, drawn]), columns=columns)


def _session(model: PyFuncModel, estimator: Any, n_features: int, threads: int) -> Any:
    """An onnxruntime session on the (cached) conversion."""
    from cairn.models.flavors._base import require_library
    from cairn.models.flavors.onnx import convert_sklearn

    ort = require_library("onnxruntime", "onnx")
    path = _cached_path(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = None
    if path.is_file():
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception:  # noqa: BLE001 - a damaged cache entry is converted again
            log.warning("compiled model %s is unreadable; converting again", path)
    if session is None:
        try:
            onnx_model = convert_sklearn(estimator, n_features, name=type(estimator).__name__)
        except InvalidInput as exc:
            raise _refuse(model, exc.message) from exc
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".partial", delete=False) as out:
            out.write(onnx_model.SerializeToString())
        os.replace(out.name, path)
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session


def _predictor(
    model: PyFuncModel, session: Any, columns: list[str], estimator: Any, predict_fn: str
) -> CompiledPredictor:
    """Which output answers ``predict_fn``: probabilities (as they are, or their best class
    for a probabilistic classifier's ``predict``), else the first output."""
    outputs = [o.name for o in session.get_outputs()]
    has_proba = "probabilities" in outputs and hasattr(estimator, "predict_proba")
    if predict_fn == "predict_proba":
        if not has_proba:
            raise _refuse(model, "its ONNX form has no probabilities output")
        return CompiledPredictor(session, columns, "probabilities")
    if has_proba and hasattr(estimator, "classes_"):
        return CompiledPredictor(session, columns, "probabilities", estimator.classes_)
    return CompiledPredictor(session, columns, outputs[0])


def _cached_path(model: PyFuncModel) -> Path:
    """The cache entry of this model file converted by this skl2onnx."""
    from cairn.models.flavors._base import require_library

    skl2onnx = require_library("skl2onnx", "onnx")
    conf = model.metadata.flavors["sklearn"]
    data = model.path / str(conf.get("pickled_model") or "model.skops")
    digest = hashlib.sha256()
    with open(data, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return cache_dir() / f"{digest.hexdigest()}-skl2onnx{skl2onnx.__version__}.onnx"


def _verify(
    estimator: Any, predict_fn: str, compiled: CompiledPredictor, rows: Any, name: str
) -> None:
    """Raise InvalidInput unless the compiled model reproduces scikit-learn on ``rows``."""
    import numpy as np

    expected = np.asarray(getattr(estimator, predict_fn)(rows))
    got = np.asarray(compiled.predict(rows))
    is_labels = predict_fn in _LABEL_FNS and hasattr(estimator, "classes_")
    if expected.shape != got.shape:
        raise InvalidInput(
            f"the ONNX conversion of {name} answers in shape {got.shape}, scikit-learn in "
            f"{expected.shape}; serve it without --compile"
        )
    if is_labels:
        wrong = int((expected.astype(str) != got.astype(str)).sum())
    else:
        close = np.isclose(got, expected, rtol=1e-5, atol=1e-6)
        wrong = int((~close.reshape(len(rows), -1).all(axis=1)).sum())
    if wrong:
        raise InvalidInput(
            f"the ONNX conversion of {name} disagrees with scikit-learn on {wrong} of "
            f"{len(rows)} check rows; serve it without --compile"
        )
