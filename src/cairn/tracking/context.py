"""What cairn records about a run's context at run start: source, git, environment, hardware.

Every probe is best effort: one that fails (no git, no driver, no permission) leaves its tags
out and never raises. Nothing here touches the store; the tracking client logs the result.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cairn.notebook.source import notebook_path
from cairn.tracking.context_git import content_hash, probe_git, strip_credentials
from cairn.tracking.context_host import (
    probe_gpus,
    probe_hardware,
    probe_platform,
    requirements_text,
)

__all__ = [
    "INVOCATION_TAG",
    "NOTEBOOK_ARTIFACT",
    "NOTEBOOK_HASH_TAG",
    "NOTEBOOK_PATH_TAG",
    "RunContext",
    "collect_run_context",
    "invocation_id",
    "redact_command",
    "requirements_text",
    "strip_credentials",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_TAG_LENGTH = 8000
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
NOTEBOOK_PATH_TAG = "cairn.source.notebook.path"
NOTEBOOK_HASH_TAG = "cairn.source.notebook.hash"
NOTEBOOK_ARTIFACT = "source/notebook.ipynb"
MAX_NOTEBOOK_BYTES = 20 * 2**20  # larger ones are mostly outputs: no snapshot
REDACTED = "REDACTED"
INVOCATION_TAG = "cairn.source.invocation"
ENV_INVOCATION = "CAIRN_INVOCATION_ID"
_PROCESS_INVOCATION = uuid.uuid4().hex
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
    git_root = _best_effort(probe_git, cwd, tags, artifacts)
    _best_effort(_probe_source, entry_point, argv, cwd, git_root, tags)
    if NOTEBOOK_PATH_TAG in tags:
        _best_effort(_snapshot_notebook, tags[NOTEBOOK_PATH_TAG], cwd, tags, artifacts)
    _best_effort(probe_platform, tags)
    requirements = _best_effort(requirements_text) if capture_packages else None
    if requirements is not None:
        artifacts[REQUIREMENTS_ARTIFACT] = requirements.encode()
        tags["cairn.environment.hash"] = content_hash(artifacts[REQUIREMENTS_ARTIFACT])
    _best_effort(probe_hardware, tags)
    _best_effort(probe_gpus, tags)
    for name in sorted(os.environ):
        if name in _ACCELERATOR_ENV or name.startswith("TPU_"):
            tags[f"cairn.hardware.env.{name}"] = os.environ[name]
    tags[INVOCATION_TAG] = invocation_id()
    return RunContext({key: _truncate(value) for key, value in tags.items()}, artifacts)


def invocation_id() -> str:
    """The id shared by every run this process records (``CAIRN_INVOCATION_ID`` when a parent
    process such as ``cairn reproduce`` set it): runs with one id came from one invocation."""
    return os.environ.get(ENV_INVOCATION) or _PROCESS_INVOCATION


def _best_effort(probe: Callable[..., T], *args: Any) -> T | None:
    """Run one probe; trouble in the environment (not a bug) just leaves its tags out."""
    try:
        return probe(*args)
    except (OSError, ValueError, LookupError, subprocess.SubprocessError):
        logger.debug("run context probe %s failed", probe.__name__, exc_info=True)
        return None


def _truncate(value: str) -> str:
    return value if len(value) <= MAX_TAG_LENGTH else value[: MAX_TAG_LENGTH - 3] + "..."


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


def _snapshot_notebook(
    path: str, cwd: str, tags: dict[str, str], artifacts: dict[str, bytes]
) -> None:
    """The notebook file as saved on disk (unsaved edits are not in it), with its hash."""
    full = os.path.realpath(os.path.join(cwd, os.path.expanduser(path)))
    if os.path.getsize(full) > MAX_NOTEBOOK_BYTES:
        logger.info("notebook %s is over %d bytes: no snapshot", full, MAX_NOTEBOOK_BYTES)
        return
    with open(full, "rb") as file:
        artifacts[NOTEBOOK_ARTIFACT] = file.read()
    tags[NOTEBOOK_HASH_TAG] = content_hash(artifacts[NOTEBOOK_ARTIFACT])


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
    # describe this very process (the fluent API names its own sys.argv[0] as entry point)
    live = argv is None and entry_point in (None, args[0] if args else None)
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    ipython = sys.modules.get("IPython")
    notebook = notebook_path() if live else None  # a kernel's argv[0] is its launcher
    path: str | None = None
    if notebook is not None:
        kind, path = "NOTEBOOK", notebook
        tags[NOTEBOOK_PATH_TAG] = notebook
    elif entry_point is not None:
        kind, path = "NOTEBOOK" if entry_point.endswith(".ipynb") else "SCRIPT", entry_point
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
