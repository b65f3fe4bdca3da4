"""What cairn records about a run's context at run start: source, git, environment, hardware.

Every probe is best effort: one that fails (no git, no driver, no permission) leaves its tags
out and never raises. Nothing here touches the store; the tracking client logs the result.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import platform
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import blake3

__all__ = [
    "RunContext",
    "collect_run_context",
    "redact_command",
    "requirements_text",
    "strip_credentials",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_TAG_LENGTH = 8000
MAX_DIFF_BYTES = 5 * 1024 * 1024
GIT_TIMEOUT = 5.0
DIFF_ARTIFACT = "source/uncommitted.diff"
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
REDACTED = "REDACTED"
_ACCELERATOR_ENV = (
    "CUDA_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
    "NEURON_RT_VISIBLE_CORES",
    "COLAB_TPU_ADDR",
)
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "token",
        "secret",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "credential",
        "credentials",
        "auth",
        "authorization",
    }
)
_URL_PASSWORD = re.compile(r"(\w[\w+.-]*://[^/\s:@]*):[^@/\s]*@")


@dataclass(frozen=True)
class RunContext:
    """System tags and small artifacts (relative path -> bytes) describing where a run ran."""

    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)


def collect_run_context(
    entry_point: str | None = None,
    argv: list[str] | None = None,
    cwd: str | None = None,
    capture_packages: bool = True,
) -> RunContext:
    """Probe source, git, environment and hardware; failed probes leave their tags out."""
    cwd = os.path.realpath(cwd or os.getcwd())
    tags: dict[str, str] = {}
    artifacts: dict[str, bytes] = {}
    git_root = _best_effort(_probe_git, cwd, tags, artifacts)
    _best_effort(_probe_source, entry_point, argv, cwd, git_root, tags)
    _best_effort(_probe_platform, tags)
    requirements = _best_effort(requirements_text) if capture_packages else None
    if requirements is not None:
        artifacts[REQUIREMENTS_ARTIFACT] = requirements.encode()
        tags["cairn.environment.hash"] = _hash(artifacts[REQUIREMENTS_ARTIFACT])
    _best_effort(_probe_hardware, tags)
    _best_effort(_probe_gpus, tags)
    for name in sorted(os.environ):
        if name in _ACCELERATOR_ENV or name.startswith("TPU_"):
            tags[f"cairn.hardware.env.{name}"] = os.environ[name]
    return RunContext({key: _truncate(value) for key, value in tags.items()}, artifacts)


def _best_effort(probe: Callable[..., T], *args: Any) -> T | None:
    """Run one probe; trouble in the environment (not a bug) just leaves its tags out."""
    try:
        return probe(*args)
    except (OSError, ValueError, LookupError, subprocess.SubprocessError):
        logger.debug("run context probe %s failed", probe.__name__, exc_info=True)
        return None


def _truncate(value: str) -> str:
    return value if len(value) <= MAX_TAG_LENGTH else value[: MAX_TAG_LENGTH - 3] + "..."


def _hash(content: bytes) -> str:
    return blake3.blake3(content).hexdigest()


# -- git --------------------------------------------------------------------------------------


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


def _probe_git(cwd: str, tags: dict[str, str], artifacts: dict[str, bytes]) -> str | None:
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
    status = _git(cwd, "status", "--porcelain", "--untracked-files=normal")
    if status is not None:
        dirty = bool(status[0].strip())
        tags["cairn.source.git.dirty"] = str(dirty).lower()
        if dirty:
            artifacts[DIFF_ARTIFACT] = _uncommitted_diff(cwd, has_head=bool(found["commit"]))
            tags["cairn.source.git.diff_hash"] = _hash(artifacts[DIFF_ARTIFACT])
    return os.path.realpath(root)


def _uncommitted_diff(cwd: str, has_head: bool) -> bytes:
    """``git diff HEAD`` then the untracked files by name, cut at MAX_DIFF_BYTES."""
    plain = ("--no-color", "--no-ext-diff", "--no-textconv")
    body, truncated = (_git(cwd, "diff", "HEAD", *plain) if has_head else None) or (b"", False)
    untracked = _git(cwd, "ls-files", "--others", "--exclude-standard", "--directory", "-z")
    if untracked and untracked[0]:
        names = [name.decode(errors="replace") for name in untracked[0].split(b"\0") if name]
        listing = "".join(f"#   {name}\n" for name in names)
        body += f"\n# Untracked files (content not included):\n{listing}".encode()
    if truncated or len(body) > MAX_DIFF_BYTES:
        body = body[:MAX_DIFF_BYTES] + f"\n# TRUNCATED at {MAX_DIFF_BYTES} bytes\n".encode()
    return body


# -- source -----------------------------------------------------------------------------------


def redact_command(argv: list[str]) -> list[str]:
    """Hide the values of secret-looking arguments (--password X, --api-key=X, token=X, URLs)."""
    out: list[str] = []
    redact_next = False
    for arg in argv:
        if redact_next and not arg.startswith("--"):
            out.append(REDACTED)
            redact_next = False
            continue
        name, eq, _ = arg.partition("=")
        secret = (arg.startswith("-") or bool(eq)) and _is_secret_name(name)
        redact_next = secret and not eq
        arg = f"{name}={REDACTED}" if secret and eq else arg
        out.append(_URL_PASSWORD.sub(rf"\1:{REDACTED}@", arg))
    return out


def _is_secret_name(name: str) -> bool:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.lstrip("-")).lower()
    tokens = [token for token in re.split(r"[-_.]", words) if token]
    pairs = {a + b for a, b in zip(tokens, tokens[1:], strict=False)}
    return bool(_SECRET_WORDS.intersection(tokens) or _SECRET_WORDS & pairs)


def _notebook_path() -> str | None:
    """The notebook this kernel runs, when called inside Jupyter (best effort)."""
    if "ipykernel" not in sys.modules:
        return None
    main = sys.modules.get("__main__")
    for candidate in (
        getattr(main, "__session__", None),
        getattr(main, "__vsc_ipynb_file__", None),
        os.environ.get("JPY_SESSION_NAME"),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _probe_source(
    entry_point: str | None,
    argv: list[str] | None,
    cwd: str,
    git_root: str | None,
    tags: dict[str, str],
) -> None:
    args = list(sys.argv if argv is None else argv)
    command = list(getattr(sys, "orig_argv", args)) if argv is None else args
    if command:
        tags["cairn.source.command"] = shlex.join(redact_command(command))
    live = argv is None and entry_point is None  # describe this very process
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    ipython = sys.modules.get("IPython")
    notebook = _notebook_path() if live else None
    path: str | None = None
    if entry_point is not None:
        kind, path = "NOTEBOOK" if entry_point.endswith(".ipynb") else "SCRIPT", entry_point
    elif notebook is not None:
        kind, path = "NOTEBOOK", notebook
        tags["cairn.source.notebook.path"] = notebook
    elif live and spec is not None and spec.name not in (None, "", "__main__"):
        kind = "MODULE"
        tags["cairn.source.name"] = spec.name.removesuffix(".__main__")
    elif (
        not args
        or args[0] in ("", "-", "-c")
        or (live and (hasattr(sys, "ps1") or (ipython and ipython.get_ipython())))
    ):
        kind = "INTERACTIVE"
    else:
        kind, path = "SCRIPT", args[0]
    tags["cairn.source.type"] = kind
    if path is not None:
        tags["cairn.source.name"] = _relative_to_root(path, cwd, git_root)


def _relative_to_root(path: str, cwd: str, git_root: str | None) -> str:
    full = os.path.realpath(os.path.join(cwd, os.path.expanduser(path)))
    if git_root is not None and (full + os.sep).startswith(git_root.rstrip(os.sep) + os.sep):
        return os.path.relpath(full, git_root).replace(os.sep, "/")
    return full


# -- platform, packages, hardware -------------------------------------------------------------


def _probe_platform(tags: dict[str, str]) -> None:
    try:
        tags["cairn.user"] = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in env and no pwd entry
        if hasattr(os, "getuid"):
            tags["cairn.user"] = str(os.getuid())
    tags["cairn.host"] = socket.gethostname()
    tags["cairn.python.version"] = platform.python_version()
    tags["cairn.python.implementation"] = platform.python_implementation()
    tags["cairn.os"] = platform.platform()


def requirements_text() -> str:
    """``name==version`` per installed distribution, sorted; the first on sys.path wins."""
    found: dict[str, str] = {}
    for entry in sys.path:  # folder names instead of METADATA files: ~100x faster
        try:
            with os.scandir(entry or ".") as it:
                names = [e.name for e in it if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:  # a zip file, a missing folder, no permission
            continue
        for dirname in names:
            name, _, version = dirname.rsplit(".", 1)[0].partition("-")
            version = version.split("-py", 1)[0]  # egg-info: name-1.0-py3.11.egg-info
            if not name or not version:  # e.g. an in-tree "pkg.egg-info": read its metadata
                from importlib.metadata import PathDistribution  # costs ~40 ms to import

                meta = PathDistribution(Path(entry or ".", dirname)).metadata
                name, version = (meta["Name"] or "", meta["Version"] or "") if meta else ("", "")
            key = re.sub(r"[-_.]+", "-", name).lower()
            if key and version and key not in found:
                found[key] = version
    return "".join(f"{name}=={found[name]}\n" for name in sorted(found))


def _probe_hardware(tags: dict[str, str]) -> None:
    cpu = platform.processor()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", errors="replace") as fh:
        models = (
            line.partition(":")[2]
            for line in fh
            if line.partition(":")[0].strip() in ("model name", "Hardware", "Model")
        )
        cpu = next(models, cpu).strip()
    tags.update({"cairn.hardware.cpu": cpu} if cpu else {})
    tags.update({"cairn.hardware.cores": str(os.cpu_count())} if os.cpu_count() else {})
    try:
        import psutil
    except ImportError:
        return
    if psutil.cpu_count(logical=False):
        tags["cairn.hardware.physical_cores"] = str(psutil.cpu_count(logical=False))
    tags["cairn.hardware.memory_gb"] = f"{psutil.virtual_memory().total / 1024**3:.1f}"


def _probe_gpus(tags: dict[str, str]) -> None:
    try:
        import pynvml
    except ImportError:
        return
    try:
        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        tags["cairn.hardware.gpu.count"] = str(len(handles))
        if handles:
            names = [pynvml.nvmlDeviceGetName(h) for h in handles]  # str since nvidia-ml-py 12
            memory = [pynvml.nvmlDeviceGetMemoryInfo(h).total / 1024**3 for h in handles]
            tags["cairn.hardware.gpu.names"] = ",".join(map(str, names))
            tags["cairn.hardware.gpu.memory_gb"] = ",".join(f"{gb:.1f}" for gb in memory)
            tags["cairn.hardware.gpu.driver"] = str(pynvml.nvmlSystemGetDriverVersion())
    except pynvml.NVMLError:  # no driver, no GPU or an unsupported query: keep what we have
        pass
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
