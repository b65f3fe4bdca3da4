"""Server hardening: CORS off unless configured, request bodies bounded, nothing stored."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from cairn.server import ServerSettings
from cli_support import cairn


@pytest.fixture
def settings(tmp_path):
    return ServerSettings(f"sqlite:///{tmp_path}/s.db", str(tmp_path / "artifacts"))


def _preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/api/v1/experiments/search",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )


def test_cors_is_off_by_default(live_server, settings):
    url = live_server(settings)
    assert "access-control-allow-origin" not in _preflight(url, "https://evil.example").headers
    answer = httpx.get(f"{url}/version", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_cors_allows_only_the_configured_origins(live_server, settings):
    from dataclasses import replace

    url = live_server(replace(settings, cors_origins=("https://notebooks.example",)))
    allowed = _preflight(url, "https://notebooks.example")
    assert allowed.headers["access-control-allow-origin"] == "https://notebooks.example"
    refused = _preflight(url, "https://evil.example")
    assert "access-control-allow-origin" not in refused.headers


def _run(url: str) -> str:
    answer = httpx.post(f"{url}/api/v1/runs", json={"experiment_id": "0"})
    return answer.json()["info"]["run_id"]


def test_an_oversize_json_body_is_refused_before_it_is_read(live_server, settings):
    url = live_server(settings)
    run_id = _run(url)
    answer = httpx.post(
        f"{url}/api/v1/runs/{run_id}/batch",
        content=b"{" + b" " * (17 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error_code"] == "REQUEST_TOO_LARGE"
    assert "16 MiB" in answer.json()["message"]


def test_a_chunked_body_is_cut_off_at_the_limit_and_stores_nothing(live_server, settings):
    url = live_server(settings)
    run_id = _run(url)
    point = {"key": "m", "value": 1.0, "timestamp": 1, "step": 0}
    body = json.dumps({"metrics": [point] * 320_000}).encode()  # ~17.6 MiB of valid JSON
    assert len(body) > 16 * 1024 * 1024
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            f"POST /api/v1/runs/{run_id}/batch HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        answer = b""
        try:
            for start in range(0, len(body), 1 << 20):
                chunk = body[start : start + (1 << 20)]
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        while not answer.endswith(b"}") and (data := sock.recv(65536)):
            answer += data
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"REQUEST_TOO_LARGE" in answer
    run = httpx.get(f"{url}/api/v1/runs/{run_id}").json()
    assert run["data"]["metrics"] == {}


def test_cors_origins_must_be_origins():
    result = cairn("server", "--cors-origin", "notebooks.example/path")
    assert result.exit_code == 2
    assert "is not an origin" in result.output
