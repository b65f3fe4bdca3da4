"""Every route has a rule, and none but /health answers without valid credentials."""

from __future__ import annotations

import re

import httpx
import pytest
from auth_support import PASSWORDS, create_accounts

from cairn.server import ServerSettings, create_app
from cairn.server.auth.route_index import index_routes
from cairn.server.auth.rules import RULES, rule_for
from cairn.server.live import LiveServer

SAMPLE_PARAMS = {
    "experiment_id": "1",
    "run_id": "0123456789abcdef0123456789abcdef",
    "upload_id": "0123456789abcdef0123456789abcdef",
    "index": "0",
    "path": "model/weights.bin",
    "artifact_path": "1/0123456789abcdef0123456789abcdef/artifacts/a.txt",
    "username": "alice",
    "token_id": "1",
    "spool_id": "spool-1",
    "model_id": "m-0123456789abcdef",
}


def _app(tmp_path):
    return create_app(ServerSettings(f"sqlite:///{tmp_path / 'x.db'}", auth=True))


def _filled(template: str) -> str:
    return re.sub(
        r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "sample"), template
    )


def _endpoints(app):
    for route in index_routes(app.routes):
        for method in sorted(route.methods or {"GET"}):
            yield method, route.path


def test_every_route_has_a_rule(tmp_path):
    missing = [f"{m} {p}" for m, p in _endpoints(_app(tmp_path)) if rule_for(m, p) is None]
    assert missing == [], "add these routes to cairn.server.auth.rules.RULES"


def test_every_rule_names_a_route(tmp_path):
    served = set(_endpoints(_app(tmp_path)))
    assert sorted(set(RULES) - served) == []


# The web UI's sign-in form and the static files it needs are open too; nothing else.
PUBLIC_ROUTES = {("GET", "/health"), ("GET", "/login"), ("POST", "/login"), ("GET", "/static")}


def test_only_health_and_sign_in_are_public():
    assert {key for key, rule in RULES.items() if rule.public} == PUBLIC_ROUTES


@pytest.mark.parametrize("credentials", ["none", "wrong password", "unknown token"])
def test_no_route_answers_without_valid_credentials(start_auth_server, credentials):
    server = start_auth_server()
    client = {
        "none": lambda: server.client(),
        "wrong password": lambda: server.client("alice", password="not-her-password"),
        "unknown token": lambda: server.client(token="cairn_" + "x" * 43),
    }[credentials]()
    checked = 0
    for method, template in _endpoints(server.server.app):
        response = client.request(method, _filled(template), json={})
        if template == "/health":
            assert response.status_code == 200
            continue
        if (method, template) in PUBLIC_ROUTES:
            continue
        assert response.status_code == 401, f"{method} {template}: {response.text}"
        if method != "HEAD":
            assert response.json()["error_code"] == "UNAUTHENTICATED"
        assert response.headers["WWW-Authenticate"] == 'Basic realm="cairn"'
        checked += 1
    assert checked > 40
    # Unknown paths and methods too: nothing tells a stranger what exists.
    assert client.get("/api/v1/nothing-here").status_code == 401
    assert client.request("TRACE", "/api/v1/runs/search").status_code == 401


def test_a_route_without_a_rule_is_refused_even_to_admins(tmp_path):
    uri = f"sqlite:///{tmp_path / 'x.db'}"
    create_accounts(uri)
    live = LiveServer(ServerSettings(uri, str(tmp_path / "artifacts"), auth=True))

    @live.app.get("/api/v1/unguarded")
    def unguarded() -> dict[str, str]:
        return {"secret": "kept"}

    with live, httpx.Client(base_url=live.url) as http:
        for user in ("admin", "alice"):
            answer = http.get("/api/v1/unguarded", auth=(user, PASSWORDS[user]))
            assert answer.status_code == 403
            assert answer.json()["error_code"] == "PERMISSION_DENIED"
            assert "no permission rule" in answer.json()["message"]
        assert http.get("/api/v1/unguarded").status_code == 401
