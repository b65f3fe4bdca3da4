"""Choosing an executor from the ``--executor`` string: ``local``, ``dask-local`` (an
in-process Dask cluster) or ``tcp://HOST:PORT`` (a running Dask scheduler)."""

from __future__ import annotations

from pathlib import Path

from cairn.errors import InvalidInput
from cairn.pipelines.executor import Executor

CHOICES = ("local", "dask-local", "tcp://HOST:PORT")


def check_executor(spec: str, jobs: int) -> None:
    """:class:`InvalidInput` unless ``spec`` names an executor and ``jobs`` >= 1."""
    if jobs < 1:
        raise InvalidInput(f"--jobs must be at least 1, got {jobs}")
    if spec not in ("local", "dask-local") and not spec.startswith("tcp://"):
        raise InvalidInput(
            f"unknown executor {spec!r}; use one of {', '.join(CHOICES)} (e.g. tcp://127.0.0.1:8786)"
        )


def make_executor(spec: str, *, jobs: int, root: Path) -> Executor:
    """The executor named by ``spec``, running up to ``jobs`` stages at once."""
    check_executor(spec, jobs)
    if spec == "local":
        from cairn.pipelines.local import LocalExecutor

        return LocalExecutor(root, jobs=jobs)
    from cairn.pipelines.dask_executor import DaskExecutor

    return DaskExecutor(None if spec == "dask-local" else spec, root=root, jobs=jobs)
