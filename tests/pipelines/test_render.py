"""Drawing the graph (text, Mermaid, DOT) and the `cairn pipeline dag` / `show` commands."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from cairn.pipelines.graph import Graph
from cairn.pipelines.model import Pipeline, Stage
from cairn.pipelines.render import render, render_dot, render_mermaid, render_text
from cli_support import CAIRN, cairn

PIPELINE = """
stages:
  prepare:
    cmd: python prepare.py
    deps: [raw.csv]
    outs: [data/prepared]
    params: [prepare.split]
  train:
    foreach: [small, large]
    cmd: python train.py ${item}
    deps: [data/prepared]
    outs:
      - models/${item}.pkl
    retries: 2
    env: {SEED: 1}
  report:
    cmd: python report.py
    deps: [models/small.pkl, models/large.pkl]
    metrics: [metrics.json]
"""


def diamond(root: Path) -> Graph:
    (root / "raw").write_text("x")
    return Graph.build(
        Pipeline(
            root=root,
            stages={
                s.name: s
                for s in (
                    Stage("prepare", "p", deps=("raw",), outs=("prep",)),
                    Stage("train", "t", deps=("prep",), outs=("model",)),
                    Stage("features", "f", deps=("prep",), outs=("feat",)),
                    Stage("report", "r", deps=("model", "feat")),
                )
            },
        )
    )


def test_text_is_layers_with_arrows(tmp_path: Path) -> None:
    graph = diamond(tmp_path)
    assert render_text(graph) == textwrap.dedent(
        """\
        1  prepare
        2  train     <- prepare
           features  <- prepare
        3  report    <- train, features"""
    )
    assert render_text(graph, ["prepare", "features"]) == "1  prepare\n2  features  <- prepare"


def test_mermaid_and_dot(tmp_path: Path) -> None:
    graph = diamond(tmp_path)
    assert render_mermaid(graph).splitlines() == [
        "flowchart TD",
        '    s0["prepare"]',
        '    s1["train"]',
        '    s2["features"]',
        '    s3["report"]',
        "    s0 --> s1",
        "    s0 --> s2",
        "    s1 --> s3",
        "    s2 --> s3",
    ]
    dot = render_dot(graph, ["prepare", "train"])
    assert dot.splitlines() == [
        "digraph pipeline {",
        "    rankdir=TB;",
        "    node [shape=box];",
        '    "prepare";',
        '    "train";',
        '    "prepare" -> "train";',
        "}",
    ]
    assert '"train" -> "report";' in render(graph, "dot")


@pytest.fixture
def yaml_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cairn.yaml").write_text(PIPELINE)
    (tmp_path / "params.yaml").write_text("prepare: {split: 0.2}\n")
    (tmp_path / "raw.csv").write_text("a\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_dag_formats_and_targets(yaml_project: Path) -> None:
    result = cairn("pipeline", "dag")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "1  prepare",
        "2  train@small  <- prepare",
        "   train@large  <- prepare",
        "3  report       <- train@small, train@large",
    ]
    mermaid = cairn("pipeline", "dag", "--format", "mermaid", "train@large").output
    assert mermaid.splitlines()[0] == "flowchart TD"
    assert "report" not in mermaid and '"train@large"' in mermaid
    as_json = json.loads(cairn("pipeline", "dag", "--json", "train").output)
    assert as_json == {
        "stages": ["prepare", "train@small", "train@large"],
        "edges": [["prepare", "train@small"], ["prepare", "train@large"]],
        "layers": [["prepare"], ["train@small", "train@large"]],
    }
    done = subprocess.run(
        [CAIRN, "pipeline", "dag", "--format", "dot"],
        cwd=yaml_project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert '"train@small" -> "report";' in done.stdout


def test_cli_show(yaml_project: Path) -> None:
    result = cairn("pipeline", "show", "train@small")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "train@small  (cairn.yaml)",
        "  cmd      python train.py small",
        "  deps     data/prepared",
        "  outs     models/small.pkl",
        "  env      SEED=1",
        "  upstream prepare",
        "  options  retries=2",
    ]
    shown = json.loads(cairn("pipeline", "show", "--json").output)
    assert shown["source"] == "cairn.yaml"
    assert [s["name"] for s in shown["stages"]] == [
        "prepare",
        "train@small",
        "train@large",
        "report",
    ]
    assert shown["stages"][0] == {
        "name": "prepare", "cmd": "python prepare.py", "deps": ["raw.csv"],
        "params": ["prepare.split"], "outs": ["data/prepared"], "metrics": [], "wdir": ".",
        "env": {}, "workers": 1, "retries": 0, "timeout": None, "origin": "cairn.yaml",
        "upstream": [],
    }  # fmt: skip


def test_cli_python_module(yaml_project: Path) -> None:
    (yaml_project / "steps.py").write_text(
        "import cairn\n\n@cairn.stage(deps=['raw.csv'], outs=['clean.csv'])\ndef clean():\n"
        "    pass\n\n@cairn.stage(deps=['clean.csv'])\ndef fit():\n    pass\n"
    )
    assert cairn("pipeline", "dag", "-m", "steps").output.splitlines() == [
        "1  clean",
        "2  fit    <- clean",
    ]
    shown = json.loads(cairn("pipeline", "show", "-m", "steps", "--json", "fit").output)
    assert shown["source"] == "steps.py"
    assert shown["stages"][0]["cmd"] == "python -m cairn.pipelines.invoke steps:fit"
    assert shown["stages"][0]["deps"] == ["clean.csv", "steps.py"]


@pytest.mark.parametrize(
    ("args", "edit", "expected"),
    [
        (["dag", "trian"], None, "no stage 'trian' in cairn.yaml"),
        (["show", "nosuch"], None, "no stage 'nosuch'"),
        (["dag"], ("outs: [data/prepared]", "outs: [models/small.pkl]"),
         "stages 'prepare' and 'train@small' both write 'models/small.pkl'"),
        (["show"], ("deps: [raw.csv]", "deps: [metrics.json]"),
         "the stages form a cycle: prepare -> train@small -> report -> prepare"),
        (["dag"], ("retries: 2", "retries: many"),
         "cairn.yaml: stage 'train@small': 'retries' must be an integer >= 0, got 'many'"),
        (["dag", "-m", "nosuch"], None, "no module 'nosuch' under"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(
    yaml_project: Path, args: list[str], edit: tuple[str, str] | None, expected: str
) -> None:
    if edit:
        text = (yaml_project / "cairn.yaml").read_text()
        (yaml_project / "cairn.yaml").write_text(text.replace(*edit))
    result = cairn("pipeline", *args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("Error: ")
    assert expected in result.output


def test_cli_bad_format(yaml_project: Path) -> None:
    result = cairn("pipeline", "dag", "--format", "png")
    assert result.exit_code == 2
    assert "'png' is not one of 'text', 'mermaid', 'dot'" in result.output
