"""The pipeline model: stages with declared inputs and outputs, as both forms describe them.

``cairn.yaml`` (:mod:`cairn.pipelines.yaml_form`) and ``@cairn.stage`` functions
(:mod:`cairn.pipelines.python_form`) each produce a :class:`Pipeline`; everything after
loading (graph, status, running, drawing) works on this model only. Paths are POSIX and
relative to the project root, whatever ``wdir`` a stage runs in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

PIPELINE_FILE = "cairn.yaml"
LOCK_FILE = "cairn.lock"
PARAMS_FILE = "params.yaml"


@dataclass(frozen=True)
class Stage:
    """One step of a pipeline: a command, what it reads, the params it uses and what it writes.

    ``deps``, ``outs`` and ``metrics`` are project-relative POSIX paths. ``params`` are keys of
    the params file, dotted (``train.lr``) or whole sections (``train``). ``metrics`` files are
    JSON or YAML written by the command; they are outputs too, kept in git rather than the
    cache. ``workers`` > 1 starts that many ranks with a rendezvous environment.
    """

    name: str
    cmd: str
    deps: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    wdir: str = "."
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    retries: int = 0
    timeout: float | None = None
    workers: int = 1
    origin: str = PIPELINE_FILE

    def definition(self) -> dict[str, Any]:
        """The stage as plain data: what its fingerprint covers and ``cairn.lock`` records."""
        return {
            "cmd": self.cmd,
            "deps": list(self.deps),
            "params": list(self.params),
            "outs": list(self.outs),
            "metrics": list(self.metrics),
            "wdir": self.wdir,
            "env": dict(sorted(self.env.items())),
            "workers": self.workers,
        }

    @property
    def produced(self) -> tuple[str, ...]:
        """Every path the stage writes: its outs and its metrics files."""
        return self.outs + self.metrics


@dataclass(frozen=True)
class Pipeline:
    """The stages of one project, in definition order, with where they were read from."""

    root: Path
    stages: Mapping[str, Stage]
    source: str = PIPELINE_FILE
    params_file: str = PARAMS_FILE

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", MappingProxyType(dict(self.stages)))

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; :class:`cairn.errors.NotFound` names the known ones."""
        from cairn.errors import NotFound, did_you_mean

        try:
            return self.stages[name]
        except KeyError:
            hint = did_you_mean(name, list(self.stages))
            known = ", ".join(self.stages) or "none"
            raise NotFound(f"no stage {name!r} in {self.source} (stages: {known}).{hint}") from None
