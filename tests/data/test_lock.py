"""The data lock between real processes: waiting with a message, no stale lock after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cairn.data.lock import data_lock
from cairn.errors import DataLocked

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cairn.data.lock import data_lock
    with data_lock(Path(sys.argv[1]), "cairn data push", shared=sys.argv[2] == "shared"):
        print("holding", flush=True)
        time.sleep(float(sys.argv[3]))
    print("released", flush=True)
    """
)


def _holder(folder: Path, seconds: float, shared: bool = False) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), "shared" if shared else "exclusive", str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_command_waits_with_a_message_naming_the_holder(tmp_path):
    holder = _holder(tmp_path, 1.0)
    told: list[str] = []
    started = time.monotonic()
    with data_lock(tmp_path, "cairn data checkout", on_wait=told.append):
        waited = time.monotonic() - started
    holder.communicate(timeout=5)
    assert waited > 0.3
    assert told == [f"waiting for {holder.pid} (cairn data push) to finish…"]


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = _holder(tmp_path, 60)
    told: list[str] = []

    def kill_soon() -> None:
        time.sleep(0.3)
        os.kill(holder.pid, signal.SIGKILL)

    import threading

    threading.Thread(target=kill_soon).start()
    started = time.monotonic()
    with data_lock(tmp_path, "cairn data add", on_wait=told.append, timeout=20):
        pass
    assert time.monotonic() - started < 10 and told
    holder.communicate(timeout=5)
    # and the next command needs no cleaning up
    with data_lock(tmp_path, "cairn data add", on_wait=told.append, timeout=0):
        pass
    assert len(told) == 1


def test_timeout_raises_data_locked(tmp_path):
    holder = _holder(tmp_path, 3)
    try:
        with (
            pytest.raises(DataLocked, match=rf"locked by {holder.pid} \(cairn data push\)"),
            data_lock(tmp_path, "cairn data gc", timeout=0.3, on_wait=None),
        ):
            pass
    finally:
        holder.kill()
        holder.communicate(timeout=5)


def test_readers_share_and_a_writer_waits_for_them(tmp_path):
    reader = _holder(tmp_path, 1.0, shared=True)
    with data_lock(tmp_path, "cairn data status", shared=True, timeout=0, on_wait=None):
        pass  # two readers at once
    with (
        pytest.raises(DataLocked),
        data_lock(tmp_path, "cairn data add", timeout=0.2, on_wait=None),
    ):
        pass
    reader.communicate(timeout=5)
    with data_lock(tmp_path, "cairn data add", timeout=0, on_wait=None):
        pass


def test_two_cli_commands_at_once_one_waits(tmp_path):
    """Two real `cairn data` processes: the second reports that it waits, both succeed."""
    root = tmp_path / "proj"
    (root / ".cairn").mkdir(parents=True)
    (root / "f.txt").write_text("x")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root / ".cairn"), "exclusive", "1.5"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    cairn = Path(sys.executable).parent / "cairn"
    done = subprocess.run([str(cairn), "data", "add", "f.txt"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    holder.communicate(timeout=5)
    assert done.returncode == 0, done.stderr
    assert f"waiting for {holder.pid} (cairn data push) to finish" in done.stderr
    assert (root / "f.txt.cairn").is_file()
