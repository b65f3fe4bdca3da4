"""The Dask executor on an in-process LocalCluster: stages run in a worker's scratch folder,
deps and outs travel through the project's data remote, outputs land in the workspace."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import alive, wait_for

from cairn.data.remotes import add_remote
from cairn.errors import ConfigError, InvalidInput, InvalidState
from cairn.pipelines.dask_executor import DaskExecutor
from cairn.pipelines.executor import StageTask
from cairn.pipelines.model import Stage
from cairn.pipelines.ranks import free_port


def make_project(root: Path, remote: Path | None) -> Path:
    """A project folder with a data file, a data folder and (optionally) a default remote."""
    (root / ".cairn").mkdir(parents=True)
    (root / "data" / "images").mkdir(parents=True)
    (root / "data" / "raw.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "data" / "images" / "one.txt").write_text("1")
    (root / "data" / "images" / "sub").mkdir()
    (root / "data" / "images" / "sub" / "two.txt").write_text("22")
    if remote is not None:
        add_remote(root, "store", str(remote), default=True)
    return root


@pytest.fixture(scope="module")
def dask_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DaskExecutor]]:
    base = tmp_path_factory.mktemp("dask")
    root = make_project(base / "project", base / "remote")
    executor = DaskExecutor(None, root=root, jobs=2)
    yield root, executor
    executor.close()


def test_a_stage_runs_in_scratch_and_its_outs_come_back(
    dask_project: tuple[Path, DaskExecutor],
) -> None:
    root, executor = dask_project
    cmd = (
        "mkdir -p out/parts && wc -l < data/raw.csv > out/lines.txt && "
        "cp -r data/images out/parts/ && pwd > out/where.txt && "
        "python -c \"import yaml; p = yaml.safe_load(open('params.yaml')); "
        "print(p['train']['lr'])\" > out/lr.txt && "
        "echo '{\"f1\": 0.5}' > metrics.json && echo done"
    )
    stage = Stage(
        name="prepare",
        cmd=cmd,
        deps=("data/raw.csv", "data/images"),
        params=("train.lr",),
        outs=("out",),
        metrics=("metrics.json",),
    )
    task = StageTask(stage, root, root / ".cairn" / "logs" / "prepare", params={"train.lr": 0.25})
    result = executor.submit(task).result(timeout=120)
    assert result.ok, result
    assert (root / "out" / "lines.txt").read_text().strip() == "3"
    assert (root / "out" / "lr.txt").read_text().strip() == "0.25"
    assert (root / "out" / "parts" / "images" / "sub" / "two.txt").read_text() == "22"
    assert (root / "metrics.json").read_text().strip() == '{"f1": 0.5}'
    where = Path((root / "out" / "where.txt").read_text().strip())
    assert not where.is_relative_to(root) and not where.exists()  # a scratch folder, removed
    assert (task.log_dir / "stdout.txt").read_text() == "done\n"
    assert any((root.parent / "remote").rglob("*"))  # everything travelled through the remote


def test_a_failing_stage_reports_its_stderr_and_brings_nothing_back(
    dask_project: tuple[Path, DaskExecutor],
) -> None:
    root, executor = dask_project
    stage = Stage(name="broken", cmd="echo oops >&2; touch half.txt; exit 4", outs=("half.txt",))
    task = StageTask(stage, root, root / ".cairn" / "logs" / "broken")
    result = executor.submit(task).result(timeout=120)
    assert not result.ok and result.returncode == 4
    assert (task.log_dir / "stderr.txt").read_text() == "oops\n"
    assert not (root / "half.txt").exists()


def test_a_stage_sees_only_its_declared_deps_with_their_modes(
    dask_project: tuple[Path, DaskExecutor],
) -> None:
    root, executor = dask_project
    (root / "peek.sh").write_text(
        "#!/bin/sh\ntest ! -e data/raw.csv && test -e data/images/one.txt\n"
    )
    (root / "peek.sh").chmod(0o755)
    stage = Stage(name="peek", cmd="./peek.sh", deps=("peek.sh", "data/images"))
    result = executor.submit(StageTask(stage, root, root / ".cairn" / "logs" / "peek")).result(120)
    assert result.ok, result


def test_timeout_kills_a_remote_stage(dask_project: tuple[Path, DaskExecutor]) -> None:
    root, executor = dask_project
    stage = Stage(name="slow", cmd="sleep 60", timeout=0.5)
    result = executor.submit(StageTask(stage, root, root / ".cairn" / "logs" / "slow")).result(120)
    assert result.timed_out and not result.ok


def test_two_ranks_rendezvous_across_workers(dask_project: tuple[Path, DaskExecutor]) -> None:
    root, executor = dask_project
    cmd = 'echo "$RANK $WORLD_SIZE $LOCAL_RANK $MASTER_ADDR $MASTER_PORT" > rank.txt; cat rank.txt'
    stage = Stage(name="ddp", cmd=cmd, outs=("rank.txt",), workers=2)
    task = StageTask(stage, root, root / ".cairn" / "logs" / "ddp")
    result = executor.submit(task).result(timeout=120)
    assert result.ok, result
    rank0 = (root / "rank.txt").read_text().split()
    assert rank0[:2] == ["0", "2"]  # rank 0's out is the one kept
    rank1 = (task.log_dir / "stdout.rank1.txt").read_text().split()
    assert rank1[:2] == ["1", "2"] and rank1[3:] == rank0[3:]
    assert (task.log_dir / "stdout.txt").read_text().split() == rank0


def test_more_ranks_than_workers_share_the_workers(
    dask_project: tuple[Path, DaskExecutor],
) -> None:
    root, executor = dask_project
    stage = Stage(name="ddp3", cmd='echo "$RANK $WORLD_SIZE $LOCAL_RANK"', workers=3)
    task = StageTask(stage, root, root / ".cairn" / "logs" / "ddp3")
    result = executor.submit(task).result(timeout=120)
    assert result.ok, result
    lines = [(task.log_dir / f"stdout.rank{k}.txt").read_text().split() for k in range(3)]
    assert [line[:2] for line in lines] == [["0", "3"], ["1", "3"], ["2", "3"]]
    assert sorted(line[2] for line in lines) == ["0", "1", "2"]  # all on 127.0.0.1


def test_a_failing_rank_stops_the_other_worker(dask_project: tuple[Path, DaskExecutor]) -> None:
    root, executor = dask_project
    cmd = 'if [ "$RANK" = 1 ]; then exit 5; fi; sleep 60'
    stage = Stage(name="ddp-broken", cmd=cmd, workers=2)
    task = StageTask(stage, root, root / ".cairn" / "logs" / "ddp-broken")
    result = executor.submit(task).result(timeout=30)
    assert not result.ok and result.returncode == 5


def test_no_remote_is_an_error_before_anything_runs(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", None)
    with pytest.raises(ConfigError, match="cairn data remote add"):
        DaskExecutor(None, root=root, jobs=1)


def test_a_bad_scheduler_address_is_rejected(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", tmp_path / "remote")
    with pytest.raises(InvalidInput, match="tcp://HOST:PORT"):
        DaskExecutor("http://127.0.0.1:1", root=root, jobs=1)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", tmp_path / "remote")
    with pytest.raises(InvalidState, match="cannot reach the Dask scheduler"):
        DaskExecutor(f"tcp://127.0.0.1:{free_port()}", root=root, jobs=1, connect_timeout=0.5)


def test_closing_kills_the_stages_still_running(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", tmp_path / "remote")
    pid_file = tmp_path / "pid"
    executor = DaskExecutor(None, root=root, jobs=1)
    stage = Stage(name="long", cmd=f"sleep 60 & echo $! > {pid_file}; wait")
    future = executor.submit(StageTask(stage, root, root / ".cairn" / "logs" / "long"))
    wait_for(pid_file)
    started = time.monotonic()
    executor.close()
    assert time.monotonic() - started < 15
    result = future.result(timeout=1)
    assert not result.ok and "interrupted" in (result.error or "")
    assert not alive(int(pid_file.read_text()))
