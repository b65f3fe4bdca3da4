"""Models: the model folder format (``MLmodel``, signatures, environment files), the
``python_function`` interface every flavor shares, and model URIs.

Flavors live in :mod:`cairn.models.flavors`; users reach them as ``cairn.pyfunc``,
``cairn.sklearn`` and so on.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "ColSpec",
    "Model",
    "ModelInfo",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "Signature",
    "TensorSpec",
    "download_model",
    "infer_signature",
]

_LAZY = {
    "Model": "cairn.models.model",
    "ModelInfo": "cairn.models.info",
    "download_model": "cairn.models.uris",
    **{
        name: "cairn.models.signature"
        for name in (
            "ColSpec",
            "ParamSchema",
            "ParamSpec",
            "Schema",
            "Signature",
            "TensorSpec",
            "infer_signature",
        )
    },
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn.models' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
