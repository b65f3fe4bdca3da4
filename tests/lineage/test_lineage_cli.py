"""``cairn lineage`` end to end through the root group: tree, JSON, Mermaid, bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from lineage_chain import RAW, Chain, build_chain

from cairn.cli import cli
from cairn.tracking.client import CairnClient


@pytest.fixture
def chain(client: CairnClient) -> Chain:
    return build_chain(client.store)


def invoke(*args: str):
    return CliRunner().invoke(cli, ["lineage", *args])


def test_tree_shows_upstream_and_downstream(chain: Chain):
    result = invoke("models:/churn@champion")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "lineage of models:/churn@champion" in out
    assert "upstream" in out and "downstream" in out
    for text in ("registered from", "stage train", "commit c0ffee", "params lr=0.1", "seeds numpy=7",
                 "env eeeeeeeeeeee", "read", "written by", "raw@111111111111", "pipeline run nightly",
                 "monitored by", "monitor churn-mon", "fired", "alert busy (window 1)"):  # fmt: skip
        assert text in out, text


def test_json_and_mermaid(chain: Chain):
    result = invoke(RAW[:8], "--downstream", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["direction"] == "downstream" and data["roots"] == [f"dataset:raw@{RAW}"]
    assert {n["kind"] for n in data["nodes"]} == {
        "dataset_version",
        "stage",
        "model_version",
        "monitor",
        "alert",
    }
    mermaid = invoke(chain.train, "--upstream", "--depth", "1", "--mermaid")
    assert mermaid.exit_code == 0, mermaid.output
    assert mermaid.output.startswith("flowchart LR\n")
    assert '-->|"read by"|' in mermaid.output and '"has stage"' in mermaid.output
    assert "model version" not in mermaid.output  # upstream only


def test_upstream_only_tree_has_no_downstream_branch(chain: Chain):
    result = invoke(chain.train, "--upstream")
    assert result.exit_code == 0 and "downstream" not in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nothing-like-a-ref"], "is not a model URI"),
        (["models:/churn@missing"], "models:/churn@missing"),
        (["f" * 32], "no run has that id"),
        (["models:/churn/1", "--json", "--mermaid"], "exclusive"),
        (["models:/churn/1", "--depth", "99"], "99"),
    ],
)
def test_bad_input_exits_2_with_a_message(chain: Chain, args: list[str], says: str):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert says in result.output
