"""The project's policy where data enters cairn: artifacts, dataset versions, `cairn data
add`, monitoring logs. ``warn`` warns and stores; ``block`` refuses and stores nothing."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import cairn
from cairn.cli import cli
from cairn.errors import ConfigError, InvalidInput, SensitiveData
from cairn.monitoring.ingest import log_file, log_predictions
from cairn.monitoring.monitors import create_monitor
from cairn.security import SensitiveDataWarning, policy

PEOPLE = pd.DataFrame(
    {
        "customer_email": [f"user{i}@example.com" for i in range(50)],
        "gender": ["female", "male"] * 25,
        "spend": np.linspace(1, 50, 50),
    }
)


@pytest.fixture
def people(project: Path) -> Path:
    path = project / "people.csv"
    PEOPLE.to_csv(path, index=False)
    return path


def _artifact_files(client, run_id: str) -> list[Path]:
    root = Path(client.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_policy_comes_from_config_then_environment(project, set_policy, monkeypatch):
    assert policy() == "warn"
    set_policy("block")
    assert policy() == "block"
    monkeypatch.setenv("CAIRN_SENSITIVE_DATA", "off")
    assert policy() == "off"
    monkeypatch.setenv("CAIRN_SENSITIVE_DATA", "strict")
    with pytest.raises(ConfigError, match="CAIRN_SENSITIVE_DATA is 'strict'; allowed: warn"):
        policy()


def test_pyproject_tool_cairn_section_sets_the_policy(project):
    (project / "pyproject.toml").write_text('[tool.cairn.security]\nsensitive_data = "block"\n')
    assert policy() == "block"
    (project / "pyproject.toml").write_text('[tool.cairn.security]\nsensitive_data = "nope"\n')
    with pytest.raises(ConfigError, match="allowed: warn, block, off"):
        policy()


def test_artifact_warns_under_warn_and_is_stored(client, people):
    run = client.create_run("0")
    with pytest.warns(SensitiveDataWarning, match=r"customer_email \(email\), gender \(gender\)"):
        client.log_artifact(run.info.run_id, people)
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["people.csv"]


def test_artifact_is_refused_under_block_and_nothing_is_stored(client, people, set_policy):
    set_policy("block")
    run_id = client.create_run("0").info.run_id
    with pytest.raises(SensitiveData) as caught:
        client.log_artifact(run_id, people)
    message = str(caught.value)
    assert "customer_email (email)" in message and "gender (gender)" in message
    assert "cairn.security.redact(" in message and "Nothing was stored" in message
    assert client.list_artifacts(run_id) == [] and _artifact_files(client, run_id) == []
    # A folder holding the table is refused as well; other files pass.
    folder = people.parent / "outputs"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    client.log_artifact(run_id, folder / "notes.txt")
    people.rename(folder / "people.csv")
    with pytest.raises(SensitiveData, match=r"people.csv:customer_email"):
        client.log_artifacts(run_id, folder)
    assert [f.path for f in client.list_artifacts(run_id)] == ["notes.txt"]


def test_redacted_table_passes_the_block_policy(client, people, set_policy):
    set_policy("block")
    run_id = client.create_run("0").info.run_id
    clean = people.parent / "clean.parquet"
    cairn.security.redact(pd.read_csv(people)).to_parquet(clean)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.log_artifact(run_id, clean)
    assert [f.path for f in client.list_artifacts(run_id)] == ["clean.parquet"]


def test_off_skips_the_scan(client, people, monkeypatch):
    monkeypatch.setenv("CAIRN_SENSITIVE_DATA", "off")
    run_id = client.create_run("0").info.run_id
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.log_artifact(run_id, people)
    assert len(client.list_artifacts(run_id)) == 1


def test_dataset_version_is_refused_before_the_run_records_it(project, people, set_policy):
    set_policy("block")
    with (
        cairn.start_run() as run,
        pytest.raises(SensitiveData, match="dataset people.csv holds sensitive columns"),
    ):
        cairn.log_input(cairn.data.dataset("people.csv"), context="training")
    io = cairn.CairnClient().get_run_io(run.info.run_id)
    assert io.datasets == []


def test_dataset_version_warns_under_warn(project, people):
    with cairn.start_run() as run, pytest.warns(SensitiveDataWarning, match="dataset people.csv"):
        cairn.log_input(cairn.data.dataset("people.csv"), context="training")
    assert len(cairn.CairnClient().get_run_io(run.info.run_id).datasets) == 1


def _git_repo(root: Path) -> None:
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "t@example.invalid"],
                 ["config", "user.name", "t"]):  # fmt: skip
        subprocess.run(["git", *args], cwd=root, check=True)


def test_data_add_is_refused_under_block_and_leaves_the_cache_alone(people, set_policy):
    root = people.parent
    _git_repo(root)
    set_policy("block")
    result = CliRunner().invoke(cli, ["data", "add", "people.csv"])
    assert result.exit_code != 0
    assert "customer_email (email)" in result.output
    assert not (root / "people.csv.cairn").exists()
    cache = root / ".cairn" / "cache"
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
    # Redacted, the same data goes in.
    cairn.security.redact(pd.read_csv(people), how="drop").to_csv(people, index=False)
    result = CliRunner().invoke(cli, ["data", "add", "people.csv"])
    assert result.exit_code == 0, result.output
    assert (root / "people.csv.cairn").exists()


def test_data_add_skips_folders_with_many_entries(people, set_policy):
    from cairn.security.guard import MAX_FOLDER_ENTRIES, check_path

    set_policy("block")
    big = people.parent / "big"
    big.mkdir()
    PEOPLE.to_csv(big / "people.csv", index=False)
    for i in range(MAX_FOLDER_ENTRIES):
        (big / f"{i}.txt").write_text("x")
    assert check_path(big, "data big") is None
    small = people.parent / "small"
    small.mkdir()
    PEOPLE.to_csv(small / "people.csv", index=False)
    with pytest.raises(SensitiveData):
        check_path(small, "data small")


SPEC = {
    "name": "m",
    "model": "churn",
    "task": "classification",
    "features": {"spend": "numeric"},
    "target": "label",
}


@pytest.fixture
def monitored(client):
    registry = client.store.registry
    registry.create_registered_model("churn")
    registry.create_model_version("churn", "file:///models/churn/1")
    reference = pd.DataFrame({"spend": np.linspace(1, 9, 40), "prediction": [0, 1] * 20})
    create_monitor(SPEC, reference=reference.assign(label=reference.prediction))
    return client.store


def test_monitoring_log_is_refused_under_block(monitored, set_policy, project):
    set_policy("block")
    batch = PEOPLE.assign(prediction=1, request_id=[f"r{i}" for i in range(50)])
    with pytest.raises(SensitiveData, match="monitoring log of m"):
        log_predictions(batch, monitor="m")
    assert monitored.monitors.list_records("m") == []
    path = project / "batch.csv"
    batch.to_csv(path, index=False)
    with pytest.raises(SensitiveData):
        log_file(str(path), "m")
    result = CliRunner().invoke(cli, ["monitor", "log", "m", str(path)])
    assert result.exit_code != 0 and "customer_email" in result.output
    assert monitored.monitors.list_records("m") == []
    clean = batch.drop(columns=["customer_email", "gender"])
    assert log_predictions(clean, monitor="m") == 50


def test_monitoring_log_warns_under_warn(monitored):
    batch = PEOPLE.assign(prediction=1)
    with pytest.warns(SensitiveDataWarning, match="gender"):
        assert log_predictions(batch, monitor="m") == 50


def test_enforce_by_hand(project):
    from cairn.security import enforce, scan_frame

    report = scan_frame(PEOPLE)
    with pytest.raises(SensitiveData, match="export holds sensitive columns: customer_email"):
        enforce(report, "export", mode="block")
    with pytest.warns(SensitiveDataWarning):
        assert enforce(report, "export") is report
    clean = scan_frame(PEOPLE[["spend"]])
    assert enforce(clean, "export", mode="block") is clean
    with pytest.raises(InvalidInput, match="mode='strict' is not a policy"):
        enforce(report, "export", mode="strict")


def test_unreadable_table_warns_or_is_refused(client, set_policy, project):
    run_id = client.create_run("0").info.run_id
    bad = project / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.warns(SensitiveDataWarning, match="was not scanned"):
        client.log_artifact(run_id, bad)
    set_policy("block")
    run_id = client.create_run("0").info.run_id
    with pytest.raises(SensitiveData, match="cannot be checked"):
        client.log_artifact(run_id, bad)
    assert client.list_artifacts(run_id) == []
