"""Importing MLflow stores built by MLflow itself: an mlruns folder, a SQLite database, a server."""

from __future__ import annotations

import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import numpy  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric as MlflowMetric  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402

from cairn.entities import Metric  # noqa: E402
from cairn.errors import ConfigError, InvalidState, NotFound  # noqa: E402
from cairn.testing import free_port  # noqa: E402
from cairn.tracking.client import CairnClient  # noqa: E402
from cairn.tracking.import_mlflow import (  # noqa: E402
    COMPLETE_TAG,
    RUN_ID_TAG,
    SOURCE_TAG,
    ImportReport,
    import_mlflow,
)
from cairn.tracking.mlflow_source import open_source, parse_source  # noqa: E402

# MLflow's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The ``noload`` loader strategy is deprecated:sqlalchemy.exc.SADeprecationWarning"
)
T0 = 1_700_000_000_000
STEPS = 300
REMOTE = "https://ann:token@git.example/ml.git"
# MLflow's system tags and the cairn names the import also sets.
UNDERSTOOD = {
    "mlflow.note.content": "cairn.note.content",
    "mlflow.source.name": "cairn.source.name",
    "mlflow.source.git.commit": "cairn.source.git.commit",
}
MLFLOW_VARIABLES = (
    "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_ALLOW_FILE_STORE",
    "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID",
)  # fmt: skip


@pytest.fixture(autouse=True)
def mlflow_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No MLflow settings from outside; the global tracking URI reset after each test."""
    for name in MLFLOW_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


# -- building sources with MLflow ---------------------------------------------------------------


def history(key: str, scale: float, nan_at: int | None = None) -> list[MlflowMetric]:
    """STEPS points and a second point on the last step; NaN at one step if asked."""
    points = [
        MlflowMetric(key, math.nan if s == nan_at else scale / (s + 1), T0 + 10 * s, s)
        for s in range(STEPS)
    ]
    return [*points, MlflowMetric(key, scale * 2, T0 + 10 * STEPS, STEPS - 1)]


def build_source(uri: str, files: Path, artifact_root: Path | None = None) -> None:
    """Three experiments ('old' deleted), six runs, a registered model, written through MLflow."""
    files.mkdir(parents=True, exist_ok=True)
    (files / "model.txt").write_text("weights")
    plots = files / "plots"
    (plots / "roc").mkdir(parents=True, exist_ok=True)
    (plots / "loss.svg").write_text("<svg/>")
    (plots / "roc" / "curve.csv").write_text("fpr,tpr\n0,0\n1,1\n")

    def where(name: str) -> str | None:
        return (artifact_root / name).as_uri() if artifact_root else None

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, registry_uri=uri)
    vision = client.create_experiment(
        "vision", where("vision"), tags={"team": "cv", "mlflow.note.content": "image models"}
    )
    nlp = client.create_experiment("nlp", where("nlp"))
    old = client.create_experiment("old", where("old"))

    mlflow.set_experiment(experiment_id=vision)
    with mlflow.start_run(run_name="sweep", description="a grid over lr") as parent:
        mlflow.log_params({"grid": "lr", "epochs": STEPS})
        mlflow.set_tags({"owner": "ana", "stage": "dev"})
        client.log_batch(parent.info.run_id, history("loss", 1.0) + history("acc", 0.5))
        mlflow.log_artifact(str(files / "model.txt"))
        mlflow.log_artifacts(str(plots), "plots")
        train = mlflow.data.from_numpy(numpy.array([[1.0], [2.0]]), name="train")
        mlflow.log_input(train, context="training")
        client.create_logged_model(vision, name="clf", source_run_id=parent.info.run_id)
        with mlflow.start_run(run_name="trial-1", nested=True) as child:
            mlflow.log_param("lr", 0.01)
            client.log_batch(child.info.run_id, history("loss", 0.8))
    git = {"mlflow.source.git.commit": "abc123", "mlflow.source.git.repoURL": REMOTE}
    crash = client.create_run(vision, T0, tags={"owner": "bo", **git}, run_name="crash")
    client.log_batch(
        crash.info.run_id,
        history("loss", 2.0, nan_at=7),
        [mlflow.entities.Param("lr", "0.5"), mlflow.entities.Param("optimizer", "sgd")],
    )
    client.set_terminated(crash.info.run_id, "FAILED", end_time=T0 + 60_000)
    dropped = client.create_run(vision, start_time=T0 + 1, run_name="dropped")
    client.log_metric(dropped.info.run_id, "loss", 9.0, T0 + 2, 0)
    client.set_terminated(dropped.info.run_id, "FINISHED", end_time=T0 + 5)
    client.delete_run(dropped.info.run_id)

    live = client.create_run(nlp, start_time=T0 + 2, run_name="bert", tags={"size": "base"})
    client.log_batch(live.info.run_id, history("perplexity", 30.0))
    legacy = client.create_run(old, start_time=T0 + 3, run_name="legacy")
    client.log_param(legacy.info.run_id, "kind", "svm")
    client.log_metric(legacy.info.run_id, "acc", 0.7, T0 + 4, 0)
    client.set_terminated(legacy.info.run_id, "KILLED", end_time=T0 + 9)
    client.delete_experiment(old)
    client.create_registered_model("churn-model")
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def reader(uri: str, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    """An MLflow client on a source (the file store needs MLflow 3's opt-in to be read)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(uri, registry_uri=uri)


# -- comparing what cairn holds with what MLflow reads ----------------------------------------


def points(metrics: Any) -> list[tuple[int, int, str]]:
    """A history as comparable (step, timestamp, value) triples, NaN included, in step order."""
    found = [(int(m.step), int(m.timestamp), repr(float(m.value))) for m in metrics]
    return sorted(found, key=lambda p: (p[0], p[1]))


def mlflow_files(client: MlflowClient, run_id: str, path: str | None = None) -> dict[str, int]:
    found: dict[str, int] = {}
    for entry in client.list_artifacts(run_id, path):
        if entry.is_dir:
            found.update(mlflow_files(client, run_id, entry.path))
        else:
            found[entry.path] = entry.file_size
    return found


def cairn_files(client: CairnClient, run_id: str, path: str | None = None) -> dict[str, int]:
    found: dict[str, int] = {}
    for entry in client.list_artifacts(run_id, path):
        if entry.is_dir:
            found.update(cairn_files(client, run_id, entry.path))
        else:
            found[entry.path] = entry.file_size or 0
    return found


def assert_same(source: MlflowClient, client: CairnClient, report: ImportReport, tmp: Path) -> None:
    """Every experiment, run, param, metric point, tag and artifact of the source is in cairn."""
    recorded = report.source
    for exp in source.search_experiments(view_type=ViewType.ALL):
        mine = client.get_experiment_by_name(exp.name)
        assert mine.lifecycle_stage == exp.lifecycle_stage, exp.name
        if exp.name != "Default":
            assert mine.tags[SOURCE_TAG] == recorded
            assert {k: mine.tags[k] for k in exp.tags} == exp.tags
        if "mlflow.note.content" in exp.tags:
            assert mine.tags["cairn.note.content"] == exp.tags["mlflow.note.content"]
        for run in source.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            theirs = run.info
            copy = client.get_run(report.run_ids[theirs.run_id])
            info = copy.info
            assert info.experiment_id == mine.experiment_id
            assert (info.run_name, info.user_id, info.status) == (
                theirs.run_name, theirs.user_id, theirs.status,
            )  # fmt: skip
            assert (info.start_time, info.end_time) == (theirs.start_time, theirs.end_time)
            assert info.lifecycle_stage == theirs.lifecycle_stage, theirs.run_name
            assert copy.data.params == run.data.params
            expected_tags = {
                **run.data.tags,
                SOURCE_TAG: recorded,
                RUN_ID_TAG: theirs.run_id,
                COMPLETE_TAG: "true",
            }
            for name, cairn_name in UNDERSTOOD.items():
                if name in run.data.tags:
                    expected_tags[cairn_name] = run.data.tags[name]
            if run.data.tags.get("mlflow.source.git.repoURL") == REMOTE:
                expected_tags["cairn.source.git.remote"] = "https://git.example/ml.git"
            if "mlflow.parentRunId" in run.data.tags:
                parent = report.run_ids[run.data.tags["mlflow.parentRunId"]]
                expected_tags["cairn.parentRunId"] = parent
            assert copy.data.tags == expected_tags, theirs.run_name
            assert set(copy.data.metrics) == set(run.data.metrics)
            for key in run.data.metrics:
                mine_history = client.get_metric_history(info.run_id, key)
                theirs_history = source.get_metric_history(theirs.run_id, key)
                assert points(mine_history) == points(theirs_history), (theirs.run_name, key)
            files = mlflow_files(source, theirs.run_id)
            assert cairn_files(client, info.run_id) == files
            if files:
                local = Path(source.download_artifacts(theirs.run_id, "", str(tmp / theirs.run_id)))
                for path in files:
                    assert client.read_artifact(info.run_id, path) == (local / path).read_bytes()


def run_count(client: CairnClient) -> int:
    exps = [e.experiment_id for e in client.search_experiments("all").items]
    return len(client.search_runs(exps, None, "all").items)


def check_import_twice(
    source_uri: str, client: CairnClient, tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> ImportReport:
    """Import, compare everything, import again: nothing copied twice, nothing changed."""
    seen: list[tuple[int, int, str]] = []
    with open_source(source_uri) as src:
        first = import_mlflow(src, client, progress=lambda done, total, label: seen.append(
            (done, total, label)))  # fmt: skip
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ  # put back as it was
    assert seen[0] == (0, 6, "") and seen[-1][:2] == (6, 6)
    assert {label for *_, label in seen[1:]} >= {"vision / sweep", "vision / trial-1"}
    copied = first.copied
    assert (copied.experiments, copied.runs) == (3, 6)
    assert copied.metric_points == 4 * (STEPS + 1) + (STEPS + 1) + 2
    assert (copied.params, copied.artifact_files) == (2 + 1 + 2 + 1, 3)
    assert first.skipped.experiments == 1  # Default is there already
    assert first.deleted == {"experiments": 1, "runs": 1}
    assert first.not_copied == {
        "registered_models": {"count": 1, "reason": "the registry is not available yet"},
        "logged_models": {"count": 1, "reason": "cairn's model format is not available yet"},
        "dataset_inputs": {"count": 1, "reason": "cairn's data versioning is not available yet"},
    }
    source = reader(source_uri, monkeypatch)
    assert_same(source, client, first, tmp / "first")
    before = run_count(client)

    with open_source(source_uri) as src:
        second = import_mlflow(src, client)
    assert asdict(second.copied) == dict.fromkeys(asdict(copied), 0)
    assert asdict(second.skipped) == {**asdict(copied), "experiments": 4}
    assert second.deleted == {"experiments": 0, "runs": 0} and second.completed_runs == 0
    assert second.not_copied == first.not_copied
    assert second.run_ids == first.run_ids
    assert run_count(client) == before == 6
    assert_same(source, client, second, tmp / "second")
    return first


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite source for the tests below, which only read it."""
    folder = tmp_path_factory.mktemp("mlflow-source")
    uri = f"sqlite:///{folder}/mlflow.db"
    build_source(uri, folder / "files", artifact_root=folder / "mlartifacts")
    return uri


# -- the three kinds of source -------------------------------------------------------------------


def test_import_from_an_mlruns_folder(
    client: CairnClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mlruns"
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 writes folders only on request
    build_source(folder.as_uri(), tmp_path / "files")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    report = check_import_twice(str(folder), client, tmp_path, monkeypatch)
    assert report.source == folder.as_uri()


def test_import_from_an_mlflow_sqlite_database(
    client: CairnClient, sqlite_source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = check_import_twice(sqlite_source, client, tmp_path, monkeypatch)
    assert report.source == sqlite_source


def test_import_from_an_mlflow_postgresql_database(
    client: CairnClient, postgres_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cairn.testing.plugin import unique_database_name

    name = unique_database_name()
    uri = postgres_cluster.create_database(name)
    try:
        build_source(uri, tmp_path / "files", artifact_root=tmp_path / "mlartifacts")
        report = check_import_twice(uri, client, tmp_path, monkeypatch)
    finally:
        postgres_cluster.drop_database(name)
    assert report.source.startswith("postgresql+psycopg://") and report.source.endswith(name)


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """A real ``mlflow server`` on 127.0.0.1 with a SQLite store, stopped after the test."""
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
        "--artifacts-destination", str(tmp_path / "server-artifacts"), "--workers", "1",
    ]  # fmt: skip
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts it slowly
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"mlflow server did not start:\n{(tmp_path / 'server.log').read_text()}"
                )
            time.sleep(0.25)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the workers it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.mark.slow
def test_import_from_a_running_mlflow_server(
    client: CairnClient, mlflow_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_source(mlflow_server, tmp_path / "files")
    report = check_import_twice(mlflow_server + "/", client, tmp_path, monkeypatch)
    assert report.source == mlflow_server


# -- partial imports -----------------------------------------------------------------------------


def snapshot(client: CairnClient) -> tuple[Any, ...]:
    exps = client.search_experiments("all").items
    runs = client.search_runs([e.experiment_id for e in exps], None, "all").items
    return tuple(exps), tuple(runs), client.store.audit.head()


def test_dry_run_counts_what_would_be_copied_and_writes_nothing(
    client: CairnClient, sqlite_source: str
) -> None:
    before = snapshot(client)
    with open_source(sqlite_source) as src:
        planned = import_mlflow(src, client, dry_run=True)
    assert snapshot(client) == before
    assert planned.dry_run and planned.run_ids == {}
    with open_source(sqlite_source) as src:
        done = import_mlflow(src, client)
    assert planned.copied == done.copied
    assert planned.deleted == done.deleted and planned.not_copied == done.not_copied


def test_only_the_named_experiments(client: CairnClient, sqlite_source: str) -> None:
    with open_source(sqlite_source) as src:
        report = import_mlflow(src, client, experiments=["nlp"])
    assert (report.copied.experiments, report.copied.runs) == (1, 1)
    assert client.find_experiment_by_name("vision") is None
    bert = client.get_run(next(iter(report.run_ids.values())))
    assert bert.info.run_name == "bert" and bert.info.status == "RUNNING"
    assert len(client.get_metric_history(bert.info.run_id, "perplexity")) == STEPS + 1


def test_an_unknown_experiment_name_changes_nothing(
    client: CairnClient, sqlite_source: str
) -> None:
    before = snapshot(client)
    with open_source(sqlite_source) as src, pytest.raises(NotFound, match="Did you mean 'vision'"):
        import_mlflow(src, client, experiments=["nlp", "visoin"])
    assert snapshot(client) == before


def test_an_experiment_deleted_in_cairn_is_not_written_to(
    client: CairnClient, sqlite_source: str
) -> None:
    client.delete_experiment(client.create_experiment("nlp"))
    before = snapshot(client)
    with open_source(sqlite_source) as src, pytest.raises(InvalidState, match="restore it"):
        import_mlflow(src, client)
    assert snapshot(client) == before


def test_an_existing_experiment_of_the_same_name_receives_the_runs(
    client: CairnClient, sqlite_source: str
) -> None:
    nlp = client.create_experiment("nlp", tags={"mine": "yes"})
    native = client.create_run(nlp, run_name="native").info.run_id
    with open_source(sqlite_source) as src:
        report = import_mlflow(src, client)
    assert report.skipped.experiments == 2  # Default and nlp
    runs = client.search_runs(nlp).items
    assert {r.info.run_name for r in runs} == {"native", "bert"}
    assert client.get_experiment(nlp).tags == {"mine": "yes"}
    assert client.get_run(native).data.tags == {}


def test_an_interrupted_import_is_finished_by_the_next(
    client: CairnClient, sqlite_source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop_after_two(done: int, total: int, label: str) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with open_source(sqlite_source) as src, pytest.raises(KeyboardInterrupt):
        import_mlflow(src, client, progress=stop_after_two)
    assert run_count(client) == 2
    with open_source(sqlite_source) as src:
        report = import_mlflow(src, client)
    assert (report.skipped.runs, report.copied.runs, report.completed_runs) == (2, 4, 0)
    assert run_count(client) == 6
    assert_same(reader(sqlite_source, monkeypatch), client, report, tmp_path / "cmp")


def test_a_half_copied_run_is_completed_not_duplicated(
    client: CairnClient, sqlite_source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a crash in the middle of 'crash' leaves: the run, its marks, params, part of 'loss'."""
    source = reader(sqlite_source, monkeypatch)
    crash = source.search_runs(
        [source.get_experiment_by_name("vision").experiment_id], "attributes.run_name = 'crash'"
    )[0]
    with open_source(sqlite_source) as src:
        recorded = src.recorded
        first = import_mlflow(src, client, experiments=["vision"])
    # Replace the complete copy of 'crash' with a half-copied one.
    copy_id = first.run_ids[crash.info.run_id]
    exp_id = client.get_run(copy_id).info.experiment_id
    client.delete_run(copy_id)
    client.store.runs.purge_run(copy_id)
    half = client.create_run(
        exp_id, start_time=crash.info.start_time, run_name="crash", user_id=crash.info.user_id,
        tags={SOURCE_TAG: recorded, RUN_ID_TAG: crash.info.run_id},
    ).info.run_id  # fmt: skip
    client.log_param(half, "lr", "0.5")
    loss = sorted(
        source.get_metric_history(crash.info.run_id, "loss"), key=lambda m: (m.step, m.timestamp)
    )
    client.log_batch(
        half, metrics=[Metric("loss", m.value, m.timestamp, m.step) for m in loss[:120]]
    )

    with open_source(sqlite_source) as src:
        report = import_mlflow(src, client, experiments=["vision"])
    assert report.completed_runs == 1 and report.copied.runs == 1
    assert report.copied.metric_points == len(loss) - 120
    assert report.run_ids[crash.info.run_id] == half
    copy = client.get_run(half)
    assert copy.info.status == "FAILED" and copy.data.tags[COMPLETE_TAG] == "true"
    assert points(client.get_metric_history(half, "loss")) == points(loss)
    assert copy.data.params == crash.data.params


def test_a_source_path_with_a_quote_is_found_again(
    client: CairnClient, sqlite_source: str, tmp_path: Path
) -> None:
    copy = tmp_path / "ann's runs" / "mlflow.db"
    copy.parent.mkdir()
    shutil.copyfile(sqlite_source.removeprefix("sqlite:///"), copy)
    with open_source(f"sqlite:///{copy}") as src:
        assert import_mlflow(src, client).copied.runs == 6
    with open_source(f"sqlite:///{copy}") as src:
        again = import_mlflow(src, client)
    assert (again.copied.runs, again.skipped.runs) == (0, 6)


def test_a_deleted_experiment_keeps_its_runs_restorable(
    client: CairnClient, sqlite_source: str
) -> None:
    with open_source(sqlite_source) as src:
        import_mlflow(src, client)
    old = client.get_experiment_by_name("old")
    assert old.lifecycle_stage == "deleted"
    client.restore_experiment(old.experiment_id)
    (legacy,) = client.search_runs(old.experiment_id).items
    assert legacy.info.run_name == "legacy" and legacy.info.status == "KILLED"
    # The import's experiments follow MLflow's lifecycle: the next import deletes it again.
    with open_source(sqlite_source) as src:
        again = import_mlflow(src, client)
    assert again.deleted == {"experiments": 1, "runs": 0} and again.copied.runs == 0
    assert client.get_experiment(old.experiment_id).lifecycle_stage == "deleted"


# -- bad sources ---------------------------------------------------------------------------------


def test_bad_sources_are_refused_before_anything_is_touched(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mlruns"
    with pytest.raises(ConfigError, match="does not exist"):
        parse_source(str(missing))
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="not an MLflow mlruns folder"):
        parse_source(empty.as_uri())
    assert list(empty.iterdir()) == []
    (empty / "mlruns" / "0").mkdir(parents=True)
    (empty / "mlruns" / "0" / "meta.yaml").write_text("name: Default\n")
    with pytest.raises(ConfigError, match="did you mean .*mlruns"):
        parse_source(str(empty))
    with pytest.raises(ConfigError, match="does not exist"):
        parse_source(f"sqlite:///{tmp_path}/absent.db")
    assert not (tmp_path / "absent.db").exists()
    (tmp_path / "notes.db").write_text("not a database")
    with pytest.raises(ConfigError, match=r"sqlite:///.*notes\.db"):
        parse_source(str(tmp_path / "notes.db"))
    with pytest.raises(ConfigError, match="is not a SQLite database"):
        parse_source(f"sqlite:///{tmp_path}/notes.db")
    with closing(sqlite3.connect(tmp_path / "other.db")) as other:
        other.execute("CREATE TABLE runs (id INTEGER)")
    with pytest.raises(ConfigError, match="is not an MLflow database"):
        parse_source(f"sqlite:///{tmp_path}/other.db")
    with pytest.raises(ConfigError, match="an mlruns folder .* an MLflow database .* server"):
        parse_source("s3://bucket/mlruns")
    with pytest.raises(ConfigError, match="Databricks"):
        parse_source("databricks")


def test_an_unreachable_server_is_reported_quickly() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    began = time.monotonic()
    with (
        pytest.raises(ConfigError, match=f"cannot reach the MLflow server at {url}"),
        open_source(url),
    ):
        pass
    assert time.monotonic() - began < 20


def test_sources_are_recorded_without_credentials(tmp_path: Path) -> None:
    assert parse_source("http://ann:secret@MLflow.example:5000/").recorded == (
        "http://mlflow.example:5000"
    )
    assert parse_source("https://mlflow.example/prefix").recorded == "https://mlflow.example/prefix"


def test_a_missing_mlflow_package_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with (
        pytest.raises(ConfigError, match=r"pip install 'cairn\[mlflow\]'"),
        open_source("http://127.0.0.1:1"),
    ):
        pass
