"""The server process: start-up, health, version, the one error shape, and a clean stop."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from cairn import __version__
from cairn.errors import NotFound
from cairn.server import ServerSettings, create_app
from cairn.server.live import LiveServer
from cairn.testing.services import free_port
from cli_support import CAIRN


@pytest.fixture
def settings(tmp_path):
    return ServerSettings(f"sqlite:///{tmp_path / 'server.db'}", str(tmp_path / "art"))


@pytest.fixture
def app(settings):
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("no run has id 'x'")

    return app


@pytest.fixture
def client(app, settings) -> Iterator[httpx.Client]:
    """The app served by a real uvicorn on 127.0.0.1, in a thread."""
    with LiveServer(settings, app=app) as server, httpx.Client(base_url=server.url) as http:
        yield http


def test_health_and_version(client, tmp_path):
    assert client.get("/health").text == "OK"
    assert client.get("/version").json() == {"version": __version__}
    assert (tmp_path / "server.db").exists()  # the store was opened and migrated at start-up


def test_errors_have_one_shape_and_leak_nothing(client):
    for _ in range(20):  # the connection survives the 500: the same client asks again
        missing = client.get("/missing")
        assert missing.status_code == 404
        assert missing.json() == {
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": "no run has id 'x'",
        }
        boom = client.get("/boom")
        assert boom.status_code == 500
        assert boom.json()["error_code"] == "INTERNAL_ERROR"
        assert "secret" not in boom.text and "Traceback" not in boom.text
        unknown = client.post("/api/nothing")
        assert unknown.status_code == 404
        assert unknown.json() == {
            "error_code": "ENDPOINT_NOT_FOUND",
            "message": "no endpoint POST /api/nothing",
        }


@pytest.mark.slow
def test_cairn_server_serves_and_stops_on_sigterm(tmp_path):
    port = free_port()
    uri = f"sqlite:///{tmp_path / 'team.db'}"
    proc = subprocess.Popen(
        [CAIRN, "server", "--port", str(port), "--backend-store-uri", uri, "--log-level", "info"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.1)
        assert response.text == "OK"
        assert httpx.get(f"http://127.0.0.1:{port}/version").json()["version"] == __version__
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status reports it.
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err


def test_a_bad_backend_uri_fails_before_serving(tmp_path):
    result = subprocess.run(
        [CAIRN, "server", "--port", str(free_port()), "--backend-store-uri", "sqlit:///x.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Did you mean 'sqlite'" in result.stderr
