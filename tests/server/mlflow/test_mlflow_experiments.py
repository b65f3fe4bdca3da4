"""MLflow's experiment endpoints over HTTP: shapes, lifecycle, search, and bad input."""

from __future__ import annotations

import pytest
from mlflow_support import assert_error, changes_nothing


def test_an_experiment_reads_back_as_mlflow_shapes_it(mlflow_server):
    server = mlflow_server
    body = {"name": "churn", "tags": [{"key": "owner", "value": "ann"}]}
    experiment_id = server.ok(server.post("experiments/create", body))["experiment_id"]
    got = server.ok(server.get("experiments/get", experiment_id=experiment_id))["experiment"]
    stored = server.store.experiments.get_experiment(experiment_id)
    assert got == {
        "experiment_id": experiment_id,
        "name": "churn",
        "artifact_location": f"mlflow-artifacts:/{experiment_id}",
        "lifecycle_stage": "active",
        "last_update_time": stored.last_update_time,
        "creation_time": stored.creation_time,
        "tags": [{"key": "owner", "value": "ann"}],
    }
    by_name = server.ok(server.get("experiments/get-by-name", experiment_name="churn"))
    assert by_name == {"experiment": got}
    assert stored.artifact_location == f"{server.artifact_root}/{experiment_id}"


def test_rename_tag_delete_and_restore(mlflow_server):
    server = mlflow_server
    experiment_id = server.new_experiment("old")
    server.ok(
        server.post("experiments/update", {"experiment_id": experiment_id, "new_name": "new"})
    )
    tag = {"experiment_id": experiment_id, "key": "stage", "value": "prod"}
    server.ok(server.post("experiments/set-experiment-tag", tag))
    server.ok(server.post("experiments/delete", {"experiment_id": experiment_id}))
    deleted = server.ok(server.get("experiments/get-by-name", experiment_name="new"))["experiment"]
    assert (deleted["lifecycle_stage"], deleted["tags"]) == (
        "deleted",
        [{"key": "stage", "value": "prod"}],
    )
    active = server.ok(server.post("experiments/search", {}))
    assert [e["name"] for e in active["experiments"]] == ["Default"]
    gone = server.ok(server.post("experiments/search", {"view_type": "DELETED_ONLY"}))
    assert [e["name"] for e in gone["experiments"]] == ["new"]
    server.ok(server.post("experiments/restore", {"experiment_id": experiment_id}))
    assert server.store.experiments.get_experiment(experiment_id).lifecycle_stage == "active"


def test_search_pages_filters_and_orders_by_post_and_get(mlflow_server):
    server = mlflow_server
    for name in ("e1", "e2", "e3", "e4", "other"):
        server.new_experiment(name)
    names, token = [], None
    while True:
        body = {"max_results": 2, "filter": "name LIKE 'e%'", "order_by": ["name DESC"]}
        page = server.ok(server.post("experiments/search", {**body, "page_token": token}))
        names += [e["name"] for e in page["experiments"]]
        token = page.get("next_page_token")
        if token is None:
            break
    assert names == ["e4", "e3", "e2", "e1"]
    got = server.ok(server.get("experiments/search", filter="name = 'other'", view_type="ALL"))
    assert [e["name"] for e in got["experiments"]] == ["other"]
    ordered = server.http.get(
        "/api/2.0/mlflow/experiments/search",
        params=[("order_by", "name ASC"), ("max_results", "2")],
    )
    assert [e["name"] for e in server.ok(ordered)["experiments"]] == ["Default", "e1"]


def test_an_mlflow_artifacts_location_lands_under_the_servers_root(mlflow_server):
    server = mlflow_server
    body = {"name": "placed", "artifact_location": "mlflow-artifacts:/team/placed"}
    experiment_id = server.ok(server.post("experiments/create", body))["experiment_id"]
    stored = server.store.experiments.get_experiment(experiment_id)
    assert stored.artifact_location == f"{server.artifact_root}/team/placed"
    with changes_nothing(server.store):
        escaping = {"name": "escaping", "artifact_location": "mlflow-artifacts:/../outside"}
        assert_error(server.post("experiments/create", escaping), 400, "INVALID_PARAMETER_VALUE")


def test_an_existing_name_is_mlflows_400_resource_already_exists(mlflow_server):
    server = mlflow_server
    server.new_experiment("taken")
    with changes_nothing(server.store):
        answer = server.post("experiments/create", {"name": "taken"})
        assert_error(answer, 400, "RESOURCE_ALREADY_EXISTS", "taken")
        renamed = {"experiment_id": "0", "new_name": "taken"}
        assert_error(server.post("experiments/update", renamed), 400, "RESOURCE_ALREADY_EXISTS")


@pytest.mark.parametrize(
    ("endpoint", "body", "words"),
    [
        ("experiments/create", {}, ["Missing value for required parameter 'name'"]),
        ("experiments/create", {"name": 5}, ["Invalid value 5 for parameter 'name'"]),
        ("experiments/create", {"name": "  "}, ["experiment name"]),
        ("experiments/create", {"name": "x" * 257}, ["257 characters"]),
        ("experiments/create", {"name": "t", "tags": [{"key": "a!", "value": "v"}]}, ["'a!'"]),
        ("experiments/create", {"name": "t", "tags": [{"key": "a"}]}, ["'tags[0].value'"]),
        ("experiments/create", ["not", "an", "object"], ["Invalid value"]),
        ("experiments/update", {"experiment_id": "0"}, ["'new_name'"]),
        (
            "experiments/set-experiment-tag",
            {"experiment_id": "x", "key": "k", "value": "v"},
            ["'x'"],
        ),
        ("experiments/set-experiment-tag", {"experiment_id": "0", "key": "k"}, ["'value'"]),
        ("experiments/delete", {"experiment_id": "0"}, ["Default experiment"]),
        ("experiments/delete", {}, ["'experiment_id'"]),
        ("experiments/restore", {"experiment_id": "0"}, ["already active"]),
        ("experiments/search", {"filter": "nope = 1"}, ["nope"]),
        ("experiments/search", {"max_results": 0}, ["max_results"]),
        ("experiments/search", {"max_results": 50_001}, ["max_results"]),
        ("experiments/search", {"max_results": True}, ["boolean"]),
        ("experiments/search", {"view_type": "SOME"}, ["view_type"]),
        ("experiments/search", {"page_token": "garbage"}, ["page token"]),
        ("experiments/search", {"order_by": ["nope"]}, ["nope"]),
    ],
)
def test_bad_requests_get_mlflows_error_and_change_nothing(mlflow_server, endpoint, body, words):
    with changes_nothing(mlflow_server.store):
        answer = mlflow_server.post(endpoint, body)
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", *words)


def test_malformed_json_and_unknown_ids(mlflow_server):
    server = mlflow_server
    with changes_nothing(server.store):
        answer = server.http.post(
            "/api/2.0/mlflow/experiments/create",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", "Malformed JSON")
        assert_error(server.get("experiments/get"), 400, "INVALID_PARAMETER_VALUE", "experiment_id")
        assert_error(
            server.get("experiments/get", experiment_id="abc"), 400, "INVALID_PARAMETER_VALUE"
        )
        assert_error(
            server.get("experiments/get", experiment_id="99"), 404, "RESOURCE_DOES_NOT_EXIST"
        )
        missing = server.get("experiments/get-by-name", experiment_name="nope")
        assert_error(missing, 404, "RESOURCE_DOES_NOT_EXIST", "nope")
        gone = server.post("experiments/restore", {"experiment_id": "99"})
        assert_error(gone, 404, "RESOURCE_DOES_NOT_EXIST")
        assert_error(server.post("experiments/nope", {}), 404, "ENDPOINT_NOT_FOUND")
        assert_error(server.get("experiments/create"), 405, "METHOD_NOT_ALLOWED")
