"""MLflow's run endpoints over HTTP: system tags, lifecycle, search, and bad input."""

from __future__ import annotations

import pytest
from mlflow_support import assert_error, changes_nothing

T0 = 1_700_000_000_000
MLFLOW_TAGS = {
    "mlflow.user": "ann",
    "mlflow.source.name": "train.py",
    "mlflow.source.type": "LOCAL",
    "mlflow.source.git.commit": "abc123",
    "mlflow.source.git.branch": "main",
    "mlflow.source.git.repoURL": "https://example.com/repo.git",
    "mlflow.note.content": "a note",
    "team": "ml",
}


def _pairs(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def test_a_run_from_mlflows_client_is_stored_as_cairn_stores_runs(mlflow_server):
    server = mlflow_server
    experiment_id = server.new_experiment()
    parent = server.new_run(experiment_id)
    sent = {**MLFLOW_TAGS, "mlflow.runName": "child", "mlflow.parentRunId": parent}
    body = {
        "experiment_id": experiment_id,
        "user_id": "ann",
        "start_time": T0,
        "tags": _pairs(sent),
    }
    run = server.ok(server.post("runs/create", body))["run"]
    run_id = run["info"]["run_id"]
    assert run["info"] == {
        "run_uuid": run_id,
        "experiment_id": experiment_id,
        "run_name": "child",
        "user_id": "ann",
        "status": "RUNNING",
        "start_time": T0,
        "artifact_uri": f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
        "lifecycle_stage": "active",
        "run_id": run_id,
    }
    assert {t["key"]: t["value"] for t in run["data"]["tags"]} == sent
    stored = server.store.runs.get_run(run_id)
    assert (stored.info.run_name, stored.info.user_id) == ("child", "ann")
    assert stored.data.tags == {
        "cairn.user": "ann",
        "cairn.source.name": "train.py",
        "cairn.source.type": "SCRIPT",
        "cairn.source.git.commit": "abc123",
        "cairn.source.git.branch": "main",
        "cairn.source.git.remote": "https://example.com/repo.git",
        "cairn.note.content": "a note",
        "cairn.parentRunId": parent,
        "team": "ml",
    }
    children = server.store.runs.search_runs(
        [experiment_id], f"tags.cairn.parentRunId = '{parent}'"
    )
    assert [r.info.run_id for r in children] == [run_id]
    again = server.ok(server.get("runs/get", run_uuid=run_id))["run"]
    assert again["info"] == run["info"]
    assert {t["key"]: t["value"] for t in again["data"]["tags"]} == sent


def test_run_name_field_wins_when_the_tag_agrees_and_is_refused_when_not(mlflow_server):
    server = mlflow_server
    experiment_id = server.new_experiment()
    same = {
        "experiment_id": experiment_id,
        "run_name": "a",
        "tags": _pairs({"mlflow.runName": "a"}),
    }
    assert server.ok(server.post("runs/create", same))["run"]["info"]["run_name"] == "a"
    with changes_nothing(server.store):
        differ = {**same, "run_name": "b"}
        assert_error(server.post("runs/create", differ), 400, "INVALID_PARAMETER_VALUE", "differ")


def test_update_delete_and_restore_as_mlflow_does(mlflow_server):
    server = mlflow_server
    run_id = server.new_run(server.new_experiment())
    body = {"run_id": run_id, "status": "FINISHED", "end_time": T0 + 5, "run_name": "done"}
    info = server.ok(server.post("runs/update", body))["run_info"]
    assert (info["status"], info["end_time"], info["run_name"]) == ("FINISHED", T0 + 5, "done")
    by_number = server.ok(server.post("runs/update", {"run_uuid": run_id, "status": 4}))
    assert by_number["run_info"]["status"] == "FAILED"
    for _ in range(2):  # deleting (or restoring) twice is fine, as in MLflow
        assert server.ok(server.post("runs/delete", {"run_id": run_id})) == {}
    assert server.store.runs.get_run(run_id).info.lifecycle_stage == "deleted"
    for _ in range(2):
        assert server.ok(server.post("runs/restore", {"run_id": run_id})) == {}
    assert server.store.runs.get_run(run_id).info.lifecycle_stage == "active"


def _searched(server, **body) -> list[str]:
    return [
        r["info"]["run_name"] for r in server.ok(server.post("runs/search", body)).get("runs", [])
    ]


def test_search_runs_translates_mlflows_tags_pages_and_views(mlflow_server):
    server = mlflow_server
    experiment_id = server.new_experiment()
    for i, name in enumerate(["a", "b", "c"]):
        run_id = server.new_run(experiment_id, run_name=name, start_time=T0 + i)
        batch = {
            "run_id": run_id,
            "metrics": [{"key": "acc", "value": i / 10, "timestamp": T0, "step": 0}],
            "params": [{"key": "depth", "value": str(i)}],
            "tags": [{"key": "mlflow.source.type", "value": "LOCAL" if i else "NOTEBOOK"}],
        }
        server.ok(server.post("runs/log-batch", batch))
    ids = [experiment_id]
    assert _searched(server, experiment_ids=ids) == ["c", "b", "a"]  # newest first
    assert _searched(server, experiment_ids=ids, filter="metrics.acc > 0.05") == ["c", "b"]
    assert _searched(server, experiment_ids=ids, filter="tags.mlflow.runName = 'b'") == ["b"]
    local = "tags.`mlflow.source.type` = 'LOCAL'"
    assert _searched(server, experiment_ids=ids, filter=local) == ["c", "b"]
    ordered = _searched(server, experiment_ids=ids, order_by=["tags.mlflow.runName ASC"])
    assert ordered == ["a", "b", "c"]
    assert _searched(server, experiment_ids=ids, order_by=["params.depth DESC"]) == ["c", "b", "a"]
    names, token = [], None
    while True:
        page = server.ok(
            server.post(
                "runs/search", {"experiment_ids": ids, "max_results": 2, "page_token": token}
            )
        )
        names += [r["info"]["run_name"] for r in page["runs"]]
        token = page.get("next_page_token")
        if token is None:
            break
    assert names == ["c", "b", "a"]
    run_b = server.store.runs.search_runs(ids, "attributes.run_name = 'b'")[0].info.run_id
    server.ok(server.post("runs/delete", {"run_id": run_b}))
    assert _searched(server, experiment_ids=ids) == ["c", "a"]
    assert _searched(server, experiment_ids=ids, run_view_type="DELETED_ONLY") == ["b"]
    assert _searched(server, experiment_ids=ids, run_view_type=3) == ["c", "b", "a"]
    assert server.ok(server.post("runs/search", {})) == {}


def test_get_run_carries_latest_points_with_their_steps_and_times(mlflow_server):
    server = mlflow_server
    run_id = server.new_run(server.new_experiment())
    points = [
        {"key": "loss", "value": 0.5, "timestamp": T0 + 1, "step": 1},
        {"key": "loss", "value": 0.25, "timestamp": T0 + 2, "step": 2},
        {"key": "odd", "value": "NaN", "timestamp": T0 + 3, "step": 0},
        {"key": "big", "value": "-Infinity", "timestamp": T0 + 4, "step": 0},
    ]
    server.ok(server.post("runs/log-batch", {"run_id": run_id, "metrics": points}))
    metrics = server.ok(server.get("runs/get", run_id=run_id))["run"]["data"]["metrics"]
    assert sorted(metrics, key=lambda m: m["key"]) == [points[3], points[1], points[2]]


@pytest.mark.parametrize(
    ("endpoint", "body", "status", "code", "words"),
    [
        ("runs/create", {"experiment_id": "99"}, 404, "RESOURCE_DOES_NOT_EXIST", ["99"]),
        ("runs/create", {"experiment_id": "x"}, 400, "INVALID_PARAMETER_VALUE", ["'x'"]),
        ("runs/create", {"experiment_id": "0", "start_time": "soon"}, 400, "INVALID_PARAMETER_VALUE", ["start_time"]),
        ("runs/create", {"experiment_id": "0", "run_name": "n" * 251}, 400, "INVALID_PARAMETER_VALUE", ["run name"]),
        ("runs/create", {"experiment_id": "0", "tags": [{"key": "mlflow.parentRunId", "value": "f" * 32}]}, 404, "RESOURCE_DOES_NOT_EXIST", ["fff"]),
        ("runs/create", {"experiment_id": "0", "tags": [{"key": "t", "value": "v" * 8001}]}, 400, "INVALID_PARAMETER_VALUE", ["8001"]),
        ("runs/update", {"status": "FINISHED"}, 400, "INVALID_PARAMETER_VALUE", ["'run_id'"]),
        ("runs/update", {"run_id": "0" * 32, "status": "FINISHED"}, 404, "RESOURCE_DOES_NOT_EXIST", []),
        ("runs/update", {"run_id": "RUN", "status": "DONE"}, 400, "INVALID_PARAMETER_VALUE", ["'status'"]),
        ("runs/delete", {"run_id": "0" * 32}, 404, "RESOURCE_DOES_NOT_EXIST", []),
        ("runs/delete", {"run_uuid": "0" * 32}, 400, "INVALID_PARAMETER_VALUE", ["'run_id'"]),
        ("runs/restore", {"run_id": "no"}, 400, "INVALID_PARAMETER_VALUE", ["'no'"]),
        ("runs/search", {"experiment_ids": ["0"], "filter": "metrics.acc > 'x'"}, 400, "INVALID_PARAMETER_VALUE", ["metrics.acc"]),
        ("runs/search", {"experiment_ids": ["0"], "max_results": 50_001}, 400, "INVALID_PARAMETER_VALUE", ["50001"]),
        ("runs/search", {"experiment_ids": ["0"], "run_view_type": "EVERY"}, 400, "INVALID_PARAMETER_VALUE", ["run_view_type"]),
        ("runs/search", {"experiment_ids": ["0"], "page_token": "%%%"}, 400, "INVALID_PARAMETER_VALUE", ["page token"]),
        ("runs/search", {"experiment_ids": ["0"], "order_by": ["tags.x SIDEWAYS"]}, 400, "INVALID_PARAMETER_VALUE", ["SIDEWAYS"]),
        ("runs/search", {"experiment_ids": ["nope"]}, 400, "INVALID_PARAMETER_VALUE", ["'nope'"]),
    ],
)  # fmt: skip
def test_bad_run_requests_get_mlflows_error_and_change_nothing(
    mlflow_server, endpoint, body, status, code, words
):
    with changes_nothing(mlflow_server.store):
        assert_error(mlflow_server.post(endpoint, body), status, code, *words)


def test_runs_of_deleted_experiments_and_unknown_runs(mlflow_server):
    server = mlflow_server
    experiment_id = server.new_experiment()
    server.ok(server.post("experiments/delete", {"experiment_id": experiment_id}))
    with changes_nothing(server.store):
        refused = server.post("runs/create", {"experiment_id": experiment_id})
        assert_error(refused, 400, "INVALID_PARAMETER_VALUE", "deleted")
        assert_error(server.get("runs/get"), 400, "INVALID_PARAMETER_VALUE", "'run_id'")
        assert_error(server.get("runs/get", run_id="xyz"), 400, "INVALID_PARAMETER_VALUE", "xyz")
        assert_error(server.get("runs/get", run_id="a" * 32), 404, "RESOURCE_DOES_NOT_EXIST")
