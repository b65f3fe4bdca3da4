"""The artifact proxy (``/api/2.0/mlflow-artifacts``) and MLflow's artifact listing: paths as
MLflow's client sends them, mapped onto each run's and model's own files, streamed, and
refused when they could leave them."""

from __future__ import annotations

import os
from pathlib import Path

import blake3
import pytest
from mlflow_support import assert_error, changes_nothing, raw_request

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def run(mlflow_server) -> tuple[str, str]:
    experiment_id = mlflow_server.new_experiment()
    return experiment_id, mlflow_server.new_run(experiment_id)


def _root(server, run_id: str) -> Path:
    return Path(server.store.runs.get_run(run_id).info.artifact_uri)


def test_files_go_to_the_runs_own_folder_and_read_back(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    base = f"{PROXY}/{experiment_id}/{run_id}/artifacts"
    files = {"a.txt": b"hello", "dir/b.json": b'{"b": 1}', "dir/sub/c.bin": bytes(range(256))}
    for rel, data in files.items():
        assert server.ok(server.http.put(f"{base}/{rel}", content=data)) == {}
    for rel, data in files.items():
        assert (_root(server, run_id) / rel).read_bytes() == data
        answer = server.http.get(f"{base}/{rel}")
        assert (answer.status_code, answer.content) == (200, data)
    assert server.http.get(f"{base}/dir/b.json").headers["content-type"] == "application/json"
    listed = server.ok(
        server.http.get(PROXY, params={"path": f"{experiment_id}/{run_id}/artifacts"})
    )
    assert listed == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 5},
            {"path": "dir", "is_dir": True},
        ]
    }
    sub = server.ok(
        server.http.get(PROXY, params={"path": f"{experiment_id}/{run_id}/artifacts/dir"})
    )
    assert [f["path"] for f in sub["files"]] == ["b.json", "sub"]
    a_file = server.http.get(PROXY, params={"path": f"{experiment_id}/{run_id}/artifacts/a.txt"})
    assert server.ok(a_file) == {}
    tracked = server.ok(server.get("artifacts/list", run_id=run_id, path="dir"))
    assert tracked == {
        "root_uri": f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
        "files": [
            {"path": "dir/b.json", "is_dir": False, "file_size": 8},
            {"path": "dir/sub", "is_dir": True},
        ],
    }
    events = server.store.audit.list_events(entity=f"run:{run_id}")
    assert [e.action for e in events].count("run.log_artifacts") == 3


def test_a_large_file_streams_both_ways_and_ranges_work(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    data = os.urandom(24 << 20)
    url = f"{PROXY}/{experiment_id}/{run_id}/artifacts/big.bin"

    def chunks():  # no Content-Length: the body arrives chunked and is written as it comes
        for start in range(0, len(data), 1 << 20):
            yield data[start : start + (1 << 20)]

    server.ok(server.http.put(url, content=chunks()))
    with server.http.stream("GET", url) as answer:
        assert answer.headers["content-length"] == str(len(data))
        received = b"".join(answer.iter_bytes())
    assert received == data
    part = server.http.get(url, headers={"Range": "bytes=100-199"})
    assert (part.status_code, part.content) == (206, data[100:200])
    assert not [p for p in _root(server, run_id).iterdir() if p.name != "big.bin"]  # no leftovers
    import json

    from cairn.store.sql import schema as t

    with server.store.engine.connect() as conn:
        payload = (
            conn.execute(
                t.audit_events.select().where(t.audit_events.c.action == "run.log_artifacts")
            )
            .all()[-1]
            .payload
        )
    assert json.loads(payload) == {
        "big.bin": {"size": len(data), "blake3": blake3.blake3(data).hexdigest()}
    }


@pytest.mark.parametrize(
    "path",
    [
        "{e}/{r}/artifacts/../../{r}/artifacts/x.txt",
        "{e}/{r}/artifacts/../escape.txt",
        "{e}/{r}/artifacts/%2e%2e/escape.txt",
        "{e}/{r}/artifacts/%252e%252e%252fescape.txt",
        "{e}/{r}/artifacts/..%5cescape.txt",
        "%2F{e}/{r}/artifacts/x.txt",
        "{e}/{r}/artifacts/a%00b",
    ],
)
def test_paths_that_could_climb_are_refused_and_write_nothing(mlflow_server, run, path):
    server, (experiment_id, run_id) = mlflow_server, run
    path = path.format(e=experiment_id, r=run_id)
    before = sorted(server.artifact_root.parent.rglob("*"))
    with changes_nothing(server.store):
        for method in ("PUT", "GET", "DELETE"):
            status, body = raw_request(server.url, method, f"{PROXY}/{path}", b"x")
            assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
        listed = server.http.get(PROXY, params={"path": path})
        assert_error(listed, 400, "INVALID_PARAMETER_VALUE")
    assert sorted(server.artifact_root.parent.rglob("*")) == before


def test_an_encoded_slash_stays_inside_the_runs_folder(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    target = f"{PROXY}/{experiment_id}/{run_id}/artifacts/%2Fetc%2Fpasswd"
    assert raw_request(server.url, "PUT", target, b"x") == (200, {})
    assert (_root(server, run_id) / "etc" / "passwd").read_bytes() == b"x"


def test_paths_naming_no_run_or_another_experiment_are_not_found(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    other = server.new_experiment("other")
    with changes_nothing(server.store):
        for path in (
            f"{other}/{run_id}/artifacts/x.txt",  # the run is not in that experiment
            f"{experiment_id}/{'0' * 32}/artifacts/x.txt",
            f"{experiment_id}/{run_id}/x.txt",
            f"{experiment_id}/models/m-{'0' * 32}/artifacts/x.txt",
        ):
            assert_error(
                server.http.put(f"{PROXY}/{path}", content=b"x"), 404, "RESOURCE_DOES_NOT_EXIST"
            )
        assert_error(server.http.get(PROXY), 404, "RESOURCE_DOES_NOT_EXIST", "<experiment_id>")
        missing = server.http.get(f"{PROXY}/{experiment_id}/{run_id}/artifacts/missing.txt")
        assert_error(missing, 404, "RESOURCE_DOES_NOT_EXIST", "missing.txt")
        folder = server.http.get(f"{PROXY}/{experiment_id}/{run_id}/artifacts")
        assert_error(folder, 400, "INVALID_PARAMETER_VALUE", "folder")
        bad_id = server.http.put(f"{PROXY}/{experiment_id}/not-a-run/artifacts/x", content=b"x")
        assert_error(bad_id, 400, "INVALID_PARAMETER_VALUE", "not-a-run")


def test_a_deleted_run_keeps_its_files_readable_but_not_writable(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    url = f"{PROXY}/{experiment_id}/{run_id}/artifacts/kept.txt"
    server.ok(server.http.put(url, content=b"kept"))
    server.ok(server.post("runs/delete", {"run_id": run_id}))
    with changes_nothing(server.store):
        assert_error(
            server.http.put(url, content=b"new"), 400, "INVALID_PARAMETER_VALUE", "deleted"
        )
        assert_error(server.http.delete(url), 400, "INVALID_PARAMETER_VALUE", "deleted")
    assert server.http.get(url).content == b"kept"


def test_delete_removes_files_and_folders(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    base = f"{PROXY}/{experiment_id}/{run_id}/artifacts"
    for rel in ("keep.txt", "dir/a.txt", "dir/b.txt"):
        server.ok(server.http.put(f"{base}/{rel}", content=b"x"))
    server.ok(server.http.delete(f"{base}/dir"))
    server.ok(server.http.delete(f"{base}/dir"))  # nothing there any more is fine
    assert sorted(p.name for p in _root(server, run_id).iterdir()) == ["keep.txt"]


def test_logged_model_files_live_under_the_experiments_location(mlflow_server, run):
    server, (experiment_id, run_id) = mlflow_server, run
    body = {"experiment_id": experiment_id, "source_run_id": run_id}
    info = server.ok(server.post("logged-models", body))["model"]["info"]
    model_id = info["model_id"]
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts"
    base = f"{PROXY}/{experiment_id}/models/{model_id}/artifacts"
    server.ok(server.http.put(f"{base}/MLmodel", content=b"flavors: {}"))
    server.ok(server.http.put(f"{base}/data/model.pkl", content=b"\x80\x04"))
    on_disk = server.artifact_root / experiment_id / "models" / model_id / "artifacts"
    assert (on_disk / "MLmodel").read_bytes() == b"flavors: {}"
    assert server.http.get(f"{base}/data/model.pkl").content == b"\x80\x04"
    listed = server.ok(
        server.http.get(f"/api/2.0/mlflow/logged-models/{model_id}/artifacts/directories")
    )
    assert listed["files"] == [
        {"path": "MLmodel", "is_dir": False, "file_size": 11},
        {"path": "data", "is_dir": True},
    ]
    other = server.new_experiment("other")
    with changes_nothing(server.store):
        wrong = server.http.put(f"{PROXY}/{other}/models/{model_id}/artifacts/x", content=b"x")
        assert_error(wrong, 404, "RESOURCE_DOES_NOT_EXIST")
    events = server.store.audit.list_events(entity=f"logged_model:{model_id}")
    assert [e.action for e in events].count("logged_model.log_artifacts") == 2


def test_server_info_offers_no_multipart_transfers(mlflow_server):
    info = mlflow_server.ok(mlflow_server.http.get("/api/3.0/mlflow/server-info"))
    assert info["multipart_uploads_enabled"] is False
    assert info["multipart_downloads_enabled"] is False
    mpu = mlflow_server.http.post(f"{PROXY.rsplit('/', 1)[0]}/mpu/create/0/x", json={})
    assert_error(mpu, 404, "ENDPOINT_NOT_FOUND")
