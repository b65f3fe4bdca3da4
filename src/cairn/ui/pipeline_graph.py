"""What the pipeline page draws, from a pipeline run's ``pipeline.json``: stages placed by
depth (left to right), edges, the statuses present with their colours, and status counts.

Pure functions over the JSON document, so they are tested without a server; a malformed
document raises :class:`cairn.errors.InvalidInput` with what is wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cairn.errors import InvalidInput
from cairn.ui.formatting import duration

__all__ = ["STATUS_COLOURS", "PipelineView", "StageNode", "parse_document", "seconds"]

# The order of the legend, and each status's colour (dark enough on white and on dark grey).
STATUS_COLOURS = {
    "ran": "#2e7d32",
    "cached": "#1f8fa6",
    "running": "#1f5fbf",
    "pending": "#8b97a6",
    "would-run": "#7b4fb3",
    "skipped": "#b0b8c3",
    "blocked": "#c77700",
    "failed": "#c62828",
}
OTHER_COLOUR = "#6d7580"


@dataclass(frozen=True)
class StageNode:
    """A stage as the page shows it: its result and its place in the drawing."""

    name: str
    status: str
    reason: str
    run_id: str | None
    duration: float | None
    attempts: int
    upstream: tuple[str, ...]
    layer: int
    row: float
    colour: str


@dataclass(frozen=True)
class PipelineView:
    """The stages of a pipeline run, in layer order, and what the legend shows."""

    source: str
    stages: list[StageNode]

    @property
    def edges(self) -> list[tuple[str, str]]:
        """``(upstream, stage)`` pairs among the drawn stages."""
        names = {s.name for s in self.stages}
        return [(u, s.name) for s in self.stages for u in s.upstream if u in names]

    @property
    def counts(self) -> dict[str, int]:
        """How many stages have each status, in legend order."""
        found: dict[str, int] = {}
        for stage in self.stages:
            found[stage.status] = found.get(stage.status, 0) + 1
        order = list(STATUS_COLOURS)
        return dict(sorted(found.items(), key=lambda kv: (_rank(order, kv[0]), kv[0])))

    def chart_data(self) -> dict[str, Any]:
        """The JSON the page's script draws: nodes, edges and the legend's statuses."""
        return {
            "nodes": [asdict(stage) for stage in self.stages],
            "edges": self.edges,
            "statuses": [{"name": status, "colour": _colour(status)} for status in self.counts],
        }


def parse_document(document: Any) -> PipelineView:
    """The view of a ``pipeline.json`` document (version 1)."""
    if not isinstance(document, dict) or not isinstance(document.get("stages"), list):
        raise InvalidInput("pipeline.json has no 'stages' list")
    entries: dict[str, dict[str, Any]] = {}
    for entry in document["stages"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InvalidInput("pipeline.json has a stage without a name")
        entries[entry["name"]] = entry
    depth = _depths({name: _names(e.get("upstream")) for name, e in entries.items()})
    rows: dict[int, list[str]] = {}
    for name in entries:
        rows.setdefault(depth[name], []).append(name)
    stages = []
    for layer in sorted(rows):
        names = rows[layer]
        for index, name in enumerate(names):
            entry = entries[name]
            status = str(entry.get("status") or "pending")
            stages.append(
                StageNode(
                    name=name,
                    status=status,
                    reason=str(entry.get("reason") or ""),
                    run_id=entry.get("run_id") if isinstance(entry.get("run_id"), str) else None,
                    duration=_number(entry.get("duration")),
                    attempts=int(_number(entry.get("attempts")) or 0),
                    upstream=tuple(u for u in _names(entry.get("upstream")) if u in entries),
                    layer=layer,
                    row=index - (len(names) - 1) / 2,
                    colour=_colour(status),
                )
            )
    return PipelineView(str(document.get("source") or ""), stages)


def seconds(value: float | None) -> str:
    """A stage's duration as ``0.42s``, ``3m 07s`` or ``1h 02m``; ``–`` when unknown."""
    if value is None:
        return "–"
    return f"{value:.2f}s" if value < 10 else duration(0, round(value * 1000))


def _depths(upstream: dict[str, list[str]]) -> dict[str, int]:
    """Each stage's depth: 0 without upstream stages, else one more than its deepest one.
    Stages on a cycle (which a valid pipeline cannot have) go after all the others."""
    parents = {name: [u for u in ups if u in upstream] for name, ups in upstream.items()}
    children: dict[str, list[str]] = {name: [] for name in upstream}
    for name, ups in parents.items():
        for parent in ups:
            children[parent].append(name)
    waiting = {name: len(ups) for name, ups in parents.items()}
    ready = [name for name, n in waiting.items() if n == 0]
    depth: dict[str, int] = {}
    while ready:
        name = ready.pop()
        depth[name] = 1 + max((depth[u] for u in parents[name]), default=-1)
        for child in children[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    last = max(depth.values(), default=-1) + 1
    return {name: depth.get(name, last) for name in upstream}


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _colour(status: str) -> str:
    return STATUS_COLOURS.get(status, OTHER_COLOUR)


def _rank(order: list[str], status: str) -> int:
    return order.index(status) if status in order else len(order)
