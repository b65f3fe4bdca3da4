"""The lineage graph as a picture: nodes placed in layers from left to right (a node sits one
layer right of its deepest upstream neighbour; nodes on a cycle, which recorded data can
form, go last) and drawn as one self-contained SVG, for the UI's pages and for notebooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from cairn.lineage.graph import LineageGraph, Node

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
EDGE_COLOUR = "#8b97a6"


@dataclass(frozen=True, slots=True)
class Box:
    """A node where the picture draws it."""

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
class Layout:
    """Where each node and edge goes: boxes, edge paths ``(d, relation, id)`` and the size."""

    boxes: list[Box] = field(default_factory=list)
    paths: list[tuple[str, str, str]] = field(default_factory=list)
    width: float = 0
    height: float = 0


def _no_link(node: Node) -> str | None:
    return None


def layout(graph: LineageGraph, href: Callable[[Node], str | None] = _no_link) -> Layout:
    """Place the graph's nodes and edges; ``href`` gives the link of a node's box (None: no
    link)."""
    layers = _layers(graph)
    columns: dict[int, list[str]] = {}
    for node_id in sorted(graph.nodes, key=lambda n: (graph.nodes[n].kind, n)):
        columns.setdefault(layers[node_id], []).append(node_id)
    if not columns:
        return Layout()
    tallest = max(len(c) for c in columns.values())
    height = tallest * (HEIGHT + GAP_Y) - GAP_Y + 2 * PAD
    where: dict[str, tuple[float, float]] = {}
    placed = Layout(width=PAD * 2 + len(columns) * (WIDTH + GAP_X) - GAP_X, height=height)
    for column, ids in sorted(columns.items()):
        offset = (height - 2 * PAD - (len(ids) * (HEIGHT + GAP_Y) - GAP_Y)) / 2
        for row, node_id in enumerate(ids):
            node = graph.nodes[node_id]
            x = PAD + column * (WIDTH + GAP_X)
            y = PAD + offset + row * (HEIGHT + GAP_Y)
            where[node_id] = (x, y)
            kind = node.kind.replace("_", " ")
            label = f"hidden {kind}" if node.hidden else node.label  # never a hidden name
            placed.boxes.append(
                Box(
                    id=node_id,
                    kind=kind,
                    label=_short(label),
                    title=label,
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
        placed.paths.append((d, edge.relation, f"{edge.source}->{edge.target}"))
    return placed


def to_svg(placed: Layout) -> str:
    """The laid-out graph as one SVG element (every text escaped; "" for an empty graph)."""
    if not placed.boxes:
        return ""
    w, h = f"{placed.width:g}", f"{placed.height:g}"
    parts = [
        f'<svg class="lineage-svg" role="img" aria-label="Lineage graph" width="{w}" '
        f'height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="lineage-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{EDGE_COLOUR}"/></marker></defs>',
    ]
    for d, relation, edge_id in placed.paths:
        parts.append(
            f'<path class="lineage-edge" d="{d}" data-edge="{escape(edge_id)}" fill="none" '
            f'stroke="{EDGE_COLOUR}" stroke-width="1.4" marker-end="url(#lineage-arrow)">'
            f"<title>{escape(relation)}</title></path>"
        )
    for b in placed.boxes:
        node = escape(b.id)
        opening, closing = (
            (f'<a href="{escape(b.href)}" class="lineage-node" data-node="{node}">', "</a>")
            if b.href
            else (f'<g class="lineage-node hidden-node" data-node="{node}">', "</g>")
        )
        parts.append(
            f"{opening}<title>{escape(b.kind)}: {escape(b.title)}</title>"
            f'<rect x="{b.x:g}" y="{b.y:g}" width="{WIDTH}" height="{HEIGHT}" rx="6" '
            f'fill="white" stroke="{b.colour}" stroke-width="{3 if b.root else 1.5}"/>'
            f'<rect x="{b.x:g}" y="{b.y:g}" width="6" height="{HEIGHT}" rx="2" '
            f'fill="{b.colour}"/>'
            f'<text x="{b.x + 14:g}" y="{b.y + 19:g}" font-size="13" fill="#1d2733">'
            f"{escape(b.label)}</text>"
            f'<text x="{b.x + 14:g}" y="{b.y + 36:g}" font-size="11" fill="#6d7580">'
            f"{escape(b.kind)}</text>{closing}"
        )
    parts.append("</svg>")
    return "\n".join(parts)


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
