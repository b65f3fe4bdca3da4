"""The errors a new user meets first: no project yet, a server or database that is not there, a
mistyped tracking URI, a missing extra. Each is one line naming the fix, exit code 1 (2 for
usage), no traceback, and nothing created on the way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cairn.cli import cli
from cairn.extras import FILESYSTEM_MODULES, extra_for, install_hint
from cairn.testing._base import free_port

NO_PROJECT = "no cairn project here (no .cairn/ in {folder} or its parents): run `cairn init` first"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error_line(result: Result) -> str:
    """The single ``Error: ...`` line of a failed command, asserting there is nothing else."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), result.output
    return lines[0]


def run_blocked(folder: Path, blocked: list[str], args: list[str], **env: str) -> tuple[int, str]:
    """``cairn ARGS`` in a real interpreter where importing each of ``blocked`` fails, as if
    its extra were not installed; the exit code and stderr."""
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from cairn.cli import main\n"
        f"main({args!r})\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    clean["GIT_CEILING_DIRECTORIES"] = str(folder.parent)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stderr


# -- before `cairn init` -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list"],
        ["runs", "show", "0" * 32],
        ["experiments", "list"],
        ["models", "list"],
        ["monitor", "list"],
        ["audit", "verify"],
        ["lineage", "models:/churn@champion"],
        ["data", "lineage", "data/x.csv"],
        ["ui"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_reading_before_init_says_to_run_init_and_creates_nothing(cairn_project, args):
    result = invoke(*args)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert NO_PROJECT.format(folder=cairn_project) in line
    assert "CAIRN_TRACKING_URI" in line
    assert list(cairn_project.iterdir()) == []


def test_in_a_git_clone_the_message_names_the_folder_the_user_is_in(cairn_project):
    subprocess.run(["git", "init", "-q"], cwd=cairn_project, check=True)
    inner = cairn_project / "src"
    inner.mkdir()
    os.chdir(inner)
    result = invoke("runs", "list")
    assert result.exit_code == 1
    assert NO_PROJECT.format(folder=inner) in one_error_line(result)
    assert not (cairn_project / ".cairn").exists()


def test_recording_work_starts_the_project_and_reads_then_work(cairn_project):
    created = invoke("experiments", "create", "churn")
    assert created.exit_code == 0, created.output
    assert (cairn_project / ".cairn" / "cairn.db").is_file()
    listed = invoke("experiments", "list")
    assert listed.exit_code == 0
    assert "churn" in listed.output


def test_cairn_init_makes_the_reads_work(cairn_project):
    assert invoke("init").exit_code == 0
    result = invoke("runs", "list")
    assert result.exit_code == 0, result.output


def test_the_python_api_outside_a_project_records_in_the_folder(cairn_project):
    import cairn

    with cairn.start_run() as run:
        cairn.log_metric("loss", 0.5)
    assert cairn.get_tracking_uri() == f"sqlite:///{cairn_project / '.cairn' / 'cairn.db'}"
    assert invoke("runs", "show", run.info.run_id).exit_code == 0


# -- tracking URIs -------------------------------------------------------------------------------


def test_a_server_that_is_not_there_is_named_with_what_to_start(cairn_project):
    url = f"http://127.0.0.1:{free_port()}"
    result = invoke("--tracking-uri", url, "runs", "list")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"Error: cannot reach the cairn server at {url} (")
    assert "refused" in line
    assert "start it with `cairn server`, or check --tracking-uri / CAIRN_TRACKING_URI" in line
    assert list(cairn_project.iterdir()) == []


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "mysql"])
def test_a_database_that_is_not_there_is_one_line_without_the_password(cairn_project, scheme):
    port = free_port()
    result = invoke(
        "--tracking-uri", f"{scheme}://me:s3cret@127.0.0.1:{port}/cairn", "runs", "list"
    )
    assert result.exit_code == 1
    line = one_error_line(result)
    kind = "mysql" if scheme == "mysql" else "postgresql"
    assert line.startswith(
        f"Error: cannot connect to the {kind} database at 127.0.0.1:{port}/cairn"
    )
    assert "refused" in line.lower()
    assert "s3cret" not in line


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "sqlite:/runs.db",
            "tracking URI 'sqlite:/runs.db' is malformed: write it as sqlite:///PATH",
        ),
        (
            "sqlite://runs.db",
            "tracking URI 'sqlite://runs.db' is malformed: write it as sqlite:///",
        ),
        ("postgresql:db.example.com", "is malformed: write it as postgresql://HOST/..."),
        (
            "s3://bucket/cairn",
            "object stores hold artifacts, not metadata: set CAIRN_ARTIFACT_ROOT",
        ),
        ("file:///tmp/cairn", "for a local store use sqlite:///PATH/cairn.db"),
        (
            "sqlit:///x.db",
            "known schemes: http, https, mariadb, mysql, postgres, postgresql, sqlite",
        ),
        ("foo://bar", "no store handles URI scheme 'foo' (from 'foo://bar'); known schemes"),
    ],
)
def test_a_mistyped_tracking_uri_says_what_to_write(cairn_project, uri, expected):
    result = invoke("--tracking-uri", uri, "runs", "list")
    assert result.exit_code == 1
    assert expected in one_error_line(result)
    assert list(cairn_project.iterdir()) == []


def test_a_close_scheme_is_suggested(cairn_project):
    result = invoke("--tracking-uri", "sqlit:///x.db", "runs", "list")
    assert "Did you mean 'sqlite'" in one_error_line(result)


def test_the_environment_variable_is_read_like_the_option(cairn_project, monkeypatch):
    monkeypatch.setenv("CAIRN_TRACKING_URI", "sqlite:/x.db")
    result = invoke("runs", "list")
    assert result.exit_code == 1
    assert "'sqlite:/x.db' is malformed" in one_error_line(result)
    assert list(cairn_project.iterdir()) == []


def test_a_malformed_uri_in_the_project_config_names_the_file(cairn_project):
    (cairn_project / "pyproject.toml").write_text('[tool.cairn]\ntracking_uri = "sqlite:/x.db"\n')
    result = invoke("runs", "list")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "tracking_uri in " in line
    assert "[tool.cairn] of pyproject.toml 'sqlite:/x.db' is malformed" in line


# -- missing extras, blocked for real in a fresh interpreter -------------------------------------


def test_an_http_store_without_httpx_names_the_extra(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    code, err = run_blocked(tmp_path, ["httpx"], ["--tracking-uri", url, "runs", "list"])
    assert code == 1
    assert err.strip() == (
        "Error: http:// tracking URIs need the httpx package: pip install 'cairn[server]'"
    )


def test_a_database_without_its_driver_names_the_extra(tmp_path):
    uri = f"postgresql://me@127.0.0.1:{free_port()}/cairn"
    code, err = run_blocked(tmp_path, ["psycopg"], ["--tracking-uri", uri, "runs", "list"])
    assert code == 1
    assert err.strip().endswith("pip install 'cairn[postgres]'")
    assert len(err.strip().splitlines()) == 1


def test_serving_without_the_server_extra_names_the_umbrella_extra(tmp_path):
    code, err = run_blocked(tmp_path, ["fastapi"], ["models", "serve", "model"])
    assert code == 1
    assert err.strip() == "Error: `cairn models serve` needs fastapi: pip install 'cairn[serving]'"


def test_an_s3_artifact_root_without_s3fs_names_the_extra(tmp_path):
    (tmp_path / "cairn.yaml").write_text("stages:\n  a:\n    cmd: echo hi > out.txt\n")
    code, err = run_blocked(tmp_path, ["s3fs"], ["pipeline", "run"],
                            CAIRN_ARTIFACT_ROOT="s3://bucket/cairn")  # fmt: skip
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert line.startswith("Error: artifact location 's3://bucket/cairn/"), err
    assert line.endswith("needs s3fs: pip install 'cairn[s3]'")


def test_help_works_without_any_extra(tmp_path):
    blocked = ["fastapi", "uvicorn", "httpx", "jinja2", "pandas", "numpy", "scipy", "sklearn"]
    for args in (["--help"], ["ui", "--help"], ["server", "--help"], ["models", "serve", "--help"],
                 ["monitor", "create", "--help"], ["runs", "list", "--help"]):  # fmt: skip
        code, err = run_blocked(tmp_path, blocked, args)
        assert (code, err) == (0, ""), args
    assert list(tmp_path.iterdir()) == []


def test_a_missing_core_module_is_not_disguised_as_a_missing_extra(tmp_path):
    (tmp_path / "cairn.yaml").write_text("stages: {}\n")
    code, err = run_blocked(tmp_path, ["yaml"], ["pipeline", "dag"])
    assert code == 1
    assert "Traceback" in err
    assert "pip install 'cairn[" not in err


def test_extras_come_from_the_package_metadata():
    assert extra_for("fastapi") == "server"
    assert extra_for("PIL") == "plots"
    assert extra_for("psycopg") == "postgres"
    assert extra_for("pyarrow.parquet") == "pandas"
    assert extra_for("yaml") is None  # a core dependency
    assert install_hint("gcsfs") == "pip install 'cairn[gcs]'"
    assert install_hint("optuna") == "pip install optuna"
    assert all(extra_for(module) for module in FILESYSTEM_MODULES.values())


# -- other first steps ---------------------------------------------------------------------------


def test_a_mistyped_command_suggests_the_right_one(cairn_project):
    result = invoke("rnus")
    assert result.exit_code == 2
    assert "No such command 'rnus'. Did you mean 'runs'?" in result.output


def test_data_push_without_a_remote_says_how_to_add_one(cairn_project):
    (cairn_project / "x.csv").write_text("a\n1\n")
    assert invoke("data", "add", "x.csv").exit_code == 0
    result = invoke("data", "push")
    assert result.exit_code == 1
    assert "add one with `cairn data remote add NAME URL --default`" in one_error_line(result)


def test_pulling_from_a_remote_folder_that_does_not_exist_names_it(cairn_project, tmp_path_factory):
    missing = tmp_path_factory.mktemp("remotes") / "nowhere"
    (cairn_project / "x.csv").write_text("a\n1\n")
    assert invoke("data", "add", "x.csv").exit_code == 0
    assert invoke("data", "remote", "add", "origin", str(missing), "--default").exit_code == 0
    shutil.rmtree(cairn_project / ".cairn" / "cache")  # a fresh clone has no cache
    (cairn_project / "x.csv").unlink()
    result = invoke("data", "pull")
    assert result.exit_code == 1
    assert f"not on data remote 'origin' ({missing})" in one_error_line(result)


def test_a_yaml_syntax_error_in_cairn_yaml_names_the_line(cairn_project):
    (cairn_project / "cairn.yaml").write_text("stages:\n  a:\n    cmd: [echo\n  b:\n    cmd: x\n")
    result = invoke("pipeline", "dag")
    assert result.exit_code == 1
    assert one_error_line(result).startswith("Error: cairn.yaml:4: not valid YAML")


def test_a_yaml_syntax_error_at_the_end_of_cairn_yaml_is_one_line(cairn_project):
    (cairn_project / "cairn.yaml").write_text("stages:\n  a:\n    cmd: [echo")
    result = invoke("pipeline", "dag")
    assert result.exit_code == 1
    assert "not valid YAML" in one_error_line(result)


def test_the_cli_loads_the_extras_metadata_only_on_an_error():
    """Reading the package metadata costs ~40 ms of start-up (importlib.metadata and email):
    every command would pay it, so the CLI loads it only to explain a missing extra."""
    code = "import sys, cairn.cli; print('importlib.metadata' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("command", [["data", "status"], ["data", "ls"], ["data", "push"]])
def test_reading_data_commands_outside_any_project_start_none(cairn_project, command):
    result = invoke(*command)
    assert result.exit_code == 1
    assert "no cairn project here" in one_error_line(result)
    assert not (cairn_project / ".cairn").exists()


def test_data_add_starts_a_project_and_status_then_works(cairn_project):
    (cairn_project / "x.csv").write_text("a\n1\n")
    assert invoke("data", "add", "x.csv").exit_code == 0
    assert invoke("data", "status").exit_code == 0
