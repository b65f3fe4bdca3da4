"""``%load_ext cairn``: reload edited modules before each cell, and name the notebook runs
record.

Loading turns on IPython's ``autoreload`` in mode 2 (every module but those excluded with
``%aimport -name``) unless the user loaded autoreload already, whose settings then stay. It
adds the line magic ``%cairn_notebook [PATH]``, which shows or states the notebook file this
kernel runs, for kernels their front end did not tell (nbclient, papermill). Runs started in
the kernel record that notebook's path and a snapshot of the file as saved on disk (see
:mod:`cairn.tracking.context`). Unloading removes the magic and leaves autoreload as it is.
"""

from __future__ import annotations

import shlex
from typing import Any

from cairn.errors import InvalidInput
from cairn.notebook.source import notebook_path, state_notebook

__all__ = ["MAGIC", "load", "unload"]

MAGIC = "cairn_notebook"
_AUTORELOAD = ("autoreload", "IPython.extensions.autoreload")


def load(shell: Any) -> None:
    """Enable autoreload (unless configured already), add ``%cairn_notebook``, say so."""
    if any(name in shell.extension_manager.loaded for name in _AUTORELOAD):
        reload = "autoreload left as you set it"
    else:
        shell.run_line_magic("load_ext", "autoreload")
        shell.run_line_magic("autoreload", "2")
        reload = "autoreload 2 on (edited modules reload before each cell)"
    shell.register_magic_function(_magic(shell), magic_kind="line", magic_name=MAGIC)
    print(f"cairn: {reload}; {_recording()}")


def unload(shell: Any) -> None:
    """Remove ``%cairn_notebook``; autoreload stays (``%autoreload off`` stops it)."""
    shell.magics_manager.magics["line"].pop(MAGIC, None)


def _recording() -> str:
    path = notebook_path()
    if path is None:
        return f"runs record no notebook until you name it: %{MAGIC} PATH"
    return f"runs record the notebook {path}"


def _magic(shell: Any) -> Any:
    from IPython.core.error import UsageError

    def cairn_notebook(line: str) -> None:
        """%cairn_notebook [PATH]: show, or state, the notebook file runs of this kernel record."""
        args = shlex.split(line)
        if len(args) > 1:
            raise UsageError(f"%{MAGIC} takes one path, got {len(args)}: quote a path with spaces")
        if args:
            try:
                state_notebook(shell.user_ns, args[0])
            except InvalidInput as error:
                raise UsageError(str(error)) from error
        print(f"cairn: {_recording()}")

    return cairn_notebook
