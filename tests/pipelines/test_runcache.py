"""The run cache: outputs by stage fingerprint, restored when the same inputs come back."""

from __future__ import annotations

from pathlib import Path

from pipeline_helpers import ran_log, statuses, write_project

from cairn.pipelines.fingerprint import PathHash
from cairn.pipelines.runcache import RunCache
from cairn.pipelines.runner import run_pipeline

FP = "12" * 32
OID = "ab" * 32


def test_put_then_get(tmp_path: Path) -> None:
    cache = RunCache(tmp_path)
    outs = {"model.pkl": PathHash(OID, 5), "data": PathHash(OID, 9, "dir", 3)}
    cache.put(FP, outs, {"m.json": PathHash(OID, 2)}, {"m.json": '{"a": 1}'})
    found = cache.get(FP)
    assert found is not None
    assert found.outs == outs
    assert found.metric_texts == {"m.json": '{"a": 1}'}
    assert cache.get("34" * 32) is None


def test_unreadable_entries_are_misses(tmp_path: Path) -> None:
    cache = RunCache(tmp_path)
    cache.put(FP, {"m": PathHash(OID, 5)}, {}, {})
    (cache.folder / f"{FP}.json").write_text("{not json")
    assert cache.get(FP) is None
    (cache.folder / f"{FP}.json").write_text('{"outs": {"m": {"oid": "x"}}}')
    assert cache.get(FP) is None
    assert cache.get("../../etc/passwd") is None


def test_reverting_a_param_restores_instead_of_running(three_stages: Path) -> None:
    root = three_stages
    run_pipeline(root, track=False)
    first_model = (root / "model.txt").read_text()
    params = root / "params.yaml"
    params.write_text(params.read_text().replace("lr: 0.1", "lr: 0.5"))
    assert statuses(run_pipeline(root, track=False)) == {
        "prepare": "skipped", "train": "ran", "evaluate": "ran",
    }  # fmt: skip
    params.write_text(params.read_text().replace("lr: 0.5", "lr: 0.1"))
    (root / "ran.log").unlink()
    outcome = run_pipeline(root, track=False)
    assert statuses(outcome) == {"prepare": "skipped", "train": "cached", "evaluate": "cached"}
    assert ran_log(root) == []
    assert (root / "model.txt").read_text() == first_model
    assert outcome.stages[2].metrics == {"score.acc": 0.9, "rows": 3.0}
    assert '"acc": 0.9' in (root / "metrics.json").read_text()


def test_a_deleted_out_comes_back_from_the_cache(three_stages: Path) -> None:
    root = three_stages
    run_pipeline(root, track=False)
    (root / "model.txt").unlink()
    (root / "ran.log").unlink()
    outcome = run_pipeline(root, track=False)
    assert statuses(outcome)["train"] == "cached"
    assert outcome.stages[1].reason == "out model.txt is missing"
    assert statuses(outcome)["evaluate"] == "skipped"
    assert ran_log(root) == []


def test_missing_cache_objects_mean_running_again(three_stages: Path) -> None:
    import shutil

    root = three_stages
    run_pipeline(root, track=False)
    shutil.rmtree(root / ".cairn" / "cache")
    (root / "model.txt").unlink()
    (root / "ran.log").unlink()
    assert statuses(run_pipeline(root, track=False))["train"] == "ran"
    assert ran_log(root) == ["train"]


def test_folder_outs_are_restored_into_missing_parents(pipeline_project: Path) -> None:
    import shutil

    root = pipeline_project
    write_project(root, {"split": {
        "cmd": "mkdir -p deep/er/parts/sub && echo a > deep/er/parts/a && echo b > deep/er/parts/sub/b",
        "outs": ["deep/er/parts"],
    }})  # fmt: skip
    assert run_pipeline(root, track=False).ok
    shutil.rmtree(root / "deep")
    outcome = run_pipeline(root, track=False)
    assert statuses(outcome) == {"split": "cached"}
    assert (root / "deep/er/parts/sub/b").read_text() == "b\n"
    assert "/parts" in (root / "deep/er/.gitignore").read_text().split()
