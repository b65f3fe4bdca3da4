"""Teams cannot see or touch each other's experiments, runs and artifacts (native API).

The server's default is NO_PERMISSIONS: alice and bob each own what they create, and
nothing else, until alice grants bob READ on her experiment.
"""

from __future__ import annotations

from dataclasses import dataclass

import blake3
import httpx
import pytest
from auth_support import AuthServer

API = "/api/v1"
FILE = b"alice's model weights"


@dataclass
class Team:
    """What a user made: an experiment with one run holding a metric and a file."""

    http: httpx.Client
    name: str
    experiment_id: str
    run_id: str


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def make_team(server: AuthServer, user: str) -> Team:
    """``user`` creates ``<user>-exp`` with a run, a metric, a param and a file."""
    http = server.client(user)
    experiment_id = _ok(http.post(f"{API}/experiments", json={"name": f"{user}-exp"}))[
        "experiment_id"
    ]
    run_id = _ok(http.post(f"{API}/runs", json={"experiment_id": experiment_id}))["info"]["run_id"]
    batch = {
        "metrics": [{"key": "acc", "value": 0.9, "timestamp": 1, "step": 0}],
        "params": [{"key": "lr", "value": "0.1"}],
    }
    _ok(http.post(f"{API}/runs/{run_id}/batch", json=batch))
    _ok(
        http.put(
            f"{API}/runs/{run_id}/artifacts/files/model/weights.bin",
            content=FILE,
            headers={"X-Cairn-Blake3": blake3.blake3(FILE).hexdigest()},
        )
    )
    return Team(http, name=f"{user}-exp", experiment_id=experiment_id, run_id=run_id)


def open_upload(team: Team) -> str:
    """A resumable upload opened (not finished) by the team on its run."""
    body = {"path": "big.bin", "size": 3, "blake3": blake3.blake3(b"abc").hexdigest()}
    return _ok(team.http.post(f"{API}/runs/{team.run_id}/artifacts/uploads", json=body))[
        "upload_id"
    ]


def attempts(victim: Team, upload_id: str) -> dict[str, tuple[str, str, dict]]:
    """Every native request that reads, writes or deletes the victim's things."""
    exp, run = victim.experiment_id, victim.run_id
    digest = {"X-Cairn-Blake3": blake3.blake3(b"x").hexdigest()}
    return {
        "get experiment": ("GET", f"{API}/experiments/{exp}", {}),
        "get by name": ("GET", f"{API}/experiments/by-name", {"params": {"name": victim.name}}),
        "get-or-create": (
            "POST",
            f"{API}/experiments/get-or-create",
            {"json": {"name": victim.name}},
        ),
        "search its runs": ("POST", f"{API}/runs/search", {"json": {"experiment_ids": [exp]}}),
        "get run": ("GET", f"{API}/runs/{run}", {}),
        # the same resources, spelt as the store also reads them
        "get experiment as 0N": ("GET", f"{API}/experiments/0{exp}", {}),
        "get run in capitals": ("GET", f"{API}/runs/{run.upper()}", {}),
        "get run with dashes": ("GET", f"{API}/runs/{_dashed(run)}", {}),
        "metric history": ("GET", f"{API}/runs/{run}/metrics/history", {"params": {"key": "acc"}}),
        "list artifacts": ("GET", f"{API}/runs/{run}/artifacts", {}),
        "download": ("GET", f"{API}/runs/{run}/artifacts/files/model/weights.bin", {}),
        "upload state": ("GET", f"{API}/artifact-uploads/{upload_id}", {}),
        "create run": ("POST", f"{API}/runs", {"json": {"experiment_id": exp}}),
        "log batch": (
            "POST",
            f"{API}/runs/{run}/batch",
            {"json": {"params": [{"key": "stolen", "value": "1"}]}},
        ),
        "update run": ("PATCH", f"{API}/runs/{run}", {"json": {"run_name": "bob-was-here"}}),
        "delete tag": ("POST", f"{API}/runs/{run}/tags/delete", {"json": {"key": "x"}}),
        "set experiment tag": (
            "POST",
            f"{API}/experiments/{exp}/tags",
            {"json": {"key": "owner", "value": "bob"}},
        ),
        "record artifacts": ("POST", f"{API}/runs/{run}/artifact-records", {"json": {"files": {}}}),
        "upload file": (
            "PUT",
            f"{API}/runs/{run}/artifacts/files/model/weights.bin",
            {"content": b"x", "headers": digest},
        ),
        "open upload": (
            "POST",
            f"{API}/runs/{run}/artifacts/uploads",
            {"json": {"path": "evil.bin", "size": 1, "blake3": digest["X-Cairn-Blake3"]}},
        ),
        "upload part": (
            "PUT",
            f"{API}/artifact-uploads/{upload_id}/parts/0",
            {"content": b"x", "headers": digest},
        ),
        "complete upload": ("POST", f"{API}/artifact-uploads/{upload_id}/complete", {}),
        "abort upload": ("DELETE", f"{API}/artifact-uploads/{upload_id}", {}),
        "rename": ("PATCH", f"{API}/experiments/{exp}", {"json": {"name": "taken"}}),
        "delete experiment": ("DELETE", f"{API}/experiments/{exp}", {}),
        "restore experiment": ("POST", f"{API}/experiments/{exp}/restore", {}),
        "purge experiment": ("POST", f"{API}/experiments/{exp}/purge", {}),
        "delete run": ("DELETE", f"{API}/runs/{run}", {}),
        "restore run": ("POST", f"{API}/runs/{run}/restore", {}),
        "purge run": ("POST", f"{API}/runs/{run}/purge", {}),
        "delete artifacts": ("DELETE", f"{API}/runs/{run}/artifacts", {}),
        "grant self": (
            "PUT",
            f"{API}/auth/permissions",
            {"json": {"username": "bob", "experiment_id": exp, "level": "MANAGE"}},
        ),
        "list its grants": ("GET", f"{API}/auth/permissions", {"params": {"experiment_id": exp}}),
    }


READS = {
    "get experiment", "get by name", "get-or-create", "search its runs", "get run",
    "get experiment as 0N", "get run in capitals", "get run with dashes",
    "metric history", "list artifacts", "download",
}  # fmt: skip


def _dashed(run_id: str) -> str:
    return f"{run_id[:8]}-{run_id[8:12]}-{run_id[12:16]}-{run_id[16:20]}-{run_id[20:]}"


def assert_untouched(alice: Team) -> None:
    """alice's experiment, run, param and file are as she left them."""
    experiment = _ok(alice.http.get(f"{API}/experiments/{alice.experiment_id}"))
    assert (experiment["name"], experiment["lifecycle_stage"]) == (alice.name, "active")
    assert "owner" not in experiment["tags"]
    run = _ok(alice.http.get(f"{API}/runs/{alice.run_id}"))
    assert run["info"]["lifecycle_stage"] == "active"
    assert run["data"]["params"] == {"lr": "0.1"}
    assert run["info"]["run_name"] != "bob-was-here"
    files = alice.http.get(f"{API}/runs/{alice.run_id}/artifacts/files/model/weights.bin")
    assert files.content == FILE
    runs = _ok(
        alice.http.post(f"{API}/runs/search", json={"experiment_ids": [alice.experiment_id]})
    )
    assert [r["info"]["run_id"] for r in runs["items"]] == [alice.run_id]


def test_bob_can_neither_see_nor_touch_alices_experiment(auth_server):
    alice, bob = make_team(auth_server, "alice"), make_team(auth_server, "bob")
    upload_id = open_upload(alice)
    for what, (method, url, options) in attempts(alice, upload_id).items():
        answer = bob.http.request(method, url, **options)
        assert answer.status_code == 403, f"bob could {what}: {answer.status_code} {answer.text}"
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
    assert_untouched(alice)
    assert _ok(alice.http.get(f"{API}/artifact-uploads/{upload_id}"))["received"] == []

    # Listings leave alice's experiment out instead of refusing.
    names = [e["name"] for e in _ok(bob.http.post(f"{API}/experiments/search", json={}))["items"]]
    assert names == ["bob-exp"]
    _ok(alice.http.delete(f"{API}/runs/{alice.run_id}"))
    assert _ok(bob.http.get(f"{API}/runs/deleted"))["items"] == []
    assert [i["run_id"] for i in _ok(alice.http.get(f"{API}/runs/deleted"))["items"]] == [
        alice.run_id
    ]
    _ok(alice.http.post(f"{API}/runs/{alice.run_id}/restore"))
    # bob's own things stay his to use.
    own = _ok(bob.http.post(f"{API}/runs/search", json={"experiment_ids": [bob.experiment_id]}))
    assert [r["info"]["run_id"] for r in own["items"]] == [bob.run_id]


def test_after_a_read_grant_bob_can_read_but_not_write(auth_server):
    alice, bob = make_team(auth_server, "alice"), make_team(auth_server, "bob")
    upload_id = open_upload(alice)
    grant = {"username": "bob", "experiment_id": alice.experiment_id, "level": "READ"}
    assert _ok(alice.http.put(f"{API}/auth/permissions", json=grant))["level"] == "READ"
    for what, (method, url, options) in attempts(alice, upload_id).items():
        answer = bob.http.request(method, url, **options)
        if what in READS:
            assert answer.status_code == 200, f"bob cannot {what}: {answer.text}"
        else:
            assert answer.status_code == 403, (
                f"bob could {what}: {answer.status_code} {answer.text}"
            )
    assert (
        bob.http.get(f"{API}/runs/{alice.run_id}/artifacts/files/model/weights.bin").content == FILE
    )
    names = {e["name"] for e in _ok(bob.http.post(f"{API}/experiments/search", json={}))["items"]}
    assert names == {"alice-exp", "bob-exp"}
    assert_untouched(alice)

    # Revoking the grant hides the experiment again.
    revoke = {"username": "bob", "experiment_id": alice.experiment_id}
    _ok(alice.http.post(f"{API}/auth/permissions/revoke", json=revoke))
    assert bob.http.get(f"{API}/experiments/{alice.experiment_id}").status_code == 403


def test_the_creator_manages_and_may_share_management(auth_server):
    alice, bob = make_team(auth_server, "alice"), make_team(auth_server, "bob")
    grant = {"username": "bob", "experiment_id": alice.experiment_id, "level": "MANAGE"}
    _ok(alice.http.put(f"{API}/auth/permissions", json=grant))
    _ok(bob.http.patch(f"{API}/experiments/{alice.experiment_id}", json={"name": "shared"}))
    listed = _ok(
        bob.http.get(f"{API}/auth/permissions", params={"experiment_id": alice.experiment_id})
    )
    assert {(p["username"], p["level"]) for p in listed["permissions"]} == {
        ("alice", "MANAGE"),
        ("bob", "MANAGE"),
    }
    _ok(alice.http.delete(f"{API}/experiments/{alice.experiment_id}"))


def test_only_admins_choose_where_artifacts_go(auth_server, tmp_path):
    alice = auth_server.client("alice")
    body = {"name": "elsewhere", "artifact_location": str(tmp_path / "anywhere")}
    assert alice.post(f"{API}/experiments", json=body).status_code == 403
    assert auth_server.client("admin").post(f"{API}/experiments", json=body).status_code == 200


def test_the_audit_trail_is_for_admins(auth_server):
    assert auth_server.client("alice").get(f"{API}/audit/events").status_code == 403
    events = _ok(auth_server.client("admin").get(f"{API}/audit/events"))["items"]
    assert any(e["action"] == "user.create" for e in events)


@pytest.mark.parametrize("default", ["READ", "EDIT"])
def test_the_default_permission_applies_without_a_grant(start_auth_server, default):
    server = start_auth_server(default)
    alice, bob = make_team(server, "alice"), make_team(server, "bob")
    assert bob.http.get(f"{API}/experiments/{alice.experiment_id}").status_code == 200
    batch = {"params": [{"key": "from-bob", "value": "1"}]}
    logged = bob.http.post(f"{API}/runs/{alice.run_id}/batch", json=batch)
    assert logged.status_code == (200 if default == "EDIT" else 403)
    assert bob.http.delete(f"{API}/experiments/{alice.experiment_id}").status_code == 403
    # An explicit NO_PERMISSIONS refuses what the default allows, in listings too.
    deny = {"username": "bob", "experiment_id": alice.experiment_id, "level": "NO_PERMISSIONS"}
    _ok(alice.http.put(f"{API}/auth/permissions", json=deny))
    assert bob.http.get(f"{API}/experiments/{alice.experiment_id}").status_code == 403
    assert bob.http.get(f"{API}/experiments/00{alice.experiment_id}").status_code == 403
    names = {e["name"] for e in _ok(bob.http.post(f"{API}/experiments/search", json={}))["items"]}
    assert names == {"Default", "bob-exp"}


def test_admins_pass_every_check(auth_server):
    alice = make_team(auth_server, "alice")
    upload_id = open_upload(alice)
    admin = auth_server.client("admin")
    for what, (method, url, options) in attempts(alice, upload_id).items():
        answer = admin.request(method, url, **options)
        assert answer.status_code not in (401, 403), f"{what}: {answer.text}"
