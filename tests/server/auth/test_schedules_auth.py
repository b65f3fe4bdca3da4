"""Schedules on a server with --auth: every signed-in user reads them; only admins change them
or claim their runs (a schedule runs commands on the scheduler's machine)."""

from __future__ import annotations

from auth_support import AuthServer

API = "/api/v1"
SCHEDULE = {"name": "nightly", "cron": "0 3 * * *", "pipeline": "/srv/p", "next_due_time": 1000}
CLAIM = {"due_time": 1000, "next_due_time": 2000, "owner": "x", "lease_expiry_time": 9 * 10**12}


def test_only_admins_change_schedules_and_claim_them(auth_server: AuthServer) -> None:
    alice, admin = auth_server.client("alice"), auth_server.client("admin")
    assert alice.post(f"{API}/schedules", json=SCHEDULE).status_code == 403
    assert admin.post(f"{API}/schedules", json=SCHEDULE).status_code == 200

    listed = alice.get(f"{API}/schedules").json()["items"]
    assert [s["name"] for s in listed] == ["nightly"]
    assert alice.get(f"{API}/schedules/nightly").json()["cron"] == "0 3 * * *"
    assert alice.get(f"{API}/schedules/nightly/runs").json() == {"items": []}
    for method, path, body in (
        ("PATCH", "/schedules/nightly", {"enabled": False}),
        ("DELETE", "/schedules/nightly", None),
        ("POST", "/schedules/nightly/claim", CLAIM),
        ("POST", "/schedules/nightly/skip", {"due_time": 1000, "next_due_time": 2000}),
        ("POST", "/schedules/nightly/lease", {"owner": "x", "lease_expiry_time": 1}),
        ("POST", "/schedule-runs/1/end", {"status": "failed"}),
    ):
        assert alice.request(method, f"{API}{path}", json=body).status_code == 403, path

    claimed = admin.post(f"{API}/schedules/nightly/claim", json=CLAIM).json()["run"]
    assert claimed["status"] == "running"
    assert admin.post(f"{API}/schedules/nightly/claim", json=CLAIM).json() == {"run": None}
    with auth_server.store() as store:
        assert store.schedules.get_schedule("nightly").lease_owner == "x"
