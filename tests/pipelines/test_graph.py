"""The stage graph: links, orders and layers, and every refusal before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.errors import InvalidInput, NotFound
from cairn.pipelines.graph import Graph
from cairn.pipelines.model import Pipeline, Stage


def pipeline(root: Path, *stages: Stage) -> Pipeline:
    return Pipeline(root=root, stages={s.name: s for s in stages})


def diamond(root: Path) -> Graph:
    (root / "raw.csv").write_text("x\n")
    return Graph.build(
        pipeline(
            root,
            Stage("prepare", "p", deps=("raw.csv",), outs=("data/prepared",)),
            Stage("train", "t", deps=("data/prepared/train.csv",), outs=("model.pkl",)),
            Stage("features", "f", deps=("data/prepared",), outs=("features.parquet",)),
            Stage("report", "r", deps=("model.pkl", "features.parquet"), metrics=("m.json",)),
        )
    )


def test_links_orders_and_layers(tmp_path: Path) -> None:
    graph = diamond(tmp_path)
    assert graph.upstream("report") == ("train", "features")
    assert graph.upstream("train") == ("prepare",)  # a file inside the producer's out folder
    assert graph.downstream("prepare") == ("train", "features")
    assert graph.order() == ["prepare", "train", "features", "report"]
    assert graph.order(["features"]) == ["prepare", "features"]
    assert graph.layers() == [["prepare"], ["train", "features"], ["report"]]
    assert graph.producer_of("data/prepared/x/y.csv") == "prepare"
    assert graph.producer_of("m.json") == "report"
    assert graph.producer_of("raw.csv") is None
    assert ("prepare", "train") in graph.edges()


def test_a_dep_folder_depends_on_the_stages_writing_inside_it(tmp_path: Path) -> None:
    graph = Graph.build(
        pipeline(
            tmp_path,
            Stage("a", "a", outs=("out/a.txt",)),
            Stage("b", "b", outs=("out/b.txt",)),
            Stage("all", "c", deps=("out",)),
        )
    )
    assert graph.upstream("all") == ("a", "b")


def test_order_puts_producers_first_whatever_the_definition_order(tmp_path: Path) -> None:
    graph = Graph.build(
        pipeline(
            tmp_path,
            Stage("last", "x", deps=("b.txt",)),
            Stage("middle", "x", deps=("a.txt",), outs=("b.txt",)),
            Stage("first", "x", outs=("a.txt",)),
        )
    )
    assert graph.order() == ["first", "middle", "last"]
    assert graph.layers() == [["first"], ["middle"], ["last"]]


def test_targets_name_stages_or_foreach_groups(tmp_path: Path) -> None:
    graph = Graph.build(
        pipeline(
            tmp_path,
            Stage("fit@a", "x", outs=("a",)),
            Stage("fit@b", "x", outs=("b",)),
            Stage("eval", "x", deps=("a",)),
        )
    )
    assert graph.order(["fit"]) == ["fit@a", "fit@b"]
    assert graph.order(["eval"]) == ["fit@a", "eval"]
    with pytest.raises(NotFound, match=r"no stage 'evl' .*Did you mean 'eval'"):
        graph.order(["evl"])


def test_a_cycle_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"the stages form a cycle: (\w) -> (\w) -> (\w) -> \1"):
        Graph.build(
            pipeline(
                tmp_path,
                Stage("a", "x", deps=("c.txt",), outs=("a.txt",)),
                Stage("b", "x", deps=("a.txt",), outs=("b.txt",)),
                Stage("c", "x", deps=("b.txt",), outs=("c.txt",)),
            )
        )


def test_a_stage_reading_its_own_output(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="reads 'data', which it writes itself"):
        Graph.build(pipeline(tmp_path, Stage("a", "x", deps=("data",), outs=("data/x",))))


def test_a_dep_nobody_produces_and_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        Graph.build(
            pipeline(
                tmp_path,
                Stage("a", "x", outs=("model.pkl",)),
                Stage("b", "x", deps=("model.pk",)),
            )
        )
    assert caught.value.message == (
        "cairn.yaml: stage 'b' depends on 'model.pk', which no stage produces and which does "
        "not exist; create it, fix the path, or add the stage that writes it. Did you mean "
        "'model.pkl'?"
    )


def test_a_dep_tracked_by_a_pointer_counts_as_existing(tmp_path: Path) -> None:
    (tmp_path / "raw.csv.cairn").write_text("oid: x\n")
    Graph.build(pipeline(tmp_path, Stage("a", "x", deps=("raw.csv",))))


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (Stage("b", "x", outs=("model.pkl",)), "stages 'a' and 'b' both write 'model.pkl'"),
        (Stage("b", "x", metrics=("model.pkl",)), "stages 'a' and 'b' both write 'model.pkl'"),
        (
            Stage("b", "x", outs=("data/part.csv",)),
            "stage 'b' writes 'data/part.csv', which is inside 'data' written by stage 'a'",
        ),
    ],
)
def test_two_stages_writing_the_same_path(tmp_path: Path, second: Stage, expected: str) -> None:
    first = Stage("a", "x", outs=("model.pkl", "data"))
    with pytest.raises(InvalidInput, match=expected):
        Graph.build(pipeline(tmp_path, first, second))


def test_one_stage_with_nested_or_repeated_outputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="inside its own out 'data'"):
        Graph.build(pipeline(tmp_path, Stage("a", "x", outs=("data", "data/x"))))
    with pytest.raises(InvalidInput, match="lists 'm.json' as both an out and a metric"):
        Graph.build(pipeline(tmp_path, Stage("a", "x", outs=("m.json",), metrics=("m.json",))))


def test_undefined_params(tmp_path: Path) -> None:
    stage = Stage("train", "x", params=("train.lr",))
    with pytest.raises(InvalidInput, match="stage 'train' uses param 'train.lr' which params.yaml"):
        Graph.build(pipeline(tmp_path, stage))
    (tmp_path / "params.yaml").write_text("train: {lr: 0.1}\n")
    Graph.build(pipeline(tmp_path, stage))


def test_bad_stage_names(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="'a/b' is not a valid stage name"):
        Graph.build(pipeline(tmp_path, Stage("a/b", "x")))
