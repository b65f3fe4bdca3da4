"""``cairn.pyfunc``: any model behind ``predict(DataFrame)``.

Every flavor adds a ``python_function`` entry to its ``MLmodel`` naming a *loader module*
whose ``_load_pyfunc(data_path)`` returns an object with ``predict``; :func:`load_model` loads
any such folder (MLflow's included) and wraps it in a :class:`PyFuncModel` that enforces the
signature. A user's own class subclasses :class:`PythonModel` and is saved with
:func:`save_model` / :func:`log_model`.

Trust: a custom :class:`PythonModel` is stored with cloudpickle (as MLflow does), so loading
one runs its code — load only model folders you trust. Plain pickles of estimators (MLflow's
sklearn folders) additionally need ``load_model(uri, trusted=True)``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput
from cairn.models.custom import (
    PythonModel,
    PythonModelContext,
    PythonModelWrapper,
    accepts,
    check_python_model,
    load_python_model,
    save_model,
)
from cairn.models.model import Model

if TYPE_CHECKING:
    from cairn.entities import ModelVersion
    from cairn.models.info import ModelInfo

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "add_to_model",
    "load_model",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "python_function"


def add_to_model(
    model: Model,
    loader_module: str,
    data: str | None = None,
    env: str | dict[str, str] | None = None,
    code: str | None = None,
    **kwargs: Any,
) -> Model:
    """Add the ``python_function`` flavor: ``loader_module._load_pyfunc(folder/data)`` loads it."""
    if not loader_module or not isinstance(loader_module, str):
        raise InvalidInput("add_to_model needs the loader module's dotted name")
    conf: dict[str, Any] = {"loader_module": loader_module}
    if data is not None:
        conf["data"] = data
    if code is not None:
        conf["code"] = code
    conf["env"] = (
        {"virtualenv": env} if isinstance(env, str) else (env or {"virtualenv": "python_env.yaml"})
    )
    conf["python_version"] = "{}.{}.{}".format(*sys.version_info[:3])
    conf.update(kwargs)
    return model.add_flavor(FLAVOR_NAME, **conf)


class PyFuncModel:
    """A loaded model: ``predict`` checks the input against the signature, then calls the
    flavor's implementation."""

    def __init__(
        self,
        metadata: Model,
        impl: Any,
        model_uri: str,
        path: Path,
        model_version: ModelVersion | None = None,
    ):
        self.metadata = metadata
        self._impl = impl
        self.model_uri = model_uri
        self.path = path
        #: The registry version a ``models:/`` URI resolved to (None for other URIs).
        self.model_version = model_version

    @property
    def loader_module(self) -> str:
        return str(self.metadata.flavors[FLAVOR_NAME]["loader_module"])

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predictions for ``data``; InvalidInput naming the column if it breaks the signature."""
        from cairn.models.enforce import enforce_params
        from cairn.models.signature import enforce

        signature = self.metadata.signature
        data = enforce(signature, data)
        if signature is not None:
            params = enforce_params(signature.params, params)
        if params and accepts(self._impl.predict, "params"):
            return self._impl.predict(data, params=params)
        return self._impl.predict(data)

    def unwrap_python_model(self) -> Any:
        """The user's :class:`PythonModel` (or the flavor's own object)."""
        return getattr(self._impl, "python_model", self._impl)

    def __repr__(self) -> str:
        return f"PyFuncModel(uri={self.model_uri!r}, loader={self.loader_module!r})"


def _load_pyfunc(path: str) -> PythonModelWrapper:
    """Loader of cairn's custom-model folders (``loader_module: cairn.models.pyfunc``); also
    what MLflow calls when it loads a cairn folder with cairn installed."""
    folder = Path(path)
    conf = Model.load(folder).flavors[FLAVOR_NAME]
    return load_python_model(folder, conf, None)


def load_model(
    model_uri: str | os.PathLike[str],
    *,
    trusted: bool = False,
    model_config: dict[str, Any] | None = None,
    dst_path: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
) -> PyFuncModel:
    """Load any model folder as a :class:`PyFuncModel`: a path, ``runs:/RUN/path``,
    ``models:/name/3``, ``models:/name@alias`` or any artifact URI (``runs:/`` and
    ``models:/`` are looked up in ``tracking_uri``'s store, the current one by default).

    ``trusted=True`` allows models stored as plain pickles (MLflow's sklearn folders).
    """
    from cairn.models.mlflow_compat import MLFLOW_LOADERS, resolve_loader
    from cairn.models.uris import download_model, locate_model

    uri = os.fspath(model_uri)
    store = None
    if tracking_uri is not None:
        from cairn.tracking.client import CairnClient

        store = CairnClient(tracking_uri).store
    source, version = locate_model(uri, store) if uri.startswith("models:/") else (uri, None)
    folder = download_model(source, dst_path, store)
    model = Model.load(folder)
    conf = model.flavors.get(FLAVOR_NAME)
    if conf is None:
        raise InvalidInput(
            f"model {model_uri} has no python_function flavor (it has {', '.join(model.flavors) or 'none'})"
        )
    loader_module = str(conf.get("loader_module") or "")
    if not loader_module:
        raise InvalidInput(f"model {model_uri}: its python_function flavor names no loader_module")
    _add_code_path(folder, conf)
    if loader_module in ("cairn.models.pyfunc", "cairn.pyfunc", "mlflow.pyfunc.model"):
        impl: Any = load_python_model(folder, conf, model_config)
    elif loader_module in MLFLOW_LOADERS:
        impl = MLFLOW_LOADERS[loader_module](folder, model, trusted)
    else:
        loader = resolve_loader(loader_module)
        data_path = folder / conf["data"] if conf.get("data") else folder
        impl = (
            loader(str(data_path), trusted=trusted)
            if accepts(loader, "trusted")
            else loader(str(data_path))
        )
    return PyFuncModel(model, impl, uri, folder, version)


def _add_code_path(folder: Path, conf: dict[str, Any]) -> None:
    """Put a model's bundled ``code`` folder on ``sys.path`` (it stays: predict may import)."""
    code = conf.get("code")
    if code and str(folder / code) not in sys.path:
        sys.path.insert(0, str(folder / code))


def log_model(
    artifact_path: str | None = None,
    python_model: PythonModel | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save a custom model (see :func:`save_model`) and log it to the active run under
    ``artifact_path`` (or ``name``); registers it when ``registered_model_name`` is given."""
    from cairn.models.logging import log_model_folder

    check_python_model(python_model, kwargs.get("artifacts"))
    return log_model_folder(
        lambda path, mlmodel: save_model(
            path, python_model=python_model, mlmodel=mlmodel, **kwargs
        ),
        artifact_path=artifact_path,
        name=name,
        registered_model_name=registered_model_name,
    )
