"""Fixtures of the browser tests: live cairn servers on 127.0.0.1 and Chromium via Playwright.

- ``ui_server`` (one per test module): a server without auth on a SQLite store holding
  :func:`ui_support.populate`'s data (``ui_server.data`` has the ids).
- ``auth_ui_server`` (one per module): the same data with ``--auth`` and the default
  permission NO_PERMISSIONS; accounts admin, alice and bob (passwords in
  ``ui_support.PASSWORDS``); alice manages ``alice-private`` (runs ``alice-0``, ``alice-1``),
  bob manages ``bob-private``.
- ``browser`` (one per session): the system Chromium (``/usr/bin/chromium``).
- ``page``: a fresh 1366x768 page; the test fails on any console error or page error unless
  the test allowed it with ``console.allow(pattern)``.
- ``shot(page, name)``: a screenshot saved to ``tests/ui/screenshots/<name>.png``.
- ``sign_in(page, server, user)``: signs in through the login form.

Tests that use ``page`` (or ``browser``) are marked ``ui``: ``pytest -m "not ui"`` skips them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ui_support import PASSWORDS, UiData, populate, screenshot_dir

from cairn.server import ServerSettings
from cairn.server.live import LiveServer

CHROMIUM = os.environ.get("CAIRN_TEST_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 768}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that open a browser are marked ``ui``."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ui)


@dataclass
class UiServer:
    """A running server, its store URI and the ids of the data it holds."""

    url: str
    uri: str
    data: UiData
    live: LiveServer

    def store(self) -> Any:
        """The server's store opened a second time (close it)."""
        from cairn.store.sql import SqlStore

        return SqlStore(self.uri)


def _start(tmp: Path, auth: bool) -> tuple[UiServer, Any]:
    from cairn.store import open_store

    uri = f"sqlite:///{tmp / 'ui.db'}"
    artifacts = tmp / "artifacts"
    with open_store(uri, artifact_root=str(artifacts)) as store:
        data = populate(store)
        if auth:
            _accounts(store, data)
    settings = ServerSettings(
        uri, str(artifacts), auth=auth, default_permission="NO_PERMISSIONS" if auth else "READ"
    )
    live = LiveServer(settings).start()
    return UiServer(live.url, uri, data, live), live


def _accounts(store: Any, data: UiData) -> None:
    from cairn.server.auth import passwords
    from cairn.store.sql.auth import Permission

    for name, password in PASSWORDS.items():
        store.auth.create_user(name, passwords.hash_password(password), is_admin=name == "admin")
    for owner in ("alice", "bob"):
        experiment_id = store.experiments.create_experiment(f"{owner}-private")
        data.experiments[f"{owner}-private"] = experiment_id
        store.auth.grant(owner, "experiment", experiment_id, Permission.MANAGE)
        for i in range(2):
            run_id = store.runs.create_run(experiment_id, run_name=f"{owner}-{i}").info.run_id
            data.runs[f"{owner}-{i}"] = run_id


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A live server without auth on the populated store, for this test module."""
    server, live = _start(tmp_path_factory.mktemp("ui-server"), auth=False)
    try:
        yield server
    finally:
        live.stop()


@pytest.fixture(scope="module")
def auth_ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A live server with ``--auth`` (default NO_PERMISSIONS) on the populated store."""
    server, live = _start(tmp_path_factory.mktemp("ui-auth-server"), auth=True)
    try:
        yield server
    finally:
        live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The system Chromium driven by Playwright, for the whole session."""
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CAIRN_TEST_REQUIRE_SERVICES", "") not in ("", "0"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield found
        finally:
            found.close()


@dataclass
class ConsoleWatch:
    """Console errors and page errors seen by a page, and the patterns a test allows."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Let console errors matching ``pattern`` (a regex) pass, e.g. an expected 409."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        """The errors no allowed pattern matches."""
        return [e for e in self.seen if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def console() -> ConsoleWatch:
    """What the ``page`` fixture's console said; ``console.allow(...)`` expected errors."""
    return ConsoleWatch()


@pytest.fixture
def page(browser: Any, console: ConsoleWatch) -> Iterator[Any]:
    """A fresh 1366x768 page; console and page errors fail the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(10_000)
    found = context.new_page()
    found.on(
        "console",
        lambda msg: (
            console.seen.append(f"console.{msg.type}: {msg.text} ({msg.location})")
            if msg.type == "error"
            else None
        ),
    )
    found.on("pageerror", lambda err: console.seen.append(f"page error: {err}"))
    try:
        yield found
    finally:
        context.close()
    problems = console.unexpected()
    assert problems == [], "the page logged errors:\n" + "\n".join(problems)


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """``shot(page, name)``: save a screenshot of the page as screenshots/<name>.png."""
    folder = screenshot_dir()
    folder.mkdir(exist_ok=True)

    def take(page: Any, name: str, full_page: bool = True) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """``sign_in(page, server, user, next_path="/experiments")`` through the login form."""

    def go(page: Any, server: UiServer, user: str, next_path: str = "/experiments") -> None:
        page.goto(f"{server.url}/login?next={next_path}")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORDS[user])
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}{next_path}*")

    return go
