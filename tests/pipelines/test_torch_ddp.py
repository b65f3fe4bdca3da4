"""A 2-rank torch.distributed job (gloo, CPU) as a `workers: 2` stage, under the local
executor and on two real Dask workers: the ranks rendezvous, all_reduce a tensor, rank 0
writes the result, and every rank logs into the stage's run (metrics from rank 0 only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest
from dask_cluster import dask_cluster
from pipeline_helpers import write_project

from cairn.tracking.client import CairnClient
from cli_support import cairn

# torch runs only in the stage's processes: importing it here would change what other tests
# in this worker see (cairn.seed_everything seeds torch once it is imported).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_spec("torch") is None, reason="torch is not installed"),
]

DDP_SCRIPT = """\
import os

import torch
import torch.distributed as dist

import cairn

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
value = torch.tensor([float(rank + 1)])
dist.all_reduce(value, op=dist.ReduceOp.SUM)
cairn.log_metric("reduced", value.item())  # kept from rank 0 only
cairn.log_param(f"local_rank_{rank}", os.environ["LOCAL_RANK"])
cairn.log_param(f"cwd_{rank}", os.getcwd())
if rank == 0:
    with open("reduced.txt", "w") as out:
        out.write(f"{value.item()} {world}")
dist.barrier()
dist.destroy_process_group()
cairn.end_run()
print("rank", rank, "done")
"""
STAGES = {
    "ddp": {"cmd": "python ddp.py", "deps": ["ddp.py"], "outs": ["reduced.txt"], "workers": 2}
}


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as address:
        yield address


def _run_ddp(root: Path, *executor: str) -> dict:
    write_project(root, STAGES, files={"ddp.py": DDP_SCRIPT})
    result = cairn("pipeline", "run", *executor, "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    (stage,) = outcome["stages"]
    assert stage["status"] == "ran", stage
    assert (root / "reduced.txt").read_text() == "3.0 2"  # 1 + 2 over 2 ranks
    logs = Path(stage["log_dir"])
    assert (logs / "stdout.rank0.txt").read_text() == "rank 0 done\n"
    assert (logs / "stdout.rank1.txt").read_text() == "rank 1 done\n"
    run = CairnClient().get_run(stage["run_id"])
    assert run.data.metrics["reduced"] == 3.0
    assert len(CairnClient().get_metric_history(stage["run_id"], "reduced")) == 1
    assert {"local_rank_0", "local_rank_1"} <= set(run.data.params)  # both ranks, one run
    return run.data.params


def test_two_ranks_on_the_local_executor(pipeline_project: Path) -> None:
    params = _run_ddp(pipeline_project)
    assert (params["local_rank_0"], params["local_rank_1"]) == ("0", "1")
    assert params["cwd_0"] == params["cwd_1"] == str(pipeline_project)


def test_two_ranks_on_two_dask_workers(
    pipeline_project: Path, tmp_path: Path, scheduler: str
) -> None:
    assert cairn("data", "remote", "add", "s", str(tmp_path / "remote"), "--default").exit_code == 0
    params = _run_ddp(pipeline_project, "--executor", scheduler)
    # One rank per worker, each in a scratch folder of its worker's own local directory.
    workers = {Path(params[f"cwd_{rank}"]).parents[3].name for rank in (0, 1)}
    assert workers == {"worker0", "worker1"}, params
    assert (params["local_rank_0"], params["local_rank_1"]) == ("0", "1")  # both on 127.0.0.1
