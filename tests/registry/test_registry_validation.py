"""The registry's pure checks: names, versions, aliases, stages, tags, NAME/VERSION targets,
and model sources that name nothing (refused before anything is written)."""

from __future__ import annotations

import pytest

from cairn.cli.models import split_target
from cairn.errors import InvalidInput
from cairn.store import registry_validation as rv


@pytest.mark.parametrize(
    ("value", "expected"),
    [("churn", "churn"), ("Churn Model v2", "Churn Model v2"), ("a.b-c_d", "a.b-c_d")],
)
def test_model_names_allowed(value, expected):
    assert rv.model_name(value) == expected


@pytest.mark.parametrize("value", ["", " churn", "churn ", "a/b", "a@b", "tab\there", 3, None])
def test_model_names_refused(value):
    with pytest.raises(InvalidInput, match="registered model name"):
        rv.model_name(value)


def test_versions():
    assert rv.version_number(3) == 3
    assert rv.version_number(" 12 ") == 12
    for bad in (0, -1, "v1", "1.5", True, None):
        with pytest.raises(InvalidInput, match="model version must be a positive integer"):
            rv.version_number(bad)


def test_aliases():
    assert rv.alias_name("champion") == "champion"
    assert rv.alias_name("shadow-2_b") == "shadow-2_b"
    for bad in ("latest", "LATEST", "v3", "V12", "a b", "a.b", ""):
        with pytest.raises(InvalidInput, match="alias"):
            rv.alias_name(bad)


def test_stages_match_without_case():
    assert rv.stage_name("production") == "Production"
    assert rv.stage_name(" none ") == "None"
    assert rv.stage_names(["staging", "Staging", "ARCHIVED"]) == ("Staging", "Archived")
    assert rv.stage_names(None) == ()
    with pytest.raises(InvalidInput, match="stage 'prod' is not one of None, Staging"):
        rv.stage_name("prod")


def test_tags():
    assert rv.tags({"k": "", "team": "growth"}) == {"k": "", "team": "growth"}
    with pytest.raises(InvalidInput, match="tag key has 251 characters"):
        rv.tags({"k" * 251: "v"})
    with pytest.raises(InvalidInput, match="tags must be a mapping"):
        rv.tags(["k=v"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "expected"),
    [("churn", ("churn", None)), ("churn/3", ("churn", "3")), ("my model/12", ("my model", "12"))],
)
def test_split_target(target, expected):
    assert split_target(target) == expected


def test_register_refuses_bad_tags_before_creating_the_model(client):
    import cairn.registry

    with pytest.raises(InvalidInput, match="tag key must not be empty"):
        cairn.registry.register_model("/nowhere", "churn", tags={"": "v"})
    with pytest.raises(InvalidInput, match="is not a model folder"):
        cairn.registry.register_model("/nowhere", "churn")
    with pytest.raises(InvalidInput, match=r"is not runs:/RUN_ID/PATH"):
        cairn.registry.register_model("runs:/abc", "churn")
    assert client.store.registry.search_registered_models().items == []
