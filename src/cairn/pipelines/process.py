"""Running one shell command as its own process group, so that a timeout or an interrupt
kills everything it started (its children and their children), not just the shell."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

# How long a process group gets between SIGTERM and SIGKILL.
GRACE_SECONDS = 2.0


def command_env(root: Path, *extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a stage's command: the caller's, with the folder of the running
    interpreter first on PATH (``python`` is this interpreter, as in an activated venv), the
    project root first on PYTHONPATH, then ``extra`` mappings in order."""
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH", "")) if p)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    env["CAIRN_PROJECT_ROOT"] = str(root)  # where python-form stages find params.yaml
    for mapping in extra:
        env.update({str(k): str(v) for k, v in mapping.items()})
    return env


class ProcessGroups:
    """The process groups started and still running, so that all can be killed at once."""

    def __init__(self) -> None:
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self.closed = False

    def run(
        self,
        cmd: str,
        *,
        cwd: Path,
        env: Mapping[str, str],
        stdout: Path,
        stderr: Path,
        timeout: float | None = None,
    ) -> tuple[int, bool]:
        """Run ``cmd`` through the shell in a new session, output to the two files; returns
        ``(returncode, timed_out)``. A timeout kills the whole group."""
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            with self._lock:
                if self.closed:
                    return -signal.SIGTERM, False
                proc = subprocess.Popen(  # noqa: S602 - a stage's command is a shell command
                    cmd, shell=True, cwd=cwd, env=dict(env), stdout=out, stderr=err,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
                self._running[proc.pid] = proc
            try:
                proc.wait(timeout=timeout)
                return proc.returncode, False
            except subprocess.TimeoutExpired:
                kill_group(proc)
                return proc.returncode, True
            finally:
                kill_group(proc, grace=0.0, only_leftovers=True)
                with self._lock:
                    self._running.pop(proc.pid, None)

    def kill_all(self) -> None:
        """Kill every running group and start no new one."""
        with self._lock:
            self.closed = True
            running = list(self._running.values())
        for proc in running:
            kill_group(proc)


def kill_group(
    proc: subprocess.Popen[bytes], grace: float = GRACE_SECONDS, only_leftovers: bool = False
) -> None:
    """SIGTERM the process group of ``proc``, give its leader ``grace`` seconds to exit, then
    SIGKILL whatever is left of the group. ``only_leftovers``: the leader has exited; kill
    any process still in its group."""
    pgid = proc.pid  # start_new_session made the leader's pid the group id
    if not only_leftovers:
        _signal_group(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    _signal_group(pgid, signal.SIGKILL)
    proc.wait()


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
