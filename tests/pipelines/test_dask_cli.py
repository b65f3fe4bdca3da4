"""`cairn pipeline run --executor dask-local`: a pipeline on an in-process Dask cluster,
deps and outs travelling through a local-folder data remote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipeline_helpers import ran_log

from cli_support import cairn


@pytest.mark.slow
def test_pipeline_runs_on_a_local_dask_cluster(three_stages: Path, tmp_path: Path) -> None:
    result = cairn("data", "remote", "add", "store", str(tmp_path / "remote"), "--default")
    assert result.exit_code == 0, result.output
    result = cairn("pipeline", "run", "--executor", "dask-local", "--jobs", "2", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert [s["status"] for s in outcome["stages"]] == ["ran", "ran", "ran"]
    assert outcome["stages"][-1]["metrics"] == {"score.acc": 0.9, "rows": 3}
    assert (three_stages / "data" / "prepared.txt").read_text() == "A\nB\nC\n"
    assert (three_stages / "model.txt").read_text() == "0.1 3"
    assert ran_log(three_stages) == []  # the stages ran in workers' scratch folders
    status = json.loads(cairn("pipeline", "status", "--json").output)
    assert all(not stage["stale"] for stage in status), status
    again = json.loads(cairn("pipeline", "run", "--executor", "dask-local", "--json").output)
    assert {s["status"] for s in again["stages"]} == {"skipped"}


def test_dask_executor_without_a_remote_fails_before_running(three_stages: Path) -> None:
    result = cairn("pipeline", "run", "--executor", "dask-local")
    assert result.exit_code == 1
    assert "cairn data remote add" in result.output
    assert not (three_stages / "data" / "prepared.txt").exists()
    assert not (three_stages / "cairn.lock").exists()
