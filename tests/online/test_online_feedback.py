"""POST /feedback on the model server: rows checked against the served model's signature and
written atomically into the feedback folder, which a FolderSource consumes (a real uvicorn
server process, a trainer in this process; the server then follows the alias to the version
the trainer checkpointed)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from online_streams import RecordingGuard, stream
from sklearn.linear_model import SGDClassifier

from cairn.online import FolderSource, OnlineTrainer
from cairn.testing.services import free_port

CAIRN = str(Path(sys.executable).parent / "cairn")


def _records(X, y=None, label=True):
    rows = X.to_dict(orient="records")
    if label:
        for row, value in zip(rows, y, strict=True):
            row["label"] = int(value)
    return rows


def _start(args: list[str], log: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [CAIRN, "models", "serve", *args, "--port", str(port), "--log-level", "warning"]
    with log.open("ab") as handle:
        process = subprocess.Popen(
            command, stdout=handle, stderr=handle, env={**os.environ, **env}, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"cairn models serve did not start:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


def test_feedback_from_a_live_server_trains_the_model_it_serves(client, tmp_path):
    first = OnlineTrainer(
        SGDClassifier(random_state=0), model_name="fb-model", classes=[0, 1], checkpoint_every=2
    )
    first.run(stream(21, 2))  # version 1, @online
    inbox = tmp_path / "feedback"
    env = {"CAIRN_TRACKING_URI": client.tracking_uri}
    args = ["models:/fb-model@online", "--feedback-dir", str(inbox), "--poll-interval", "0.2"]
    process, url = _start(args, tmp_path / "serve.log", env)
    try:
        batches = stream(22, 3, n=30)
        sent = []
        for number, (X, y) in enumerate(batches):
            body = {"dataframe_records": _records(X, y), "source": f"user-{number % 2}"}
            answer = httpx.post(f"{url}/feedback", json=body, timeout=30)
            assert answer.status_code == 200, answer.text
            assert answer.json()["rows"] == 30
            sent.append(answer.json()["file"])
            time.sleep(0.01)  # distinct modification times keep the order
        # a bad body changes nothing in the folder
        bad = httpx.post(f"{url}/feedback", json={"dataframe_records": _records(X, label=False)})
        assert bad.status_code == 400 and "no labels" in bad.json()["message"]
        files = sorted(p.name for p in inbox.iterdir())
        assert files == sorted(sent)
        assert all(not name.startswith(".") for name in files)

        guard = RecordingGuard()
        trainer = OnlineTrainer(
            first.model, model_name="fb-model", classes=[0, 1], checkpoint_every=10, guard=guard
        )
        summary = trainer.run(
            FolderSource(inbox, source_column="source", poll=0.01, stop_when_idle=0.3)
        )
        assert (summary.batches, summary.accepted, summary.rows) == (3, 3, 90)
        assert guard.sources == ["user-0", "user-1", "user-0"]
        assert summary.checkpoints == [2]
        assert sorted(p.name for p in (inbox / "processed").iterdir()) == sorted(sent)

        deadline = time.monotonic() + 30
        while httpx.get(f"{url}/health").json()["version"] != 2:
            assert time.monotonic() < deadline, "the server did not follow @online to version 2"
            time.sleep(0.1)
    finally:
        _stop(process)


@pytest.fixture
def served_folder(tmp_path):
    import cairn.sklearn
    from cairn.models.signature import infer_signature

    X, y = stream(23, 1)[0]
    model = SGDClassifier(random_state=0).fit(X, y)
    folder = tmp_path / "model"
    cairn.sklearn.save_model(model, folder, signature=infer_signature(X, model.predict(X)))
    return folder


def _post(app, path: str, **kwargs) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post(path, **kwargs)

    return asyncio.run(go())


def test_without_a_feedback_dir_the_endpoint_says_how_to_enable_it(served_folder):
    from cairn.serving.serve import ServeOptions, build_app

    app = build_app(ServeOptions(str(served_folder)))
    answer = _post(app, "/feedback", json={"instances": [[1, 2, 3]], "labels": [1]})
    assert answer.status_code == 404
    assert "--feedback-dir" in answer.json()["message"]


ROW = {"a": 0.1, "b": -0.2, "c": 1.0}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dataframe_records": [ROW]}, "no labels"),
        ({"dataframe_records": [{**ROW, "label": 1}], "labels": [1]}, "labels once"),
        ({"instances": [[1, 2, 3]], "labels": [1, 0]}, "2 labels for 1 rows"),
        ({"instances": [[1, 2, 3]], "labels": [None]}, "label 0 is None"),
        ({"dataframe_records": [{"a": 1, "b": 2, "z": 3, "label": 1}]}, "signature"),
        ({"dataframe_records": [{**ROW, "a": "x", "label": 1}]}, "signature"),
        ({"instances": [[1, 2, 3]], "labels": [1], "source": "no spaces"}, "'source'"),
        ({"instances": [[1, 2, 3]], "labels": [1], "params": {}}, "params"),
        ({"rows": [[1, 2, 3]], "labels": [1]}, "unknown key"),
        ({"dataframe_records": []}, "no rows"),
    ],
)
def test_bad_feedback_is_a_400_and_writes_nothing(served_folder, tmp_path, body, message):
    from cairn.serving.serve import ServeOptions, build_app

    inbox = tmp_path / "inbox"
    app = build_app(ServeOptions(str(served_folder), feedback_dir=str(inbox)))
    answer = _post(app, "/feedback", json=body)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["message"]
    assert list(inbox.iterdir()) == []


def test_every_payload_form_is_written_as_json_lines(served_folder, tmp_path):
    from cairn.serving.serve import ServeOptions, build_app

    inbox = tmp_path / "inbox"
    app = build_app(ServeOptions(str(served_folder), feedback_dir=str(inbox)))
    bodies = [
        {
            "json": {
                "dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]},
                "labels": [1],
            }
        },
        {"json": {"instances": [[1, 2, 3]], "labels": [0], "source": "s1"}},
        {"json": {"inputs": {"a": [1.5], "b": [2], "c": [3], "label": [1]}}},
        {
            "content": b"a,b,c,label\n1,2,3,0\n4,5,6,1\n",
            "headers": {"content-type": "text/csv"},
            "params": {"source": "csv-sender"},
        },
    ]
    for body in bodies:
        answer = _post(app, "/feedback", **body)
        assert answer.status_code == 200, answer.text
    rows = []
    for path in sorted(inbox.iterdir()):
        rows += [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 5
    assert {tuple(sorted(r)) for r in rows} >= {("a", "b", "c", "label")}
    assert [r.get("source") for r in rows].count("csv-sender") == 2
    assert all(isinstance(r["a"], float) for r in rows)  # converted to the signature's double
