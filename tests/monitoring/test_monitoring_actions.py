"""Alert actions against real parts: an HTTP server on 127.0.0.1, shell commands, and a
tiny cairn.yaml pipeline run directly or through a schedule."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from cairn.monitoring.actions import TAIL, run_action
from cairn.monitoring.spec import ActionSpec
from cairn.pipelines.schedules import add_schedule
from cairn.tracking.client import CairnClient
from webhook_support import webhook_server

CONTEXT: dict[str, Any] = {
    "monitor": "churn",
    "rule": "f1-decay",
    "expr": "f1 < 0.8",
    "window": 3,
    "value": 0.71,
    "message": "f1_macro = 0.71 < 0.8",
    "results": {"rows": 10, "quality": {"f1_macro": 0.71}, "drift_share": 0.0},
}


@pytest.fixture
def hook() -> Iterator[ThreadingHTTPServer]:
    with webhook_server() as server:
        yield server


def url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_webhook_posts_the_alert(hook: ThreadingHTTPServer) -> None:
    record = run_action(ActionSpec("webhook", url(hook, "/hook")), CONTEXT)
    assert record["status"] == "ok" and record["http_status"] == 200
    assert record["kind"] == "webhook" and record["detail"] == "HTTP 200"
    assert hook.received == [CONTEXT]  # type: ignore[attr-defined]


def test_webhook_failures_are_records(hook: ThreadingHTTPServer) -> None:
    failed = run_action(ActionSpec("webhook", url(hook, "/hook/500")), CONTEXT)
    assert failed["status"] == "failed" and failed["detail"] == "HTTP 500: nope"
    slow = run_action(ActionSpec("webhook", url(hook, "/slow"), {"timeout": 0.2}), CONTEXT)
    assert slow["status"] == "failed" and "Timeout" in slow["detail"]
    hook.shutdown()
    port = hook.server_address[1]
    hook.server_close()
    refused = run_action(ActionSpec("webhook", f"http://127.0.0.1:{port}/"), CONTEXT)
    assert refused["status"] == "failed" and "ConnectError" in refused["detail"]
    bad = run_action(ActionSpec("webhook", "ftp://example/"), CONTEXT)
    assert bad["status"] == "failed" and "not an http(s) URL" in bad["detail"]


def test_command_gets_the_alert_in_its_environment(tmp_path: Path) -> None:
    command = 'echo "$CAIRN_MONITOR $CAIRN_RULE $CAIRN_WINDOW $CAIRN_VALUE"; pwd'
    record = run_action(ActionSpec("command", command, {"cwd": str(tmp_path)}), CONTEXT)
    assert record["status"] == "ok" and record["exit_code"] == 0
    assert record["detail"] == f"exit code 0\nchurn f1-decay 3 0.71\n{tmp_path}"


def test_command_failures_and_timeouts(tmp_path: Path) -> None:
    failed = run_action(ActionSpec("command", "echo oops >&2; exit 3"), CONTEXT)
    assert failed["status"] == "failed" and failed["exit_code"] == 3
    assert failed["detail"] == "exit code 3\noops"
    long = run_action(ActionSpec("command", "python -c \"print('x' * 5000)\""), CONTEXT)
    assert len(long["detail"]) <= len("exit code 0\n") + TAIL
    marker = tmp_path / "child.pid"
    started = time.monotonic()
    slow = run_action(
        ActionSpec("command", f"sleep 30 & echo $! > {marker}; wait", {"timeout": 0.5}), CONTEXT
    )
    assert time.monotonic() - started < 10
    assert slow["status"] == "failed" and slow["detail"].startswith("timed out after 0.5 s")
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()
    nowhere = run_action(ActionSpec("command", "true", {"cwd": str(tmp_path / "no")}), CONTEXT)
    assert nowhere["status"] == "failed" and "could not start" in nowhere["detail"]


def write_pipeline(root: Path) -> None:
    stages = {
        "train": {
            "cmd": f"{sys.executable} -c \"open('trained.txt', 'w').write('yes')\"",
            "outs": ["trained.txt"],
        }
    }
    (root / "cairn.yaml").write_text(yaml.safe_dump({"stages": stages}))


def test_pipeline_folder_runs_and_records_its_run(project: Path) -> None:
    folder = project / "retrain"
    folder.mkdir()
    write_pipeline(folder)
    client = CairnClient()
    action = ActionSpec(
        "pipeline", str(folder), {"stages": ["train"], "wait": True, "timeout": 120}
    )
    record = run_action(action, CONTEXT, store=client.store)
    assert record["status"] == "ok", record["detail"]
    assert record["exit_code"] == 0 and (folder / "trained.txt").read_text() == "yes"
    run = client.store.runs.get_run(record["pipeline_run_id"])
    assert run.data.tags["cairn.run.kind"] == "pipeline"
    assert Path(record["log"]).parent == folder / ".cairn" / "monitors" / "churn"


def test_pipeline_folder_in_the_background(project: Path) -> None:
    folder = project / "retrain"
    folder.mkdir()
    write_pipeline(folder)
    record = run_action(ActionSpec("pipeline", str(folder)), CONTEXT, store=CairnClient().store)
    assert record["status"] == "ok" and record["detail"].startswith("started cairn pipeline run")
    deadline = time.monotonic() + 120
    while not (folder / "trained.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (folder / "trained.txt").read_text() == "yes"


def test_pipeline_without_a_project_fails_cleanly(project: Path) -> None:
    record = run_action(ActionSpec("pipeline", str(project / "none")), CONTEXT)
    assert record["status"] == "failed"
    assert (
        record["detail"].startswith("InvalidInput: --pipeline") and "cairn.yaml" in record["detail"]
    )


def test_pipeline_through_a_schedule(project: Path) -> None:
    folder = project / "retrain"
    folder.mkdir()
    write_pipeline(folder)
    client = CairnClient()
    add_schedule(client.store, "retrain", "0 0 1 1 *", folder, stages=["train"])
    queued = run_action(ActionSpec("pipeline", "retrain"), CONTEXT, store=client.store)
    assert queued["status"] == "ok" and "due now" in queued["detail"]
    assert client.store.schedules.get_schedule("retrain").next_due_time <= time.time() * 1000
    ran = run_action(ActionSpec("pipeline", "retrain", {"wait": True}), CONTEXT, store=client.store)
    assert ran["status"] == "ok", ran["detail"]
    assert ran["schedule_run_id"] == 1 and ran["pipeline_run_id"]
    assert (folder / "trained.txt").read_text() == "yes"
    client.store.schedules.update_schedule("retrain", enabled=False)
    paused = run_action(ActionSpec("pipeline", "retrain"), CONTEXT, store=client.store)
    assert paused["status"] == "failed" and "is paused" in paused["detail"]
