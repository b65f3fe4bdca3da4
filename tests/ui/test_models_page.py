"""The model registry pages: the list of registered models, one model with its versions, one
version with its lineage (run, data, code commit, signature) and history; 404s for unknown
models and versions, and for models the user may not read (with ``--auth``).

The last test logs a real scikit-learn model with ``registered_model_name`` against the
server and clicks from ``/models`` to the version.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import httpx
import pytest

from cairn.entities import RunTag
from cairn.ui.pages.models import PER_PAGE

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_no_model_yet_shows_how_to_register_one(ui_server):
    answer = httpx.get(ui_server.url + "/models", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert 'id="no-models"' in answer.text
    assert "registered_model_name=" in answer.text


@pytest.fixture(scope="module")
def registered(ui_server: Any) -> dict[str, Any]:
    """``churn-clf`` with two versions made from run-00 (tagged with a commit), an alias and a
    stage, and an empty ``empty-model``."""
    run_id = ui_server.data.runs["run-00"]
    with ui_server.store() as store:
        store.runs.set_tag(run_id, RunTag("cairn.source.git.commit", COMMIT))
        root = store.runs.get_run(run_id).info.artifact_uri
        store.registry.create_registered_model("churn-clf", "Predicts churn.", {"team": "growth"})
        for _ in range(2):
            store.registry.create_model_version("churn-clf", f"{root}/model", run_id)
        store.registry.set_alias("churn-clf", "champion", 1)
        store.registry.transition_stage("churn-clf", 2, "Staging")
        store.registry.create_registered_model("empty-model")
    return {"run_id": run_id}


def get(server: Any, path: str, **params: Any) -> httpx.Response:
    return httpx.get(server.url + path, params=params, headers={"Accept": "text/html"})


def test_models_list_search_and_empty_search(ui_server, registered):
    answer = get(ui_server, "/models")
    assert answer.status_code == 200
    assert 'href="/models/churn-clf"' in answer.text
    assert "@champion → v1" in answer.text
    assert "Predicts churn." in answer.text
    assert 'href="/models/churn-clf/versions/2"' in answer.text  # latest version
    found = get(ui_server, "/models", q="CHURN")
    assert "churn-clf" in found.text and "empty-model" not in found.text
    none = get(ui_server, "/models", q="nothing-like-this")
    assert "No model matches" in none.text


def test_model_page_shows_aliases_tags_and_versions(ui_server, registered):
    answer = get(ui_server, "/models/churn-clf")
    assert answer.status_code == 200
    text = answer.text
    assert "Predicts churn." in text and "team" in text and "growth" in text
    assert 'href="/models/churn-clf/versions/1"' in text and "@champion → v1" in text
    assert "Staging" in text
    assert f'href="/runs/{registered["run_id"]}"' in text


def test_version_page_shows_lineage_and_history(ui_server, registered):
    answer = get(ui_server, "/models/churn-clf/versions/2")
    assert answer.status_code == 200
    text = answer.text
    assert f'href="/runs/{registered["run_id"]}"' in text
    assert COMMIT[:12] in text
    assert "Staging" in text
    assert "created" in text and "stage changed" in text  # audit events, newest first
    assert "The signature could not be read" in text  # run-00's model/ holds no MLmodel


@pytest.mark.parametrize(
    "path",
    ["/models/no-such-model", "/models/no-such-model/versions/1", "/models/churn-clf/versions/9",
     "/models/churn-clf/versions/abc"],
)  # fmt: skip
def test_unknown_models_and_versions_are_404_pages(ui_server, registered, path):
    answer = get(ui_server, path)
    assert answer.status_code == 404, path
    assert "Not found" in answer.text


def test_models_come_in_pages(ui_server, registered):
    with ui_server.store() as store:
        for i in range(PER_PAGE + 3):
            store.registry.create_registered_model(f"bulk-{i:02d}")
    first = get(ui_server, "/models")
    assert first.text.count('class="model-link"') == PER_PAGE
    token = re.search(r'id="more-models" href="/models\?page_token=([^"&]+)"', first.text)
    assert token is not None
    rest = get(ui_server, "/models", page_token=urllib.parse.unquote(token.group(1)))
    assert "churn-clf" in rest.text and "bulk-52" not in rest.text
    assert 'id="more-models"' not in rest.text


@pytest.mark.slow
def test_a_model_the_user_may_not_read_does_not_exist_for_them(
    page, auth_ui_server, sign_in, console
):
    from cairn.store.sql.auth import Permission

    console.allow(r"status of 404")
    with auth_ui_server.store() as store:
        store.registry.create_registered_model("alice-model", "secret")
        store.registry.create_model_version("alice-model", "/tmp/nowhere")
        store.auth.grant("alice", "registered_model", "alice-model", Permission.READ)
    sign_in(page, auth_ui_server, "bob", "/models")
    assert "alice-model" not in page.content()
    for path in ("/models/alice-model", "/models/alice-model/versions/1"):
        assert page.goto(auth_ui_server.url + path).status == 404, path
        assert "secret" not in page.content()
    page.context.clear_cookies()
    sign_in(page, auth_ui_server, "alice", "/models")
    page.click("a.model-link:text('alice-model')")
    assert page.locator("#model-description").inner_text() == "secret"


def test_a_logged_sklearn_model_from_list_to_version(page, ui_server, tmp_path, shot):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import cairn
    from cairn.tracking.fluent import reset

    x = pd.DataFrame({"age": np.arange(40.0), "spend": np.arange(40.0) % 7})
    y = (x["spend"] > 3).astype(int)
    csv = tmp_path / "customers.csv"
    x.assign(churned=y).to_csv(csv, index=False)
    cairn.set_tracking_uri(ui_server.url)  # the registry follows it, like the run
    try:
        cairn.set_experiment("registry-ui")
        with cairn.start_run(run_name="train-clf") as run:
            cairn.log_input(cairn.data.dataset(str(csv), name="customers"), context="training")
            info = cairn.sklearn.log_model(
                LogisticRegression().fit(x, y), name="model", input_example=x[:5],
                registered_model_name="ui-clf",
            )  # fmt: skip
        cairn.registry.set_alias("ui-clf", "champion", info.registered_model_version)
    finally:
        reset()  # forget the URI and close the cached client of the server
    page.goto(f"{ui_server.url}/models?q=clf")
    shot(page, "models")
    page.click("a.model-link:text('ui-clf')")
    assert "@champion" in page.locator("#model-aliases").inner_text()
    shot(page, "model")
    page.click(f"a.version-link:text('v{info.registered_model_version}')")
    assert (
        page.locator("#source-run a.run-link").get_attribute("href") == f"/runs/{run.info.run_id}"
    )
    assert page.locator("#lineage-datasets a.dataset-link").inner_text() == "customers"
    inputs = page.locator("#signature-inputs").inner_text()
    assert "age" in inputs and "spend" in inputs and "double" in inputs
    assert "alias set" in page.locator("#audit-events").inner_text()
    shot(page, "model-version")
