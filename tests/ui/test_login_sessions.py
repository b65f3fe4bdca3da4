"""Session cookies, CSRF checks and the sign-in form's input handling (no browser)."""

from __future__ import annotations

import httpx
import pytest
from starlette.datastructures import Headers

from cairn.errors import PermissionDenied
from cairn.server.auth import sessions
from cairn.ui.pages.login import safe_next

TOKEN = "cairn_" + "a" * 43


def _scope(method: str, headers: dict[str, str]) -> dict:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "headers": raw}


def test_the_session_is_read_from_its_cookie_only():
    assert sessions.session_of(Headers({"cookie": f"a=1; cairn_session={TOKEN}"})) == TOKEN
    assert sessions.session_of(Headers({"cookie": "cairn_session=not-a-token"})) is None
    assert sessions.session_of(Headers({"cookie": 'broken="'})) is None
    assert sessions.session_of(Headers({})) is None


def test_csrf_token_is_derived_and_differs_per_session():
    first, second = sessions.csrf_token(TOKEN), sessions.csrf_token(TOKEN[:-1] + "b")
    assert len(first) == 40 and first != second and TOKEN not in first


@pytest.mark.parametrize(
    ("method", "headers", "allowed"),
    [
        ("GET", {}, True),
        ("HEAD", {"origin": "http://evil.example"}, True),
        ("POST", {"host": "127.0.0.1:5000", "origin": "http://127.0.0.1:5000"}, True),
        ("DELETE", {"x-cairn-csrf": sessions.csrf_token(TOKEN)}, True),
        ("POST", {"host": "127.0.0.1:5000"}, False),
        ("POST", {"host": "127.0.0.1:5000", "origin": "http://evil.example"}, False),
        ("POST", {"host": "127.0.0.1:5000", "origin": "null"}, False),
        ("PATCH", {"x-cairn-csrf": "0" * 40}, False),
        ("PUT", {"host": "cairn.example", "origin": "https://cairn.example.evil.example"}, False),
    ],
)
def test_changes_with_the_cookie_must_come_from_our_pages(method, headers, allowed):
    scope = _scope(method, headers)
    if allowed:
        sessions.check_unsafe_request(scope, TOKEN)
    else:
        with pytest.raises(PermissionDenied, match="cross-site request refused"):
            sessions.check_unsafe_request(scope, TOKEN)


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/experiments/3?filter=a%3Db", True),
        ("/runs", True),
        (None, False),
        ("", False),
        ("https://evil.example/", False),
        ("//evil.example/x", False),
        ("/\\evil.example", False),
        ("/login?next=/x", False),
        ("/logout", False),
        ("experiments", False),
    ],
)
def test_sign_in_returns_only_to_pages_of_this_server(target, kept):
    assert safe_next(target) == (target if kept else "/experiments")


def test_sign_in_form_refuses_bad_input_without_a_session(auth_ui_server):
    url = f"{auth_ui_server.url}/login"
    with auth_ui_server.store() as store:
        tokens_before = len(store.auth.list_tokens())
    with httpx.Client(follow_redirects=False) as client:
        empty = client.post(url, data={"username": "alice", "password": ""})
        assert empty.status_code == 401 and "Enter your user name and password" in empty.text
        foreign = client.post(
            url,
            data={"username": "alice", "password": "alice-password"},
            headers={"Origin": "http://evil.example"},
        )
        assert foreign.status_code == 401 and "sent from another site" in foreign.text
        unknown = client.post(url, data={"username": "nobody", "password": "x"})
        assert unknown.status_code == 401 and "Wrong user name or password" in unknown.text
        huge = client.post(url, content=b"username=alice&password=" + b"x" * 20_000)
        assert huge.status_code == 401
        for answer in (empty, foreign, unknown, huge):
            assert sessions.SESSION_COOKIE not in answer.cookies
        good = client.post(url, data={"username": "alice", "password": "alice-password"})
        assert good.status_code == 303 and good.headers["location"] == "/experiments"
        cookie = good.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    with auth_ui_server.store() as store:
        assert len(store.auth.list_tokens()) == tokens_before + 1  # only the good sign-in


def test_sign_out_without_the_session_header_is_refused_cross_site(auth_ui_server):
    with httpx.Client(base_url=auth_ui_server.url, follow_redirects=False) as client:
        client.post("/login", data={"username": "bob", "password": "bob-password"})
        refused = client.post("/logout", headers={"Origin": "http://evil.example"})
        assert refused.status_code == 403
        assert client.get("/api/v1/auth/whoami").json()["username"] == "bob"  # still signed in
        done = client.post("/logout", headers={"Origin": auth_ui_server.url})
        assert done.status_code == 303 and done.headers["location"] == "/login"
        assert client.get("/api/v1/auth/whoami").status_code == 401


def test_signing_in_deletes_the_users_spent_sessions_only(tmp_path):
    from cairn.server.auth import accounts, passwords
    from cairn.store.sql import SqlStore

    with SqlStore(f"sqlite:///{tmp_path / 'auth.db'}") as store:
        for name in ("ann", "bob"):
            store.auth.create_user(name, passwords.hash_password(f"{name}-password"))
        signed_out = sessions.start_session(store, "ann")
        sessions.end_session(store, signed_out)
        expired = store.auth.create_token(
            "ann", sessions.SESSION_TOKEN_NAME, "cairn_x", "h" * 64, 1
        )
        kept, _ = accounts.create_token(store, "ann", "ci", "1h", actor="ann")
        bob_spent = sessions.start_session(store, "bob")
        sessions.end_session(store, bob_spent)

        current = sessions.start_session(store, "ann")

        ann = {(i.name, i.revoked_time is None) for i in store.auth.list_tokens("ann")}
        assert ann == {("ci", True), (sessions.SESSION_TOKEN_NAME, True)}
        assert expired.token_id not in {i.token_id for i in store.auth.list_tokens("ann")}
        assert store.auth.find_token_by_hash(sessions.tokens.token_hash(current)) is not None
        assert len(store.auth.list_tokens("bob")) == 1  # other users' sessions are theirs
        [event] = [e for e in store.audit.list_events() if e.action == "token.purge"]
        assert (event.actor, event.entity) == ("ann", "user:ann")
        assert kept.startswith("cairn_")
