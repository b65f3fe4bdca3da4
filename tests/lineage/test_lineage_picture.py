"""The lineage picture: layers from upstream (left) to downstream (right), and its SVG."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from cairn.lineage import LineageGraph, Node
from cairn.lineage.picture import COLOURS, HIDDEN_COLOUR, layout, to_svg


def _chain() -> LineageGraph:
    graph = LineageGraph("models:/churn/1", ["model_version:churn/1"], "both", 3)
    graph.nodes["dataset_version:d"] = Node("dataset_version:d", "dataset_version", "raw <v2>")
    graph.nodes["run:r"] = Node("run:r", "run", "train")
    graph.nodes["run:s"] = Node("run:s", "run", "secret-name", hidden=True)
    graph.nodes["model_version:churn/1"] = Node("model_version:churn/1", "model_version", "c")
    graph.add_edge("dataset_version:d", "run:r", "read by")
    graph.add_edge("run:r", "model_version:churn/1", "registered as")
    graph.add_edge("dataset_version:d", "run:s", "read by")
    return graph


def test_each_node_sits_right_of_what_feeds_it():
    boxes = {b.id: b for b in layout(_chain()).boxes}
    assert boxes["dataset_version:d"].x < boxes["run:r"].x < boxes["model_version:churn/1"].x
    assert boxes["run:r"].x == boxes["run:s"].x  # the same layer, one above the other
    assert boxes["run:r"].y != boxes["run:s"].y


def test_nodes_on_a_cycle_go_last():
    graph = _chain()
    graph.add_edge("model_version:churn/1", "run:r", "wrote")  # r <-> model: a cycle
    boxes = {b.id: b for b in layout(graph).boxes}
    assert boxes["run:r"].x == boxes["model_version:churn/1"].x > boxes["dataset_version:d"].x


def test_the_svg_links_visible_nodes_hides_hidden_names_and_escapes_text():
    placed = layout(_chain(), href=lambda node: None if node.hidden else f"/x/{node.id}?a&b")
    svg = to_svg(placed)
    ElementTree.fromstring(svg)  # well-formed XML
    assert "secret-name" not in svg and "hidden run" in svg
    assert 'href="/x/run:r?a&amp;b"' in svg and 'href="/x/run:s' not in svg
    assert "raw &lt;v2&gt;" in svg and "<v2>" not in svg
    assert svg.count('class="lineage-edge"') == 3 and svg.count("data-node=") == 4
    assert f'stroke="{HIDDEN_COLOUR}"' in svg and f'stroke="{COLOURS["run"]}"' in svg
    root = re.search(r'data-node="model_version:churn/1".*?stroke-width="(\S+)"', svg)
    assert root is not None and root.group(1) == "3"  # the start node is drawn bolder


def test_an_empty_graph_draws_nothing():
    empty = LineageGraph("runs:/x", ["run:x"], "both", 1)
    assert layout(empty).boxes == [] and to_svg(layout(empty)) == ""
