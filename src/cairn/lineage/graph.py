"""The lineage graph: typed nodes with facts, and named edges that point downstream.

An edge always points the way data flows (a dataset version to the run that read it, a run
to the model version registered from it, a monitor to the alert it fired), whichever way the
walk found it. A node the caller may not read is ``hidden``: it keeps its kind, loses its
label and facts, and the walk does not go past it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DATASET_VERSION = "dataset_version"
PIPELINE_RUN = "pipeline_run"
STAGE = "stage"
RUN = "run"
MODEL_VERSION = "model_version"
MONITOR = "monitor"
ALERT = "alert"
KINDS = (DATASET_VERSION, PIPELINE_RUN, STAGE, RUN, MODEL_VERSION, MONITOR, ALERT)

READ = "read by"
WROTE = "wrote"
HAS_STAGE = "has stage"
REGISTERED = "registered as"
MONITORED = "monitored by"
FIRED = "fired"
#: each relation read from its target's side (for views that walk edges backwards)
INVERSE = {
    READ: "read",
    WROTE: "written by",
    HAS_STAGE: "stage of",
    REGISTERED: "registered from",
    MONITORED: "monitors",
    FIRED: "fired by",
}


@dataclass(slots=True)
class Node:
    """One entity of the graph: ``id`` is unique in the graph (``run:<id>``, ...)."""

    id: str
    kind: str
    label: str
    facts: dict[str, Any] = field(default_factory=dict)
    hidden: bool = False
    depth: int = 0  # hops from the nearest start node


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """``source`` feeds ``target``; ``relation`` says how (:data:`READ`, :data:`WROTE`, ...)."""

    source: str
    target: str
    relation: str


@dataclass(slots=True)
class LineageGraph:
    """The nodes and edges reached from ``roots`` within ``depth`` hops in ``direction``."""

    ref: str
    roots: list[str]
    direction: str
    depth: int
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)
    truncated: bool = False  # the node cap stopped the walk before the depth did

    def add_edge(self, source: str, target: str, relation: str) -> None:
        """Connect two nodes already in the graph."""
        self.edges.add(Edge(source, target, relation))

    def upstream_of(self, node_id: str) -> list[Edge]:
        """Edges into ``node_id``, sorted."""
        return sorted(e for e in self.edges if e.target == node_id)

    def downstream_of(self, node_id: str) -> list[Edge]:
        """Edges out of ``node_id``, sorted."""
        return sorted(e for e in self.edges if e.source == node_id)

    def of_kind(self, kind: str) -> list[Node]:
        """The nodes of one kind, by id."""
        return sorted((n for n in self.nodes.values() if n.kind == kind), key=lambda n: n.id)

    def _repr_html_(self) -> str:
        from cairn.lineage.picture import layout, to_svg
        from cairn.reprs import lineage_html

        return lineage_html(self, picture=to_svg(layout(self)))
