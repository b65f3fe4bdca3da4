"""Data versioning: content-addressed datasets in git.

``cairn data add PATH`` stores a file or folder in the cache ``.cairn/cache`` and writes the
pointer ``PATH.cairn`` for git; ``status``, ``commit``, ``checkout``, ``diff``, ``ls`` and
``gc`` work on the local machine, remotes move objects between machines. The library entry
point is :class:`cairn.data.workspace.Workspace`; ``cairn.data.dataset(...)`` records a data
version for tracking. Names load on first use so that ``import cairn.data`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Workspace": "cairn.data.workspace",
    "Pointer": "cairn.data.pointer",
    "dataset": "cairn.data.datasets",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn.data' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from cairn.data.pointer import Pointer as Pointer
    from cairn.data.workspace import Workspace as Workspace
