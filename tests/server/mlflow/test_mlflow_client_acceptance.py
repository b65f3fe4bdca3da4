"""Acceptance: the unmodified MLflow client against ``cairn server``.

MLflow's client, configured only through ``MLFLOW_TRACKING_URI``, runs a typical script and
every value reads back equal through MLflow's client and cairn's; then cairn's client writes
and MLflow's client reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cairn import CairnClient
from cairn.entities import Metric, Param, RunTag

# MLflow's model signature inference warns about its own ``Any`` type hints.
pytestmark = pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")


X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.2, 0.7]])
Y = np.array([0, 1, 1, 1, 0, 0])
T0 = 1_700_000_000_000
LOSS = [(step, 1.0 / (step + 1), T0 + 10 * step) for step in range(5)]  # (step, value, time)
PARAMS = {"alpha": "0.5", "solver": "lbfgs", "C": "1.0", "batch.size": "32"}
TAGS = {"team": "ml", "stage": "dev", "batch.tag": "yes"}
FILES = {
    "notes.txt": b"hello",
    "folder/b.txt": b"world",
    "folder/sub/c.bin": bytes(range(256)) * 40,
}


def _write_tree(root: Path) -> Path:
    for rel, data in FILES.items():
        if rel.startswith("folder/"):
            target = root / "tree" / rel.removeprefix("folder/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    (root / "notes.txt").write_bytes(FILES["notes.txt"])
    return root


def _history(points) -> list[tuple[int, float, int]]:
    return [(m.step, m.value, m.timestamp) for m in points]


def _walk(client, run_id: str, path: str | None = None) -> dict[str, int | None]:
    found = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found.update(_walk(client, run_id, info.path))
        else:
            found[info.path] = info.file_size
    return found


@pytest.mark.slow  # MLflow's log_model infers the environment in a subprocess
def test_mlflow_client_script_reads_back_equal_through_both_clients(
    mlflow_server, mlflow_tracking, cairn_project
):
    import mlflow
    import mlflow.sklearn
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.entities import Param as MlflowParam
    from mlflow.entities import RunTag as MlflowTag
    from sklearn.linear_model import LogisticRegression

    local = _write_tree(cairn_project)
    experiment_id = mlflow.set_experiment("acceptance").experiment_id
    model = LogisticRegression().fit(X, Y)
    with mlflow.start_run(run_name="first", description="a note") as active:
        run_id = active.info.run_id
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"solver": "lbfgs", "C": 1.0})
        for step, value, timestamp in LOSS:
            mlflow.log_metric("loss", value, step=step, timestamp=timestamp)
        mlflow.set_tags({"team": "ml", "stage": "dev"})
        mlflow.MlflowClient().log_batch(
            run_id,
            metrics=[MlflowMetric("acc", 0.75, T0 + 100, 4), MlflowMetric("acc", 0.9, T0 + 200, 5)],
            params=[MlflowParam("batch.size", "32")],
            tags=[MlflowTag("batch.tag", "yes")],
        )
        mlflow.log_artifact(str(local / "notes.txt"))
        mlflow.log_artifacts(str(local / "tree"), artifact_path="folder")
        model_info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
        dataset = mlflow.data.from_numpy(X, targets=Y, name="tiny")
        mlflow.log_input(dataset, context="training")
    with mlflow.start_run(run_name="second"):
        mlflow.log_param("alpha", 0.1)
        mlflow.set_tag("team", "ml")

    client = mlflow.MlflowClient()
    expected_latest = {"loss": LOSS[-1][1], "acc": 0.9}
    expected_histories = {"loss": LOSS, "acc": [(4, 0.75, T0 + 100), (5, 0.9, T0 + 200)]}

    # -- MLflow's client reads ------------------------------------------------------------------
    seen = client.get_run(run_id)
    assert seen.info.run_name == "first"
    assert seen.info.status == "FINISHED"
    assert seen.info.start_time > 0 and seen.info.end_time >= seen.info.start_time
    assert seen.data.params == PARAMS
    assert seen.data.metrics == expected_latest
    assert {k: v for k, v in seen.data.tags.items() if not k.startswith("mlflow.")} == TAGS
    assert seen.data.tags["mlflow.runName"] == "first"
    assert seen.data.tags["mlflow.note.content"] == "a note"
    assert seen.data.tags["mlflow.source.type"] == "LOCAL"
    for key, points in expected_histories.items():
        assert _history(client.get_metric_history(run_id, key)) == points
    found = mlflow.search_runs(
        [experiment_id],
        filter_string="params.alpha = '0.5' and tags.team = 'ml'",
        output_format="list",
    )
    assert [r.info.run_id for r in found] == [run_id]
    by_name = mlflow.search_runs(
        [experiment_id], filter_string="tags.mlflow.runName = 'second'", output_format="list"
    )
    assert [r.info.run_name for r in by_name] == ["second"]
    assert _walk(client, run_id) == {rel: len(data) for rel, data in FILES.items()}
    downloaded = Path(client.download_artifacts(run_id, "", str(cairn_project / "dl")))
    for rel, data in FILES.items():
        assert (downloaded / rel).read_bytes() == data
    loaded = mlflow.sklearn.load_model(model_info.model_uri)
    assert (loaded.predict(X) == model.predict(X)).all()
    by_run = mlflow.sklearn.load_model(f"runs:/{run_id}/model")
    assert (by_run.predict(X) == model.predict(X)).all()
    assert [o.model_id for o in seen.outputs.model_outputs] == [model_info.model_id]
    [read] = seen.inputs.dataset_inputs
    assert (read.dataset.name, read.dataset.digest) == ("tiny", dataset.digest)
    assert (read.dataset.schema, read.dataset.profile) == (
        dataset.to_dict()["schema"],
        dataset.to_dict()["profile"],
    )
    assert {t.key: t.value for t in read.tags} == {"mlflow.data.context": "training"}

    # -- cairn's client reads the same run ------------------------------------------------------
    cairn = CairnClient(tracking_uri=mlflow_server.store_uri)
    mine = cairn.get_run(run_id)
    assert mine.info.run_name == "first"
    assert (mine.info.status, mine.info.start_time, mine.info.end_time) == (
        seen.info.status,
        seen.info.start_time,
        seen.info.end_time,
    )
    assert mine.info.user_id == seen.info.user_id
    assert mine.data.params == PARAMS
    assert mine.data.metrics == expected_latest
    assert {k: v for k, v in mine.data.tags.items() if not k.startswith("cairn.")} == TAGS
    assert mine.data.tags["cairn.note.content"] == "a note"
    assert mine.data.tags["cairn.source.type"] == "SCRIPT"
    for key, points in expected_histories.items():
        assert _history(cairn.get_metric_history(run_id, key)) == points
    assert _walk(cairn, run_id) == {rel: len(data) for rel, data in FILES.items()}
    for rel, data in FILES.items():
        assert cairn.read_artifact(run_id, rel) == data
    [logged] = cairn.store.logged_models.search_logged_models([experiment_id]).items
    assert (logged.model_id, logged.name, logged.source_run_id, logged.status) == (
        model_info.model_id,
        "model",
        run_id,
        "READY",
    )
    assert Path(logged.artifact_location, "MLmodel").is_file()
    io = cairn.store.run_io.get_run_io(run_id)
    assert [o.model_id for o in io.model_outputs] == [logged.model_id]
    [stored] = io.datasets
    assert (stored.name, stored.digest, stored.source_type, stored.source) == (
        read.dataset.name,
        read.dataset.digest,
        read.dataset.source_type,
        read.dataset.source,
    )
    assert (stored.schema, stored.profile, stored.tags) == (
        read.dataset.schema,
        read.dataset.profile,
        {"mlflow.data.context": "training"},
    )


def test_cairn_client_writes_and_mlflow_client_reads(mlflow_server, mlflow_tracking, cairn_project):
    import mlflow

    local = _write_tree(cairn_project)
    cairn = CairnClient(tracking_uri=mlflow_server.store_uri)
    experiment_id = cairn.create_experiment("from-cairn", tags={"owner": "ann"})
    run = cairn.create_run(
        experiment_id,
        start_time=T0,
        run_name="native",
        tags={
            "team": "ml",
            "cairn.note.content": "written by cairn",
            "cairn.source.type": "SCRIPT",
        },
        user_id="ann",
    )
    run_id = run.info.run_id
    cairn.log_batch(
        run_id,
        metrics=[Metric("loss", value, timestamp, step) for step, value, timestamp in LOSS],
        params=[Param(k, v) for k, v in PARAMS.items()],
        tags=[RunTag("stage", "dev"), RunTag("batch.tag", "yes")],
    )
    cairn.log_metric(run_id, "acc", float("nan"), timestamp=T0 + 300, step=1)
    cairn.log_artifact(run_id, local / "notes.txt")
    cairn.log_artifacts(run_id, local / "tree", "folder")
    child = cairn.create_run(
        experiment_id, start_time=T0 + 1, run_name="child", parent_run_id=run_id
    )
    cairn.set_terminated(child.info.run_id, "FINISHED", end_time=T0 + 400)
    cairn.set_terminated(run_id, "FAILED", end_time=T0 + 500)

    client = mlflow.MlflowClient()
    seen = client.get_run(run_id)
    assert (seen.info.run_name, seen.info.status, seen.info.user_id) == ("native", "FAILED", "ann")
    assert (seen.info.start_time, seen.info.end_time) == (T0, T0 + 500)
    assert seen.data.params == PARAMS
    assert seen.data.metrics["loss"] == LOSS[-1][1]
    assert np.isnan(seen.data.metrics["acc"])
    user_tags = {k: v for k, v in seen.data.tags.items() if not k.startswith("mlflow.")}
    assert user_tags == TAGS
    assert seen.data.tags["mlflow.note.content"] == "written by cairn"
    assert seen.data.tags["mlflow.source.type"] == "LOCAL"
    assert seen.data.tags["mlflow.runName"] == "native"
    assert _history(client.get_metric_history(run_id, "loss")) == LOSS
    [nan_point] = client.get_metric_history(run_id, "acc")
    assert np.isnan(nan_point.value) and (nan_point.step, nan_point.timestamp) == (1, T0 + 300)
    assert client.get_experiment(experiment_id).tags == {"owner": "ann"}
    assert mlflow.get_experiment_by_name("from-cairn").experiment_id == experiment_id
    children = mlflow.search_runs(
        [experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'", output_format="list"
    )
    assert [(r.info.run_name, r.info.end_time) for r in children] == [("child", T0 + 400)]
    ordered = mlflow.search_runs([experiment_id], order_by=["tags.mlflow.runName ASC"])
    assert list(ordered["tags.mlflow.runName"]) == ["child", "native"]
    assert _walk(client, run_id) == {rel: len(data) for rel, data in FILES.items()}
    downloaded = Path(client.download_artifacts(run_id, "folder", str(cairn_project / "dl")))
    assert (downloaded / "sub" / "c.bin").read_bytes() == FILES["folder/sub/c.bin"]
    assert (downloaded / "b.txt").read_bytes() == FILES["folder/b.txt"]
