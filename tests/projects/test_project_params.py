"""Parameter typing, defaults, templating, quoting, extras and script entry points."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from project_helpers import PROJECT_YAML, write

from cairn.errors import InvalidInput, NotFound
from cairn.projects import load_project
from cairn.projects.params import convert, resolve_invocation
from cairn.projects.spec import Parameter


@pytest.fixture
def churn(tmp_path: Path):
    write(tmp_path, {"cairn-project.yaml": PROJECT_YAML, "train.py": "", "run.sh": "echo hi\n"})
    return load_project(tmp_path)


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("int", "3", "3"),
        ("int", 4, "4"),
        ("int", 5.0, "5"),
        ("float", "0.25", "0.25"),
        ("float", 2, "2.0"),
        ("float", "1e-3", "0.001"),
        ("bool", "yes", "true"),
        ("bool", "False", "false"),
        ("bool", True, "true"),
        ("string", "a b", "a b"),
        ("uri", "s3://bucket/key", "s3://bucket/key"),
    ],
)
def test_values_convert_to_their_type(kind: str, value: object, text: str, tmp_path: Path):
    assert convert(Parameter("p", kind), value, tmp_path) == text


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("int", "3.5", "an integer"),
        ("int", 3.5, "an integer"),
        ("int", True, "an integer"),
        ("float", "fast", "a number"),
        ("bool", "maybe", "true or false"),
    ],
)
def test_bad_values_name_parameter_and_type(kind: str, value: object, expected: str):
    with pytest.raises(InvalidInput, match=f"parameter 'p' is of type {kind}: expected {expected}"):
        convert(Parameter("p", kind), value)


def test_paths_become_absolute_within_the_project(tmp_path: Path):
    assert convert(Parameter("p", "path"), "data/x.csv", tmp_path) == str(tmp_path / "data/x.csv")
    assert convert(Parameter("p", "path"), "/abs/y", tmp_path) == "/abs/y"
    assert convert(Parameter("p", "uri"), "local/z", tmp_path) == str(tmp_path / "local/z")
    with pytest.raises(InvalidInput, match="empty value"):
        convert(Parameter("p", "path"), "", tmp_path)


def test_defaults_fill_the_template(churn):
    call = resolve_invocation(churn, "main", {"epochs": "7"})
    data = str(churn.root / "data/train.csv")
    assert call.params == {"alpha": "0.5", "data": data, "epochs": "7"}
    assert call.command == f"python train.py --alpha 0.5 --data {data} --epochs 7"
    assert call.entry_point == "main"


def test_values_are_shell_quoted(churn):
    call = resolve_invocation(churn, "main", {"epochs": 1, "data": "my data; rm -rf x"})
    argv = shlex.split(call.command)
    assert argv[argv.index("--data") + 1] == str(churn.root / "my data; rm -rf x")
    assert len(argv) == 8


def test_undeclared_parameters_are_appended_as_flags(churn):
    call = resolve_invocation(churn, "main", {"epochs": 1, "seed": "4 2"})
    assert call.command.endswith("--epochs 1 --seed '4 2'")
    assert call.params["seed"] == "4 2"


def test_a_misspelled_parameter_is_refused_with_the_declared_ones(churn):
    with pytest.raises(InvalidInput, match=r"no parameter 'alpah'. Did you mean 'alpha'.*Declared"):
        resolve_invocation(churn, "main", {"epochs": 1, "alpah": 1})


def test_missing_required_parameter_is_named(churn):
    with pytest.raises(InvalidInput, match="needs parameter\\(s\\) epochs"):
        resolve_invocation(churn, "main", {})


def test_bad_value_names_parameter(churn):
    with pytest.raises(InvalidInput, match="parameter 'epochs' is of type int"):
        resolve_invocation(churn, "main", {"epochs": "many"})


@pytest.mark.parametrize("name", ["", "--x", "a=b"])
def test_bad_parameter_names_are_refused(churn, name: str):
    with pytest.raises(InvalidInput, match="is not valid"):
        resolve_invocation(churn, "main", {"epochs": 1, name: "v"})


def test_scripts_are_entry_points(churn):
    call = resolve_invocation(churn, "train.py", {"lr": "0.1"})
    assert call.command == "python train.py --lr 0.1"
    assert call.entry_point == "train.py"
    assert resolve_invocation(churn, "run.sh", {}).command == "bash run.sh"


@pytest.mark.parametrize("entry", ["mian", "missing.py", "../outside.py", "cairn-project.yaml"])
def test_unknown_entry_points_are_not_found(churn, entry: str):
    (churn.root.parent / "outside.py").write_text("")
    with pytest.raises(NotFound, match="neither declared"):
        resolve_invocation(churn, entry, {})


def test_unknown_entry_point_suggests_the_close_one(churn):
    with pytest.raises(NotFound, match="Did you mean 'main'"):
        resolve_invocation(churn, "mian", {})
