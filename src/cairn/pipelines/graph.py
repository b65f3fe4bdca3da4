"""The stage graph: which stage feeds which, checked before anything runs.

:meth:`Graph.build` links each dep to the stage producing it (the same path, a folder holding
it, or files inside a dep folder) and refuses, with one line naming the culprits: a cycle, a dep
that no stage produces and that does not exist, two stages writing the same path (or one inside
the other's out folder), a stage reading its own output, a param the params file lacks, and a
bad stage name.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from pathlib import Path

from cairn.errors import InvalidInput, did_you_mean
from cairn.pipelines.fields import check_stage_name
from cairn.pipelines.model import Pipeline, Stage
from cairn.pipelines.params import param_values, read_params

__all__ = ["Graph"]


class Graph:
    """The validated dependency graph of a :class:`Pipeline`; build it with :meth:`build`."""

    def __init__(self, pipeline: Pipeline, upstream: dict[str, tuple[str, ...]]) -> None:
        self.pipeline = pipeline
        self._upstream = upstream
        self._downstream: dict[str, list[str]] = {name: [] for name in pipeline.stages}
        for name, producers in upstream.items():
            for producer in producers:
                self._downstream[producer].append(name)
        self._order = _topological(pipeline, upstream)
        self._producers = {path: s.name for s in pipeline.stages.values() for path in s.produced}
        self._produced_sorted = sorted(self._producers)

    @classmethod
    def build(cls, pipeline: Pipeline) -> Graph:
        """The graph of ``pipeline``, or :class:`InvalidInput` for the first problem found."""
        for stage in pipeline.stages.values():
            check_stage_name(stage.name, f"{stage.origin}: stage {stage.name!r}")
        _check_outputs(pipeline)
        _check_params(pipeline)
        unlinked = cls(pipeline, {})  # its output index links each dep to its producers
        upstream = {name: unlinked._link(stage) for name, stage in pipeline.stages.items()}
        return cls(pipeline, upstream)

    @property
    def stages(self) -> tuple[str, ...]:
        """Every stage name, in definition order."""
        return tuple(self.pipeline.stages)

    def upstream(self, name: str) -> tuple[str, ...]:
        """The stages producing ``name``'s deps."""
        self.pipeline.stage(name)
        return self._upstream[name]

    def downstream(self, name: str) -> tuple[str, ...]:
        """The stages reading what ``name`` produces."""
        self.pipeline.stage(name)
        return tuple(self._downstream[name])

    def producer_of(self, path: str) -> str | None:
        """The stage writing ``path`` or a folder holding it; ``None`` when none does."""
        candidate = path.strip("/")
        while True:
            if candidate in self._producers:
                return self._producers[candidate]
            if "/" not in candidate:
                return None
            candidate = candidate.rsplit("/", 1)[0]

    def producers_inside(self, folder: str) -> tuple[str, ...]:
        """The stages writing paths inside ``folder``."""
        prefix = folder.rstrip("/") + "/"
        start = bisect.bisect_left(self._produced_sorted, prefix)
        found: list[str] = []
        for path in self._produced_sorted[start:]:
            if not path.startswith(prefix):
                break
            found.append(self._producers[path])
        return tuple(dict.fromkeys(found))

    def order(self, targets: Iterable[str] | None = None) -> list[str]:
        """Stages in an order that runs producers first: all, or ``targets`` and everything
        upstream of them. A target may name a foreach/matrix group (``train`` for ``train@*``)."""
        if targets is None:
            return list(self._order)
        wanted: set[str] = set()
        todo = list(self.resolve(targets))
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo.extend(self._upstream[name])
        return [name for name in self._order if name in wanted]

    def resolve(self, targets: Iterable[str]) -> list[str]:
        """Stage names for ``targets``; :class:`NotFound` (with close matches) for an unknown one."""
        names: list[str] = []
        for target in targets:
            if target in self.pipeline.stages:
                names.append(target)
                continue
            group = [name for name in self.pipeline.stages if name.split("@", 1)[0] == target]
            if not group:
                self.pipeline.stage(target)  # raises NotFound naming the known stages
            names.extend(group)
        return list(dict.fromkeys(names))

    def layers(self) -> list[list[str]]:
        """Stages grouped by depth (sources first), each layer in definition order."""
        depth: dict[str, int] = {}
        for name in self._order:
            depth[name] = 1 + max((depth[u] for u in self._upstream[name]), default=-1)
        layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name in self.pipeline.stages:
            layers[depth[name]].append(name)
        return layers

    def edges(self) -> list[tuple[str, str]]:
        """Every ``(producer, consumer)`` pair, in definition order of the consumers."""
        return [(u, name) for name in self.pipeline.stages for u in self._upstream[name]]

    def _link(self, stage: Stage) -> tuple[str, ...]:
        producers: list[str] = []
        for dep in stage.deps:
            holder = self.producer_of(dep)
            found = [*([holder] if holder else []), *self.producers_inside(dep)]
            if stage.name in found:
                raise InvalidInput(
                    f"{stage.origin}: stage {stage.name!r} reads {dep!r}, which it writes itself; "
                    "a stage cannot depend on its own output"
                )
            if not found and not _exists(self.pipeline.root, dep):
                raise InvalidInput(
                    f"{stage.origin}: stage {stage.name!r} depends on {dep!r}, which no stage "
                    "produces and which does not exist; create it, fix the path, or add the "
                    "stage that writes it." + _path_hint(dep, self._producers)
                )
            producers.extend(found)
        return tuple(dict.fromkeys(producers))


def _exists(root: Path, path: str) -> bool:
    target = Path(root) / path
    return target.exists() or target.with_name(target.name + ".cairn").exists()


def _path_hint(path: str, produced: Iterable[str]) -> str:
    return did_you_mean(path, produced)


def _check_outputs(pipeline: Pipeline) -> None:
    """Refuse two stages (or one stage twice) writing the same path or nested paths."""
    owners: dict[str, str] = {}
    for stage in pipeline.stages.values():
        for path in stage.produced:
            owners.setdefault(path, stage.name)
    for stage in pipeline.stages.values():
        for path in stage.produced:
            parent = path
            while "/" in parent:
                parent = parent.rsplit("/", 1)[0]
                if parent in owners:
                    raise InvalidInput(_overlap(pipeline, owners[parent], parent, stage.name, path))
            if owners[path] != stage.name:
                raise InvalidInput(
                    f"{stage.origin}: stages {owners[path]!r} and {stage.name!r} both write "
                    f"{path!r}; each output must have one producing stage"
                )
        if len(set(stage.produced)) != len(stage.produced):
            twice = next(p for p in stage.produced if stage.produced.count(p) > 1)
            raise InvalidInput(
                f"{stage.origin}: stage {stage.name!r} lists {twice!r} as both an out and a metric"
            )


def _overlap(pipeline: Pipeline, outer: str, folder: str, inner: str, path: str) -> str:
    origin = pipeline.stages[inner].origin
    if outer == inner:
        return (
            f"{origin}: stage {inner!r} writes {path!r} inside its own out {folder!r}; "
            "list only the folder"
        )
    return (
        f"{origin}: stage {inner!r} writes {path!r}, which is inside {folder!r} written by "
        f"stage {outer!r}; each output must have one producing stage"
    )


def _check_params(pipeline: Pipeline) -> None:
    """Refuse a stage param the params file does not define (read only if a stage has params)."""
    users = [stage for stage in pipeline.stages.values() if stage.params]
    if not users:
        return
    params = read_params(pipeline.root, pipeline.params_file)
    for stage in users:
        param_values(params, stage.params, stage=stage.name, params_file=pipeline.params_file)


def _topological(pipeline: Pipeline, upstream: dict[str, tuple[str, ...]]) -> list[str]:
    """Definition order, moved only as far as needed so that producers come first;
    :class:`InvalidInput` naming the cycle when there is one."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = placed
    for start in pipeline.stages:
        if state.get(start) == 2:
            continue
        path: list[str] = [start]
        stack = [iter(upstream.get(start, ()))]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done = path.pop()
                state[done] = 2
                order.append(done)
            elif state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                origin = pipeline.stages[child].origin
                raise InvalidInput(
                    f"{origin}: the stages form a cycle: {' -> '.join(reversed(cycle))}"
                )
            elif state.get(child) != 2:
                state[child] = 1
                path.append(child)
                stack.append(iter(upstream.get(child, ())))
    return order
