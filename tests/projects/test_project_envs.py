"""Project environments: a cached virtualenv built once and reused, and the refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from project_helpers import write

import cairn.projects
from cairn.errors import InvalidInput
from cairn.projects import load_project, prepare_environment
from cairn.projects.environments import MARKER, dependencies, envs_dir
from cairn.tracking.client import CairnClient, close_shared_stores

PREFIX_PROJECT = {
    "cairn-project.yaml": """\
        name: venvy
        environment: requirements.txt
        env_manager: virtualenv
        entry_points:
          main:
            command: "python where.py"
    """,
    "requirements.txt": "# nothing beyond cairn itself\n",
    "where.py": """\
        import sys, cairn
        with cairn.start_run():
            cairn.set_tag("prefix", sys.prefix)
            cairn.set_tag("executable", sys.executable)
    """,
}


@pytest.fixture
def cache(cairn_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = cairn_project / "cache"
    monkeypatch.setenv("CAIRN_CACHE_DIR", str(folder))
    yield folder
    close_shared_stores()


def test_virtualenv_is_built_once_and_reused(cache: Path, tmp_path: Path, sqlite_uri: str):
    proj = write(tmp_path / "venvy", PREFIX_PROJECT)
    first = cairn.projects.run(proj, tracking_uri=sqlite_uri, stream_output=False)
    client = CairnClient(sqlite_uri)
    assert first.status == "FINISHED", client.read_artifact(first.run_id, "project/stderr.txt")
    tags = client.get_run(first.run_id).data.tags
    key = tags["cairn.project.environment"]
    env = envs_dir() / key
    assert env.parent == cache / "envs"
    facts = json.loads((env / MARKER).read_text())
    assert facts["key"] == key and facts["manager"] == "virtualenv"
    assert tags["cairn.project.env_manager"] == "virtualenv"
    assert Path(tags["prefix"]).resolve() == env.resolve()  # the script ran in the venv
    assert "cairn.environment.hash" in tags  # the venv's packages were recorded
    packages = client.read_artifact(first.run_id, "environment/requirements.txt").decode()
    assert "sqlalchemy==" in packages.lower()
    built = (env / MARKER).stat().st_mtime_ns

    second = cairn.projects.run(proj, tracking_uri=sqlite_uri, stream_output=False)
    assert second.status == "FINISHED"
    again = client.get_run(second.run_id).data.tags
    assert again["cairn.project.environment"] == key
    assert (env / MARKER).stat().st_mtime_ns == built  # reused, not rebuilt
    assert sorted(p.name for p in (cache / "envs").iterdir()) == sorted([key, ".locks"])

    prepared = prepare_environment(load_project(proj), "virtualenv")
    assert prepared.key == key and prepared.path == env
    assert prepared.env["PATH"].startswith(str(env / "bin") + os.pathsep)


def test_a_failed_build_leaves_nothing_behind(cache: Path, tmp_path: Path):
    proj = write(
        tmp_path / "broken",
        {
            "cairn-project.yaml": "environment: requirements.txt\nentry_points: {main: {command: 'true'}}\n",
            "requirements.txt": f"-e {tmp_path / 'no-such-package'}\n",
        },
    )
    with pytest.raises(InvalidInput, match="building the environment of project 'broken' failed"):
        prepare_environment(load_project(proj), "virtualenv")
    assert [p.name for p in (cache / "envs").iterdir()] == [".locks"]


def test_uv_without_uv_on_path_is_a_clear_error(cache: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(InvalidInput, match="needs the uv command.*install it"):
        prepare_environment(load_project(tmp_path), "uv")


def test_unknown_manager_is_refused(tmp_path: Path):
    with pytest.raises(
        InvalidInput, match="env manager 'conda' is not one of local, virtualenv, uv"
    ):
        prepare_environment(load_project(tmp_path), "conda")


def test_local_environment_is_the_running_interpreter(tmp_path: Path):
    import sys

    env = prepare_environment(load_project(tmp_path), "local")
    assert env.python == sys.executable and env.key == "local" and env.path is None


def test_dependencies_come_from_each_kind_of_file(tmp_path: Path):
    files = {
        "req/cairn-project.yaml": "environment: reqs.txt\n",
        "req/reqs.txt": "six\n",
        "pp/cairn-project.yaml": "environment: pyproject.toml\n",
        "pp/pyproject.toml": "[project]\nname = 'x'\ndependencies = ['six>=1', 'attrs']\n",
        "ml/MLproject": "python_env: python_env.yaml\n",
        "ml/python_env.yaml": "python: '3.11'\nbuild_dependencies: [pip]\ndependencies: [six]\n",
        "bad/cairn-project.yaml": "environment: pyproject.toml\n",
        "bad/pyproject.toml": "[project]\ndependencies = 'six'\n",
    }
    write(tmp_path, files)
    assert dependencies(load_project(tmp_path / "req")) == [
        "-r",
        str((tmp_path / "req/reqs.txt").resolve()),
    ]
    assert dependencies(load_project(tmp_path / "pp")) == ["six>=1", "attrs"]
    assert dependencies(load_project(tmp_path / "ml")) == ["pip", "six"]
    with pytest.raises(InvalidInput, match="must be a list of requirement strings"):
        dependencies(load_project(tmp_path / "bad"))
