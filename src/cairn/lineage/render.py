"""Renderers of a lineage graph: a JSON-able dict (stable order) and Mermaid text."""

from __future__ import annotations

import re
from typing import Any

from cairn.lineage.graph import KINDS, LineageGraph, Node

_SHAPES = {
    "dataset_version": ("[(", ")]"),
    "pipeline_run": ("[[", "]]"),
    "stage": ("[", "]"),
    "run": ("[", "]"),
    "model_version": ("{{", "}}"),
    "monitor": ("([", "])"),
    "alert": (">", "]"),
}
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_]")


def _order(node: Node) -> tuple[int, int, str]:
    return (KINDS.index(node.kind), node.depth, node.id)


def to_dict(graph: LineageGraph) -> dict[str, Any]:
    """The graph as plain JSON data: nodes by kind then id, edges sorted."""
    return {
        "ref": graph.ref,
        "roots": list(graph.roots),
        "direction": graph.direction,
        "depth": graph.depth,
        "truncated": graph.truncated,
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind,
                "label": n.label,
                "hidden": n.hidden,
                "depth": n.depth,
                "facts": n.facts,
            }
            for n in sorted(graph.nodes.values(), key=_order)
        ],
        "edges": [
            {"source": e.source, "target": e.target, "relation": e.relation}
            for e in sorted(graph.edges)
        ],
    }


def mermaid_id(node_id: str) -> str:
    """A Mermaid-safe id: unsafe characters become ``_xx`` (their hex code)."""
    return "n_" + _UNSAFE_ID.sub(lambda m: f"_{ord(m.group()):x}", node_id)


def _quoted(text: str) -> str:
    # Mermaid labels are quoted; a double quote inside becomes its entity code.
    return '"' + text.replace('"', "#quot;").replace("\n", " ") + '"'


def _label(node: Node) -> str:
    kind = node.kind.replace("_", " ")
    text = f"{kind}: {node.label}"
    if node.kind in ("run", "stage", "pipeline_run") and not node.hidden:
        commit = node.facts.get("commit")
        status = node.facts.get("status")
        extra = " ".join(x for x in (status, commit[:8] if commit else None) if x)
        text += f" ({extra})" if extra else ""
    return text


def to_mermaid(graph: LineageGraph) -> str:
    """The graph as a Mermaid ``flowchart LR``: one line per node, one per edge."""
    lines = ["flowchart LR"]
    for node in sorted(graph.nodes.values(), key=_order):
        left, right = _SHAPES[node.kind]
        lines.append(f"    {mermaid_id(node.id)}{left}{_quoted(_label(node))}{right}")
    for edge in sorted(graph.edges):
        lines.append(
            f"    {mermaid_id(edge.source)} -->|{_quoted(edge.relation)}| {mermaid_id(edge.target)}"
        )
    for root in graph.roots:
        lines.append(f"    style {mermaid_id(root)} stroke-width:3px")
    return "\n".join(lines) + "\n"
