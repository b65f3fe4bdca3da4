"""The JSON and Mermaid forms of a lineage graph: structure, stable order, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from lineage_chain import CLEAN, Chain, build_chain, dataset

from cairn.lineage import lineage, to_dict, to_mermaid
from cairn.lineage.render import mermaid_id
from cairn.store import Store, open_store

NODE_LINE = re.compile(r'^    (n_[A-Za-z0-9_]+)\S*?"(.*)"\S*$')
EDGE_LINE = re.compile(r'^    (n_[A-Za-z0-9_]+) -->\|"([a-z ]+)"\| (n_[A-Za-z0-9_]+)$')


@pytest.fixture
def store(sqlite_uri: str, tmp_path) -> Iterator[Store]:
    with open_store(sqlite_uri, artifact_root=str(tmp_path / "artifacts")) as opened:
        yield opened


@pytest.fixture
def chain(store: Store) -> Chain:
    return build_chain(store)


def test_json_form_is_plain_ordered_and_complete(store: Store, chain: Chain):
    first = to_dict(lineage(store, "models:/churn@champion"))
    again = to_dict(lineage(store, "models:/churn@champion"))
    assert json.dumps(first) == json.dumps(again)  # stable: same input, same text
    assert set(first) == {"ref", "roots", "direction", "depth", "truncated", "nodes", "edges"}
    kinds = [n["kind"] for n in first["nodes"]]
    order = ["dataset_version", "pipeline_run", "stage", "run", "model_version", "monitor", "alert"]
    assert kinds == sorted(kinds, key=order.index)
    assert first["edges"] == sorted(
        first["edges"], key=lambda e: (e["source"], e["target"], e["relation"])
    )
    ids = {n["id"] for n in first["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in first["edges"])
    train = next(n for n in first["nodes"] if n["id"] == f"run:{chain.train}")
    assert train["facts"]["seeds"] == {"numpy": "7"} and train["hidden"] is False
    assert json.loads(json.dumps(first)) == first


def test_mermaid_form_has_one_line_per_node_and_edge(store: Store, chain: Chain):
    graph = lineage(store, "models:/churn@champion")
    text = to_mermaid(graph)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR" and text.endswith("\n")
    nodes = [m.groups() for line in lines if (m := NODE_LINE.match(line)) and "-->" not in line]
    edges = [m.groups() for line in lines if (m := EDGE_LINE.match(line))]
    assert len(nodes) == len(graph.nodes) and len(edges) == len(graph.edges)
    declared = {n[0] for n in nodes}
    assert all(src in declared and dst in declared for src, _, dst in edges)
    assert (mermaid_id(f"run:{chain.train}"), "registered as", mermaid_id("model:churn/1")) in edges
    assert f"    style {mermaid_id('model:churn/1')} stroke-width:3px" in lines
    labels = dict(nodes)
    assert labels[mermaid_id("model:churn/1")] == "model version: churn v1 @champion"


def test_mermaid_escapes_ids_and_quotes_labels(store: Store, chain: Chain):
    odd = 'sales "2024" (eu)/v1'
    store.run_io.log_inputs(chain.train, [dataset(odd, "3" * 32, "input")])
    text = to_mermaid(lineage(store, chain.train, direction="upstream", depth=1))
    node_id = mermaid_id(f"dataset:{odd}@{'3' * 32}")
    assert re.fullmatch(r"n_[A-Za-z0-9_]+", node_id)
    line = next(x for x in text.splitlines() if x.startswith(f"    {node_id}["))
    assert "#quot;2024#quot;" in line and line.count('"') == 2
    assert mermaid_id("a:b") != mermaid_id("a_b") != mermaid_id("a-b")
    assert CLEAN[:12] in text
