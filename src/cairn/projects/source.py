"""Where a project's files come from: a local folder, or a git URL cloned into the cache.

A git URL (``https://``, ``ssh://``, ``git://``, ``file://``, ``git@host:org/repo``, or
anything ending in ``.git``, or the path of a local bare repository) is cloned afresh into a scratch folder, checked out at
``version`` (a branch, tag or commit; default the remote's HEAD), and kept in
``$CAIRN_CACHE_DIR/projects/<url hash>/<commit>``: one immutable checkout per commit, which
concurrent runs share and never modify.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import blake3

from cairn.errors import InvalidInput, NotFound
from cairn.tracking.context_git import strip_credentials

__all__ = ["ProjectSource", "is_git_url", "locate"]

_SCHEMES = ("http://", "https://", "ssh://", "git://", "git+ssh://", "file://")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True)
class ProjectSource:
    """A project's folder, its URI as recorded (no credentials) and its git commit (if any)."""

    directory: Path
    uri: str
    commit: str | None


def is_git_url(uri: str) -> bool:
    """True when ``uri`` names a git repository to clone rather than a local folder."""
    return uri.startswith(_SCHEMES) or bool(_SCP_LIKE.match(uri)) or uri.endswith(".git")


def locate(uri: str | Path, version: str | None = None) -> ProjectSource:
    """Find or fetch the project at ``uri``; ``version`` only applies to git URLs."""
    text = str(uri)
    if not text:
        raise InvalidInput("the project URI is empty; give a folder or a git URL")
    if (is_git_url(text) and not Path(text).is_dir()) or _is_bare_repo(Path(text)):
        return _clone(text, version)
    folder = Path(text).expanduser().resolve()
    if not folder.is_dir():
        raise NotFound(f"project folder {text!r} does not exist; give a folder or a git URL")
    if version is not None:
        raise InvalidInput(
            f"--version applies to git URLs only; {text!r} is a local folder: check out the "
            "revision there yourself, or pass the repository as file://..."
        )
    return ProjectSource(folder, text, _head(folder))


def _cache_root() -> Path:
    root = os.environ.get("CAIRN_CACHE_DIR") or Path.home() / ".cache" / "cairn"
    return Path(root) / "projects"


def _clone(url: str, version: str | None) -> ProjectSource:
    shown = strip_credentials(url)
    root = _cache_root() / blake3.blake3(shown.encode()).hexdigest()[:16]
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".clone-", dir=root))
    try:
        _git(["clone", "--quiet", url, str(scratch / "repo")], None, shown)
        repo = scratch / "repo"
        if version is not None:
            _git(["checkout", "--quiet", "--detach", version], repo, shown, version)
        commit = _head(repo)
        if commit is None:
            raise InvalidInput(f"the repository {shown} has no commits; push one first")
        final = root / commit
        if not final.exists():
            try:
                os.rename(repo, final)
            except OSError:
                if not final.is_dir():  # not a concurrent run that got there first
                    raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ProjectSource(final, shown, commit)


def _git(args: list[str], cwd: Path | None, shown: str, version: str | None = None) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
        )
    except FileNotFoundError as err:
        raise InvalidInput("running a project from a git URL needs git on PATH") from err
    if done.returncode != 0:
        detail = strip_credentials(done.stderr.strip().splitlines()[-1] if done.stderr else "")
        if version is not None:
            raise NotFound(
                f"version {version!r} is not a branch, tag or commit of {shown} ({detail}); "
                "check --version"
            )
        raise InvalidInput(f"cannot clone {shown}: {detail}; check the URL and your access")


def _is_bare_repo(folder: Path) -> bool:
    """A local bare repository (``repo.git`` with HEAD, objects/, refs/) is cloned too."""
    return (
        (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir()
    )


def _head(folder: Path) -> str | None:
    """The commit checked out in ``folder`` (None outside git, or without git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
