"""``python -m cairn.pipelines.invoke pkg.module:function[@item]``: run one Python-form stage.

Imports the module (the project root first on ``sys.path``) and calls the function. A function
with a ``params`` argument gets ``{key: value}`` for its stage's param keys: from the JSON in
``CAIRN_STAGE_PARAMS`` when the runner sets it (so overrides apply without touching the params
file), else from the params file at the project root (``CAIRN_PROJECT_ROOT`` or the folder
found upward from here). For a ``foreach``/``matrix`` stage, ``@item`` picks the item, which
an ``item`` argument receives (and a ``key`` argument, a foreach mapping's key). An exception
in the function exits 1 with its traceback.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["main"]

PARAMS_ENV = "CAIRN_STAGE_PARAMS"
ROOT_ENV = "CAIRN_PROJECT_ROOT"
USAGE = "usage: python -m cairn.pipelines.invoke pkg.module:function[@item]"


def main(argv: list[str] | None = None) -> int:
    """Run the stage function named by the single argument; the process's exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or ":" not in args[0]:
        print(USAGE, file=sys.stderr)
        return 2
    module_name, _, target = args[0].partition(":")
    function_name, _, suffix = target.partition("@")
    root = _project_root()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    function = getattr(importlib.import_module(module_name), function_name, None)
    if not callable(function):
        print(f"Error: {module_name} has no function {function_name!r}", file=sys.stderr)
        return 2
    try:
        kwargs = _arguments(function, suffix, root)
    except LookupError as exc:
        print(f"Error: {exc.args[0]}", file=sys.stderr)
        return 2
    function(**kwargs)
    return 0


def _project_root() -> Path:
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).resolve()
    from cairn.config import find_project_root

    return find_project_root()


def _arguments(function: Callable[..., Any], suffix: str, root: Path) -> dict[str, Any]:
    """The keyword arguments ``function`` takes among ``params``, ``item`` and ``key``."""
    from cairn.pipelines.expand import expand_stage, variants
    from cairn.pipelines.params import param_values, read_params

    spec = getattr(function, "__cairn_stage__", None)
    if spec is None:
        return {}
    params = read_params(root)
    name = f"{spec.name}@{suffix}" if suffix else spec.name
    fields = dict(expand_stage(spec.name, spec.fields, params, spec.module)).get(name)
    if fields is None:
        raise LookupError(f"{spec.module}:{spec.function} has no stage {name!r}")
    context = dict(variants(spec.fields, spec.module)).get(suffix or None) or {}
    wanted = inspect.signature(function).parameters
    kwargs: dict[str, Any] = {k: v for k, v in context.items() if k in wanted}
    if "params" in wanted:
        if os.environ.get(PARAMS_ENV):
            kwargs["params"] = json.loads(os.environ[PARAMS_ENV])
        else:
            kwargs["params"] = param_values(params, fields.get("params") or [], stage=name)
    return kwargs


if __name__ == "__main__":
    sys.exit(main())
