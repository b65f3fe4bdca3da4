"""``cairn server`` inside the test process: the real app on uvicorn, on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from cairn.server import ServerSettings, create_app
from cairn.testing.services import free_port

START_TIMEOUT_S = 30.0


class LiveServer:
    """The app for ``settings`` served by uvicorn in a thread; ``url`` once started."""

    def __init__(self, settings: ServerSettings, port: int | None = None) -> None:
        import uvicorn

        self.settings = settings
        self.app = create_app(settings)
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
