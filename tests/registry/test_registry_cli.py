"""`cairn models register|list|show|versions|alias|tag|stage|rename|describe|delete` end to
end on a project store, with a real sklearn model logged by cairn, and the one-line errors
that leave the registry unchanged."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

import cairn
from cairn.tracking.client import CairnClient
from cli_support import CAIRN
from cli_support import cairn as run_cli


@pytest.fixture
def run_id(client: CairnClient) -> str:
    from sklearn.linear_model import LogisticRegression

    features = np.random.default_rng(0).normal(size=(40, 3))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    with cairn.start_run() as run:
        cairn.sklearn.log_model(model, name="model", input_example=features[:3])
    return str(run.info.run_id)


def ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_register_alias_stage_tag_and_delete(client: CairnClient, run_id: str, tmp_path) -> None:
    assert "Registered 'churn' version 1" in ok(
        "models", "register", f"runs:/{run_id}/model", "churn"
    )
    made = json.loads(
        ok("models", "register", f"runs:/{run_id}/model", "churn", "--tag", "k=v", "--json")
    )
    assert (made["version"], made["run_id"], made["tags"]) == (2, run_id, {"k": "v"})
    assert made["source"].endswith(f"{run_id}/artifacts/model") and made["model_id"]

    assert "churn@champion -> version 1" in ok("models", "alias", "churn", "champion", "1")
    ok("models", "alias", "churn", "champion", "2")
    assert client.store.registry.get_model_version_by_alias("churn", "champion").version == 2
    ok("models", "stage", "churn", "1", "Production")
    ok("models", "tag", "churn", "team", "growth")
    ok("models", "tag", "churn/2", "validated", "yes")
    ok("models", "describe", "churn/2", "better recall")

    listed = json.loads(ok("models", "list", "--json"))
    assert [(m["name"], m["aliases"]) for m in listed] == [("churn", {"champion": 2})]
    assert "churn" in ok("models", "list") and "champion->2" in ok("models", "list")
    shown = json.loads(ok("models", "show", "churn", "--json"))
    assert shown["tags"] == {"team": "growth"}
    assert [(v["version"], v["current_stage"]) for v in shown["versions"]] == [
        (2, "None"),
        (1, "Production"),
    ]
    text = ok("models", "show", "churn")
    assert "champion -> version 2" in text and "Production" in text
    one = json.loads(ok("models", "show", "churn/2", "--json"))
    assert (one["description"], one["tags"]) == ("better recall", {"k": "v", "validated": "yes"})
    assert [v["version"] for v in json.loads(ok("models", "versions", "churn", "--json"))] == [2, 1]

    # the registered version loads through the registry URI
    loaded = cairn.pyfunc.load_model("models:/churn@champion")
    assert len(loaded.predict(np.zeros((2, 3)))) == 2

    ok("models", "rename", "churn", "churn2")
    ok("models", "alias", "churn2", "champion", "--delete")
    ok("models", "delete", "churn2/1")
    assert [v.version for v in client.store.registry.search_model_versions()] == [2]
    ok("models", "delete", "churn2", "--yes")
    assert client.store.registry.search_registered_models().items == []

    folder = tmp_path / "saved"
    from sklearn.dummy import DummyClassifier

    cairn.sklearn.save_model(DummyClassifier().fit([[0], [1]], [0, 1]), folder)
    local = json.loads(ok("models", "register", str(folder), "local", "--json"))
    assert local["source"] == str(folder.resolve()) and local["run_id"] is None


def test_bad_input_is_one_line_and_changes_nothing(client: CairnClient, run_id: str) -> None:
    ok("models", "register", f"runs:/{run_id}/model", "churn")
    before = client.store.audit.head()
    cases = [
        (("models", "alias", "churn", "latest", "1"), "alias 'latest' is not allowed"),
        (
            ("models", "alias", "churn", "champion", "7"),
            "registered model 'churn' has no version 7",
        ),
        (("models", "stage", "churn", "1", "prod"), "stage 'prod' is not one of"),
        (("models", "show", "chrn"), "Did you mean 'churn'"),
        (("models", "register", f"runs:/{run_id}/nothing", "churn"), "has no model at 'nothing'"),
        (("models", "register", "/no/such/folder", "churn"), "is not a model folder"),
        (("models", "register", f"runs:/{run_id}/model", "bad/name"), "is not allowed"),
        (("models", "tag", "churn/1", "k"), None),  # a usage error (exit 2)
    ]
    for args, message in cases:
        result = run_cli(*args)
        if message is None:
            assert result.exit_code == 2, result.output
            continue
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert client.store.audit.head() == before
    assert [v.version for v in client.store.registry.search_model_versions()] == [1]


def test_the_installed_script_lists_models(client: CairnClient, run_id: str) -> None:
    ok("models", "register", f"runs:/{run_id}/model", "churn")
    done = subprocess.run(
        [CAIRN, "models", "versions", "churn", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert [v["version"] for v in json.loads(done.stdout)] == [1]
