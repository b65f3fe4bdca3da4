"""With ``--auth``: a run of an experiment the user may not read does not exist for them."""

from __future__ import annotations

import pytest

from cairn.entities import Metric
from cairn.store.sql.auth import Permission

pytestmark = pytest.mark.slow  # each test signs in (scrypt) and walks several pages


@pytest.fixture(scope="module")
def alice_run(auth_ui_server):
    """alice-0 with a metric and an image, in alice's private experiment."""
    run_id = auth_ui_server.data.runs["alice-0"]
    with auth_ui_server.store() as store:
        store.runs.log_batch(run_id, metrics=[Metric("loss", 0.5, 1_700_000_000_000, 0)])
        files = store.artifact_store(store.runs.get_run(run_id).info.artifact_uri, run_id)
        files.log_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "plot.svg")
    return run_id


def test_bob_cannot_open_alices_run_or_its_artifacts(
    page, auth_ui_server, alice_run, sign_in, console, shot
):
    console.allow(r"status of 40[04]")
    sign_in(page, auth_ui_server, "bob")
    url = auth_ui_server.url
    for path in (
        f"/runs/{alice_run}",
        f"/runs/{alice_run}?tab=metrics",
        f"/runs/{alice_run}/artifacts",
        f"/runs/{alice_run}/artifacts?path=plot.svg",
    ):
        answer = page.goto(url + path)
        assert answer.status == 404, path
        assert page.locator("h1").inner_text() == "Not found"
        assert "alice" not in page.content()
    shot(page, "run-auth-not-found")
    # what the pages fetch is refused the same way, without naming the experiment
    for path in (
        f"/runs/{alice_run}/series?key=loss",
        f"/runs/{alice_run}/artifacts/raw/plot.svg",
        f"/compare/series?runs={alice_run},{auth_ui_server.data.runs['bob-0']}&key=loss",
    ):
        answer = page.request.get(url + path)
        assert answer.status in (400, 404), path
        assert "alice-private" not in answer.text()
    page.goto(f"{url}/compare?runs={alice_run},{auth_ui_server.data.runs['bob-0']}")
    problems = page.locator("#compare-problems").inner_text()
    assert f"There is no run '{alice_run}' (or you may not read it)" in problems
    # the API agrees: bob may not change alice's run
    answer = page.request.post(
        f"{url}/api/v1/runs/{alice_run}/batch",
        data={"tags": [{"key": "x", "value": "y"}]},
        headers={"Origin": url},
    )
    assert answer.status == 403


def test_alice_reads_and_edits_her_run(page, auth_ui_server, alice_run, sign_in):
    sign_in(page, auth_ui_server, "alice")
    page.goto(f"{auth_ui_server.url}/runs/{alice_run}")
    assert page.locator("h1").inner_text().startswith("alice-0")
    form = page.locator("#tag-add")
    form.locator("input[name=key]").fill("reviewed")
    form.locator("input[name=value]").fill("yes")
    form.get_by_role("button", name="Add tag").click()
    page.locator("#tags-table tr[data-key=reviewed]").wait_for()
    with auth_ui_server.store() as store:
        assert store.runs.get_run(alice_run).data.tags["reviewed"] == "yes"
    page.goto(f"{auth_ui_server.url}/runs/{alice_run}?tab=metrics")
    page.wait_for_function("document.querySelector('.chart[data-points]') !== null")


def test_a_reader_sees_the_run_without_edit_controls(page, auth_ui_server, alice_run, sign_in):
    with auth_ui_server.store() as store:
        experiment = auth_ui_server.data.experiments["alice-private"]
        store.auth.grant("bob", "experiment", experiment, Permission.READ)
    try:
        sign_in(page, auth_ui_server, "bob")
        page.goto(f"{auth_ui_server.url}/runs/{alice_run}")
        assert page.locator("h1").inner_text().startswith("alice-0")
        assert page.locator("#tag-add").count() == 0
        assert page.get_by_role("button", name="Edit").count() == 0
    finally:
        with auth_ui_server.store() as store:
            store.auth.revoke("bob", "experiment", experiment)
