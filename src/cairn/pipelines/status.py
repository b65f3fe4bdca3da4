"""Which stages are stale and why: each stage's inputs now against what ``cairn.lock`` says
it last ran with, and its outputs in the workspace against what it recorded.

The same judgement serves ``cairn pipeline status`` (:func:`pipeline_status`) and the runner,
which asks it stage by stage as upstream stages finish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.config import CAIRN_DIR
from cairn.pipelines.fingerprint import PathHash, PathHasher, stage_fingerprint
from cairn.pipelines.lockfile import LockEntry, read_lock

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace
    from cairn.pipelines.graph import Graph
    from cairn.pipelines.model import Pipeline, Stage


@dataclass
class StageStatus:
    """Whether a stage would run, and the reasons (human phrases)."""

    name: str
    stale: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "stale": self.stale, "reasons": self.reasons}


@dataclass(frozen=True)
class StageInputs:
    """What a stage would run on now: dep hashes (None: missing), param values, fingerprint."""

    deps: dict[str, PathHash | None]
    params: dict[str, object]
    fingerprint: str


@dataclass
class Project:
    """A loaded pipeline with everything judging it needs, for one command."""

    pipeline: Pipeline
    graph: Graph
    order: list[str]
    params: dict[str, Any]
    workspace: Workspace
    lock: dict[str, LockEntry]

    def close(self) -> None:
        """Close the workspace's state index."""
        self.workspace.close()


def open_project(
    root: Path,
    targets: Sequence[str] = (),
    *,
    module: str | None = None,
    params_override: Mapping[str, object] | None = None,
    read_lock_file: bool = True,
) -> Project:
    """Load and validate the pipeline at ``root`` and read its params and (unless not
    ``read_lock_file``: the caller reads it once it holds the data lock) its lock file."""
    from cairn.data.workspace import Workspace
    from cairn.pipelines.graph import Graph
    from cairn.pipelines.loading import load_pipeline
    from cairn.pipelines.params import read_params, with_overrides

    pipeline = load_pipeline(root, module, overrides=params_override)
    graph = Graph.build(pipeline)
    order = graph.order(list(targets) or None)
    params = read_params(pipeline.root, pipeline.params_file)
    if params_override:
        params = with_overrides(params, params_override)
    (pipeline.root / CAIRN_DIR).mkdir(exist_ok=True)  # the workspace is the pipeline's root
    workspace = Workspace.find(pipeline.root)
    lock = read_lock(pipeline.root) if read_lock_file else {}
    return Project(pipeline, graph, order, params, workspace, lock)


class Judge:
    """Judges stages against the lock file, hashing through one :class:`PathHasher`."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.hasher = PathHasher(project.workspace)

    def inputs(self, stage: Stage) -> StageInputs:
        """The stage's dep hashes, param values and fingerprint as things are now."""
        from cairn.pipelines.params import param_values

        pipeline = self.project.pipeline
        deps = {rel: self.hasher.hash(rel) for rel in stage.deps}
        params = param_values(
            self.project.params, stage.params, stage=stage.name, params_file=pipeline.params_file
        )
        return StageInputs(deps, params, stage_fingerprint(stage, deps, params))

    def reasons(self, stage: Stage, inputs: StageInputs, upstream: Iterable[str] = ()) -> list[str]:
        """Why ``stage`` must run (empty: it is up to date); ``upstream`` names upstream
        stages that will run first."""
        found = [f"upstream stage {name} will run" for name in upstream]
        entry = self.project.lock.get(stage.name)
        if entry is None:
            return ["never ran", *found]
        if entry.cmd != stage.cmd:
            found.append("command changed")
        found += self._dep_reasons(stage, inputs, entry, upstream)
        found += _param_reasons(inputs.params, entry.params)
        found += self._out_reasons(stage, entry)
        if not found and entry.fingerprint != inputs.fingerprint:
            found.append("stage definition changed")
        return found

    def _dep_reasons(
        self, stage: Stage, inputs: StageInputs, entry: LockEntry, upstream: Iterable[str]
    ) -> list[str]:
        graph = self.project.graph
        rerun = set(upstream)
        found = []
        for rel, now in inputs.deps.items():
            if graph.producer_of(rel) in rerun:
                continue
            before = entry.deps.get(rel)
            code = rel.endswith(".py")
            if now is None:
                found.append(f"dep {rel} is missing")
            elif before is None or before.oid != now.oid:
                found.append(f"code changed ({rel})" if code else f"dep {rel} changed")
        return found

    def _out_reasons(self, stage: Stage, entry: LockEntry) -> list[str]:
        found = []
        for rel in stage.produced:
            before = entry.outs.get(rel) or entry.metrics.get(rel)
            if before is None:
                continue  # a new out: the definition (in the fingerprint) changed
            now = self.hasher.hash(rel)
            if now is None:
                found.append(f"out {rel} is missing")
            elif now.oid != before.oid:
                found.append(f"out {rel} was modified")
        return found


def _param_reasons(now: Mapping[str, object], before: Mapping[str, object]) -> list[str]:
    """What changed, key by key; inside a whole section (``params: [train]``) down to the
    dotted key that changed (``param train.lr changed 0.1 -> 0.05``)."""
    now, before = _leaves(now), _leaves(before)
    found = []
    for key, value in now.items():
        if key not in before:
            found.append(f"param {key} added")
        elif before[key] != value:
            found.append(f"param {key} changed {_short(before[key])} -> {_short(value)}")
    found += [f"param {key} removed" for key in before if key not in now]
    return found


def _leaves(params: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """``params`` with nested mappings spelled out as dotted keys."""
    flat: dict[str, object] = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            flat.update(_leaves(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def pipeline_status(
    root: Path, targets: Sequence[str] = (), module: str | None = None
) -> list[StageStatus]:
    """Each stage of ``targets`` (and their upstream; default: all) in running order, stale
    or not, with the reasons."""
    project = open_project(root, targets, module=module)
    try:
        judge = Judge(project)
        stale: set[str] = set()
        statuses = []
        for name in project.order:
            stage = project.pipeline.stages[name]
            upstream = [u for u in project.graph.upstream(name) if u in stale]
            reasons = judge.reasons(stage, judge.inputs(stage), upstream)
            if reasons:
                stale.add(name)
            statuses.append(StageStatus(name, bool(reasons), reasons))
        return statuses
    finally:
        project.close()
