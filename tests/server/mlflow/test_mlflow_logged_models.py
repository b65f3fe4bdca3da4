"""MLflow 3's logged-model endpoints over HTTP: lifecycle, search, and bad input."""

from __future__ import annotations

import pytest
from mlflow_support import assert_error, changes_nothing

T0 = 1_700_000_000_000
MODELS = "/api/2.0/mlflow/logged-models"


@pytest.fixture
def experiment(mlflow_server) -> str:
    return mlflow_server.new_experiment()


def _create(server, experiment_id: str, **fields) -> dict:
    body = {"experiment_id": experiment_id, **fields}
    return server.ok(server.http.post(MODELS, json=body))["model"]


def _get(server, model_id: str, **params) -> dict:
    return server.ok(server.http.get(f"{MODELS}/{model_id}", params=params))["model"]


def test_a_logged_model_from_create_to_delete(mlflow_server, experiment):
    server = mlflow_server
    run_id = server.new_run(experiment)
    model = _create(
        server,
        experiment,
        name="clf",
        model_type="sklearn",
        source_run_id=run_id,
        params=[{"key": "C", "value": "1.0"}],
        tags=[{"key": "mlflow.user", "value": "ann"}],
    )
    info, model_id = model["info"], model["info"]["model_id"]
    stored = server.store.logged_models.get_logged_model(model_id)
    assert info == {
        "model_id": model_id,
        "experiment_id": experiment,
        "name": "clf",
        "creation_timestamp_ms": stored.creation_time,
        "last_updated_timestamp_ms": stored.last_update_time,
        "artifact_uri": f"mlflow-artifacts:/{experiment}/models/{model_id}/artifacts",
        "status": "LOGGED_MODEL_PENDING",
        "model_type": "sklearn",
        "source_run_id": run_id,
        "tags": [{"key": "mlflow.user", "value": "ann"}],
    }
    assert model["data"] == {"params": [{"key": "C", "value": "1.0"}]}
    assert (
        stored.artifact_location
        == f"{server.artifact_root}/{experiment}/models/{model_id}/artifacts"
    )
    done = server.ok(
        server.http.patch(
            f"{MODELS}/{model_id}", json={"model_id": model_id, "status": "LOGGED_MODEL_READY"}
        )
    )
    assert done["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    server.ok(
        server.http.patch(
            f"{MODELS}/{model_id}/tags", json={"tags": [{"key": "stage", "value": "prod"}]}
        )
    )
    server.ok(
        server.http.post(
            f"{MODELS}/{model_id}/params", json={"params": [{"key": "solver", "value": "lbfgs"}]}
        )
    )
    server.ok(server.http.delete(f"{MODELS}/{model_id}/tags/mlflow.user"))
    got = _get(server, model_id)
    assert got["info"]["tags"] == [{"key": "stage", "value": "prod"}]
    assert got["data"]["params"] == [
        {"key": "C", "value": "1.0"},
        {"key": "solver", "value": "lbfgs"},
    ]
    for _ in range(2):  # deleting twice is fine, as in MLflow
        assert server.ok(server.http.delete(f"{MODELS}/{model_id}")) == {}
    assert_error(server.http.get(f"{MODELS}/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert _get(server, model_id, allow_deleted="true")["info"]["model_id"] == model_id
    assert (
        server.ok(server.http.post(f"{MODELS}/search", json={"experiment_ids": [experiment]})) == {}
    )
    actions = [e.action for e in server.store.audit.list_events(entity=f"logged_model:{model_id}")]
    assert actions == [
        "logged_model.create",
        "logged_model.finalize",
        "logged_model.set_tags",
        "logged_model.log_params",
        "logged_model.delete_tag",
        "logged_model.delete",
    ]


def _names(server, **body) -> list[str]:
    found = server.ok(server.http.post(f"{MODELS}/search", json=body))
    return [m["info"]["name"] for m in found.get("models", [])]


def test_search_filters_orders_and_pages(mlflow_server, experiment):
    server = mlflow_server
    run_id = server.new_run(experiment)
    for i, name in enumerate(["a", "b", "c"]):
        model_id = _create(
            server, experiment, name=name, tags=[{"key": "team", "value": "ml" if i else "cv"}]
        )["info"]["model_id"]
        server.store.logged_models.log_logged_model_params(model_id, {"depth": str(i)})
        metric = {
            "key": "acc",
            "value": i / 10,
            "timestamp": T0,
            "step": 0,
            "model_id": model_id,
            "dataset_name": "val" if i < 2 else "test",
        }
        server.ok(server.post("runs/log-metric", {"run_id": run_id, **metric}))
    ids = [experiment]
    assert _names(server, experiment_ids=ids) == ["c", "b", "a"]  # newest first
    assert _names(server, experiment_ids=ids, filter="name = 'b'") == ["b"]
    assert _names(
        server, experiment_ids=ids, filter="tags.team = 'ml' AND params.depth != '1'"
    ) == ["c"]
    assert _names(server, experiment_ids=ids, filter="metrics.acc >= 0.1") == ["c", "b"]
    on_val = {
        "experiment_ids": ids,
        "filter": "metrics.acc >= 0.1",
        "datasets": [{"dataset_name": "val"}],
    }
    assert _names(server, **on_val) == ["b"]
    by_metric = [{"field_name": "metrics.acc", "ascending": True}]
    assert _names(server, experiment_ids=ids, order_by=by_metric) == ["a", "b", "c"]
    by_name = [{"field_name": "name", "ascending": False}]
    assert _names(server, experiment_ids=ids, order_by=by_name, filter="name LIKE '%'") == [
        "c",
        "b",
        "a",
    ]
    pages, token = [], None
    while True:
        body = {"experiment_ids": ids, "max_results": 2, "page_token": token}
        page = server.ok(server.http.post(f"{MODELS}/search", json=body))
        pages.append([m["info"]["name"] for m in page["models"]])
        token = page.get("next_page_token")
        if token is None:
            break
    assert pages == [["c", "b"], ["a"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "words"),
    [
        ("POST", "", {"name": "x"}, 400, "INVALID_PARAMETER_VALUE", ["'experiment_id'"]),
        ("POST", "", {"experiment_id": "99"}, 404, "RESOURCE_DOES_NOT_EXIST", ["99"]),
        ("POST", "", {"experiment_id": "E", "source_run_id": "0" * 32}, 404, "RESOURCE_DOES_NOT_EXIST", []),
        ("POST", "", {"experiment_id": "E", "tags": [{"key": "bad!", "value": "v"}]}, 400, "INVALID_PARAMETER_VALUE", ["bad!"]),
        ("POST", "", {"experiment_id": "E", "name": "n" * 257}, 400, "INVALID_PARAMETER_VALUE", ["257"]),
        ("GET", "/m-nope", None, 400, "INVALID_PARAMETER_VALUE", ["m-nope"]),
        ("GET", "/m-" + "0" * 32, None, 404, "RESOURCE_DOES_NOT_EXIST", []),
        ("PATCH", "/M", {"status": "DONE"}, 400, "INVALID_PARAMETER_VALUE", ["'status'"]),
        ("PATCH", "/M", {}, 400, "INVALID_PARAMETER_VALUE", ["'status'"]),
        ("PATCH", "/M", {"model_id": "m-" + "1" * 32, "status": 2}, 400, "INVALID_PARAMETER_VALUE", ["differs"]),
        ("PATCH", "/M/tags", {"tags": [{"key": "k"}]}, 400, "INVALID_PARAMETER_VALUE", ["'tags[0].value'"]),
        ("DELETE", "/M/tags/absent", None, 404, "RESOURCE_DOES_NOT_EXIST", ["absent"]),
        ("POST", "/M/params", {"params": [{"key": "C", "value": "2"}]}, 400, "INVALID_PARAMETER_VALUE", ["immutable"]),
        ("POST", "/search", {"experiment_ids": ["E"], "filter": "colour = 'red'"}, 400, "INVALID_PARAMETER_VALUE", ["colour"]),
        ("POST", "/search", {"experiment_ids": ["E"], "order_by": [{"field_name": "bogus"}]}, 400, "INVALID_PARAMETER_VALUE", ["bogus"]),
        ("POST", "/search", {"experiment_ids": ["E"], "max_results": 0}, 400, "INVALID_PARAMETER_VALUE", ["max_results"]),
    ],
)  # fmt: skip
def test_bad_logged_model_requests_get_mlflows_error_and_change_nothing(
    mlflow_server, experiment, method, path, body, status, code, words
):
    server = mlflow_server
    model_id = _create(server, experiment, params=[{"key": "C", "value": "1"}])["info"]["model_id"]
    path = path.replace("/M", f"/{model_id}")
    if isinstance(body, dict):
        body = {k: (experiment if v == "E" else v) for k, v in body.items()}
        if body.get("experiment_ids") == ["E"]:
            body["experiment_ids"] = [experiment]
    with changes_nothing(server.store):
        answer = server.http.request(method, f"{MODELS}{path}", json=body)
        assert_error(answer, status, code, *words)


def test_a_deleted_model_takes_no_more_changes(mlflow_server, experiment):
    server = mlflow_server
    model_id = _create(server, experiment)["info"]["model_id"]
    server.ok(server.http.delete(f"{MODELS}/{model_id}"))
    with changes_nothing(server.store):
        tags = server.http.patch(
            f"{MODELS}/{model_id}/tags", json={"tags": [{"key": "k", "value": "v"}]}
        )
        assert_error(tags, 400, "INVALID_PARAMETER_VALUE", "deleted")
        final = server.http.patch(f"{MODELS}/{model_id}", json={"status": "LOGGED_MODEL_READY"})
        assert_error(final, 400, "INVALID_PARAMETER_VALUE", "deleted")
