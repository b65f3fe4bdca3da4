"""`cairn gc`, `cairn sync`, `cairn init`, `cairn db upgrade` and the functions behind them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from cairn.errors import InvalidInput, NotFound
from cairn.store.base import now_ms
from cairn.tracking.client import CairnClient, close_shared_stores
from cairn.tracking.gc import collect_garbage, parse_age
from cli_support import CAIRN, cairn

DAY_MS = 86_400_000


def make_run(client: CairnClient, experiment_id: str, name: str) -> str:
    run_id: str = client.create_run(experiment_id, run_name=name).info.run_id
    client.log_bytes(run_id, b"x" * 1000, "model.bin")
    client.log_metric(run_id, "acc", 0.5)
    return run_id


def run_folder(client: CairnClient, run_id: str) -> Path:
    return Path(client.get_run(run_id).info.artifact_uri).parent


def backdate(client: CairnClient, table: str, key: str, value: object, days: int) -> None:
    """Pretend a run or experiment was deleted ``days`` ago."""
    engine: sa.Engine = client.store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {table} SET deleted_time = :t WHERE {key} = :v"),
                     {"t": now_ms() - days * DAY_MS, "v": value})  # fmt: skip


@pytest.mark.parametrize(("text", "ms"), [("30d", 30 * DAY_MS), ("12h", 43_200_000), ("90s", 90_000),
                                          ("5m", 300_000), ("1.5w", 907_200_000), (" 0d ", 0)])  # fmt: skip
def test_parse_age(text: str, ms: int) -> None:
    assert parse_age(text) == ms


@pytest.mark.parametrize("text", ["30", "d", "3x", "-1d", "30 days", ""])
def test_parse_age_rejects(text: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(repr(text))):
        parse_age(text)


def test_gc_purges_only_old_deleted_runs(client: CairnClient) -> None:
    old, recent, alive = (make_run(client, "0", n) for n in ("old", "recent", "alive"))
    folders = {rid: run_folder(client, rid) for rid in (old, recent, alive)}
    client.delete_run(old)
    client.delete_run(recent)
    backdate(client, "runs", "run_uuid", old, days=40)
    result = cairn("gc", "--older-than", "30d", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {"run_ids": [old], "experiment_ids": [], "bytes_freed": 1000, "dry_run": False}
    assert not folders[old].exists()
    with pytest.raises(NotFound):
        client.get_run(old)
    assert folders[recent].is_dir() and folders[alive].is_dir()
    assert client.get_run(recent).info.lifecycle_stage == "deleted"
    assert client.get_metric_history(alive, "acc")[0].value == 0.5


def test_gc_without_age_purges_every_deleted_run(client: CairnClient) -> None:
    rid = make_run(client, "0", "r")
    client.delete_run(rid)
    result = cairn("gc")
    assert result.exit_code == 0
    assert "Purged 1 run and 0 experiments, freed 1000 B." in result.stdout
    assert rid in result.stdout


def test_gc_frees_the_experiment_name(client: CairnClient) -> None:
    exp = client.create_experiment("reused")
    runs = [make_run(client, exp, f"r{i}") for i in range(2)]
    location = Path(client.get_experiment(exp).artifact_location)
    assert cairn("experiments", "delete", "reused").exit_code == 0
    assert cairn("experiments", "create", "reused").exit_code == 1  # the name is still taken
    report = collect_garbage(client, older_than_ms=0)
    assert report.experiment_ids == [exp]
    assert sorted(report.run_ids) == sorted(runs)
    assert report.bytes_freed == 2000
    assert not location.exists()
    with pytest.raises(NotFound):
        client.get_experiment(exp)
    created = cairn("experiments", "create", "reused")
    assert created.exit_code == 0, created.output
    assert client.get_experiment_by_name("reused").experiment_id != exp


def test_gc_keeps_a_user_location_holding_other_files(client: CairnClient, tmp_path: Path) -> None:
    location = tmp_path / "shared"
    exp = client.create_experiment("custom", artifact_location=str(location))
    rid = make_run(client, exp, "r")
    (location / "not-cairns.txt").write_text("keep me")
    client.delete_experiment(exp)
    report = collect_garbage(client)
    assert report.run_ids == [rid] and report.bytes_freed == 1000
    assert (location / "not-cairns.txt").read_text() == "keep me"
    assert not (location / rid).exists()


def test_gc_dry_run_changes_nothing(client: CairnClient) -> None:
    exp = client.create_experiment("doomed")
    in_exp = make_run(client, exp, "in-exp")
    lone = make_run(client, "0", "lone")
    client.delete_run(lone)
    client.delete_experiment(exp)
    before = client.store.audit.head()
    result = cairn("gc", "--dry-run", "--json")
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["experiment_ids"] == [exp]
    assert sorted(report["run_ids"]) == sorted([in_exp, lone])
    assert report["bytes_freed"] == 2000
    assert client.store.audit.head() == before
    assert run_folder(client, in_exp).is_dir() and run_folder(client, lone).is_dir()
    assert (
        "Would purge 2 runs and 1 experiment, freeing 2.0 KiB." in cairn("gc", "--dry-run").stdout
    )


def test_gc_bad_age_is_an_error(client: CairnClient) -> None:
    rid = make_run(client, "0", "r")
    client.delete_run(rid)
    result = cairn("gc", "--older-than", "a while")
    assert result.exit_code == 1
    assert "age 'a while' is not a duration" in result.stderr
    assert client.get_run(rid).info.lifecycle_stage == "deleted"


KILLED_SCRIPT = textwrap.dedent(
    """
    import os, signal, cairn
    run = cairn.start_run(run_name="killed")
    for step in range(500):
        cairn.log_metric("loss", 1.0 / (step + 1), step=step)
    print("ready", run.info.run_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_sync_ships_what_a_killed_process_left(client: CairnClient, project: Path) -> None:
    child = subprocess.run([sys.executable, "-c", KILLED_SCRIPT], capture_output=True, text=True,
                           cwd=project, env=dict(os.environ), check=False, timeout=120)  # fmt: skip
    assert child.returncode == -9, child.stderr
    word, run_id = child.stdout.split()
    assert word == "ready"
    spools = list(client.spool_dir.glob(f"{run_id}.*.spool"))
    assert len(spools) == 1
    stored_before = len(client.get_metric_history(run_id, "loss"))
    done = subprocess.run([CAIRN, "sync", "--json"], capture_output=True, text=True, cwd=project,
                          check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["shipped"] == {run_id: 500 - stored_before}
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(500))
    assert not spools[0].exists()
    assert "Nothing to sync" in cairn("sync").stdout


def test_init_creates_the_project_folder(cairn_project: Path) -> None:
    try:
        result = cairn("init")
        assert result.exit_code == 0, result.output
        folder = cairn_project / ".cairn"
        assert (folder / "cairn.db").is_file()
        assert tomllib.loads((folder / "config.toml").read_text()) == {}  # all commented out
        assert (folder / ".gitignore").read_text().splitlines() == [
            "*",
            "!.gitignore",
            "!config.toml",
        ]
        (folder / "config.toml").write_text('artifact_root = "elsewhere"\n')
        again = cairn("init")
        assert again.exit_code == 0 and "Reinitialised" in again.stdout
        assert (folder / "config.toml").read_text() == 'artifact_root = "elsewhere"\n'
    finally:
        close_shared_stores()


def test_db_upgrade(project: Path, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/fresh/cairn.db"
    first = cairn("--tracking-uri", uri, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "Upgraded the store from empty to" in first.stdout
    second = cairn("--tracking-uri", uri, "db", "upgrade")
    assert "nothing to do" in second.stdout
    refused = cairn("--tracking-uri", "http://localhost:1", "db", "upgrade")
    assert refused.exit_code == 1 and "not on a server" in refused.stderr
