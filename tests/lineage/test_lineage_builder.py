"""The lineage builder on every store (SQLite, PostgreSQL, MySQL, a live server): the whole
chain from each end, one direction at a time, depth limits and bad references."""

from __future__ import annotations

import pytest
from lineage_chain import CLEAN, COMMIT, RAW, Chain, build_chain

from cairn.errors import InvalidInput, NotFound
from cairn.lineage import lineage
from cairn.lineage.graph import FIRED, HAS_STAGE, MONITORED, READ, REGISTERED, WROTE
from cairn.store import Store

MODEL = "model:churn/1"
RAW_NODE = f"dataset:raw@{RAW}"
CLEAN_NODE = f"dataset:clean@{CLEAN}"


@pytest.fixture
def chain(cairn_store: Store) -> Chain:
    return build_chain(cairn_store)


def whole_chain(c: Chain) -> set[tuple[str, str, str]]:
    return {
        (RAW_NODE, f"run:{c.prepare}", READ),
        (f"run:{c.prepare}", CLEAN_NODE, WROTE),
        (CLEAN_NODE, f"run:{c.train}", READ),
        (f"run:{c.train}", MODEL, REGISTERED),
        (MODEL, "monitor:churn-mon", MONITORED),
        ("monitor:churn-mon", f"alert:{c.alert_id}", FIRED),
    }


def edges(graph) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.relation) for e in graph.edges}


def test_from_the_model_alias_the_whole_chain_with_facts(cairn_store: Store, chain: Chain):
    graph = lineage(cairn_store, "models:/churn@champion")
    assert graph.roots == [MODEL]
    assert edges(graph) >= whole_chain(chain)
    assert (f"run:{chain.pipeline}", f"run:{chain.train}", HAS_STAGE) in edges(graph)
    train = graph.nodes[f"run:{chain.train}"]
    assert train.kind == "stage" and train.label == "train"
    assert train.facts["commit"] == COMMIT and train.facts["dirty"] is False
    assert train.facts["params"] == {"lr": "0.1"} and train.facts["seeds"] == {"numpy": "7"}
    assert train.facts["environment"] == "e" * 16 and train.facts["status"] == "FINISHED"
    assert graph.nodes[f"run:{chain.pipeline}"].kind == "pipeline_run"
    version = graph.nodes[MODEL]
    assert version.facts["aliases"] == ["champion"] and version.label == "churn v1 @champion"
    alert = graph.nodes[f"alert:{chain.alert_id}"]
    assert alert.facts["rule"] == "busy" and alert.facts["window"]["rows"] == 10
    assert graph.nodes["monitor:churn-mon"].facts["model_ref"] == "champion"
    assert not graph.truncated and not any(n.hidden for n in graph.nodes.values())


def test_from_the_raw_data_downstream_reaches_the_alert(cairn_store: Store, chain: Chain):
    graph = lineage(cairn_store, RAW[:8], direction="downstream")
    assert graph.roots == [RAW_NODE]
    assert edges(graph) == whole_chain(chain)  # the pipeline run is upstream of its stages


def test_from_a_run_each_direction_alone(cairn_store: Store, chain: Chain):
    up = lineage(cairn_store, chain.train, direction="upstream")
    assert set(up.nodes) == {
        f"run:{chain.train}",
        CLEAN_NODE,
        f"run:{chain.prepare}",
        RAW_NODE,
        f"run:{chain.pipeline}",
    }
    down = lineage(cairn_store, f"runs:/{chain.train}", direction="downstream")
    assert set(down.nodes) == {
        f"run:{chain.train}",
        MODEL,
        "monitor:churn-mon",
        f"alert:{chain.alert_id}",
    }


def test_dataset_references_and_a_pipeline_run(cairn_store: Store, chain: Chain):
    by_name = lineage(cairn_store, "dataset:clean")
    assert by_name.roots == [CLEAN_NODE]
    assert lineage(cairn_store, f"dataset:clean@{CLEAN[:10]}").roots == [CLEAN_NODE]
    full_oid = CLEAN + "f" * 32  # a whole content oid: run inputs keep its first 32 digits
    assert lineage(cairn_store, full_oid).roots == [CLEAN_NODE]
    pipeline = lineage(cairn_store, chain.pipeline, direction="downstream")
    assert {
        (f"run:{chain.pipeline}", f"run:{s}", HAS_STAGE) for s in (chain.prepare, chain.train)
    } <= edges(pipeline)
    assert f"alert:{chain.alert_id}" in pipeline.nodes


def test_depth_bounds_the_walk(cairn_store: Store, chain: Chain):
    assert set(lineage(cairn_store, "models:/churn/1", depth=0).nodes) == {MODEL}
    one = lineage(cairn_store, "models:/churn/1", depth=1)
    assert set(one.nodes) == {MODEL, f"run:{chain.train}", "monitor:churn-mon"}
    capped = lineage(cairn_store, "models:/churn/1", max_nodes=3)
    assert len(capped.nodes) == 3 and capped.truncated


@pytest.mark.parametrize(
    ("ref", "error", "says"),
    [
        ("", InvalidInput, "is empty"),
        ("models:/churn", InvalidInput, "models:/NAME@ALIAS"),
        ("models:/churn/0", InvalidInput, "models:/NAME/VERSION"),
        ("runs:/xyz", InvalidInput, "32-hex run id"),
        ("abc", InvalidInput, "dataset digest"),
        ("dataset:", InvalidInput, "no dataset name"),
        ("models:/churn@nope", NotFound, "models:/churn@nope"),
        ("models:/churn/7", NotFound, "models:/churn/7"),
        ("9" * 32, NotFound, "no run has that id"),
        ("9" * 12, NotFound, "starts with '999999999999'"),
        ("dataset:clean@abcdef12", NotFound, "names nothing"),
        ("dataset:nothing", NotFound, "nothing"),
    ],
)
def test_bad_references_say_what_is_accepted_and_change_nothing(
    cairn_store: Store, chain: Chain, ref: str, error: type[Exception], says: str
):
    before = cairn_store.audit.head()
    with pytest.raises(error) as caught:
        lineage(cairn_store, ref)
    assert says in str(caught.value) and "dataset:NAME[@DIGEST]" in str(caught.value)
    assert cairn_store.audit.head() == before


@pytest.mark.parametrize(
    ("depth", "direction"), [(-1, "both"), (51, "both"), (True, "both"), (2, "sideways")]
)
def test_bad_depth_or_direction(cairn_store: Store, chain: Chain, depth: object, direction: str):
    with pytest.raises(InvalidInput):
        lineage(cairn_store, "models:/churn/1", depth=depth, direction=direction)  # type: ignore[arg-type]


def test_dataset_versions_by_digest_on_the_store(cairn_store: Store, chain: Chain):
    found = cairn_store.datasets.get_dataset_versions(CLEAN[:8])
    assert [(v.dataset.name, v.dataset.digest) for v in found] == [("clean", CLEAN)]
    assert sorted(u.context for u in found[0].uses) == ["input", "output"]
    assert {u.run_id for u in found[0].uses} == {chain.prepare, chain.train}
    with pytest.raises(NotFound, match="starts with"):
        cairn_store.datasets.get_dataset_versions(RAW, experiment_ids=["0"])  # not its runs
    for bad in ("1111111", "1111111%", "ABCDEF12", "1" * 37, 12345678):
        with pytest.raises(InvalidInput, match="dataset digest"):
            cairn_store.datasets.get_dataset_versions(bad)  # type: ignore[arg-type]
