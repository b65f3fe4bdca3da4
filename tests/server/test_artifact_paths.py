"""Artifact paths that would leave the run's root are refused on every route, changing nothing.

Requests go out through ``http.client``, which sends the target exactly as written (httpx
would resolve the ``..`` segments before sending); each refusal's message quotes the path
the server received, showing the hostile form arrived intact.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cairn.server import ServerSettings
from cairn.server.live import LiveServer
from cairn.store import open_store

FORMS = {
    "dotdot": "..",
    "dotdot-x": "../x",
    "absolute": "/etc/passwd",
    "encoded": "%2e%2e/x",
    "double-encoded": "%252e%252e%252fx",
    "backslash": "..\\x",
    "climbs-late": "a/../../x",
    "symlink": "link/secret.txt",
}
ROUTES = ["list", "get", "put", "create-upload"]


class Site:
    """One server, one run whose root holds ``link`` -> a folder outside it."""

    def __init__(self, root: Path) -> None:
        settings = ServerSettings(f"sqlite:///{root / 'server.db'}", str(root / "art"))
        self.server = LiveServer(settings).start()
        self.tmp = root
        store = open_store(settings.backend_store_uri, artifact_root=settings.artifacts_destination)
        run = store.runs.create_run(store.experiments.create_experiment("paths"), user_id="t")
        store.close()
        self.run_id = run.info.run_id
        self.run_root = Path(run.info.artifact_uri)
        self.run_root.mkdir(parents=True)
        (self.run_root / "kept.txt").write_text("inside")
        self.outside = root / "outside"
        self.outside.mkdir()
        (self.outside / "secret.txt").write_text("do not touch")
        (self.run_root / "link").symlink_to(self.outside, target_is_directory=True)

    def send(self, method: str, target: str, body: bytes | None = None) -> tuple[int, dict]:
        parts = urlsplit(self.server.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            headers = {"Content-Type": "application/json"} if method == "POST" else {}
            conn.request(method, target, body=body, headers=headers)
            answer = conn.getresponse()
            return answer.status, json.loads(answer.read())
        finally:
            conn.close()

    def snapshot(self) -> dict[str, str]:
        """Every file under the temp root (the database aside) with its content hash."""
        return {
            str(p.relative_to(self.tmp)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.tmp.rglob("*"))
            if p.is_file() and not p.name.startswith("server.db")
        }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    site = Site(tmp_path_factory.mktemp("paths"))
    yield site
    site.server.stop()


def _request(site: Site, route: str, form: str) -> tuple[int, dict]:
    base = f"/api/v1/runs/{site.run_id}/artifacts"
    if form == FORMS["symlink"] and route == "put":
        form = "link/new.txt"
    if route == "list":
        return site.send("GET", f"{base}?path={form.replace('/secret.txt', '')}")
    if route == "get":
        return site.send("GET", f"{base}/files/{form}")
    if route == "put":
        return site.send("PUT", f"{base}/files/{form}", b"evil")
    body = json.dumps({"path": form, "size": 10, "blake3": "0" * 64}).encode()
    return site.send("POST", f"{base}/uploads", body)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_escaping_paths_are_refused_and_change_nothing(site, route, form):
    before = site.snapshot()
    status, body = _request(site, route, form)
    assert status == 400, body
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    message = body["message"]
    assert "artifact path" in message
    assert any(word in message for word in ("..", "absolute", "outside")), message
    assert site.snapshot() == before
    assert not (site.outside / "new.txt").exists()
    assert not (site.run_root.parent / "x").exists()


def test_the_same_site_serves_a_harmless_path(site):
    """The refusals above are about the paths, not a broken site."""
    status, body = site.send("GET", f"/api/v1/runs/{site.run_id}/artifacts?path=")
    assert status == 200
    assert {f["path"] for f in body["files"]} == {"kept.txt", "link"}
