"""A user's own model: a :class:`PythonModel` subclass saved with cloudpickle (MLflow's
layout: ``python_model.pkl`` plus ``artifacts/``), so folders move between cairn and MLflow.

Loading one runs its code (that is what a custom model is): load only folders you trust.
"""

from __future__ import annotations

import inspect
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput
from cairn.models.folder import finish_model_folder, new_model_folder
from cairn.models.model import Model

if TYPE_CHECKING:
    from cairn.models.signature import Signature

__all__ = [
    "PythonModel",
    "PythonModelContext",
    "check_python_model",
    "load_python_model",
    "save_model",
]

FLAVOR_NAME = "python_function"
LOADER_MODULE = "cairn.models.pyfunc"
_PICKLE = "python_model.pkl"
_ARTIFACTS = "artifacts"
_CODE = "code"


class PythonModel:
    """Subclass this for a model of your own: override :meth:`predict` (and
    :meth:`load_context` to read files passed as ``artifacts``)."""

    def load_context(self, context: PythonModelContext) -> None:  # noqa: B027 (optional hook)
        """Called once when the model is loaded; ``context.artifacts`` maps names to paths."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict | None = None
    ) -> Any:
        """Return predictions for ``model_input`` (a DataFrame when the signature has columns)."""
        raise NotImplementedError(f"{type(self).__name__} must define predict()")


class PythonModelContext:
    """What :meth:`PythonModel.load_context` receives: local paths of the model's artifacts."""

    def __init__(self, artifacts: dict[str, str], model_config: dict[str, Any] | None = None):
        self.artifacts = artifacts
        self.model_config = model_config or {}


def accepts(func: Any, name: str) -> bool:
    """Whether ``func`` takes a keyword argument ``name`` (or ``**kwargs``)."""
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


class PythonModelWrapper:
    """Adapts a :class:`PythonModel` (cairn's or MLflow's) to ``predict(data, params)``."""

    def __init__(self, python_model: Any, context: PythonModelContext):
        self.python_model = python_model
        self.context = context
        params = list(inspect.signature(python_model.predict).parameters)
        self._with_context = bool(params) and params[0] == "context"

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        args = (self.context, data) if self._with_context else (data,)
        if accepts(self.python_model.predict, "params"):
            return self.python_model.predict(*args, params=params)
        return self.python_model.predict(*args)


def load_python_model(
    folder: Path, conf: dict[str, Any], model_config: dict | None
) -> PythonModelWrapper:
    """Unpickle a folder's custom model, hand it its artifacts' local paths, and wrap it."""
    import cloudpickle

    pickled = folder / conf.get("python_model", _PICKLE)
    if not pickled.is_file():
        raise InvalidInput(f"model folder {folder} has no {pickled.name}")
    with pickled.open("rb") as handle:
        try:
            python_model = cloudpickle.load(handle)
        except ImportError as exc:
            raise InvalidInput(
                f"{pickled.name} needs code this Python cannot import ({exc}); install it, or "
                "save the model with code_paths=[...] to bundle it"
            ) from exc
    artifacts = {
        name: str(folder / (spec["path"] if isinstance(spec, dict) else spec))
        for name, spec in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, model_config or conf.get("model_config"))
    if callable(getattr(python_model, "load_context", None)):
        python_model.load_context(context)
    return PythonModelWrapper(python_model, context)


def check_python_model(python_model: Any, artifacts: dict[str, Any] | None) -> None:
    """InvalidInput unless ``python_model`` has ``predict`` and every artifact exists (checked
    before anything is written)."""
    if python_model is None or not callable(getattr(python_model, "predict", None)):
        raise InvalidInput("save_model needs python_model=<an object with a predict method>")
    if artifacts is not None and not isinstance(artifacts, dict):
        raise InvalidInput(
            f"artifacts must be a dict of name -> local path, got {type(artifacts).__name__}"
        )
    seen: dict[str, str] = {}
    for name, src in (artifacts or {}).items():
        if not Path(src).exists():
            raise InvalidInput(f"artifact {name!r} points to {src}, which does not exist")
        base = Path(src).name
        if base in seen:
            raise InvalidInput(
                f"artifacts {seen[base]!r} and {name!r} have the same file name {base!r}"
            )
        seen[base] = name


def _user_module(obj: Any) -> Any:
    """The module defining ``obj``'s class when it is the user's own code (a script, a test,
    a project file) rather than an installed package; None otherwise."""
    import sys
    import sysconfig

    module = sys.modules.get(type(obj).__module__)
    path = getattr(module, "__file__", None)
    if module is None or path is None or module.__name__ == "__main__":
        return None
    installed = {
        sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    resolved = Path(path).resolve()
    if any(Path(root).resolve() in resolved.parents for root in installed):
        return None
    if module.__name__.split(".")[0] in ("cairn", "mlflow"):
        return None
    return module


def _dump(python_model: Any, target: Path) -> None:
    """Cloudpickle the model; a class from the user's own module is stored by value, so the
    model loads in a process that cannot import that module (a server, a Spark worker)."""
    import cloudpickle

    module = _user_module(python_model)
    if module is not None:
        cloudpickle.register_pickle_by_value(module)
    try:
        with target.open("wb") as handle:
            cloudpickle.dump(python_model, handle)
    finally:
        if module is not None:
            cloudpickle.unregister_pickle_by_value(module)


def save_model(
    path: str | os.PathLike[str],
    python_model: PythonModel | None = None,
    artifacts: dict[str, str | os.PathLike[str]] | None = None,
    signature: Signature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    code_paths: list[str | os.PathLike[str]] | None = None,
    *,
    mlmodel: Model | None = None,
) -> Model:
    """Save a custom :class:`PythonModel` (cloudpickled) and its ``artifacts`` (name ->
    local file or folder, copied into the model) into a new folder at ``path``.

    ``code_paths`` (files or folders of Python code the model imports) are copied into
    ``code/``, which is put on ``sys.path`` when the model loads.

    With ``input_example`` and no ``signature``, the signature is inferred from the example
    and from the model's prediction on it.
    """
    import cloudpickle

    check_python_model(python_model, artifacts)
    for src in code_paths or []:
        if not Path(src).exists():
            raise InvalidInput(f"code path {src} does not exist")
    folder = new_model_folder(path)
    try:
        for src in code_paths or []:
            target = folder / _CODE / Path(src).name
            target.parent.mkdir(parents=True, exist_ok=True)
            if Path(src).is_dir():
                shutil.copytree(src, target)
            else:
                shutil.copy2(src, target)
        stored: dict[str, dict[str, str]] = {}
        for name, src in (artifacts or {}).items():
            rel = Path(_ARTIFACTS) / Path(src).name
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if Path(src).is_dir():
                shutil.copytree(src, target)
            else:
                shutil.copy2(src, target)
            stored[name] = {"path": rel.as_posix(), "uri": str(src)}
        _dump(python_model, folder / _PICKLE)
        model = mlmodel or Model()
        extra: dict[str, Any] = {
            "python_model": _PICKLE,
            "cloudpickle_version": cloudpickle.__version__,
        }
        if stored:
            extra["artifacts"] = stored
        if model_config:
            extra["model_config"] = model_config
        from cairn.models.pyfunc import add_to_model

        add_to_model(
            model, loader_module=LOADER_MODULE, code=_CODE if code_paths else None, **extra
        )
        if metadata:
            model.extra["metadata"] = dict(metadata)

        def predict(example: Any) -> Any:
            return load_python_model(folder, model.flavors[FLAVOR_NAME], model_config).predict(
                example
            )

        finish_model_folder(
            folder,
            model,
            signature=signature,
            input_example=input_example,
            packages=["cloudpickle"],
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            predict=predict,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return model
