"""pipeline_status: each stale stage and the reasons, in words a person reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pipeline_helpers import write_project

from cairn.errors import NotFound
from cairn.pipelines.runner import run_pipeline
from cairn.pipelines.status import pipeline_status


def reasons(root: Path, *targets: str) -> dict[str, list[str]]:
    return {s.name: s.reasons for s in pipeline_status(root, targets) if s.stale}


def edit_stage(root: Path, name: str, **fields: object) -> None:
    document = yaml.safe_load((root / "cairn.yaml").read_text())
    document["stages"][name].update(fields)
    (root / "cairn.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def test_nothing_ran_yet(three_stages: Path) -> None:
    assert reasons(three_stages) == {
        "prepare": ["never ran"],
        "train": ["never ran", "upstream stage prepare will run"],
        "evaluate": ["never ran", "upstream stage train will run"],
    }


def test_up_to_date_after_a_run(three_stages: Path) -> None:
    run_pipeline(three_stages, track=False)
    found = pipeline_status(three_stages)
    assert [(s.name, s.stale) for s in found] == [
        ("prepare", False), ("train", False), ("evaluate", False),
    ]  # fmt: skip
    assert found[0].to_dict() == {"name": "prepare", "stale": False, "reasons": []}


def test_param_change(three_stages: Path) -> None:
    run_pipeline(three_stages, track=False)
    params = three_stages / "params.yaml"
    params.write_text(params.read_text().replace("lr: 0.1", "lr: 0.01"))
    assert reasons(three_stages) == {
        "train": ["param train.lr changed 0.1 -> 0.01"],
        "evaluate": ["upstream stage train will run"],
    }
    # A param no stage uses changes nothing.
    params.write_text(
        params.read_text().replace("lr: 0.01", "lr: 0.1").replace("depth: 3", "depth: 4")
    )
    assert reasons(three_stages) == {}


def test_a_change_inside_a_whole_section_names_the_key(three_stages: Path) -> None:
    edit_stage(three_stages, "train", params=["train"])
    run_pipeline(three_stages, track=False)
    params = three_stages / "params.yaml"
    params.write_text(params.read_text().replace("lr: 0.1", "lr: 0.01"))
    assert reasons(three_stages)["train"] == ["param train.lr changed 0.1 -> 0.01"]


def test_dep_code_and_command_changes(three_stages: Path) -> None:
    root = three_stages
    run_pipeline(root, track=False)
    (root / "raw.txt").write_text("x\ny\n")
    (root / "evaluate.py").write_text((root / "evaluate.py").read_text() + "\n# tweak\n")
    edit_stage(root, "train", cmd="python train.py --fast")
    assert reasons(root) == {
        "prepare": ["dep raw.txt changed"],
        "train": ["upstream stage prepare will run", "command changed"],
        "evaluate": ["upstream stage train will run", "code changed (evaluate.py)"],
    }


def test_missing_and_modified_outs(three_stages: Path) -> None:
    root = three_stages
    run_pipeline(root, track=False)
    (root / "model.txt").unlink()
    (root / "metrics.json").write_text("{}")
    assert reasons(root) == {
        "train": ["out model.txt is missing"],
        "evaluate": ["upstream stage train will run", "out metrics.json was modified"],
    }


def test_other_definition_changes(three_stages: Path) -> None:
    run_pipeline(three_stages, track=False)
    edit_stage(three_stages, "evaluate", env={"SEED": "1"})
    assert reasons(three_stages) == {"evaluate": ["stage definition changed"]}


def test_targets_limit_to_their_upstream(three_stages: Path) -> None:
    assert [s.name for s in pipeline_status(three_stages, ["train"])] == ["prepare", "train"]
    with pytest.raises(NotFound, match="no stage 'trian'"):
        pipeline_status(three_stages, ["trian"])


def test_folder_deps_and_outs(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, {
        "split": {"cmd": "cp -r raw parts", "deps": ["raw"], "outs": ["parts"]},
        "count": {"cmd": "ls parts | wc -l > count.txt", "deps": ["parts"], "outs": ["count.txt"]},
    }, files={"raw/a.txt": "a", "raw/sub/b.txt": "b"})  # fmt: skip
    assert run_pipeline(root, track=False).ok
    assert reasons(root) == {}
    (root / "raw" / "c.txt").write_text("c")
    (root / "parts" / "a.txt").write_text("changed")
    assert reasons(root) == {
        "split": ["dep raw changed", "out parts was modified"],
        "count": ["upstream stage split will run"],
    }


def test_params_added_and_removed(three_stages: Path) -> None:
    run_pipeline(three_stages, track=False)
    edit_stage(three_stages, "train", params=["train.depth"])
    assert reasons(three_stages)["train"] == ["param train.depth added", "param train.lr removed"]
