"""Lineage: the graph from data versions through pipeline stages and runs to model versions,
their monitors and the alerts those fired, walked upstream and downstream from one entity.

    >>> graph = lineage(store, "models:/churn@champion")
    >>> to_mermaid(graph)

:func:`lineage` builds a :class:`LineageGraph`; :func:`to_dict` and :func:`to_mermaid` render it.
"""

from cairn.lineage.builder import DEFAULT_DEPTH, DIRECTIONS, MAX_DEPTH, lineage
from cairn.lineage.graph import KINDS, Edge, LineageGraph, Node
from cairn.lineage.refs import FORMS, parse_ref
from cairn.lineage.render import to_dict, to_mermaid
from cairn.lineage.visibility import Visibility

__all__ = [
    "DEFAULT_DEPTH",
    "DIRECTIONS",
    "FORMS",
    "KINDS",
    "MAX_DEPTH",
    "Edge",
    "LineageGraph",
    "Node",
    "Visibility",
    "lineage",
    "parse_ref",
    "to_dict",
    "to_mermaid",
]
