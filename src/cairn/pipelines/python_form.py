"""The Python form: ``@cairn.stage`` on module-level functions, collected per module.

::

    import cairn

    @cairn.stage(deps=["data/raw.csv"], outs=["data/clean.csv"], params=["prepare.split"])
    def prepare(params):
        ...

``cairn pipeline run -m pkg.pipeline`` imports the module and runs each decorated function as
``python -m cairn.pipelines.invoke pkg.pipeline:prepare`` (``...:fit@small`` for an item of a
``foreach``/``matrix`` stage); the module's source file joins every stage's deps, so editing
the code makes its stages stale. The fields mean what they mean in
``cairn.yaml`` and are checked by the same code, so both forms give the same graph.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from cairn.errors import InvalidInput, NotFound
from cairn.pipelines.expand import expand_stage
from cairn.pipelines.fields import stage_from_fields
from cairn.pipelines.model import Stage

__all__ = ["StageSpec", "invoke_command", "read_module", "stage"]

F = TypeVar("F", bound=Callable[..., Any])

# module name -> stage name -> spec, filled as decorated modules are imported.
_REGISTRY: dict[str, dict[str, StageSpec]] = {}


@dataclass(frozen=True)
class StageSpec:
    """What ``@cairn.stage`` recorded about one function."""

    name: str
    module: str
    function: str
    line: int
    fields: Mapping[str, Any]


def stage(
    *,
    deps: Sequence[str] | str = (),
    outs: Sequence[str] | str = (),
    params: Sequence[str] | str = (),
    metrics: Sequence[str] | str = (),
    name: str | None = None,
    wdir: str = ".",
    env: Mapping[str, str] | None = None,
    retries: int = 0,
    timeout: float | str | None = None,
    workers: int = 1,
    foreach: Sequence[Any] | Mapping[str, Any] | None = None,
    matrix: Mapping[str, Sequence[Any]] | None = None,
) -> Callable[[F], F]:
    """Declare the decorated module-level function a pipeline stage (fields as in cairn.yaml).

    A function with a ``params`` argument receives ``{key: value}`` for its ``params`` keys;
    with ``foreach``/``matrix``, one stage per item (``name@item``), and an ``item`` (and
    ``key``) argument receives it.
    """
    fields: dict[str, Any] = {
        "deps": _listed(deps), "outs": _listed(outs), "params": _listed(params),
        "metrics": _listed(metrics), "wdir": wdir, "env": dict(env or {}), "retries": retries,
        "timeout": timeout, "workers": workers,
    }  # fmt: skip
    if foreach is not None:
        fields["foreach"] = foreach if isinstance(foreach, Mapping) else list(foreach)
    if matrix is not None:
        fields["matrix"] = {axis: list(values) for axis, values in matrix.items()}

    def decorate(func: F) -> F:
        if not callable(func) or func.__qualname__ != func.__name__:
            raise InvalidInput(
                f"@cairn.stage goes on a module-level function, not {func.__qualname__!r}"
            )
        spec = StageSpec(
            name=name or func.__name__,
            module=func.__module__,
            function=func.__name__,
            line=func.__code__.co_firstlineno,
            fields=fields,
        )
        registered = _REGISTRY.setdefault(spec.module, {})
        twin = registered.get(spec.name)
        if twin is not None and twin.function != spec.function:
            raise InvalidInput(
                f"{spec.module}: functions {twin.function!r} and {spec.function!r} both declare "
                f"stage {spec.name!r}; give one of them another name="
            )
        registered[spec.name] = spec
        func.__cairn_stage__ = spec  # type: ignore[attr-defined]
        return func

    return decorate


def invoke_command(module: str, function: str, suffix: str = "") -> str:
    """The shell command that runs ``module:function`` (for the foreach item ``suffix``)."""
    target = f"{module}:{function}@{suffix}" if suffix else f"{module}:{function}"
    return f"python -m cairn.pipelines.invoke {target}"


def read_module(
    root: Path, module: str, params: Mapping[str, Any] | None = None
) -> tuple[dict[str, Stage], str]:
    """The stages declared in ``module`` (imported fresh from ``root``) and the module's
    source path relative to ``root``; ``params`` feed ``${params.*}`` in string fields."""
    root = Path(root).resolve()
    imported = _import_fresh(root, module)
    source = _relative_source(root, imported)
    specs = _REGISTRY.get(module, {})
    if not specs:
        raise InvalidInput(
            f"module {module!r} ({source or imported.__name__}) declares no stages; decorate "
            "functions with @cairn.stage(deps=..., outs=...)"
        )
    stages: dict[str, Stage] = {}
    label = source or module
    for spec in sorted(specs.values(), key=lambda s: s.line):
        for name, fields in expand_stage(spec.name, spec.fields, params or {}, label):
            command = invoke_command(module, spec.function, name.partition("@")[2])
            found = stage_from_fields(
                name, {**fields, "cmd": command}, f"{label}: stage {name!r}",
                origin=f"{label}:{spec.line}",
            )  # fmt: skip
            if source and source not in found.deps:
                found = replace(found, deps=(*found.deps, source))
            stages[name] = found
    return stages, source or module


def _import_fresh(root: Path, module: str) -> Any:
    """Import ``module`` from ``root`` anew, so edits and another project's module of the
    same name are never served from ``sys.modules``."""
    if module.endswith(".py") or "/" in module or "\\" in module:
        dotted = module.removesuffix(".py").replace("\\", "/").strip("/").replace("/", ".")
        raise InvalidInput(f"{module!r} is a file, not a module name; use -m {dotted}")
    if not module or not all(part.isidentifier() for part in module.split(".")):
        raise InvalidInput(
            f"{module!r} is not a module name; -m takes a dotted name like pkg.steps"
        )
    _REGISTRY.pop(module, None)
    sys.modules.pop(module, None)
    parts = module.split(".")
    for depth in range(1, len(parts)):
        parent = sys.modules.get(".".join(parts[:depth]))
        location = getattr(parent, "__file__", None) or ""
        if parent is not None and not Path(location).resolve().is_relative_to(root):
            sys.modules.pop(".".join(parts[:depth]), None)
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise NotFound(
                f"no module {module!r} under {root}; -m takes a dotted module name relative "
                "to the project root (e.g. pipeline for pipeline.py)"
            ) from None
        raise InvalidInput(f"importing {module!r} failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's module may raise anything
        where = _error_line(exc)
        raise InvalidInput(
            f"importing {module!r} failed{where}: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if added:
            sys.path.remove(str(root))


def _relative_source(root: Path, imported: Any) -> str:
    location = getattr(imported, "__file__", None)
    if not location:
        return ""
    path = Path(location).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else ""


def _error_line(exc: BaseException) -> str:
    """`` at file.py:LINE`` of the innermost frame (or the syntax error), for messages."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" at {Path(exc.filename).name}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    return f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""


def _listed(value: Sequence[str] | str) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
