"""cairn.yaml and params.yaml: every field read, expanded, and refused with a one-line error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cairn.errors import InvalidInput, NotFound
from cairn.pipelines.loading import load_pipeline
from cairn.pipelines.params import lookup, param_values, read_params, with_overrides


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def stages_of(root: Path, yaml_text: str) -> dict:
    write(root, "cairn.yaml", yaml_text)
    return dict(load_pipeline(root).stages)


def refused(root: Path, yaml_text: str) -> str:
    write(root, "cairn.yaml", yaml_text)
    with pytest.raises(InvalidInput) as caught:
        load_pipeline(root)
    message = caught.value.message
    assert "\n" not in message
    return message


# -- params ------------------------------------------------------------------------------------


def test_read_params_and_pick_values(tmp_path: Path) -> None:
    write(tmp_path, "params.yaml", "train: {lr: 0.1, depth: 3}\nprepare.split: 0.2\n")
    params = read_params(tmp_path)
    assert param_values(params, ["train.lr", "train", "prepare.split"]) == {
        "train.lr": 0.1,
        "train": {"lr": 0.1, "depth": 3},
        "prepare.split": 0.2,
    }
    assert lookup(params, "train.depth") == 3
    with pytest.raises(
        InvalidInput, match=r"stage 'fit' uses param 'train.seed' which params.yaml does not define"
    ):
        param_values(params, ["train.seed"], stage="fit")


def test_params_file_missing_empty_or_broken(tmp_path: Path) -> None:
    assert read_params(tmp_path) == {}
    write(tmp_path, "params.yaml", "")
    assert read_params(tmp_path) == {}
    write(tmp_path, "params.yaml", "- a\n- b\n")
    with pytest.raises(InvalidInput, match="must hold a mapping"):
        read_params(tmp_path)
    write(tmp_path, "params.yaml", "train: {lr: [1\n")
    with pytest.raises(InvalidInput, match=r"params.yaml is not valid YAML: .* line \d+"):
        read_params(tmp_path)


def test_overrides_set_dotted_keys_without_touching_the_original() -> None:
    params = {"train": {"lr": 0.1}}
    assert with_overrides(params, {"train.lr": 0.01, "new.key": 1}) == {
        "train": {"lr": 0.01},
        "new": {"key": 1},
    }
    assert params == {"train": {"lr": 0.1}}
    with pytest.raises(InvalidInput, match="'lr' is a value"):
        with_overrides(params, {"train.lr.x": 1})


# -- fields ------------------------------------------------------------------------------------


def test_every_field_is_read(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    stages = stages_of(
        tmp_path,
        """
        stages:
          train:
            cmd:
              - python train.py
              - echo done
            wdir: src
            deps: [train.py, ../data/raw.csv]
            params: [train.lr, prepare]
            outs: ../models/model.pkl
            metrics: [../metrics.json]
            env: {SEED: 1, DEBUG: true}
            retries: 2
            timeout: 90s
            workers: 2
        """,
    )
    stage = stages["train"]
    assert stage.cmd == "python train.py && echo done"
    assert stage.wdir == "src"
    assert stage.deps == ("src/train.py", "data/raw.csv")
    assert stage.params == ("train.lr", "prepare")
    assert stage.outs == ("models/model.pkl",)
    assert stage.metrics == ("metrics.json",)
    assert dict(stage.env) == {"DEBUG": "true", "SEED": "1"}
    assert (stage.retries, stage.timeout, stage.workers) == (2, 90.0, 2)
    assert stage.origin == "cairn.yaml"


def test_defaults(tmp_path: Path) -> None:
    stage = stages_of(tmp_path, "stages:\n  hello: {cmd: echo hi}\n")["hello"]
    assert stage.definition() == {
        "cmd": "echo hi", "deps": [], "params": [], "outs": [], "metrics": [], "wdir": ".",
        "env": {}, "workers": 1,
    }  # fmt: skip
    assert (stage.retries, stage.timeout) == (0, None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("retries: x", "cairn.yaml: stage 'train': 'retries' must be an integer >= 0, got 'x'"),
        ("retries: -1", "'retries' must be an integer >= 0, got -1"),
        ("workers: 0", "'workers' must be an integer >= 1, got 0"),
        ("timeout: soon", "'timeout' must be a positive number of seconds"),
        ("timeout: 0", "'timeout' must be a positive number"),
        ("deps: {a: 1}", "'deps' must be a path or a list of paths, got {'a': 1}"),
        ("outs: [/etc/passwd]", "'outs': '/etc/passwd' is absolute"),
        ("outs: ['C:\\\\x']", "'outs': 'C:\\\\\\\\x' is absolute"),
        ("outs: [../../x]", "'outs': '../../x' points outside the project"),
        ("outs: [.cairn/cache]", "is inside .cairn/"),
        ("params: [train..lr]", "'params' has a malformed key 'train..lr'"),
        ("env: [A]", "'env' must be a mapping of NAME: value"),
        ("env: {'1A': x}", "'env' has an invalid variable name '1A'"),
        ("wdir: ../..", "'wdir': '../..' points outside the project"),
        ("cmnd: x", "unknown field 'cmnd'"),
        ("foreach: []", "'foreach' must be a non-empty list or mapping"),
        ("matrix: {a: 1}", "'matrix' entry 'a' must be a non-empty list"),
    ],
)
def test_bad_fields_are_refused_naming_file_stage_and_field(
    tmp_path: Path, body: str, expected: str
) -> None:
    message = refused(tmp_path, f"stages:\n  train:\n    cmd: echo\n    {body}\n")
    assert message.startswith("cairn.yaml: stage 'train")
    assert expected in message


def test_unknown_field_suggests_the_close_one(tmp_path: Path) -> None:
    message = refused(tmp_path, "stages:\n  train:\n    cmd: echo\n    dep: [a]\n")
    assert "Did you mean 'deps'?" in message


def test_bad_documents(tmp_path: Path) -> None:
    assert "defines no stages" in refused(tmp_path, "")
    assert "defines no stages" in refused(tmp_path, "stages: {}\n")
    assert "unknown top-level key 'stage'" in refused(tmp_path, "stage: {a: {cmd: x}}\n")
    assert "'cmd' is missing" in refused(tmp_path, "stages:\n  a: {deps: [x]}\n")
    assert "must be a mapping with at least 'cmd'" in refused(tmp_path, "stages:\n  a: echo\n")
    assert "not a valid stage name" in refused(tmp_path, "stages:\n  'a b': {cmd: x}\n")
    message = refused(tmp_path, "stages:\n  a:\n    cmd: echo\n    outs: [m/${item}.pkl]\n")
    assert message.startswith("cairn.yaml:4: not valid YAML")
    assert "quote values holding ${...}" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no cairn.yaml in"):
        load_pipeline(tmp_path)


# -- foreach / matrix / interpolation ------------------------------------------------------------


def test_foreach_list(tmp_path: Path) -> None:
    stages = stages_of(
        tmp_path,
        """
        stages:
          fit:
            foreach: [small, large]
            cmd: python fit.py --size ${item} --home $HOME ${HOME}
            outs:
              - models/${item}.pkl
        """,
    )
    assert list(stages) == ["fit@small", "fit@large"]
    assert stages["fit@large"].cmd == "python fit.py --size large --home $HOME ${HOME}"
    assert stages["fit@large"].outs == ("models/large.pkl",)


def test_foreach_mapping_with_fields_and_typed_values(tmp_path: Path) -> None:
    stages = stages_of(
        tmp_path,
        """
        stages:
          fit:
            foreach:
              fast: {epochs: 1, tries: 0}
              slow: {epochs: 50, tries: 3}
            cmd: python fit.py ${key} --epochs ${item.epochs}
            retries: ${item.tries}
        """,
    )
    assert list(stages) == ["fit@fast", "fit@slow"]
    assert stages["fit@slow"].cmd == "python fit.py slow --epochs 50"
    assert stages["fit@slow"].retries == 3


def test_foreach_of_structures_is_named_by_index(tmp_path: Path) -> None:
    stages = stages_of(
        tmp_path,
        "stages:\n  fit:\n    foreach: [{n: 1}, {n: 2}]\n    cmd: echo ${item.n}\n",
    )
    assert {name: s.cmd for name, s in stages.items()} == {"fit@0": "echo 1", "fit@1": "echo 2"}


def test_matrix_is_the_cartesian_product(tmp_path: Path) -> None:
    stages = stages_of(
        tmp_path,
        """
        stages:
          eval:
            matrix: {model: [a, b], seed: [1, 2]}
            cmd: python eval.py ${item.model} ${item.seed}
            metrics:
              - metrics/${item.model}-${item.seed}.json
        """,
    )
    assert list(stages) == ["eval@a-1", "eval@a-2", "eval@b-1", "eval@b-2"]
    assert stages["eval@b-1"].metrics == ("metrics/b-1.json",)


def test_params_interpolation_adds_the_key(tmp_path: Path) -> None:
    write(tmp_path, "params.yaml", "train: {lr: 0.1, epochs: 3}\n")
    stages = stages_of(
        tmp_path,
        """
        stages:
          a: {cmd: 'fit --lr ${params.train.lr}'}
          b: {cmd: 'fit --epochs ${params.train.epochs}', params: [train]}
        """,
    )
    assert (stages["a"].cmd, stages["a"].params) == ("fit --lr 0.1", ("train.lr",))
    assert stages["b"].params == ("train",)
    overridden = load_pipeline(tmp_path, overrides={"train.lr": 0.5}).stages["a"]
    assert overridden.cmd == "fit --lr 0.5"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("stages:\n  a: {cmd: 'echo ${item}'}\n", "'${item}' is only defined in a stage with"),
        ("stages:\n  a: {cmd: 'echo ${params.nope}'}\n", "names param 'nope', which"),
        (
            "stages:\n  a: {foreach: [x], cmd: 'echo ${item.f}'}\n",
            "stage 'a@x': '${item.f}': the item 'x' has no field 'f'",
        ),
        ("stages:\n  a: {foreach: [x], cmd: 'echo ${key}'}\n", "'${key}' is only defined when"),
        (
            "stages:\n  a: {foreach: [a/b], cmd: echo}\n",
            "item 'a/b' cannot be part of a stage name",
        ),
        ("stages:\n  a: {foreach: [x], matrix: {b: [1]}, cmd: echo}\n", "not both"),
        ("stages:\n  a: {foreach: [x, x], cmd: echo}\n", "stage 'a@x' is defined twice"),
    ],
)
def test_bad_expansion(tmp_path: Path, yaml_text: str, expected: str) -> None:
    assert expected in refused(tmp_path, yaml_text)
