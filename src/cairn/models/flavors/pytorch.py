"""``cairn.pytorch``: PyTorch modules as an exported program plus their state dict.

:func:`save_model` exports the module with ``torch.export`` on the input example (the batch
dimension is left dynamic) into ``model.pt2`` and writes ``state_dict.pt`` beside it. Loading
needs no Python class of the user's: :func:`load_model` returns the exported program's module,
and :func:`load_state_dict` the weights (read with ``weights_only=True``) for rebuilding your own
class. The ``python_function`` flavor runs the module under ``torch.no_grad`` on float32 input.
"""

from __future__ import annotations

import os
import zipfile
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

__all__ = ["FLAVOR_NAME", "load_model", "load_state_dict", "log_model", "save_model"]

FLAVOR_NAME = "pytorch"
_PROGRAM = "model.pt2"
_STATE = "state_dict.pt"


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    *,
    input_example: Any = None,
    signature: Signature | None = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    mlmodel: Model | None = None,
) -> Model:
    """Export ``pytorch_model`` (a ``torch.nn.Module``) traced on ``input_example`` (a batch:
    array, DataFrame or tensor, required) into a new folder at ``path``."""
    torch = require_library("torch", "pytorch")
    _check_model(torch, pytorch_model)
    if input_example is None:
        raise InvalidInput(
            "pytorch save_model needs input_example=<a sample batch> to export the model "
            "with torch.export"
        )
    sample = _tensor(torch, input_example)

    def write(folder: Path) -> dict[str, Any]:
        program = _export(torch, pytorch_model, sample)
        torch.export.save(program, str(folder / _PROGRAM))
        torch.save(pytorch_model.state_dict(), str(folder / _STATE))
        return {
            "pytorch_version": str(torch.__version__),
            "model_data": _PROGRAM,
            "state_dict": _STATE,
            "serialization": "torch.export",
            "module_class": f"{type(pytorch_model).__module__}.{type(pytorch_model).__qualname__}",
        }

    return save_flavor(
        path,
        flavor=FLAVOR_NAME,
        write=write,
        loader_module="cairn.pytorch",
        data=_PROGRAM,
        packages=["torch"],
        predict=lambda folder: _load_pyfunc(str(folder / _PROGRAM)).predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        mlmodel=mlmodel,
    )


def log_model(
    pytorch_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save ``pytorch_model`` (see :func:`save_model`) and log it to the active run."""
    _check_model(require_library("torch", "pytorch"), pytorch_model)
    return log_flavor(
        save_model,
        artifact_path,
        name,
        registered_model_name,
        pytorch_model=pytorch_model,
        **kwargs,
    )


def load_model(
    model_uri: str | os.PathLike[str], *, dst_path: str | os.PathLike[str] | None = None
) -> Any:
    """The module stored at ``model_uri`` (the exported program's ``module()``)."""
    folder, conf = flavor_folder(model_uri, FLAVOR_NAME, dst_path)
    return _load(data_file(folder, conf, "model_data", _PROGRAM))


def load_state_dict(
    model_uri: str | os.PathLike[str], *, dst_path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The saved ``state_dict`` (tensors only: read with ``weights_only=True``)."""
    torch = require_library("torch", "pytorch")
    folder, conf = flavor_folder(model_uri, FLAVOR_NAME, dst_path)
    target = data_file(folder, conf, "state_dict", _STATE)
    return dict(torch.load(str(target), weights_only=True, map_location="cpu"))


def _load_pyfunc(data_path: str) -> Any:
    """The ``python_function`` loader."""
    return _TorchPredictor(_load(Path(data_path)))


class _TorchPredictor:
    """``predict``: float32 numpy in, numpy out, without gradients."""

    def __init__(self, module: Any) -> None:
        self.python_model = module

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        torch = require_library("torch", "pytorch")
        with torch.no_grad():
            output = self.python_model(_tensor(torch, data))
        if isinstance(output, (tuple, list)):
            output = output[0]
        return output.detach().cpu().numpy()


def _check_model(torch: Any, pytorch_model: Any) -> None:
    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidInput(
            f"pytorch_model must be a torch.nn.Module, got {type(pytorch_model).__name__}"
        )


def _tensor(torch: Any, data: Any) -> Any:
    import numpy as np

    if isinstance(data, torch.Tensor):
        return data.float()
    try:
        array = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"pytorch input must be numeric (float32): {first_line(exc)}") from exc
    return torch.from_numpy(np.ascontiguousarray(array))


def _export(torch: Any, module: Any, sample: Any) -> Any:
    if sample.ndim == 0:
        raise InvalidInput("pytorch input_example must be a batch (at least one dimension)")
    if sample.shape[0] < 2:  # a batch of one would fix the batch size at 1
        sample = torch.cat([sample, sample])
    batch = torch.export.Dim("batch")
    was_training = module.training
    module.eval()
    try:
        return torch.export.export(module, (sample,), dynamic_shapes=({0: batch},))
    except Exception as exc:  # noqa: BLE001 (torch raises many kinds; report it in one line)
        raise InvalidInput(
            f"torch.export could not export {type(module).__name__}: {first_line(exc)}"
        ) from exc
    finally:
        module.train(was_training)


def _load(target: Path) -> Any:
    torch = require_library("torch", "pytorch")
    try:
        program = torch.export.load(str(target))
    except (RuntimeError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InvalidInput(
            f"model file {target.name} is not a torch exported program: {first_line(exc)}"
        ) from exc
    return program.module()
