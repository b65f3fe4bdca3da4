"""``cairn server`` for tests: in the test process (a uvicorn thread), or as a real process
that can be killed and restarted; both on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from fastapi import FastAPI

from cairn.server import ServerSettings, create_app
from cairn.testing.services import free_port

START_TIMEOUT_S = 30.0


class LiveServer:
    """The app for ``settings`` (or ``app``, already made from them) served by uvicorn in a
    thread; ``url`` once started."""

    def __init__(
        self, settings: ServerSettings, port: int | None = None, app: FastAPI | None = None
    ) -> None:
        import uvicorn

        self.settings = settings
        self.app = app if app is not None else create_app(settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port or free_port(), log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="cairn-live-server")
        self.port = config.port
        self.url = f"http://127.0.0.1:{config.port}"

    def start(self) -> LiveServer:
        """Start serving; return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the cairn server thread stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cairn server did not start within {START_TIMEOUT_S} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the app's shutdown (the store is closed)."""
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerProcess:
    """``cairn server`` as a real process on 127.0.0.1, which tests can kill and restart."""

    def __init__(
        self,
        backend_store_uri: str,
        artifacts_destination: str,
        log_path: Path,
        workers: int = 1,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.command = [
            str(Path(sys.executable).parent / "cairn"),
            "server",
            "--port",
            str(self.port),
            "--backend-store-uri",
            backend_store_uri,
            "--artifacts-destination",
            artifacts_destination,
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        """Spawn the server; return once ``/health`` answers."""
        import httpx

        log = self.log_path.open("ab")
        # Its own process group, so that kill() reaches uvicorn's worker processes too.
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"cairn server exited at start-up:\n{self.log_path.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"cairn server did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown, no flushing."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self.process = None

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it lingers."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
