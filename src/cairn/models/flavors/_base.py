"""What every flavor shares: write a folder (files + MLmodel + environment), find a flavor's
configuration in a loaded folder, log through the active run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.models.info import ModelInfo
    from cairn.models.model import Model
    from cairn.models.signature import Signature

__all__ = ["flavor_folder", "log_flavor", "require_library", "save_flavor"]


def require_library(module: str, extra: str) -> Any:
    """Import ``module`` or fail with a one-line error naming the extra to install."""
    from importlib import import_module

    try:
        return import_module(module)
    except ImportError as exc:
        raise InvalidInput(
            f"the {extra} flavor needs the '{module}' package; install it with "
            f"pip install 'cairn[{extra}]'"
        ) from exc


def save_flavor(
    path: str | os.PathLike[str],
    *,
    flavor: str,
    write: Callable[[Path], dict[str, Any]],
    loader_module: str,
    data: str,
    packages: list[str],
    predict: Callable[[Path], Callable[[Any], Any]],
    signature: Signature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    mlmodel: Model | None = None,
    pyfunc_conf: dict[str, Any] | None = None,
) -> Model:
    """Create the folder at ``path``, let ``write(folder)`` store the model's files and return
    the flavor's configuration, then write ``MLmodel`` (flavor + ``python_function``), the
    signature (inferred from ``input_example`` when not given) and the environment files.

    ``predict(folder)`` returns a predict function used to infer the output schema. Nothing is
    left behind when a step fails.
    """
    from cairn.models.folder import finish_model_folder, new_model_folder
    from cairn.models.model import Model
    from cairn.models.pyfunc import add_to_model

    folder = new_model_folder(path)
    try:
        conf = write(folder)
        model = mlmodel or Model()
        model.add_flavor(flavor, **conf)
        add_to_model(model, loader_module=loader_module, data=data, **(pyfunc_conf or {}))
        finish_model_folder(
            folder,
            model,
            signature=signature,
            input_example=input_example,
            packages=packages,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            predict=lambda example: predict(folder)(example),
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return model


def flavor_folder(
    model_uri: str | os.PathLike[str], flavor: str, dst_path: str | os.PathLike[str] | None = None
) -> tuple[Path, dict[str, Any]]:
    """The local folder of ``model_uri`` and its ``flavor`` configuration (InvalidInput naming
    the flavors it has when it lacks this one)."""
    from cairn.models.model import Model
    from cairn.models.uris import download_model

    folder = Path(download_model(model_uri, dst_path))
    model = Model.load(folder)
    conf = model.flavors.get(flavor)
    if conf is None:
        found = ", ".join(sorted(model.flavors)) or "none"
        raise InvalidInput(f"model {model_uri} has no {flavor} flavor (it has: {found})")
    return folder, conf


def log_flavor(
    save: Callable[..., Model],
    artifact_path: str | None,
    name: str | None,
    registered_model_name: str | None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Save with ``save(path, mlmodel=..., **save_kwargs)`` into a temporary folder and log it
    to the active run (registering it when ``registered_model_name`` is given)."""
    from cairn.models.logging import log_model_folder

    return log_model_folder(
        lambda path, mlmodel: save(path=path, mlmodel=mlmodel, **save_kwargs),
        artifact_path=artifact_path,
        name=name,
        registered_model_name=registered_model_name,
        model_type=getattr(save, "__module__", "").rsplit(".", 1)[-1] or None,
    )


def data_file(folder: Path, conf: dict[str, Any], key: str, default: str) -> Path:
    """The model file named by ``conf[key]`` inside ``folder``; InvalidInput if it is missing
    or escapes the folder."""
    name = str(conf.get(key) or default)
    target = (folder / name).resolve()
    if folder.resolve() not in target.parents or not target.exists():
        raise InvalidInput(f"model folder {folder} has no model file {name!r}")
    return target


def first_line(exc: BaseException) -> str:
    """A foreign error's first line, for one-line messages."""
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__
