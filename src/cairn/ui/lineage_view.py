"""The lineage section of a page: the graph's picture (:mod:`cairn.lineage.picture`, each box
linking to its entity's page) with the Mermaid text beside it. A walk that fails (a store
error) leaves the page up with the reason instead of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request

from cairn.errors import CairnError
from cairn.lineage import Node, lineage, to_mermaid
from cairn.lineage.picture import layout, to_svg
from cairn.server.v1.lineage import request_visibility
from cairn.store import Store

PAGE_DEPTH = 6
PAGE_NODES = 120


@dataclass(slots=True)
class LineageView:
    """What the lineage section shows: the SVG ("" when nothing was recorded), the Mermaid
    text, whether the walk stopped at its node limit, or why it failed."""

    svg: str = ""
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
    return LineageView(
        svg=to_svg(layout(graph, href)),
        mermaid=to_mermaid(graph),
        truncated=graph.truncated,
        api_url=api_url,
    )
