"""``cairn run`` and ``cairn.projects.run`` end to end: real git repos, real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from project_helpers import committed_project, git, write

import cairn.projects
from cairn.cli import cli
from cairn.errors import InvalidInput, NotFound
from cairn.tracking.client import CairnClient, close_shared_stores

CAIRN = str(Path(sys.executable).parent / "cairn")


@pytest.fixture
def cache(cairn_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private CAIRN_CACHE_DIR; the test runs in an empty cwd cut off from user settings."""
    folder = cairn_project / "cache"
    monkeypatch.setenv("CAIRN_CACHE_DIR", str(folder))
    yield folder
    close_shared_stores()


def invoke(uri: str, *args: str):
    return CliRunner().invoke(cli, ["--tracking-uri", uri, "run", *args])


def all_runs(uri: str) -> list:
    """Every run of every experiment in the store at ``uri``."""
    client = CairnClient(uri)
    ids = [e.experiment_id for e in client.search_experiments().items]
    return list(client.search_runs(ids).items)


def test_cairn_run_tracks_params_tags_metrics_and_commit(
    cache: Path, tmp_path: Path, store_uri: str
):
    proj = tmp_path / "proj"
    commit = committed_project(proj)
    result = invoke(store_uri, str(proj), "-P", "epochs=3", "-P", "seed=7", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "FINISHED" and report["exit_code"] == 0
    run = CairnClient(store_uri).get_run(report["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "alpha": "0.5",
        "data": str(proj / "data/train.csv"),
        "epochs": "3",
        "seed": "7",
    }
    assert run.data.metrics["score"] == 1.5
    tags = run.data.tags
    assert tags["seen_seed"] == "7"  # the script logged into this very run
    assert tags["cairn.project.uri"] == str(proj)
    assert tags["cairn.project.entry_point"] == "main"
    assert tags["cairn.project.env_manager"] == "local"
    assert tags["cairn.project.environment"] == "local"
    assert tags["cairn.project.version"] == commit
    assert tags["cairn.source.git.commit"] == commit
    assert tags["cairn.source.type"] == "PROJECT"
    assert tags["cairn.project.exit_code"] == "0"
    assert "--epochs 3 --seed 7" in tags["cairn.source.command"]


def test_failing_command_fails_the_run_with_its_exit_code(
    cache: Path, tmp_path: Path, sqlite_uri: str
):
    proj = tmp_path / "proj"
    committed_project(proj)
    result = invoke(sqlite_uri, str(proj), "-e", "fail", "-P", "code=4", "--json")
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert report["status"] == "FAILED" and report["exit_code"] == 4
    run = CairnClient(sqlite_uri).get_run(report["run_id"])
    assert run.info.status == "FAILED"
    assert run.data.params == {"code": "4"}
    assert run.data.tags["cairn.project.exit_code"] == "4"


def test_python_api_captures_output_and_takes_experiment_and_tags(
    cache: Path, tmp_path: Path, sqlite_uri: str
):
    proj = tmp_path / "proj"
    committed_project(proj)
    outcome = cairn.projects.run(
        proj,
        "main",
        {"epochs": 2, "alpha": 1},
        experiment_name="churn-exp",
        run_name="first",
        tags={"team": "ml"},
        tracking_uri=sqlite_uri,
        stream_output=False,
    )
    assert outcome.status == "FINISHED" and outcome.exit_code == 0
    assert outcome.project_dir == proj.resolve()
    assert "--alpha 1.0" in outcome.command
    client = CairnClient(sqlite_uri)
    run = client.get_run(outcome.run_id)
    assert client.get_experiment(run.info.experiment_id).name == "churn-exp"
    assert run.info.run_name == "first"
    assert run.data.tags["team"] == "ml"
    assert run.data.metrics["score"] == 2.0
    assert b"trained 2" in client.read_artifact(outcome.run_id, "project/stdout.txt")


def test_git_url_is_cloned_at_the_given_version(cache: Path, tmp_path: Path, sqlite_uri: str):
    proj = tmp_path / "proj"
    first = committed_project(proj)
    write(proj, {"train.py": "import sys\nsys.exit(9)\n"})
    git(proj, "commit", "-qam", "break it")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(proj), str(bare)], check=True)
    url = f"file://{bare}"

    result = invoke(sqlite_uri, url, "--version", first, "-P", "epochs=1", "--json")
    assert result.exit_code == 0, result.output
    run = CairnClient(sqlite_uri).get_run(json.loads(result.stdout)["run_id"])
    assert run.data.tags["cairn.project.version"] == first
    assert run.data.tags["cairn.project.uri"] == url
    assert run.data.metrics["score"] == 0.5
    assert (cache / "projects").is_dir()

    latest = invoke(sqlite_uri, url, "-P", "epochs=1", "--json")  # the default branch: broken
    assert latest.exit_code == 9
    assert json.loads(latest.stdout)["status"] == "FAILED"

    by_path = invoke(sqlite_uri, str(bare), "--version", first, "-P", "epochs=2", "--json")
    assert by_path.exit_code == 0, by_path.output  # a bare repository's path is cloned too
    run = CairnClient(sqlite_uri).get_run(json.loads(by_path.stdout)["run_id"])
    assert run.data.tags["cairn.project.version"] == first

    missing = invoke(sqlite_uri, url, "--version", "no-such-tag", "-P", "epochs=1")
    assert missing.exit_code == 2
    assert "'no-such-tag' is not a branch, tag or commit" in missing.stderr


def test_credentials_are_stripped_from_the_recorded_uri():
    from cairn.projects.source import is_git_url
    from cairn.tracking.context_git import strip_credentials

    assert is_git_url("https://user:secret@example.com/org/repo.git")
    assert is_git_url("git@github.com:org/repo")
    assert not is_git_url("some/folder")
    assert "secret" not in strip_credentials("https://user:secret@example.com/org/repo.git")


def test_mlproject_with_a_script_entry_point(cache: Path, tmp_path: Path, sqlite_uri: str):
    proj = tmp_path / "ml"
    write(
        proj,
        {
            "MLproject": """\
                name: tutorial
                entry_points:
                  main:
                    parameters:
                      alpha: {type: double, default: 0.25}
                    command: "python fit.py {alpha}"
            """,
            "fit.py": """\
                import sys, cairn
                cairn.start_run()
                cairn.log_metric("alpha", float(sys.argv[1]))
                cairn.end_run()
            """,
            "extra.py": """\
                import sys, cairn
                with cairn.start_run():
                    cairn.log_param("argv", " ".join(sys.argv[1:]))
            """,
        },
    )
    result = invoke(sqlite_uri, str(proj), "--json")
    assert result.exit_code == 0, result.output
    run = CairnClient(sqlite_uri).get_run(json.loads(result.stdout)["run_id"])
    assert run.data.metrics["alpha"] == 0.25
    assert run.data.tags["cairn.project.name"] == "tutorial"
    assert "cairn.project.version" not in run.data.tags  # not a git repository

    script = invoke(sqlite_uri, str(proj), "-e", "extra.py", "-P", "k=v w", "--json")
    assert script.exit_code == 0, script.output
    run = CairnClient(sqlite_uri).get_run(json.loads(script.stdout)["run_id"])
    assert run.data.params["argv"] == "--k v w"
    assert run.data.tags["cairn.project.entry_point"] == "extra.py"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-e", "mian"], "Did you mean 'main'"),
        ([], "needs parameter(s) epochs"),
        (["-P", "epochs"], "-P takes name=value"),
        (["-P", "epochs=1", "-P", "epochs=2"], "given twice"),
        (["-P", "epochs=x"], "parameter 'epochs' is of type int"),
        (["-P", "epochs=1", "-P", "alpah=2"], "Did you mean 'alpha'"),
        (["-P", "epochs=1", "--version", "main"], "--version applies to git URLs only"),
        (["-P", "epochs=1", "--experiment-id", "4242"], "4242"),
        (["-P", "epochs=1", "--experiment-id", "0", "--experiment-name", "x"], "not both"),
    ],
)
def test_bad_input_exits_2_and_records_nothing(
    cache: Path, tmp_path: Path, sqlite_uri: str, args: list[str], message: str
):
    proj = tmp_path / "proj"
    committed_project(proj)
    result = invoke(sqlite_uri, str(proj), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert all_runs(sqlite_uri) == []


def test_missing_project_folder_exits_2(cache: Path, tmp_path: Path, sqlite_uri: str):
    result = invoke(sqlite_uri, str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_conda_project_is_refused_unless_local(cache: Path, tmp_path: Path, sqlite_uri: str):
    proj = write(
        tmp_path / "conda",
        {
            "MLproject": "conda_env: conda.yaml\nentry_points: {main: {command: 'true'}}\n",
            "conda.yaml": "",
        },
    )
    refused = invoke(sqlite_uri, str(proj))
    assert refused.exit_code == 2
    assert "--env-manager local" in refused.stderr
    assert all_runs(sqlite_uri) == []
    assert invoke(sqlite_uri, str(proj), "--env-manager", "local").exit_code == 0


def test_sigterm_kills_the_command_and_the_run(cache: Path, tmp_path: Path, sqlite_uri: str):
    proj = tmp_path / "slow"
    pid_file = tmp_path / "child.pid"
    write(
        proj,
        {
            "cairn-project.yaml": """\
                name: slow
                entry_points:
                  main:
                    parameters: {pidfile: path}
                    command: "python sleep.py {pidfile}"
            """,
            "sleep.py": """\
                import os, sys, time
                open(sys.argv[1], "w").write(str(os.getpid()))
                time.sleep(120)
            """,
        },
    )
    process = subprocess.Popen(
        [
            CAIRN,
            "--tracking-uri",
            sqlite_uri,
            "run",
            str(proj),
            "-P",
            f"pidfile={pid_file}",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (pid_file.is_file() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 143
    report = json.loads(stdout)
    assert report["status"] == "KILLED"
    assert CairnClient(sqlite_uri).get_run(report["run_id"]).info.status == "KILLED"
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(child, 0)
            time.sleep(0.1)


def test_api_errors_are_cairn_errors(cache: Path, tmp_path: Path, sqlite_uri: str):
    with pytest.raises(NotFound):
        cairn.projects.run(tmp_path / "none", tracking_uri=sqlite_uri)
    with pytest.raises(InvalidInput):
        cairn.projects.run("", tracking_uri=sqlite_uri)
