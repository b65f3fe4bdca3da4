"""Drawing a stage graph as text: layers with arrows for a terminal, Mermaid for Markdown,
DOT for Graphviz. Each drawing covers all stages or a chosen subset (with the edges among them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from cairn.pipelines.graph import Graph

__all__ = ["FORMATS", "render", "render_dot", "render_mermaid", "render_text"]

FORMATS = ("text", "mermaid", "dot")


def render(graph: Graph, fmt: str = "text", stages: Iterable[str] | None = None) -> str:
    """``graph`` (or only ``stages`` of it) drawn in ``fmt``: one of :data:`FORMATS`."""
    drawers = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}
    return drawers[fmt](graph, stages)


def _subset(graph: Graph, stages: Iterable[str] | None) -> tuple[list[list[str]], set[str]]:
    """The layers restricted to ``stages`` (empty layers dropped) and the chosen names."""
    chosen = set(graph.stages if stages is None else stages)
    layers = [[name for name in layer if name in chosen] for layer in graph.layers()]
    return [layer for layer in layers if layer], chosen


def render_text(graph: Graph, stages: Iterable[str] | None = None) -> str:
    """One line per stage, grouped by depth, each with the stages it reads from::

    1  prepare
    2  train     <- prepare
       features  <- prepare
    3  report    <- train, features
    """
    layers, chosen = _subset(graph, stages)
    width = max((len(name) for layer in layers for name in layer), default=0)
    number_width = len(str(len(layers)))
    lines = []
    for depth, layer in enumerate(layers, start=1):
        for index, name in enumerate(layer):
            label = str(depth).rjust(number_width) if index == 0 else " " * number_width
            sources = [u for u in graph.upstream(name) if u in chosen]
            arrow = f"  <- {', '.join(sources)}" if sources else ""
            lines.append(f"{label}  {name.ljust(width) if arrow else name}{arrow}")
    return "\n".join(lines)


def render_mermaid(graph: Graph, stages: Iterable[str] | None = None) -> str:
    """A Mermaid ``flowchart TD`` (paste into Markdown that renders Mermaid)."""
    layers, chosen = _subset(graph, stages)
    names = [name for layer in layers for name in layer]
    ids = {name: f"s{index}" for index, name in enumerate(names)}
    lines = ["flowchart TD"]
    lines += [f'    {ids[name]}["{name}"]' for name in names]  # names hold no quotes
    lines += [
        f"    {ids[source]} --> {ids[target]}"
        for source, target in graph.edges()
        if source in chosen and target in chosen
    ]
    return "\n".join(lines)


def render_dot(graph: Graph, stages: Iterable[str] | None = None) -> str:
    """A Graphviz ``digraph`` (``dot -Tsvg``), sources at the top."""
    layers, chosen = _subset(graph, stages)
    lines = ["digraph pipeline {", "    rankdir=TB;", "    node [shape=box];"]
    lines += [f"    {_dot_id(name)};" for layer in layers for name in layer]
    lines += [
        f"    {_dot_id(source)} -> {_dot_id(target)};"
        for source, target in graph.edges()
        if source in chosen and target in chosen
    ]
    lines.append("}")
    return "\n".join(lines)


def _dot_id(name: str) -> str:
    return json.dumps(name)  # double-quoted: DOT reads names with '@', '-' or '.' only so
