"""The model registry on every backend (SQLite, PostgreSQL, MySQL and a live cairn server):
registered models, versions, tags, aliases, stages, search and paging, concurrent version
numbers, audit events, and bad input that leaves the store unchanged."""

from __future__ import annotations

import threading

import pytest

from cairn.errors import AlreadyExists, InvalidFilter, InvalidInput, NotFound

RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def reg(cairn_store):
    return cairn_store.registry


def test_registered_model_lifecycle(reg):
    made = reg.create_registered_model("churn", description="first", tags={"team": "growth"})
    assert (made.name, made.description, made.tags, made.aliases) == (
        "churn",
        "first",
        {"team": "growth"},
        {},
    )
    assert made.creation_time > 0 and made.last_updated_time >= made.creation_time
    assert made.latest_versions == []
    assert reg.get_registered_model("churn") == made

    assert reg.update_registered_model("churn", "second").description == "second"
    reg.set_registered_model_tag("churn", "stage", "beta")
    reg.set_registered_model_tag("churn", "team", "core")
    assert reg.get_registered_model("churn").tags == {"team": "core", "stage": "beta"}
    reg.delete_registered_model_tag("churn", "stage")
    assert reg.get_registered_model("churn").tags == {"team": "core"}

    reg.create_model_version("churn", "/models/a", run_id=RUN_ID)
    renamed = reg.rename_registered_model("churn", "churn-v2")
    assert renamed.name == "churn-v2" and renamed.tags == {"team": "core"}
    assert reg.find_registered_model("churn") is None
    assert reg.get_model_version("churn-v2", 1).name == "churn-v2"

    reg.delete_registered_model("churn-v2")
    assert reg.find_registered_model("churn-v2") is None
    assert reg.search_model_versions().items == []


def test_versions_aliases_and_stages(reg):
    reg.create_registered_model("churn")
    one = reg.create_model_version(
        "churn", "/models/a", run_id=RUN_ID, description="d", tags={"k": "v"}
    )
    assert (one.version, one.source, one.run_id, one.status, one.current_stage) == (
        1,
        "/models/a",
        RUN_ID,
        "READY",
        "None",
    )
    assert (one.description, one.tags, one.aliases) == ("d", {"k": "v"}, [])
    two = reg.create_model_version("churn", "/models/b")
    assert two.version == 2 and two.run_id is None

    moved = reg.set_alias("churn", "champion", 1)
    assert moved.aliases == ["champion"]
    reg.set_alias("churn", "challenger", 2)
    reg.set_alias("churn", "champion", 2)  # moving an alias
    assert reg.get_model_version_by_alias("churn", "champion").version == 2
    assert reg.get_registered_model("churn").aliases == {"challenger": 2, "champion": 2}
    assert reg.get_model_version("churn", 1).aliases == []
    assert reg.get_model_version("churn", "2").aliases == ["challenger", "champion"]
    reg.delete_alias("churn", "challenger")
    with pytest.raises(NotFound, match="has no alias 'challenger'"):
        reg.get_model_version_by_alias("churn", "challenger")

    reg.transition_stage("churn", 1, "production")
    reg.transition_stage("churn", 2, "Production", archive_existing=True)
    assert reg.get_model_version("churn", 1).current_stage == "Archived"
    latest = reg.get_latest_versions("churn", ["Production"])
    assert [(v.version, v.current_stage) for v in latest] == [(2, "Production")]
    assert [v.version for v in reg.get_latest_versions("churn")] == [1, 2]
    assert [v.version for v in reg.get_registered_model("churn").latest_versions] == [1, 2]

    reg.set_model_version_tag("churn", 2, "ok", "yes")
    assert reg.update_model_version("churn", 2, "better").description == "better"
    reg.delete_model_version_tag("churn", 1, "k")
    assert reg.get_model_version("churn", 1).tags == {}
    assert reg.get_model_version("churn", 2).tags == {"ok": "yes"}

    reg.delete_model_version("churn", 2)
    with pytest.raises(NotFound, match="registered model 'churn' has no version 2"):
        reg.get_model_version("churn", 2)
    assert reg.get_registered_model("churn").aliases == {}
    assert reg.create_model_version("churn", "/models/c").version == 3  # numbers never reused


def test_search_filters_and_pages(reg):
    for name in ("alpha", "beta", "Alpine", "gamma"):
        reg.create_registered_model(name, tags={"team": "a" if name < "b" else "b"})
    names = [m.name for m in reg.search_registered_models()]
    assert names == ["Alpine", "alpha", "beta", "gamma"]
    assert [m.name for m in reg.search_registered_models("name LIKE 'al%'")] == ["alpha"]
    assert [m.name for m in reg.search_registered_models("name ILIKE 'al%'")] == [
        "Alpine",
        "alpha",
    ]
    assert [m.name for m in reg.search_registered_models("tags.team = 'b'")] == ["beta", "gamma"]
    reg.set_registered_model_tag("gamma", "hidden", "true")
    shown = reg.search_registered_models("name LIKE '%a' AND tag.`hidden` != 'true'")
    assert [m.name for m in shown] == ["alpha", "beta"]  # models without the tag match a != on it
    ordered = reg.search_registered_models(order_by=["name DESC"])
    assert [m.name for m in ordered] == ["gamma", "beta", "alpha", "Alpine"]
    first = reg.search_registered_models(max_results=3)
    assert len(first.items) == 3 and first.next_page_token
    rest = reg.search_registered_models(max_results=3, page_token=first.next_page_token)
    assert [m.name for m in rest] == ["gamma"] and rest.next_page_token is None

    for i in range(3):
        reg.create_model_version("alpha", f"/a/{i}", run_id=RUN_ID if i == 1 else None)
    reg.create_model_version("beta", "/b/0", tags={"k": "v"})
    found = reg.search_model_versions("name = 'alpha'")
    assert [v.version for v in found] == [3, 2, 1]
    assert [(v.name, v.version) for v in reg.search_model_versions(f"run_id = '{RUN_ID}'")] == [
        ("alpha", 2)
    ]
    assert [v.name for v in reg.search_model_versions("tags.k = 'v'")] == ["beta"]
    page = reg.search_model_versions("name = 'alpha'", max_results=2)
    assert [v.version for v in page] == [3, 2] and page.next_page_token
    with pytest.raises(InvalidFilter):
        reg.search_registered_models("colour = 'red'")


def test_concurrent_versions_get_distinct_numbers(reg):
    reg.create_registered_model("busy")
    made: list[int] = []
    errors: list[Exception] = []

    def create(i: int) -> None:
        try:
            made.append(reg.create_model_version("busy", f"/m/{i}").version)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(made) == list(range(1, 9))


def test_unknown_and_duplicate_names(reg):
    reg.create_registered_model("churn")
    with pytest.raises(AlreadyExists, match="a registered model named 'churn' exists already"):
        reg.create_registered_model("churn")
    with pytest.raises(NotFound, match="no registered model named 'chrn'.*Did you mean 'churn'"):
        reg.get_registered_model("chrn")
    reg.create_registered_model("other")
    with pytest.raises(AlreadyExists):
        reg.rename_registered_model("other", "churn")
    for call in (
        lambda: reg.create_model_version("nope", "/m"),
        lambda: reg.get_model_version("churn", 1),
        lambda: reg.set_alias("churn", "champion", 1),
        lambda: reg.delete_alias("churn", "champion"),
        lambda: reg.delete_registered_model("nope"),
        lambda: reg.delete_registered_model_tag("churn", "missing"),
        lambda: reg.transition_stage("churn", 4, "Staging"),
    ):
        with pytest.raises(NotFound):
            call()


BAD_INPUT = [
    (lambda r: r.create_registered_model("a/b"), "registered model name 'a/b' is not allowed"),
    (lambda r: r.create_registered_model(""), "registered model name must not be empty"),
    (lambda r: r.create_registered_model("x@y"), "is not allowed"),
    (lambda r: r.create_registered_model("ok", tags={"": "v"}), "tag key must not be empty"),
    (lambda r: r.create_model_version("ok", ""), "model version source must not be empty"),
    (lambda r: r.create_model_version("ok", "/m", run_id="zz"), "run id 'zz' is not 32"),
    (lambda r: r.get_model_version("ok", 0), "model version must be a positive integer"),
    (lambda r: r.set_alias("ok", "latest", 1), "alias 'latest' is not allowed"),
    (lambda r: r.set_alias("ok", "v2", 1), "alias 'v2' is not allowed"),
    (lambda r: r.set_alias("ok", "a b", 1), "alias 'a b' is not allowed"),
    (lambda r: r.transition_stage("ok", 1, "prod"), "stage 'prod' is not one of"),
    (lambda r: r.search_registered_models(max_results=0), "max_results"),
]


def test_bad_input_is_refused_and_nothing_is_stored(reg):
    reg.create_registered_model("ok")
    reg.create_model_version("ok", "/m")
    before = (reg.get_registered_model("ok"), reg.search_model_versions().items)
    for call, message in BAD_INPUT:
        with pytest.raises(InvalidInput, match=message):
            call(reg)
    assert (reg.get_registered_model("ok"), reg.search_model_versions().items) == before
    assert [m.name for m in reg.search_registered_models()] == ["ok"]


def test_every_write_is_audited_with_its_actor(cairn_store):
    if cairn_store.remote:
        pytest.skip("the audit trail is read on the server's own store")
    reg = cairn_store.registry
    reg.create_registered_model("churn")
    reg.create_model_version("churn", "/m")
    reg.set_alias("churn", "champion", 1)
    reg.transition_stage("churn", 1, "Staging")
    events = [
        e
        for e in cairn_store.audit.list_events()
        if e.entity.startswith(("registered_model:", "model_version:"))
    ]
    assert [(e.action, e.entity) for e in events] == [
        ("registered_model.create", "registered_model:churn"),
        ("model_version.create", "model_version:churn/1"),
        ("registered_model.set_alias", "model_version:churn/1"),
        ("model_version.transition_stage", "model_version:churn/1"),
    ]
    assert {e.actor for e in events} == {cairn_store.actor}
