"""A real webhook receiver on 127.0.0.1 for tests of alert actions.

It keeps every JSON body POSTed to it in ``server.received``; a path ending in a status code
(``/hook/500``) answers with that status, and a path starting with ``/slow`` answers after 1 s.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        status = int(self.path.rsplit("/", 1)[-1]) if self.path[-3:].isdigit() else 200
        if self.path.startswith("/slow"):
            time.sleep(1.0)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"nope" if status >= 400 else b"ok")

    def log_message(self, *args: Any) -> None:
        return


@contextmanager
def webhook_server() -> Iterator[ThreadingHTTPServer]:
    """A running receiver; ``server.server_address`` gives its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
