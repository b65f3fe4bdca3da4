"""Serving ``models:/name@champion`` follows the alias: moved under load, the server swaps to
the new version with zero failed requests."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from serving_models import Versioned

from cairn.models.pyfunc import save_model

ROW = {"dataframe_records": [{"x": 1.0}]}


@pytest.fixture
def registered(client, tmp_path):
    """Registered model ``churn`` with versions 1 and 2 (each answering its number);
    ``champion`` points at 1."""
    import pandas as pd

    registry = client.store.registry
    registry.create_registered_model("churn")
    for version in (1, 2):
        folder = tmp_path / f"v{version}"
        save_model(
            folder, python_model=Versioned(version), input_example=pd.DataFrame({"x": [1.0]})
        )
        created = registry.create_model_version("churn", str(folder))
        assert created.version == version
    registry.set_alias("churn", "champion", 1)
    return registry


def test_metadata_names_the_version_behind_the_alias(registered, serve):
    server = serve("models:/churn@champion", "--poll-interval", "0.2")
    meta = httpx.get(f"{server.url}/metadata").json()
    assert meta["model_uri"] == "models:/churn@champion"
    assert (meta["registered_model"], meta["alias"], meta["version"]) == ("churn", "champion", 1)
    assert meta["loaded_uri"] == "models:/churn/1"
    assert meta["source"].endswith("v1")


def test_moving_the_alias_under_load_fails_no_request(registered, serve):
    server = serve("models:/churn@champion", "--poll-interval", "0.2")
    stop = threading.Event()
    answers: list[list[int]] = [[] for _ in range(4)]
    failures: list[str] = []

    def hammer(mine: list[int]) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                try:
                    reply = http.post("/invocations", json=ROW)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if reply.status_code != 200:
                    failures.append(f"{reply.status_code} {reply.text}")
                    continue
                (version,) = reply.json()["predictions"]
                if reply.headers["x-model-version"] != str(version):
                    failures.append(f"answered by {version}, header {reply.headers}")
                mine.append(version)

    clients = [threading.Thread(target=hammer, args=(mine,)) for mine in answers]
    for thread in clients:
        thread.start()
    try:
        time.sleep(1.0)
        registered.set_alias("churn", "champion", 2)
        deadline = time.monotonic() + 30
        while not all(mine and mine[-1] == 2 for mine in answers):
            assert time.monotonic() < deadline, "the server did not switch to version 2"
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert failures == []
    # Every client kept sending through the move (a count, not a rate: the machine may be busy).
    assert all(len(mine) >= 3 for mine in answers)
    for mine in answers:
        assert mine[0] == 1 and mine[-1] == 2
        switched = mine.index(2)
        assert set(mine[:switched]) == {1} and set(mine[switched:]) == {2}
    meta = httpx.get(f"{server.url}/metadata").json()
    assert (meta["version"], meta["loaded_uri"]) == (2, "models:/churn/2")


def test_an_unknown_alias_is_one_line(registered):
    from cli_support import cairn

    result = cairn("models", "serve", "models:/churn@nobody")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "nobody" in result.stderr


def test_a_removed_alias_keeps_the_served_version(registered, serve):
    server = serve("models:/churn@champion", "--poll-interval", "0.1")
    registered.delete_alias("churn", "champion")
    time.sleep(1.0)  # several polls fail with NotFound meanwhile
    reply = httpx.post(f"{server.url}/invocations", json=ROW, timeout=30)
    assert reply.status_code == 200
    assert reply.json() == {"predictions": [1]}
    assert "could not follow models:/churn@champion" in server.log()
