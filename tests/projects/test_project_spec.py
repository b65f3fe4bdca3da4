"""Parsing cairn-project.yaml and MLproject files, and every way they can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_helpers import PROJECT_YAML, write

from cairn.errors import InvalidInput, NotFound
from cairn.projects import load_project
from cairn.projects.spec import EnvSpec, Parameter


def test_cairn_project_file_is_parsed(tmp_path: Path):
    write(tmp_path, {"cairn-project.yaml": PROJECT_YAML})
    project = load_project(tmp_path)
    assert project.name == "churn"
    assert project.source == "cairn-project.yaml"
    assert project.root == tmp_path.resolve()
    assert set(project.entry_points) == {"main", "fail"}
    main = project.entry_points["main"]
    assert main.parameters["alpha"] == Parameter("alpha", "float", 0.5, required=False)
    assert main.parameters["epochs"] == Parameter("epochs", "int")
    assert main.parameters["data"].type == "path"
    assert project.environment is None
    assert project.env_manager is None


def test_environment_and_manager_are_read(tmp_path: Path):
    write(
        tmp_path,
        {
            "cairn-project.yaml": """\
                name: p
                environment: requirements.txt
                env_manager: virtualenv
                entry_points:
                  main: {command: "python -V"}
            """,
            "requirements.txt": "",
        },
    )
    project = load_project(tmp_path)
    assert project.environment == EnvSpec("requirements", (tmp_path / "requirements.txt").resolve())
    assert project.env_manager == "virtualenv"


def test_mlproject_is_read_with_mlflow_types(tmp_path: Path):
    write(
        tmp_path,
        {
            "MLproject": """\
                name: tutorial
                python_env: python_env.yaml
                entry_points:
                  main:
                    parameters:
                      alpha: {type: double, default: 0.1}
                      data_file: path
                      source: {type: uri, default: "s3://bucket/x"}
                      note: string
                    command: "python train.py {alpha} {data_file} {source} {note}"
            """,
            "python_env.yaml": "python: '3.11'\ndependencies: []\n",
        },
    )
    project = load_project(tmp_path)
    assert project.source == "MLproject"
    params = project.entry_points["main"].parameters
    assert [p.type for p in params.values()] == ["float", "path", "uri", "string"]
    assert project.environment is not None and project.environment.kind == "python_env"
    assert project.env_manager == "virtualenv"


def test_cairn_file_wins_over_mlproject(tmp_path: Path):
    write(
        tmp_path,
        {
            "cairn-project.yaml": "name: mine\nentry_points: {main: {command: 'true'}}\n",
            "MLproject": "name: theirs\n",
        },
    )
    assert load_project(tmp_path).name == "mine"


def test_a_folder_without_project_file_has_no_entry_points(tmp_path: Path):
    project = load_project(tmp_path)
    assert project.entry_points == {} and project.source == ""


def test_missing_folder_is_not_found(tmp_path: Path):
    with pytest.raises(NotFound, match="does not exist"):
        load_project(tmp_path / "nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed", "not valid YAML"),
        ("- a list", "must be a mapping"),
        (
            "name: p\nentry_pionts: {}\n",
            "unknown field 'entry_pionts'. Did you mean 'entry_points'",
        ),
        ("name: ''\n", "name must be a non-empty string"),
        ("entry_points: [a]\n", "entry_points must map names"),
        ("entry_points: {main: 'python x.py'}\n", "entry point 'main' must be a mapping"),
        ("entry_points: {main: {parameters: {}}}\n", "entry point 'main' needs a command"),
        ("entry_points: {main: {command: x, cmd: y}}\n", "unknown field.*cmd"),
        ("entry_points: {main: {command: 'run {a}'}}\n", r"uses \{a\}, which is not a declared"),
        ("entry_points: {main: {command: 'run {'}}\n", "not a valid template"),
        (
            "entry_points: {main: {command: x, parameters: {a: {type: flaot}}}}\n",
            "unknown type 'flaot'. Did you mean 'float'",
        ),
        (
            "entry_points: {main: {command: x, parameters: {a: {type: int, default: abc}}}}\n",
            "parameter 'a' is of type int: expected an integer, got 'abc'",
        ),
        (
            "entry_points: {main: {command: x, parameters: {a: {type: int, dflt: 1}}}}\n",
            "unknown field.*dflt",
        ),
        ("entry_points: {main: {command: x, parameters: {a: 3}}}\n", "type name or"),
        ("env_manager: conda\n", "env_manager 'conda' is not one of"),
        ("environment: requirements.txt\n", "environment file 'requirements.txt' does not exist"),
        ("environment: ../outside.txt\n", "points outside the project folder"),
    ],
)
def test_bad_project_files_are_refused(tmp_path: Path, text: str, message: str):
    (tmp_path / "outside.txt").write_text("")
    root = tmp_path / "p"
    write(root, {"cairn-project.yaml": text})
    with pytest.raises(InvalidInput, match=message):
        load_project(root)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("docker_env: {image: x}\n", "docker_env projects are not supported"),
        ("python_env: missing.yaml\n", "python_env file 'missing.yaml' does not exist"),
        ("environment: requirements.txt\n", "unknown field 'environment'"),
    ],
)
def test_bad_mlproject_files_are_refused(tmp_path: Path, text: str, message: str):
    write(tmp_path, {"MLproject": text})
    with pytest.raises(InvalidInput, match=message):
        load_project(tmp_path)


def test_conda_mlproject_is_parsed_with_its_conda_file(tmp_path: Path):
    write(tmp_path, {"MLproject": "conda_env: conda.yaml\n", "conda.yaml": "name: x\n"})
    project = load_project(tmp_path)
    assert project.environment is not None and project.environment.kind == "conda"
    assert project.env_manager == "conda"
