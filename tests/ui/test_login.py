"""With --auth: sign-in, sessions, what each user sees, tokens on the Account page, sign-out."""

from __future__ import annotations

import re

import httpx
from ui_support import PASSWORDS, basic

from cairn.server.auth import sessions


def _session_cookie(page):
    found = [c for c in page.context.cookies() if c["name"] == sessions.SESSION_COOKIE]
    return found[0] if found else None


def test_a_page_without_a_session_sends_to_sign_in(page, auth_ui_server, shot):
    churn = auth_ui_server.data.churn
    page.goto(f"{auth_ui_server.url}/experiments/{churn}?filter=metrics.f1+%3E+0")
    assert page.url.startswith(f"{auth_ui_server.url}/login?next=")
    assert page.title() == "Sign in · cairn"
    shot(page, "login")
    # The API keeps answering 401 JSON, and static files stay reachable for the form.
    answer = httpx.get(f"{auth_ui_server.url}/api/v1/experiments/{churn}")
    assert answer.status_code == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
    css = httpx.get(f"{auth_ui_server.url}/static/cairn.css")
    assert css.status_code == 200


def test_wrong_password_is_refused_with_a_message(page, auth_ui_server, console, shot):
    console.allow(r"status of 401")
    page.goto(f"{auth_ui_server.url}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-her-password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.inner_text("#login-error")
    assert page.input_value("input[name=username]") == "alice"
    assert _session_cookie(page) is None
    shot(page, "login-wrong-password")


def test_sign_in_returns_to_the_page_asked_for(page, auth_ui_server, sign_in):
    experiment = auth_ui_server.data.experiments["alice-private"]
    sign_in(page, auth_ui_server, "alice", f"/experiments/{experiment}")
    assert page.inner_text("h1") == "alice-private"
    assert page.inner_text(".session .user") == "alice"
    cookie = _session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert 11 * 3600 < cookie["expires"] - __import__("time").time() <= 12 * 3600


def test_an_outside_next_is_ignored(page, auth_ui_server, sign_in):
    page.goto(f"{auth_ui_server.url}/login?next=//evil.example/x")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", PASSWORDS["bob"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{auth_ui_server.url}/experiments")


def test_bob_does_not_see_alices_experiment(page, auth_ui_server, sign_in, console, shot):
    data = auth_ui_server.data
    sign_in(page, auth_ui_server, "bob")
    names = page.locator("#experiments-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.name)"
    )
    assert names == ["bob-private"]
    shot(page, "experiments-bob")
    console.allow(r"status of 403")
    answer = page.goto(f"{auth_ui_server.url}/experiments/{data.experiments['alice-private']}")
    assert answer.status == 403
    assert "alice-private" not in page.inner_text("main")
    assert "Not allowed" in page.inner_text("h1")
    shot(page, "experiment-forbidden")
    # Across experiments: only his own runs, and naming hers is refused.
    page.goto(f"{auth_ui_server.url}/runs")
    assert sorted(page.locator(".run-link").all_inner_texts()) == ["bob-0", "bob-1"]
    answer = page.goto(f"{auth_ui_server.url}/runs?experiments={data.experiments['alice-private']}")
    assert answer.status == 403


def test_admin_sees_everything(page, auth_ui_server, sign_in):
    sign_in(page, auth_ui_server, "admin")
    names = set(
        page.locator("#experiments-table tbody tr").evaluate_all("r => r.map(x => x.dataset.name)")
    )
    assert {"churn", "alice-private", "bob-private"} <= names
    assert "admin" in page.inner_text(".session")


def test_changes_with_the_cookie_need_cairns_own_pages(page, auth_ui_server, sign_in, console):
    experiment = auth_ui_server.data.experiments["bob-private"]
    sign_in(page, auth_ui_server, "bob")
    url = f"{auth_ui_server.url}/api/v1/experiments/{experiment}"
    body = {"name": "bob-renamed"}
    foreign = page.request.patch(url, data=body, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and "cross-site" in foreign.json()["message"]
    bare = page.request.patch(url, data=body)  # no Origin, no CSRF header
    assert bare.status == 403
    token = page.get_attribute('meta[name="cairn-csrf"]', "content")
    wrong = page.request.patch(url, data=body, headers={"X-Cairn-CSRF": "0" * 40})
    assert wrong.status == 403
    with auth_ui_server.store() as store:
        assert store.experiments.get_experiment(experiment).name == "bob-private"
    fine = page.request.patch(url, data={"name": "bob-private"}, headers={"X-Cairn-CSRF": token})
    assert fine.status == 200
    # Reads with the cookie need nothing more.
    assert page.request.get(url).status == 200


def test_account_page_creates_and_revokes_tokens(page, auth_ui_server, sign_in, shot):
    sign_in(page, auth_ui_server, "alice", "/account")
    rows = page.locator("#tokens-table tbody tr")
    assert "this session" in rows.first.inner_text()
    page.fill("#create-token input[name=name]", "laptop")
    page.click("#create-token button[type=submit]")
    page.locator("#token-shown").wait_for()
    token = page.inner_text("#token-value")
    assert token.startswith("cairn_")
    page.wait_for_function("document.querySelectorAll('#tokens-table tbody tr').length >= 2")
    shot(page, "account")
    who = httpx.get(
        f"{auth_ui_server.url}/api/v1/auth/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    assert who.json()["username"] == "alice"
    laptop = page.locator("#tokens-table tbody tr", has_text="laptop")
    page.once("dialog", lambda dialog: dialog.accept())
    laptop.locator("button[data-revoke]").click()
    page.locator("#tokens-table tbody tr", has_text="laptop").locator(
        ".badge", has_text="revoked"
    ).wait_for()
    who = httpx.get(
        f"{auth_ui_server.url}/api/v1/auth/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    assert who.status_code == 401


def test_a_bad_token_expiry_is_explained(page, auth_ui_server, sign_in, console):
    console.allow(r"status of 400")
    sign_in(page, auth_ui_server, "alice", "/account")
    page.evaluate("document.querySelector('#create-token select').add(new Option('bad', '0h'))")
    page.select_option("#create-token select", "0h")
    page.click("#create-token button[type=submit]")
    page.locator("#token-error").wait_for()
    assert "positive duration" in page.inner_text("#token-error")


def test_sign_out_revokes_the_session(page, auth_ui_server, sign_in):
    sign_in(page, auth_ui_server, "bob")
    session = _session_cookie(page)["value"]
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/login$"))
    assert _session_cookie(page) is None
    page.goto(f"{auth_ui_server.url}/experiments")
    assert "/login" in page.url
    # The token behind the cookie no longer works anywhere.
    answer = httpx.get(
        f"{auth_ui_server.url}/api/v1/auth/whoami", headers={"Authorization": f"Bearer {session}"}
    )
    assert answer.status_code == 401


def test_htmx_requests_without_a_session_are_sent_to_sign_in(auth_ui_server):
    churn = auth_ui_server.data.churn
    answer = httpx.get(
        f"{auth_ui_server.url}/experiments/{churn}",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"{auth_ui_server.url}/experiments/{churn}?page=2",
        },
    )
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == f"/login?next=/experiments/{churn}%3Fpage%3D2"
    # Basic credentials still work for pages too (scripts, curl).
    answer = httpx.get(
        f"{auth_ui_server.url}/experiments", headers={"Authorization": basic("admin")}
    )
    assert answer.status_code == 200 and "churn" in answer.text
