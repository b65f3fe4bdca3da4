"""The lineage graph as pages draw it: a server-side SVG (nodes placed in layers from left to
right, each linking to its page) with the Mermaid text beside it.

Layers: a node sits one layer right of its deepest upstream neighbour (nodes on a cycle,
which recorded data can form, go last). A walk that fails (a store error) leaves the page
up with the reason instead of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from fastapi import Request

from cairn.errors import CairnError
from cairn.lineage import LineageGraph, Node, lineage, to_mermaid
from cairn.server.v1.lineage import request_visibility
from cairn.store import Store

PAGE_DEPTH = 6
PAGE_NODES = 120
WIDTH, HEIGHT, GAP_X, GAP_Y, PAD = 200, 46, 56, 14, 8
MAX_LABEL = 26
COLOURS = {
    "dataset_version": "#1f8fa6",
    "pipeline_run": "#7b4fb3",
    "stage": "#1f5fbf",
    "run": "#2e7d32",
    "model_version": "#c77700",
    "monitor": "#6d7580",
    "alert": "#c62828",
}
HIDDEN_COLOUR = "#b0b8c3"


@dataclass(frozen=True, slots=True)
class Box:
    """A node where the SVG draws it."""

    id: str
    kind: str
    label: str
    title: str
    href: str | None
    x: float
    y: float
    colour: str
    root: bool


@dataclass(slots=True)
class LineageView:
    """What the lineage section shows: boxes, edge paths, the SVG size and the Mermaid text."""

    boxes: list[Box] = field(default_factory=list)
    paths: list[tuple[str, str, str]] = field(default_factory=list)  # (d, relation, id)
    width: float = 0
    height: float = 0
    mermaid: str = ""
    truncated: bool = False
    problem: str = ""
    api_url: str = ""


def href(node: Node) -> str | None:
    """The page of a node's entity (None for hidden nodes)."""
    if node.hidden:
        return None
    f = node.facts
    if node.kind == "pipeline_run":
        return f"/pipelines/{f['run_id']}"
    if node.kind in ("run", "stage"):
        return f"/runs/{f['run_id']}"
    if node.kind == "dataset_version":
        return f"/datasets/{quote(f['name'], safe='')}"
    if node.kind == "model_version":
        return f"/models/{quote(f['name'], safe='')}/versions/{f['version']}"
    if node.kind == "monitor":
        return f"/monitors/{quote(f['name'], safe='')}"
    if node.kind == "alert":
        return f"/monitors/{quote(f['monitor'], safe='')}/windows/{f['window_id']}"
    return None


def _layers(graph: LineageGraph) -> dict[str, int]:
    ups: dict[str, set[str]] = {n: set() for n in graph.nodes}
    downs: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for edge in graph.edges:
        ups[edge.target].add(edge.source)
        downs[edge.source].add(edge.target)
    waiting = {n: len(u) for n, u in ups.items()}
    ready = sorted(n for n, count in waiting.items() if count == 0)
    layer: dict[str, int] = {}
    while ready:
        node = ready.pop()
        layer[node] = 1 + max((layer[u] for u in ups[node]), default=-1)
        for child in sorted(downs[node]):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    last = max(layer.values(), default=-1) + 1
    return {n: layer.get(n, last) for n in graph.nodes}


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def layout(graph: LineageGraph) -> LineageView:
    """Place the graph's nodes and edges for the SVG."""
    layers = _layers(graph)
    columns: dict[int, list[str]] = {}
    for node_id in sorted(graph.nodes, key=lambda n: (graph.nodes[n].kind, n)):
        columns.setdefault(layers[node_id], []).append(node_id)
    tallest = max((len(c) for c in columns.values()), default=0)
    height = tallest * (HEIGHT + GAP_Y) - GAP_Y + 2 * PAD
    where: dict[str, tuple[float, float]] = {}
    view = LineageView(truncated=graph.truncated, mermaid=to_mermaid(graph))
    for column, ids in sorted(columns.items()):
        offset = (height - 2 * PAD - (len(ids) * (HEIGHT + GAP_Y) - GAP_Y)) / 2
        for row, node_id in enumerate(ids):
            node = graph.nodes[node_id]
            x = PAD + column * (WIDTH + GAP_X)
            y = PAD + offset + row * (HEIGHT + GAP_Y)
            where[node_id] = (x, y)
            view.boxes.append(
                Box(
                    id=node_id,
                    kind=node.kind.replace("_", " "),
                    label=_short(node.label),
                    title=node.label,
                    href=href(node),
                    x=x,
                    y=y,
                    colour=HIDDEN_COLOUR if node.hidden else COLOURS[node.kind],
                    root=node_id in graph.roots,
                )
            )
    for edge in sorted(graph.edges):
        sx, sy = where[edge.source]
        tx, ty = where[edge.target]
        x1, y1, x2, y2 = sx + WIDTH, sy + HEIGHT / 2, tx, ty + HEIGHT / 2
        bend = max(GAP_X / 2, (x2 - x1) / 2)
        d = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        view.paths.append((d, edge.relation, f"{edge.source}->{edge.target}"))
    view.width = PAD * 2 + len(columns) * (WIDTH + GAP_X) - GAP_X if columns else 0
    view.height = height if columns else 0
    return view


def lineage_view(request: Request, store: Store, ref: str) -> LineageView:
    """The lineage section of the page of ``ref``, as the caller may see it."""
    api_url = f"/api/v1/lineage?ref={quote(ref, safe='')}"
    try:
        graph = lineage(
            store,
            ref,
            depth=PAGE_DEPTH,
            visibility=request_visibility(request),
            max_nodes=PAGE_NODES,
        )
    except CairnError as exc:
        return LineageView(problem=f"The lineage could not be read: {exc.message}", api_url=api_url)
    view = layout(graph)
    view.api_url = api_url
    return view
