"""The Python form: @cairn.stage functions give the same graph as cairn.yaml, and run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cairn.errors import InvalidInput, NotFound
from cairn.pipelines.graph import Graph
from cairn.pipelines.loading import load_pipeline

STEPS = """
import json
from pathlib import Path

import cairn


@cairn.stage(deps=["data/raw.csv"], outs=["data/clean.csv"], params=["prepare.split"])
def prepare(params):
    text = Path("data/raw.csv").read_text()
    Path("data/clean.csv").write_text(text.upper() + str(params["prepare.split"]))


@cairn.stage(deps="data/clean.csv", outs=["model.txt"], params=["train"], retries=1,
             timeout="1m", env={"SEED": 7})
def train(params):
    Path("model.txt").write_text(json.dumps(params))


@cairn.stage(name="evaluate", deps=["model.txt"], metrics=["metrics.json"])
def score():
    Path("metrics.json").write_text(json.dumps({"f1": 0.5}))
"""

SAME_AS_YAML = """
stages:
  prepare:
    cmd: python -m cairn.pipelines.invoke {module}:prepare
    deps: [data/raw.csv, {source}]
    params: [prepare.split]
    outs: [data/clean.csv]
  train:
    cmd: python -m cairn.pipelines.invoke {module}:train
    deps: [data/clean.csv, {source}]
    params: [train]
    outs: [model.txt]
    retries: 1
    timeout: 60
    env: {{SEED: '7'}}
  evaluate:
    cmd: python -m cairn.pipelines.invoke {module}:score
    deps: [model.txt, {source}]
    metrics: [metrics.json]
"""


def make_project(root: Path, module: str = "steps") -> Path:
    source = root / (module.replace(".", "/") + ".py")
    source.parent.mkdir(parents=True, exist_ok=True)
    for parent in source.relative_to(root).parents:
        if parent != Path(".") and not (root / parent / "__init__.py").exists():
            (root / parent / "__init__.py").write_text("")
    source.write_text(STEPS)
    (root / "data").mkdir()
    (root / "data" / "raw.csv").write_text("a,b\n")
    (root / "params.yaml").write_text("prepare: {split: 0.2}\ntrain: {lr: 0.1}\n")
    return source


@pytest.mark.parametrize("module", ["steps", "pkg.sub.steps"])
def test_both_forms_give_the_same_graph(tmp_path: Path, module: str) -> None:
    source = make_project(tmp_path, module)
    rel = source.relative_to(tmp_path).as_posix()
    (tmp_path / "cairn.yaml").write_text(SAME_AS_YAML.format(module=module, source=rel))
    from_python = load_pipeline(tmp_path, module)
    from_yaml = load_pipeline(tmp_path)
    assert from_python.source == rel
    assert list(from_python.stages) == list(from_yaml.stages) == ["prepare", "train", "evaluate"]
    for name, stage in from_python.stages.items():
        twin = from_yaml.stages[name]
        assert stage.definition() == twin.definition()
        assert (stage.retries, stage.timeout) == (twin.retries, twin.timeout)
        assert stage.origin.startswith(f"{rel}:")
    python_graph, yaml_graph = Graph.build(from_python), Graph.build(from_yaml)
    assert python_graph.edges() == yaml_graph.edges()
    assert python_graph.layers() == yaml_graph.layers() == [["prepare"], ["train"], ["evaluate"]]


def run_stage(root: Path, target: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, PYTHONPATH=str(root), CAIRN_PROJECT_ROOT=str(root), **env)
    environ.pop("CAIRN_STAGE_PARAMS", None) if "CAIRN_STAGE_PARAMS" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "cairn.pipelines.invoke", target],
        cwd=root, env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_invoke_runs_the_function_with_its_params(tmp_path: Path) -> None:
    make_project(tmp_path)
    assert run_stage(tmp_path, "steps:prepare").returncode == 0
    assert (tmp_path / "data" / "clean.csv").read_text() == "A,B\n0.2"
    assert run_stage(tmp_path, "steps:train").returncode == 0
    assert json.loads((tmp_path / "model.txt").read_text()) == {"train": {"lr": 0.1}}
    assert run_stage(tmp_path, "steps:score").returncode == 0
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"f1": 0.5}


def test_invoke_takes_params_from_the_runner(tmp_path: Path) -> None:
    make_project(tmp_path)
    done = run_stage(tmp_path, "steps:train", CAIRN_STAGE_PARAMS='{"train": {"lr": 9}}')
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "model.txt").read_text()) == {"train": {"lr": 9}}


def test_invoke_failures(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "params.yaml").write_text("other: 1\n")
    done = run_stage(tmp_path, "steps:prepare")
    assert done.returncode == 1
    assert "uses param 'prepare.split' which params.yaml does not define" in done.stderr
    done = run_stage(tmp_path, "steps:nope")
    assert (done.returncode, done.stderr.strip()) == (2, "Error: steps has no function 'nope'")
    assert run_stage(tmp_path, "steps").returncode == 2


def test_the_module_is_imported_fresh(tmp_path: Path) -> None:
    source = make_project(tmp_path)
    assert "evaluate" in load_pipeline(tmp_path, "steps").stages
    source.write_text(STEPS.replace('name="evaluate", ', ""))
    assert "score" in load_pipeline(tmp_path, "steps").stages
    other = tmp_path / "other"
    other.mkdir()
    (other / "steps.py").write_text("import cairn\n\n@cairn.stage()\ndef alone():\n    pass\n")
    assert list(load_pipeline(other, "steps").stages) == ["alone"]


@pytest.mark.parametrize(
    ("code", "error", "expected"),
    [
        ("x = 1\n", InvalidInput, "module 'steps' (steps.py) declares no stages"),
        ("raise RuntimeError('boom')\n", InvalidInput,
         "importing 'steps' failed at steps.py:1: RuntimeError: boom"),
        ("def broken(:\n", InvalidInput, "importing 'steps' failed at steps.py:1: SyntaxError"),
        ("import not_a_module_xyz\n", InvalidInput, "No module named 'not_a_module_xyz'"),
        ("import cairn\n@cairn.stage(retries=-1)\ndef a():\n    pass\n", InvalidInput,
         "steps.py: stage 'a': 'retries' must be an integer >= 0, got -1"),
        ("import cairn\n@cairn.stage()\ndef a():\n    pass\n@cairn.stage(name='a')\ndef b():\n"
         "    pass\n", InvalidInput, "functions 'a' and 'b' both declare stage 'a'"),
        ("import cairn\ndef outer():\n    @cairn.stage()\n    def inner():\n        pass\n"
         "outer()\n", InvalidInput, "goes on a module-level function, not 'outer.<locals>.inner'"),
    ],
)  # fmt: skip
def test_bad_modules(tmp_path: Path, code: str, error: type, expected: str) -> None:
    (tmp_path / "steps.py").write_text(code)
    with pytest.raises(error) as caught:
        load_pipeline(tmp_path, "steps")
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


def test_missing_or_malformed_module_names(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no module 'nosuch' under"):
        load_pipeline(tmp_path, "nosuch")
    with pytest.raises(
        InvalidInput, match="'pkg/steps.py' is a file, not a module name; use -m pkg.steps"
    ):
        load_pipeline(tmp_path, "pkg/steps.py")
    with pytest.raises(InvalidInput, match="is not a module name"):
        load_pipeline(tmp_path, "pkg.1steps")


def test_stage_is_exported_from_cairn() -> None:
    import cairn
    from cairn.pipelines.python_form import stage

    assert cairn.stage is stage


FOREACH_STEPS = """
import json
from pathlib import Path

import cairn


@cairn.stage(foreach={"small": {"depth": 2}, "large": {"depth": 8}}, deps=["data/raw.csv"],
             outs=["models/${key}.json"], params=["train.lr"])
def fit(item, key, params):
    Path("models").mkdir(exist_ok=True)
    Path(f"models/{key}.json").write_text(json.dumps({"depth": item["depth"], **params}))


@cairn.stage(matrix={"model": ["small", "large"], "seed": [1, 2]},
             deps=["models/${item.model}.json"], metrics=["scores/${item.model}-${item.seed}.json"],
             name="score")
def evaluate(item):
    Path("scores").mkdir(exist_ok=True)
    Path(f"scores/{item['model']}-{item['seed']}.json").write_text(json.dumps(item))
"""

FOREACH_YAML = """
stages:
  fit:
    foreach:
      small: {depth: 2}
      large: {depth: 8}
    cmd: python -m cairn.pipelines.invoke steps:fit@${key}
    deps: [data/raw.csv, steps.py]
    outs:
      - models/${key}.json
    params: [train.lr]
  score:
    matrix: {model: [small, large], seed: [1, 2]}
    cmd: python -m cairn.pipelines.invoke steps:evaluate@${item.model}-${item.seed}
    deps:
      - models/${item.model}.json
      - steps.py
    metrics:
      - scores/${item.model}-${item.seed}.json
"""


def test_foreach_and_matrix_in_both_forms(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "steps.py").write_text(FOREACH_STEPS)
    (tmp_path / "cairn.yaml").write_text(FOREACH_YAML)
    from_python, from_yaml = load_pipeline(tmp_path, "steps"), load_pipeline(tmp_path)
    assert list(from_python.stages) == list(from_yaml.stages) == [
        "fit@small", "fit@large", "score@small-1", "score@small-2", "score@large-1",
        "score@large-2",
    ]  # fmt: skip
    for name, stage in from_python.stages.items():
        assert stage.definition() == from_yaml.stages[name].definition()
    assert Graph.build(from_python).edges() == Graph.build(from_yaml).edges()

    assert run_stage(tmp_path, "steps:fit@large").returncode == 0
    assert json.loads((tmp_path / "models" / "large.json").read_text()) == {
        "depth": 8, "train.lr": 0.1,
    }  # fmt: skip
    assert run_stage(tmp_path, "steps:evaluate@large-2").returncode == 0
    assert json.loads((tmp_path / "scores" / "large-2.json").read_text()) == {
        "model": "large", "seed": 2,
    }  # fmt: skip
    done = run_stage(tmp_path, "steps:fit@medium")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "Error: steps:fit has no stage 'fit@medium'",
    )
