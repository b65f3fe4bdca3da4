"""Git facts for a run's context: commit, branch, remote (without credentials), uncommitted diff."""

from __future__ import annotations

import os
import subprocess
import threading
from urllib.parse import urlsplit, urlunsplit

import blake3

GIT_TIMEOUT = 5.0
MAX_DIFF_BYTES = 5 * 1024 * 1024
DIFF_ARTIFACT = "source/uncommitted.diff"
# The whole repository but cairn's own folder: the store in .cairn/ never makes code dirty.
WORK_TREE = ("--", ":(top)", ":(top,exclude).cairn")


def content_hash(content: bytes) -> str:
    return blake3.blake3(content).hexdigest()


def _git(cwd: str, *args: str) -> tuple[bytes, bool] | None:
    """Run git; (stdout cut at MAX_DIFF_BYTES, truncated) or None if it fails or times out."""
    limit = MAX_DIFF_BYTES
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):  # no git executable, cwd gone
        return None
    timer = threading.Timer(GIT_TIMEOUT, proc.kill)  # a read limit needs Popen, not run()
    timer.start()
    try:
        with proc:
            out = proc.stdout.read(limit + 1) if proc.stdout else b""
            if len(out) > limit:
                proc.kill()
                return out[:limit], True
    finally:
        timer.cancel()
    return (out, False) if proc.returncode == 0 else None


def _git_text(cwd: str, *args: str) -> str | None:
    result = _git(cwd, *args)
    return (result[0].decode(errors="replace").strip() or None) if result else None


def strip_credentials(url: str) -> str:
    """Drop ``user:password@`` (or an HTTP token given as user) from a URL; keep ``git@``."""
    if "://" not in url:
        return url  # scp-like "git@host:org/repo" carries no secret
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    keep = ":" not in userinfo and parts.scheme not in ("http", "https", "ftp", "ftps")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}" if keep else host))


def probe_git(cwd: str, tags: dict[str, str], artifacts: dict[str, bytes]) -> str | None:
    root = _git_text(cwd, "rev-parse", "--show-toplevel")
    if root is None:
        return None
    found = {
        "commit": _git_text(cwd, "rev-parse", "--verify", "-q", "HEAD"),
        "branch": _git_text(cwd, "symbolic-ref", "--short", "-q", "HEAD"),
        "remote": _git_text(cwd, "config", "--get", "remote.origin.url"),
    }
    if found["remote"]:
        found["remote"] = strip_credentials(found["remote"])
    tags.update({f"cairn.source.git.{key}": value for key, value in found.items() if value})
    status = _git(cwd, "status", "--porcelain", "--untracked-files=normal", *WORK_TREE)
    if status is not None:
        dirty = bool(status[0].strip())
        tags["cairn.source.git.dirty"] = str(dirty).lower()
        if dirty:
            artifacts[DIFF_ARTIFACT] = _uncommitted_diff(cwd, has_head=bool(found["commit"]))
            tags["cairn.source.git.diff_hash"] = content_hash(artifacts[DIFF_ARTIFACT])
    return os.path.realpath(root)


def _uncommitted_diff(cwd: str, has_head: bool) -> bytes:
    """``git diff HEAD`` then the untracked files by name, cut at MAX_DIFF_BYTES."""
    plain = ("--no-color", "--no-ext-diff", "--no-textconv")
    diff = _git(cwd, "diff", "HEAD", *plain, *WORK_TREE) if has_head else None
    body, truncated = diff or (b"", False)
    untracked = _git(
        cwd, "ls-files", "--others", "--exclude-standard", "--directory", "-z", *WORK_TREE
    )
    if untracked and untracked[0]:
        names = [name.decode(errors="replace") for name in untracked[0].split(b"\0") if name]
        listing = "".join(f"#   {name}\n" for name in names)
        body += f"\n# Untracked files (content not included):\n{listing}".encode()
    if truncated or len(body) > MAX_DIFF_BYTES:
        body = body[:MAX_DIFF_BYTES] + f"\n# TRUNCATED at {MAX_DIFF_BYTES} bytes\n".encode()
    return body


# -- source -----------------------------------------------------------------------------------
