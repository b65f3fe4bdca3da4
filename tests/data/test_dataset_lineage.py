"""Data linked to tracking: ``cairn.data.dataset`` versions recorded with ``cairn.log_input``,
listed by ``cairn runs show`` and ``cairn data lineage``, for files, folders and tables."""

from __future__ import annotations

import json

import blake3
import pytest
from tests.cli_support import cairn as run_cli

import cairn
from cairn.errors import InvalidInput, NotFound


def _csv(path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["x,y,label"] + [f"{i},{i / 2},{'ab'[i % 2]}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")


def test_a_table_version_is_recorded_on_the_run_with_rows_and_columns(cairn_project):
    train = cairn_project / "data" / "train.csv"
    _csv(train, 5)
    version = cairn.data.dataset("data/train.csv")
    assert version.name == "train" and version.kind == "file" and version.files == 1
    assert version.oid == blake3.blake3(train.read_bytes()).hexdigest()
    assert version.table.rows == 5
    assert version.table.columns == [("x", "long"), ("y", "double"), ("label", "string")]

    with cairn.start_run(run_name="fit") as run:
        recorded = cairn.log_input(version, context="training", tags={"split": "a"})
    assert recorded.digest == version.oid[:32]
    io = cairn.CairnClient().get_run_io(run.info.run_id)
    [stored] = io.datasets
    assert stored.tags == {"mlflow.data.context": "training", "split": "a"}
    assert json.loads(stored.source)["hash"] == f"blake3:{version.oid}"
    assert json.loads(stored.profile)["num_rows"] == 5
    assert json.loads(stored.schema)["mlflow_colspec"][0] == {
        "name": "x", "type": "long", "required": True,
    }  # fmt: skip

    shown = run_cli("runs", "show", run.info.run_id, "--json")
    assert shown.exit_code == 0, shown.output
    [described] = json.loads(shown.output)["datasets"]
    assert (described["name"], described["rows"], described["path"]) == (
        "train", 5, "data/train.csv",
    )  # fmt: skip
    table = run_cli("runs", "show", run.info.run_id)
    assert "Datasets" in table.output and "training" in table.output


def test_lineage_lists_each_version_with_the_runs_that_read_it(cairn_project):
    train = cairn_project / "train.csv"
    _csv(train, 3)
    with cairn.start_run(run_name="first"):
        cairn.log_input(cairn.data.dataset(train), context="training")
    with cairn.start_run(run_name="again"):
        cairn.log_input(cairn.data.dataset(train), context="training")
    _csv(train, 4)  # a new version of the same data
    with cairn.start_run(run_name="newer"):
        cairn.log_input(cairn.data.dataset(train), context="training")

    listed = run_cli("data", "lineage", "--json")
    assert listed.exit_code == 0, listed.output
    assert [(d["name"], d["versions"], d["runs"]) for d in json.loads(listed.output)] == [
        ("train", 2, 3)
    ]
    detail = json.loads(run_cli("data", "lineage", "train", "--json").output)
    newest, oldest = detail["versions"]
    assert [u["run_name"] for u in newest["uses"]] == ["newer"]
    assert sorted(u["run_name"] for u in oldest["uses"]) == ["again", "first"]
    assert newest["described"]["rows"] == 4 and oldest["described"]["rows"] == 3
    text = run_cli("data", "lineage", "train").output
    assert "newer" in text and "first" in text
    missing = run_cli("data", "lineage", "nope")
    assert missing.exit_code == 1 and "no run read a dataset named 'nope'" in missing.output


def test_a_folder_version_is_its_manifest_and_matches_the_pointer(cairn_project):
    folder = cairn_project / "images"
    for i in range(30):
        (folder / f"c{i % 3}").mkdir(parents=True, exist_ok=True)
        (folder / f"c{i % 3}" / f"{i}.txt").write_text(f"image {i}")
    before = cairn.data.dataset("images")
    assert (before.kind, before.files, before.pointer, before.table) == ("dir", 30, None, None)
    assert before.size == sum(len(f"image {i}") for i in range(30))

    added = run_cli("data", "add", "images")
    assert added.exit_code == 0, added.output
    tracked = cairn.data.dataset("images", name="imgs")
    assert tracked.oid == before.oid and tracked.committed is True
    assert tracked.pointer == "images.cairn"

    (folder / "c0" / "0.txt").write_text("edited")
    edited = cairn.data.dataset("images")
    assert edited.oid != before.oid and edited.committed is False


def test_data_absent_from_the_workspace_is_described_by_its_pointer(cairn_project):
    _csv(cairn_project / "big.csv", 10)
    assert run_cli("data", "add", "big.csv").exit_code == 0
    present = cairn.data.dataset("big.csv")
    (cairn_project / "big.csv").unlink()
    absent = cairn.data.dataset("big.csv")
    assert (absent.oid, absent.size, absent.committed) == (present.oid, present.size, True)
    assert absent.table.rows == 10  # read from the cache


def test_bad_input_says_what_is_wrong(cairn_project):
    with pytest.raises(NotFound, match=r"nothing\.csv does not exist"):
        cairn.data.dataset("nothing.csv")
    (cairn_project / "ok.txt").write_text("x")
    with pytest.raises(InvalidInput, match="name must be a non-empty string"):
        cairn.data.dataset("ok.txt", name=" ")
    (cairn_project / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match="looks like parquet but cannot be read"):
        cairn.data.dataset("broken.parquet")
    with (
        cairn.start_run() as run,
        pytest.raises(InvalidInput, match="log_input takes a dataset"),
    ):
        cairn.log_input("data/train.csv")  # type: ignore[arg-type]
    assert cairn.CairnClient().get_run_io(run.info.run_id).datasets == []
