"""Fixtures of the serving tests: model folders saved with cairn.pyfunc and ``cairn models
serve`` run as a real uvicorn process on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from cairn.testing.services import free_port

HERE = Path(__file__).parent
START_TIMEOUT_S = 60.0


class ServeProcess:
    """``cairn models serve URI ...`` on a free port; ``url`` once started."""

    def __init__(self, uri: str, args: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        cairn = str(Path(sys.executable).parent / "cairn")
        self.command = [cairn, "models", "serve", uri, "--port", str(self.port), *args]
        self.command += ["--log-level", "warning"]
        self.env = {**os.environ, **env}
        self.env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(HERE), self.env.get("PYTHONPATH")])
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        """Spawn the server; return once ``/ping`` answers."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=log, env=self.env, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"cairn models serve exited:\n{self.log_path.read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"no answer within {START_TIMEOUT_S} s:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        """What the server printed."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down, flushing logged predictions), SIGKILL if it lingers."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServeProcess]]:
    """A factory: ``serve(uri, *args, env={})`` starts ``cairn models serve`` and returns it;
    every server stops when the module is done."""
    logs = tmp_path_factory.mktemp("serve-logs")
    with ExitStack() as stack:

        def start(uri: str, *args: str, env: dict[str, str] | None = None) -> ServeProcess:
            log_path = logs / f"serve-{len(os.listdir(logs))}.log"
            server = ServeProcess(uri, list(args), log_path, env or {})
            stack.callback(server.stop)
            return server.start()

        yield start


@pytest.fixture(scope="module")
def scorer_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved ``Scorer`` model with the signature x: double, n: long; params scale."""
    from serving_models import EXAMPLE, Scorer

    from cairn.models.pyfunc import save_model
    from cairn.models.signature import infer_signature

    folder = tmp_path_factory.mktemp("models") / "scorer"
    signature = infer_signature(EXAMPLE, params={"scale": 1.0})
    save_model(folder, python_model=Scorer(), signature=signature, input_example=EXAMPLE)
    return folder
