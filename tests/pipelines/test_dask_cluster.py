"""`cairn pipeline run --executor tcp://...` against a real `dask scheduler` and two
`dask worker` processes: outputs travel through the data remote, not a shared folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_cluster import dask_cluster
from pipeline_helpers import ran_log

from cairn.objects.hashing import hash_file
from cairn.pipelines.shipping import RemoteSpec
from cli_support import cairn


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as address:
        yield address


def test_pipeline_runs_on_real_dask_workers(
    three_stages: Path, tmp_path: Path, scheduler: str
) -> None:
    remote = tmp_path / "remote"
    assert cairn("data", "remote", "add", "store", str(remote), "--default").exit_code == 0
    result = cairn("pipeline", "run", "--executor", scheduler, "--jobs", "2", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert [s["status"] for s in outcome["stages"]] == ["ran", "ran", "ran"]
    assert outcome["stages"][-1]["metrics"] == {"score.acc": 0.9, "rows": 3}
    assert (three_stages / "model.txt").read_text() == "0.1 3"
    assert ran_log(three_stages) == []
    # The outs came back through the remote: it holds the bytes of every one of them.
    index = RemoteSpec("store", str(remote)).index()
    for out in ("data/prepared.txt", "model.txt"):
        assert hash_file(three_stages / out)[0] in index
    # A param change reruns train and evaluate on the cluster, not prepare.
    (three_stages / "params.yaml").write_text("train:\n  lr: 0.5\n  depth: 3\n")
    result = cairn("pipeline", "run", "--executor", scheduler, "--json")
    outcome = json.loads(result.output)
    assert [s["status"] for s in outcome["stages"]] == ["skipped", "ran", "ran"]
    assert (three_stages / "model.txt").read_text() == "0.5 3"
