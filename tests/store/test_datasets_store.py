"""Datasets as runs recorded them, on every backend (SQLite, PostgreSQL, MySQL and a live cairn
server): names, versions, the runs that read each, narrowing, deleted runs, bad input."""

from __future__ import annotations

import pytest

from cairn.entities import DatasetInput
from cairn.errors import InvalidInput, NotFound


@pytest.fixture
def store(cairn_store):
    return cairn_store


def _input(name: str, digest: str, context: str | None = None) -> DatasetInput:
    tags = {} if context is None else {"mlflow.data.context": context}
    return DatasetInput(name, digest, "cairn", f'{{"path": "{name}.csv"}}', '{"x": 1}', None, tags)


def _run(store, experiment_id: str, name: str, start: int) -> str:
    return store.runs.create_run(experiment_id, run_name=name, start_time=start).info.run_id


def test_versions_list_the_runs_that_read_them_newest_first(store):
    first = _run(store, "0", "first", 1_000)
    second = _run(store, "0", "second", 2_000)
    third = _run(store, "0", "third", 3_000)
    store.run_io.log_inputs(first, [_input("train", "d1", "training"), _input("eval", "e1")])
    store.run_io.log_inputs(second, [_input("train", "d1", "training")])
    store.run_io.log_inputs(third, [_input("train", "d2", "training")])

    summaries = store.datasets.list_datasets()
    assert [(s.name, s.versions, s.runs, s.last_used) for s in summaries] == [
        ("train", 2, 3, 3_000),
        ("eval", 1, 1, 1_000),
    ]
    versions = store.datasets.get_dataset("train")
    assert [v.digest for v in versions] == ["d2", "d1"]
    assert [(u.run_name, u.context) for u in versions[1].uses] == [
        ("second", "training"),
        ("first", "training"),
    ]
    assert versions[1].first_used == 1_000
    assert versions[0].dataset.source == '{"path": "train.csv"}'
    assert versions[0].dataset.schema == '{"x": 1}'
    assert [s.name for s in store.datasets.list_datasets(name_like="tr%")] == ["train"]


def test_deleted_runs_and_other_experiments_are_left_out(store):
    other = store.experiments.create_experiment("other")
    kept = _run(store, "0", "kept", 1_000)
    gone = _run(store, "0", "gone", 2_000)
    elsewhere = _run(store, other, "elsewhere", 3_000)
    store.run_io.log_inputs(kept, [_input("train", "d1")])
    store.run_io.log_inputs(gone, [_input("train", "d2")])
    store.run_io.log_inputs(elsewhere, [_input("secret", "s1")])
    store.runs.delete_run(gone)

    assert [v.digest for v in store.datasets.get_dataset("train")] == ["d1"]
    assert [s.name for s in store.datasets.list_datasets(experiment_ids=["0"])] == ["train"]
    with pytest.raises(NotFound, match="secret"):
        store.datasets.get_dataset("secret", experiment_ids=["0"])
    assert store.datasets.get_dataset("secret", experiment_ids=[other])[0].uses[0].run_name == (
        "elsewhere"
    )


def test_bad_input_is_refused(store):
    with pytest.raises(NotFound, match="cairn data lineage"):
        store.datasets.get_dataset("never-logged")
    with pytest.raises(InvalidInput, match="dataset name"):
        store.datasets.get_dataset("")
    with pytest.raises(InvalidInput):
        store.datasets.list_datasets(experiment_ids=["not-a-number"])
    with pytest.raises(InvalidInput):
        store.datasets.list_datasets(max_results=0)
