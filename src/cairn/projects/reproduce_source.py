"""The source of a run to reproduce: its git repository, commit, worktree and uncommitted diff.

A reproduction runs in a detached ``git worktree`` of the recorded commit, outside the user's
checkout, with the run's recorded diff applied when it ran on a dirty tree. The worktree is
removed again (and ``git worktree prune`` run) unless the caller keeps it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from cairn.errors import InvalidInput, InvalidState, NotFound
from cairn.tracking.context_git import content_hash

__all__ = ["add_worktree", "apply_diff", "find_repository", "remove_worktree", "require_commit"]

GIT_TIMEOUT = 120.0


def _git(cwd: Path, *args: str, input_bytes: bytes | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input_bytes,
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT,
        )
    except FileNotFoundError:
        raise InvalidState("git is not installed; reproducing a run needs it") from None
    except subprocess.TimeoutExpired:
        raise InvalidState(f"`git {' '.join(args)}` took more than {GIT_TIMEOUT:.0f}s") from None


def _stderr(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def find_repository(path: Path | None = None) -> Path:
    """The root of the git repository holding ``path`` (default: the current folder)."""
    start = Path(path or Path.cwd()).resolve()
    if not start.is_dir():
        raise InvalidInput(f"--repo {start} is not a folder; name the project's git checkout")
    done = _git(start, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise InvalidInput(
            f"{start} is not inside a git repository; run `cairn reproduce` in the project's "
            "checkout or name it with --repo PATH"
        )
    return Path(done.stdout.decode().strip()).resolve()


def require_commit(repo: Path, commit: str, run_id: str) -> None:
    """Raise :class:`NotFound` when ``commit`` is not an object of ``repo``."""
    done = _git(repo, "cat-file", "-e", f"{commit}^{{commit}}")
    if done.returncode != 0:
        raise NotFound(
            f"commit {commit} of run {run_id} is not in the repository {repo}: it may have been "
            "rebased away or garbage-collected, or was never fetched here. Fetch it "
            f"(`git fetch origin {commit}`) or name a clone that has it with --repo PATH"
        )


def add_worktree(repo: Path, commit: str) -> Path:
    """A new detached worktree of ``commit`` in a temporary folder."""
    parent = Path(tempfile.mkdtemp(prefix="cairn-reproduce-"))
    target = parent / repo.name
    done = _git(repo, "worktree", "add", "--detach", "--quiet", str(target), commit)
    if done.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        raise InvalidState(f"could not check out commit {commit} in a worktree: {_stderr(done)}")
    return target


def remove_worktree(repo: Path, worktree: Path) -> None:
    """Remove ``worktree`` (and its temporary parent folder) and prune git's record of it."""
    _git(repo, "worktree", "remove", "--force", str(worktree))
    shutil.rmtree(worktree.parent, ignore_errors=True)
    _git(repo, "worktree", "prune")


def apply_diff(worktree: Path, diff: bytes, expected_hash: str | None, run_id: str) -> list[str]:
    """Apply the run's recorded uncommitted diff; return the untracked files it names (their
    content was never recorded)."""
    if expected_hash and content_hash(diff) != expected_hash:
        raise InvalidState(
            f"the recorded diff of run {run_id} does not match its hash {expected_hash[:12]}…: "
            "the artifact source/uncommitted.diff was changed after the run"
        )
    text = diff.decode(errors="replace")
    untracked = [line.removeprefix("#   ") for line in text.splitlines() if line.startswith("#   ")]
    if "# TRUNCATED at " in text:
        raise InvalidState(
            f"the recorded diff of run {run_id} was truncated (too large to record); "
            "its uncommitted changes cannot be restored"
        )
    if "diff --git " not in text:
        return untracked  # only untracked files were listed
    done = _git(worktree, "apply", "--whitespace=nowarn", "-", input_bytes=diff)
    if done.returncode != 0:
        raise InvalidState(
            f"the uncommitted changes recorded with run {run_id} do not apply to its commit: "
            f"{_stderr(done)}"
        )
    return untracked
