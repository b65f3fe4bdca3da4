"""Multi-rank stages on one machine: rendezvous environment, logs, failing and timing out together."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cairn.entities import Metric
from cairn.errors import InvalidInput
from cairn.pipelines.executor import StageTask
from cairn.pipelines.model import Stage
from cairn.pipelines.process import command_env
from cairn.pipelines.ranks import free_port, rank_envs, run_ranks
from cairn.tracking import fluent

RENDEZVOUS = ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK", "CAIRN_RANK")


def test_rank_envs_on_one_machine() -> None:
    envs = rank_envs(3, "10.0.0.1", 29500)
    assert [e["RANK"] for e in envs] == ["0", "1", "2"]
    assert [e["LOCAL_RANK"] for e in envs] == ["0", "1", "2"]
    assert {e["WORLD_SIZE"] for e in envs} == {"3"}
    assert {(e["MASTER_ADDR"], e["MASTER_PORT"]) for e in envs} == {("10.0.0.1", "29500")}
    assert all(set(e) == set(RENDEZVOUS) for e in envs)


def test_rank_envs_across_machines() -> None:
    envs = rank_envs(4, "h0", 1234, local_ranks=[0, 0, 1, 1])
    assert [e["LOCAL_RANK"] for e in envs] == ["0", "0", "1", "1"]
    assert [e["CAIRN_RANK"] for e in envs] == ["0", "1", "2", "3"]


@pytest.mark.parametrize(("n", "local"), [(0, None), (2, [0])])
def test_rank_envs_rejects_bad_input(n: int, local: list[int] | None) -> None:
    with pytest.raises(InvalidInput):
        rank_envs(n, "h", 1, local)


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def _task(tmp_path: Path, cmd: str, workers: int = 2, timeout: float | None = None) -> StageTask:
    stage = Stage(name="train", cmd=cmd, workers=workers, timeout=timeout)
    return StageTask(stage=stage, root=tmp_path, log_dir=tmp_path / "logs")


def _run(tmp_path: Path, cmd: str, **kwargs: object):  # type: ignore[no-untyped-def]
    task = _task(tmp_path, cmd, **kwargs)  # type: ignore[arg-type]
    env = command_env(tmp_path, {"CAIRN_RUN_ID": "r" * 32})
    return run_ranks(task, env, tmp_path)


def test_ranks_get_the_rendezvous_and_their_own_logs(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        'echo "$RANK/$WORLD_SIZE $LOCAL_RANK $MASTER_ADDR:$MASTER_PORT $CAIRN_RUN_ID"; '
        'echo "err $RANK" >&2',
    )
    assert result.ok, result
    logs = tmp_path / "logs"
    lines = [(logs / f"stdout.rank{k}.txt").read_text().split() for k in (0, 1)]
    assert [line[0] for line in lines] == ["0/2", "1/2"]
    assert [line[1] for line in lines] == ["0", "1"]
    assert lines[0][2] == lines[1][2] and lines[0][2].startswith("127.0.0.1:")
    assert {line[3] for line in lines} == {"r" * 32}  # every rank logs into the same run
    assert (logs / "stdout.txt").read_text() == (logs / "stdout.rank0.txt").read_text()
    assert (logs / "stderr.txt").read_text() == "err 0\n"
    assert (logs / "stderr.rank1.txt").read_text() == "err 1\n"


def test_a_failing_rank_kills_the_others(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    cmd = f'if [ "$RANK" = 1 ]; then sleep 0.3; exit 3; fi; sleep 60 & echo $! > {marker}; wait'
    started = time.monotonic()
    result = _run(tmp_path, cmd)
    assert time.monotonic() - started < 10
    assert not result.ok and result.returncode == 3
    _assert_dead(int(marker.read_text()))


def test_timeout_kills_every_rank_tree(tmp_path: Path) -> None:
    marker = tmp_path / "pids"
    result = _run(tmp_path, f"sleep 60 & echo $! >> {marker}; wait", timeout=0.5)
    assert result.timed_out and not result.ok
    pids = [int(line) for line in marker.read_text().split()]
    assert len(pids) == 2
    for pid in pids:
        _assert_dead(pid)


def _assert_dead(pid: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return  # a zombie waiting for its (killed) parent's reaper
        time.sleep(0.05)
    raise AssertionError(f"process {pid} is still alive")


def test_metrics_come_from_rank_zero_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [Metric("loss", 0.5, 1, 0)]
    monkeypatch.delenv("CAIRN_RANK", raising=False)
    assert fluent._rank_metrics(points) == points
    monkeypatch.setenv("CAIRN_RANK", "0")
    assert fluent._rank_metrics(points) == points
    monkeypatch.setenv("CAIRN_RANK", "2")
    assert fluent._rank_metrics(points) == []
    monkeypatch.setenv("CAIRN_METRICS_ALL_RANKS", "1")
    assert [m.key for m in fluent._rank_metrics(points)] == ["rank2/loss"]
