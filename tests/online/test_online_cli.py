"""``cairn online run/status/rollback`` through the root group."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from online_streams import stream

from cairn.cli import cli


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def job(project):
    inbox = project / "inbox"
    inbox.mkdir()
    for number, (X, y) in enumerate(stream(41, 5)):
        X.assign(label=y).to_csv(inbox / f"batch-{number}.csv", index=False)
    X, y = stream(42, 1, n=100)[0]
    X.assign(label=y).to_csv(project / "holdout.csv", index=False)
    config = project / "online.yaml"
    config.write_text(
        "model_name: cli-online\n"
        "model:\n"
        "  estimator: sklearn.linear_model.SGDClassifier\n"
        "  params: {random_state: 0}\n"
        "classes: [0, 1]\n"
        "source: {folder: inbox, poll: 0.01, stop_when_idle: 0.2}\n"
        "holdout: holdout.csv\n"
        "checkpoint_every: 2\n"
    )
    return config


def test_run_status_and_rollback(job, client):
    result = _invoke("online", "run", str(job), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["batches"], summary["accepted"], summary["rows"]) == (5, 5, 200)
    assert summary["checkpoints"] == [1, 2, 3]
    assert "holdout_accuracy" in client.get_run(summary["run_id"]).data.metrics

    result = _invoke("online", "status", "cli-online", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["live_version"] == 3
    assert [c["batches"] for c in status["checkpoints"]] == [2, 4, 5]
    assert status["runs"][0]["accepted"] == 5 and status["runs"][0]["status"] == "FINISHED"

    result = _invoke("online", "rollback", "cli-online", "1")
    assert result.exit_code == 0, result.output
    assert "cli-online@online -> version 1" in result.output
    assert client.store.registry.get_model_version_by_alias("cli-online", "online").version == 1
    table = _invoke("online", "status", "cli-online")
    assert table.exit_code == 0 and "cli-online" in table.output

    # a second run continues from the registered model named by its URI
    job.write_text(
        job.read_text().replace(
            "model:\n  estimator: sklearn.linear_model.SGDClassifier\n  params: {random_state: 0}\n",
            "model: models:/cli-online@online\n",
        )
    )
    X, y = stream(43, 1)[0]
    X.assign(label=y).to_csv(job.parent / "inbox" / "more.csv", index=False)
    result = _invoke("online", "run", str(job), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["checkpoints"] == [4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "model_name: m\nmodel: {estimator: os.system}\nsource: {folder: inbox}\n",
            "scikit-learn or River",
        ),
        (
            "model_name: m\nmodel: {estimator: sklearn.linear_model.SGDClassifier}\n",
            "source is required",
        ),
        (
            "model_name: m\nmodel: {estimator: sklearn.linear_model.SGDClassifier}\nsource: {folder: inbox}\ncheckpoint_evry: 2\n",
            "Did you mean",
        ),
        (
            "model_name: m\nmodel: {estimator: sklearn.ensemble.RandomForestClassifier}\nsource: {folder: inbox}\n",
            "no partial_fit",
        ),
        (
            "model_name: m\nmodel: {estimator: sklearn.linear_model.SGDClassifier}\nsource: {folder: nowhere}\n",
            "does not exist",
        ),
        ("model_name: m\nmodel: models:/absent@online\nsource: {folder: inbox}\n", "absent"),
        ("[not, a, mapping]\n", "mapping"),
    ],
)
def test_a_bad_config_exits_2_and_registers_nothing(job, client, text, message):
    job.write_text(text)
    result = _invoke("online", "run", str(job))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert client.store.registry.search_registered_models().items == []


def test_rollback_and_status_of_unknown_things_exit_2(project):
    assert _invoke("online", "status", "nothing").exit_code == 2
    result = _invoke("online", "rollback", "nothing", "1")
    assert result.exit_code == 2
    assert "nothing" in result.output


def test_a_guard_section_puts_the_poisoning_guard_in_front_of_updates(job, client):
    X, y = stream(44, 1, n=400)[0]
    X.assign(label=y).to_csv(job.parent / "reference.csv", index=False)
    job.write_text(
        job.read_text() + "guard: {reference: reference.csv, holdout: holdout.csv, target: label}\n"
    )
    result = _invoke("online", "run", str(job), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["accepted"] + summary["rejected"] == 5
    assert summary["accepted"] >= 1
    run = client.get_run(summary["run_id"])
    assert run.data.params["online.guard"] == "PoisoningGuard"
