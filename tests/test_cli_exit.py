"""The ``cairn`` console script's exit: it skips the interpreter's teardown, but exit
handlers still run, output is flushed whole, the status is the command's, and a thread still
running is waited for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cairn


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_exit_handlers_run_and_the_output_is_flushed(tmp_path):
    done = _run(
        "import atexit, sys\n"
        "from cairn.cli import main\n"
        "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
        "print('x' * 200_000, end='')\n"  # (more than a pipe holds: buffered until the exit)
        "main(['--version'])\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("x" * 200_000)
    assert done.stdout.endswith(f"cairn, version {cairn.__version__}\n")
    assert done.stderr == "handler ran\n"


def test_the_status_is_the_commands(tmp_path):
    usage = _run("from cairn.cli import main; main(['data', 'no-such-command'])", tmp_path)
    assert usage.returncode == 2 and "No such command" in usage.stderr
    failed = _run("from cairn.cli import main; main(['data', 'status'])", tmp_path)
    assert failed.returncode == 1 and failed.stderr.startswith("Error: ")


def test_a_running_thread_is_waited_for(tmp_path):
    done = _run(
        "import threading, time\n"
        "from pathlib import Path\n"
        "from cairn.cli import main\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        "    Path('written-late').write_text('yes')\n"
        "threading.Thread(target=late).start()\n"
        "main(['--version'])\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "written-late").read_text() == "yes"
