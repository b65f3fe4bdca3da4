from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import blake3
import pytest

from cairn.tracking import context_git, context_host
from cairn.tracking.context import (
    REQUIREMENTS_ARTIFACT,
    RunContext,
    collect_run_context,
    redact_command,
    requirements_text,
    strip_credentials,
)
from cairn.tracking.context_git import DIFF_ARTIFACT


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep git from finding a repository above tmp_path or reading the user's config."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "train.py").write_text("print('train')\n")
    (root / "sub" / "run.py").write_text("print('run')\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def collect(cwd: Path, argv: list[str] | None = None, capture_packages: bool = False) -> RunContext:
    return collect_run_context(
        argv=argv or ["train.py"], cwd=str(cwd), capture_packages=capture_packages
    )


def test_clean_repo_records_commit_branch_and_source(repo: Path) -> None:
    ctx = collect(repo, ["train.py", "--lr", "0.1"])
    assert ctx.tags["cairn.source.git.commit"] == git(repo, "rev-parse", "HEAD")
    assert ctx.tags["cairn.source.git.branch"] == "main"
    assert ctx.tags["cairn.source.git.dirty"] == "false"
    assert "cairn.source.git.diff_hash" not in ctx.tags
    assert "cairn.source.git.remote" not in ctx.tags
    assert DIFF_ARTIFACT not in ctx.artifacts
    assert ctx.tags["cairn.source.type"] == "SCRIPT"
    assert ctx.tags["cairn.source.name"] == "train.py"
    assert ctx.tags["cairn.source.command"] == "train.py --lr 0.1"


def test_source_name_is_relative_to_git_root(repo: Path) -> None:
    ctx = collect(repo / "sub", ["run.py"])
    assert ctx.tags["cairn.source.name"] == "sub/run.py"


def test_dirty_repo_stores_diff_with_untracked_files_and_hash(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    (repo / "notes.txt").write_text("scratch\n")
    ctx = collect(repo)
    assert ctx.tags["cairn.source.git.dirty"] == "true"
    diff = ctx.artifacts[DIFF_ARTIFACT].decode()
    assert "-print('train')" in diff
    assert "+print('changed')" in diff
    assert "notes.txt" in diff
    assert ctx.tags["cairn.source.git.diff_hash"] == blake3.blake3(diff.encode()).hexdigest()


def test_large_diff_is_truncated_and_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context_git, "MAX_DIFF_BYTES", 200)
    (repo / "train.py").write_text("x = 1\n" * 1000)
    diff = collect(repo).artifacts[DIFF_ARTIFACT]
    assert diff.startswith(b"diff --git")
    assert b"TRUNCATED at 200 bytes" in diff
    assert len(diff) < 300


def test_detached_head_has_commit_but_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    ctx = collect(repo)
    assert "cairn.source.git.commit" in ctx.tags
    assert "cairn.source.git.branch" not in ctx.tags


def test_remote_credentials_are_stripped(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://alice:s3cret@example.com/org/repo.git")
    ctx = collect(repo)
    assert ctx.tags["cairn.source.git.remote"] == "https://example.com/org/repo.git"
    assert not any("s3cret" in value for value in ctx.tags.values())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ghp_token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://bob:pw@host:2222/o/r.git", "ssh://host:2222/o/r.git"),
        ("ssh://git@host/o/r.git", "ssh://git@host/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_secret_arguments_are_redacted(repo: Path) -> None:
    argv = [
        "train.py",
        "--password",
        "hunter2",
        "--api-key=abc123",
        "--apiKey",
        "k3y",
        "db.password=pw9",
        "--token",
        "--verbose",
        "--author",
        "me",
        "--db",
        "postgresql://u:dbpw@host/db",
    ]
    command = collect(repo, argv).tags["cairn.source.command"]
    for secret in ("hunter2", "abc123", "k3y", "pw9", "dbpw"):
        assert secret not in command
    assert "--password REDACTED" in command
    assert "--api-key=REDACTED" in command
    assert "db.password=REDACTED" in command
    assert "--token --verbose" in command  # a flag after a secret flag is not a value
    assert "--author me" in command
    assert "postgresql://u:REDACTED@host/db" in command


def test_redact_command_leaves_ordinary_arguments_alone() -> None:
    argv = ["train.py", "--lr", "0.1", "--passes", "3", "epochs=5"]
    assert redact_command(argv) == argv


def test_requirements_artifact_lists_installed_packages(tmp_path: Path) -> None:
    ctx = collect(tmp_path, capture_packages=True)
    text = ctx.artifacts[REQUIREMENTS_ARTIFACT].decode()
    lines = text.splitlines()
    assert any(line.startswith("pytest==") for line in lines)
    names = [line.split("==")[0] for line in lines]
    assert names == sorted(set(names))  # sorted and one line per distribution
    expected = blake3.blake3(ctx.artifacts[REQUIREMENTS_ARTIFACT]).hexdigest()
    assert ctx.tags["cairn.environment.hash"] == expected


def test_without_packages_there_is_no_requirements_artifact(tmp_path: Path) -> None:
    ctx = collect(tmp_path)
    assert REQUIREMENTS_ARTIFACT not in ctx.artifacts
    assert "cairn.environment.hash" not in ctx.tags


def test_outside_a_repository_there_are_no_git_tags(tmp_path: Path) -> None:
    ctx = collect(tmp_path, ["train.py"])
    assert not [key for key in ctx.tags if key.startswith("cairn.source.git.")]
    assert ctx.artifacts == {}
    assert ctx.tags["cairn.source.name"] == str((tmp_path / "train.py").resolve())


def test_missing_git_executable_is_not_an_error(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    ctx = collect(repo)
    assert not [key for key in ctx.tags if key.startswith("cairn.source.git.")]
    assert ctx.tags["cairn.source.type"] == "SCRIPT"


def test_platform_and_hardware_tags(tmp_path: Path) -> None:
    tags = collect(tmp_path).tags
    assert tags["cairn.python.version"] == ".".join(map(str, sys.version_info[:3]))
    assert tags["cairn.python.implementation"]
    assert tags["cairn.user"]
    assert tags["cairn.host"]
    assert tags["cairn.os"]
    assert int(tags["cairn.hardware.cores"]) >= 1
    assert float(tags["cairn.hardware.memory_gb"]) > 0


@pytest.mark.parametrize(
    ("argv", "entry_point", "kind"),
    [
        (["-c"], None, "INTERACTIVE"),
        ([""], None, "INTERACTIVE"),
        (["x.py"], "analysis.ipynb", "NOTEBOOK"),
        (["x.py"], "job.py", "SCRIPT"),
    ],
)
def test_source_type(tmp_path: Path, argv: list[str], entry_point: str | None, kind: str) -> None:
    ctx = collect_run_context(entry_point, argv, str(tmp_path), capture_packages=False)
    assert ctx.tags["cairn.source.type"] == kind
    assert ("cairn.source.name" in ctx.tags) == (entry_point is not None)


def test_accelerator_environment_and_tag_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("TPU_NAME", "t" * 10_000)
    tags = collect(tmp_path).tags
    assert tags["cairn.hardware.env.CUDA_VISIBLE_DEVICES"] == "0,1"
    assert len(tags["cairn.hardware.env.TPU_NAME"]) == 8000
    assert all(len(value) <= 8000 for value in tags.values())


class _NVMLError(Exception):
    pass


def _fake_pynvml(gpus: int, fail_init: bool = False) -> types.ModuleType:
    """A stand-in for nvidia-ml-py: the real one needs an NVIDIA driver."""

    def init() -> None:
        if fail_init:
            raise _NVMLError("Driver Not Loaded")

    module = types.ModuleType("pynvml")
    module.NVMLError = _NVMLError  # type: ignore[attr-defined]
    module.nvmlInit = init  # type: ignore[attr-defined]
    module.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    module.nvmlDeviceGetCount = lambda: gpus  # type: ignore[attr-defined]
    module.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    module.nvmlDeviceGetName = lambda h: f"Fake GPU {h}"  # type: ignore[attr-defined]
    module.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(  # type: ignore[attr-defined]
        total=16 * 1024**3, used=1024**3
    )
    module.nvmlSystemGetDriverVersion = lambda: "550.1"  # type: ignore[attr-defined]
    return module


def test_gpus_via_nvml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(gpus=2))
    tags = collect(tmp_path).tags
    assert tags["cairn.hardware.gpu.count"] == "2"
    assert tags["cairn.hardware.gpu.names"] == "Fake GPU 0,Fake GPU 1"
    assert tags["cairn.hardware.gpu.memory_gb"] == "16.0,16.0"


def test_nvml_without_driver_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(gpus=1, fail_init=True))
    assert not [key for key in collect(tmp_path).tags if key.startswith("cairn.hardware.gpu")]


@pytest.mark.parametrize(
    ("how", "kind", "name"), [("module", "MODULE", "probe"), ("script", "SCRIPT", "probe.py")]
)
def test_live_process_source(tmp_path: Path, how: str, kind: str, name: str) -> None:
    (tmp_path / "probe.py").write_text(
        "import json\n"
        "from cairn.tracking.context import collect_run_context\n"
        "print(json.dumps(collect_run_context(capture_packages=False).tags))\n"
    )
    git(tmp_path, "init", "-q", "-b", "main")
    target = ["-m", "probe"] if how == "module" else ["probe.py"]
    out = subprocess.run(
        [sys.executable, *target, "--token", "t0k3n"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tags = json.loads(out)
    assert tags["cairn.source.type"] == kind
    assert tags["cairn.source.name"] == name
    assert tags["cairn.source.command"].endswith(" ".join([*target, "--token", "REDACTED"]))
    assert "cairn.source.git.commit" not in tags  # a repository without commits
    assert tags["cairn.source.git.dirty"] == "true"


def test_requirements_agree_with_importlib_metadata() -> None:
    expected: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        expected.setdefault(re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower(), dist.version)
    lines = requirements_text().splitlines()
    assert dict(line.split("==", 1) for line in lines) == expected


def test_a_failing_probe_leaves_the_others(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_hostname() -> str:
        raise OSError("no name")

    monkeypatch.setattr(context_host.socket, "gethostname", no_hostname)
    tags = collect(repo).tags
    assert "cairn.host" not in tags
    assert tags["cairn.source.git.branch"] == "main"
    assert "cairn.hardware.cores" in tags
