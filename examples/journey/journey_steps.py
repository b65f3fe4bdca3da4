"""How the journey runs its steps: each command printed, then run in the working folder with
its output shown; a failing command stops the journey (:class:`StepFailed`)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

BIN = Path(sys.executable).parent  # the venv's bin: python and cairn
EXPERIMENT = "churn"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "cairn journey", "GIT_AUTHOR_EMAIL": "journey@example.invalid",
    "GIT_COMMITTER_NAME": "cairn journey", "GIT_COMMITTER_EMAIL": "journey@example.invalid",
}  # fmt: skip
FINISHED = ("FINISHED", "FAILED", "KILLED")


class StepFailed(Exception):
    """A step of the journey failed; the message says which and why."""


class Journey:
    """Runs commands in ``workdir`` against its own store, printing as it goes."""

    def __init__(self, workdir: Path, console: Console) -> None:
        self.workdir = workdir
        self.console = console
        self.steps = 0
        self.began = time.monotonic()
        self.pages: list[tuple[str, str]] = []  # (UI path, what it shows)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env["CAIRN_EXPERIMENT_NAME"] = EXPERIMENT  # every run of the journey goes there
        env["COLUMNS"] = str(max(60, shutil.get_terminal_size().columns - 2))  # the indent
        self.env = {**env, **GIT_IDENTITY}

    def step(self, title: str) -> None:
        self.steps += 1
        elapsed = time.monotonic() - self.began
        self.console.rule(f"[bold]{self.steps}. {title}[/] [dim](at {elapsed:.0f} s)", align="left")

    def say(self, text: str) -> None:
        self.console.print(f"[green]→[/] {text}")

    def show(self, argv: tuple[str, ...] | list[str], suffix: str = "") -> None:
        self.console.print(f"[cyan]$ {shlex.join(argv)}{suffix}[/]")

    def run(self, *argv: str, echo: bool = True, quiet: bool = False) -> str:
        """Run ``argv``, printing it (unless ``echo`` is False) and streaming its output
        (unless ``quiet``); return the output; StepFailed on a non-zero exit."""
        if echo:
            self.show(argv)
        process = subprocess.Popen(
            argv, cwd=self.workdir, env=self.env, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        lines = []
        assert process.stdout is not None  # noqa: S101 - stdout=PIPE
        for line in process.stdout:
            lines.append(line)
            if not quiet:
                self.console.print(f"  {line.rstrip()}", markup=False, highlight=False)
        output = "".join(lines)
        if process.wait() != 0:
            tail = "" if not quiet else "\n" + output[-1500:]
            raise StepFailed(f"`{shlex.join(argv)}` exited with {process.returncode}{tail}")
        return output

    def cairn(self, *args: str) -> str:
        return self.run("cairn", *args)

    def cairn_json(self, *args: str, quiet: bool = False) -> Any:
        """Run ``cairn ARGS --json`` and return its parsed output (printed as a command)."""
        argv = ["cairn", *args, "--json"]
        if not quiet:
            self.show(argv)
        output = self.run(*argv, echo=False, quiet=True)
        try:
            return json.loads(output)
        except json.JSONDecodeError as exc:
            raise StepFailed(f"`{shlex.join(argv)}` printed no JSON: {output[-500:]}") from exc

    def wait_for_predictions(self, monitor: str, expected: int, timeout: float = 120.0) -> int:
        """Import the server's prediction log into ``monitor`` until ``expected`` rows are
        in (the server writes it every few seconds, in the background)."""
        argv = ["cairn", "monitor", "import-serving", monitor, "--json"]
        self.show(argv, "   (repeated until every prediction is in)")
        imported, deadline = 0, time.monotonic() + timeout
        while imported < expected:
            if time.monotonic() > deadline:
                raise StepFailed(f"only {imported} of {expected} predictions reached the log")
            time.sleep(1.0)
            imported += int(json.loads(self.run(*argv, echo=False, quiet=True))["records"])
        self.say(f"the monitor holds the {imported} logged predictions")
        return imported

    def wait_for_pipeline_run(self, since_ms: int, timeout: float = 600.0) -> str:
        """The id of the first pipeline run started since ``since_ms``, once it ended."""
        query = f'tags.cairn.run.kind = "pipeline" and attributes.start_time >= {since_ms}'
        argv = ["cairn", "runs", "search", "--filter", query, "--order-by",
                "attributes.start_time ASC", "--json"]  # fmt: skip
        self.show(argv, "   (repeated until the run ends)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = json.loads(self.run(*argv, echo=False, quiet=True))
            if found and found[0]["status"] in FINISHED:
                run = found[0]
                if run["status"] != "FINISHED":
                    raise StepFailed(f"the retraining run {run['run_id']} ended {run['status']}")
                self.say(f"retraining run {run['run_id']} finished")
                return str(run["run_id"])
            time.sleep(2.0)
        raise StepFailed(f"no retraining pipeline run ended within {timeout:g} s")

    def finish(self) -> None:
        seconds = time.monotonic() - self.began
        self.console.rule(f"[bold green]Done in {seconds:.0f} s", align="left")
        command = f"{_nearby(BIN / 'cairn', self.workdir)} ui"
        if self.workdir != Path.cwd():
            command = f"cd {_nearby(self.workdir, Path.cwd())} && {command}"
        self.console.print(f"Open the UI on what the journey recorded:\n\n    [bold]{command}[/]\n")
        self.console.print("and look at these pages:")
        for path, what in self.pages:
            self.console.print(f"  {what}:\n    http://127.0.0.1:5000{path}", markup=False)


def _nearby(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when it is inside start's parent, else absolute."""
    relative = os.path.relpath(path, start)
    return relative if not relative.startswith(f"..{os.sep}..") else str(path)


@contextlib.contextmanager
def serving(
    j: Journey, args: list[str], port: int, ready_within: float = 180.0
) -> Iterator[Callable[[list[dict[str, Any]], str], None]]:
    """Run ``cairn ARGS`` (a model server on ``port``) in the background until the block
    ends, even on error; yields ``send(rows, request_id)`` posting to /invocations."""
    argv = ["cairn", *args]
    j.show(argv, " &   (in the background)")
    log = j.workdir / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            argv, cwd=j.workdir, env=j.env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30.0) as http:
            _wait_ready(http, process, log, ready_within)
            j.say(f"the model server answers on {base} (log in serve.log)")

            def send(rows: list[dict[str, Any]], request_id: str) -> None:
                answer = http.post(
                    "/invocations", json={"dataframe_records": rows},
                    headers={"X-Request-Id": request_id},
                )  # fmt: skip
                if not answer.is_success:
                    raise StepFailed(f"POST /invocations: HTTP {answer.status_code} {answer.text}")

            yield send
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        j.say("the model server is stopped")


def _wait_ready(http: httpx.Client, process: subprocess.Popen[bytes], log: Path,
                within: float) -> None:  # fmt: skip
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StepFailed(f"the model server exited with {process.returncode}:\n"
                             f"{log.read_text()[-1500:]}")  # fmt: skip
        with contextlib.suppress(httpx.TransportError):
            if http.get("/ping").is_success:
                return
        time.sleep(0.5)
    raise StepFailed(f"the model server was not ready within {within:g} s; see {log}")
