"""Which notebook file this IPython kernel runs, as the front end told it (best effort).

Jupyter server 2 starts a kernel with ``JPY_SESSION_NAME`` set to the notebook's path, which
ipykernel copies into the user namespace as ``__session__``; VS Code sets
``__vsc_ipynb_file__``. ``%cairn_notebook PATH`` sets ``__session__`` for kernels that were
not told (nbclient, papermill). Outside an IPython shell there is no notebook.
"""

from __future__ import annotations

import os
import sys

from cairn.errors import InvalidInput

__all__ = ["SESSION_NAME", "notebook_path", "state_notebook"]

SESSION_NAME = "__session__"
_VSCODE_NAME = "__vsc_ipynb_file__"


def _shell() -> object | None:
    ipython = sys.modules.get("IPython")  # never imported here: only a running shell counts
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython() if get_ipython is not None else None


def notebook_path() -> str | None:
    """The path of the notebook the running kernel executes, or None when it cannot tell."""
    shell = _shell()
    namespace = getattr(shell, "user_ns", None)
    if not isinstance(namespace, dict):
        return None
    kernel_env = os.environ.get("JPY_SESSION_NAME") if "ipykernel" in sys.modules else None
    for candidate in (namespace.get(SESSION_NAME), namespace.get(_VSCODE_NAME), kernel_env):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def state_notebook(namespace: dict[str, object], path: str) -> str:
    """Record ``path`` (an existing ``.ipynb`` file) as this kernel's notebook; its full path.

    Raises InvalidInput naming the path when it is not a notebook file.
    """
    full = os.path.abspath(os.path.expanduser(path))
    if not full.endswith(".ipynb") or not os.path.isfile(full):
        raise InvalidInput(
            f"no notebook file at {full!r}: give the path of the .ipynb file this kernel runs"
        )
    namespace[SESSION_NAME] = full
    return full
