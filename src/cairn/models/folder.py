"""Shared steps of every flavor's ``save_model``: claim a fresh folder, then finish it
(input example, signature, environment files, ``MLmodel``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import AlreadyExists, InvalidInput

if TYPE_CHECKING:
    from cairn.models.model import Model
    from cairn.models.signature import Signature

__all__ = ["finish_model_folder", "new_model_folder", "normalize_example"]


def new_model_folder(path: str | os.PathLike[str]) -> Path:
    """Create the folder a model is saved into; AlreadyExists if it exists and is not empty."""
    if path is None or str(path) == "":
        raise InvalidInput("save_model needs a path for the model folder")
    folder = Path(path)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise AlreadyExists(f"{folder} already exists and is not empty; save the model elsewhere")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def normalize_example(example: Any) -> Any:
    """An input example as the model sees it: dicts and lists of dicts become DataFrames."""
    from cairn.models.infer import as_frame

    if isinstance(example, dict) and not all(
        hasattr(v, "dtype") and getattr(v, "ndim", 0) > 1 for v in example.values()
    ):
        return as_frame(example)
    if isinstance(example, list) and example and isinstance(example[0], dict):
        return as_frame(example)
    return example


def finish_model_folder(
    folder: Path,
    model: Model,
    *,
    signature: Signature | None = None,
    input_example: Any = None,
    packages: list[str] | None = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    predict: Callable[[Any], Any] | None = None,
) -> Model:
    """Write the input example, infer the signature if none was given (from the example and,
    when ``predict`` is given, from the prediction on it), write ``requirements.txt`` and
    ``python_env.yaml`` pinning ``packages``, then ``MLmodel``."""
    from cairn.models.environment import write_environment
    from cairn.models.input_example import write_input_example
    from cairn.models.signature import Signature, infer_signature

    if signature is not None and not isinstance(signature, Signature):
        raise InvalidInput(f"signature must be a cairn Signature, got {type(signature).__name__}")
    if input_example is not None:
        example = normalize_example(input_example)
        model.saved_input_example_info = write_input_example(folder, example)
        if signature is None:
            output = None
            if predict is not None:
                try:
                    output = predict(example)
                except Exception:  # noqa: BLE001 - an unpredictable example still gives inputs
                    output = None
            try:
                signature = infer_signature(example, output)
            except InvalidInput:
                signature = infer_signature(example)
    model.signature = signature
    write_environment(
        folder, packages or [], extra=extra_pip_requirements, requirements=pip_requirements
    )
    model.extra["model_size_bytes"] = sum(
        f.stat().st_size for f in folder.rglob("*") if f.is_file()
    )
    model.save(folder)
    return model
