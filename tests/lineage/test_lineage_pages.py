"""``/api/v1/lineage`` and the Lineage graph section of the model version, run and dataset
pages on a live server with --auth: an admin sees the whole chain; a user who may read the
model but not the experiment sees the runs as hidden nodes, without their facts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from lineage_chain import Chain, build_chain

from cairn.server import ServerSettings
from cairn.server.auth import passwords
from cairn.server.live import LiveServer
from cairn.store import open_store
from cairn.store.sql.auth import Permission

API = "/api/v1/lineage"


@dataclass
class Site:
    admin: httpx.Client
    alice: httpx.Client
    chain: Chain


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("lineage-site")
    uri = f"sqlite:///{tmp / 'server.db'}"
    with open_store(uri, artifact_root=str(tmp / "artifacts")) as store:
        chain = build_chain(store)
        for name in ("admin", "alice"):
            store.auth.create_user(
                name, passwords.hash_password(f"{name}-pw"), is_admin=name == "admin"
            )
        store.auth.grant("alice", "registered_model", "churn", Permission.READ)
    settings = ServerSettings(
        uri, str(tmp / "artifacts"), auth=True, default_permission="NO_PERMISSIONS"
    )
    with LiveServer(settings) as live:
        clients = {
            name: httpx.Client(base_url=live.url, auth=(name, f"{name}-pw"), timeout=30)
            for name in ("admin", "alice")
        }
        yield Site(clients["admin"], clients["alice"], chain)
        for client in clients.values():
            client.close()


def test_api_answers_the_whole_graph_to_an_admin(site: Site):
    found = site.admin.get(API, params={"ref": "models:/churn@champion"})
    assert found.status_code == 200, found.text
    graph = found.json()
    ids = {n["id"] for n in graph["nodes"]}
    assert {
        f"run:{site.chain.train}",
        "dataset:raw@" + "1" * 32,
        f"alert:{site.chain.alert_id}",
    } <= ids
    assert not any(n["hidden"] for n in graph["nodes"])
    upstream = site.admin.get(
        API, params={"ref": site.chain.train, "direction": "upstream", "depth": 1}
    )
    assert {n["kind"] for n in upstream.json()["nodes"]} == {
        "stage",
        "dataset_version",
        "pipeline_run",
    }


def test_runs_the_caller_may_not_read_are_hidden(site: Site):
    found = site.alice.get(API, params={"ref": "models:/churn/1"})
    assert found.status_code == 200, found.text
    nodes = {n["id"]: n for n in found.json()["nodes"]}
    run = nodes[f"run:{site.chain.train}"]
    assert run["hidden"] and run["facts"] == {} and run["label"] == "hidden run"
    assert not any(n["kind"] == "dataset_version" for n in nodes.values())  # not walked past
    assert nodes["model:churn/1"]["facts"]["run_id"] == site.chain.train
    refused = site.alice.get(API, params={"ref": site.chain.train})
    assert refused.status_code == 404 and "no run has that id" in refused.json()["message"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"ref": "nonsense"}, 400), ({}, 400), ({"ref": "models:/churn/1", "depth": "99"}, 400),
     ({"ref": "models:/churn/1", "direction": "sideways"}, 400), ({"ref": "models:/nope/1"}, 404)],
)  # fmt: skip
def test_bad_requests(site: Site, params: dict, status: int):
    assert site.admin.get(API, params=params).status_code == status


def test_pages_draw_the_graph_with_links(site: Site):
    chain = site.chain
    for path in ("/models/churn/versions/1", f"/runs/{chain.train}", "/datasets/clean"):
        page = site.admin.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        html = page.text
        assert 'id="lineage-graph"' in html and "<svg" in html, path
        assert f'href="/runs/{chain.train}"' in html or path.startswith("/runs/"), path
        assert f'data-node="alert:{chain.alert_id}"' in html, path
        assert 'href="/models/churn/versions/1"' in html or path.startswith("/models/"), path
        assert "flowchart LR" in html, path
    dataset_page = site.admin.get("/datasets/clean").text
    assert f'href="/pipelines/{chain.pipeline}"' in dataset_page


def test_model_page_shows_hidden_runs_without_a_link(site: Site):
    page = site.alice.get("/models/churn/versions/1")
    assert page.status_code == 200, page.text[:500]
    assert "hidden run" in page.text and f'href="/runs/{site.chain.train}"' not in page.text
