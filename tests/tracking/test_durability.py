"""Acknowledged metrics survive kill -9; many processes share one SQLite store without errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from cairn.tracking.client import CairnClient, close_shared_stores
from cairn.tracking.spool import recover

KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import cairn
    cairn.set_experiment("crash")
    run = cairn.start_run(run_name="doomed")
    print(run.info.run_id, flush=True)
    n = int(sys.argv[1])
    for step in range(n):
        cairn.log_metric("loss", 1.0 / (step + 1), step=step)
    print("logged", n, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)

CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys
    import cairn
    cairn.set_experiment("shared")
    with cairn.start_run(run_name=f"worker-{sys.argv[1]}"):
        cairn.log_params({"worker": sys.argv[1]})
        for step in range(int(sys.argv[2])):
            cairn.log_metric("loss", step * 0.5, step=step)
            if step % 50 == 0:
                cairn.set_tag("progress", str(step))
    print("done", flush=True)
    """
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / '.cairn' / 'cairn.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAIRN_TRACKING_URI", uri)
    yield uri
    close_shared_stores()


def _run(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_metrics_survive_kill_9_and_are_shipped_once(project, tmp_path):
    result = _run(KILLED_WRITER, "3000", cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL, result.stderr
    run_id, logged = result.stdout.split("\n")[:2]
    assert logged == "logged 3000"

    client = CairnClient(project)
    shipped_first = recover(client.store, client.spool_dir)
    history = client.get_metric_history(run_id, "loss")
    assert len(history) == 3000
    assert [m.step for m in history] == list(range(3000))
    assert history[-1].value == pytest.approx(1 / 3000)
    assert sum(shipped_first.values()) <= 3000
    # A second recovery finds nothing left and stores nothing twice.
    assert recover(client.store, client.spool_dir) == {}
    assert len(client.get_metric_history(run_id, "loss")) == 3000
    assert not list(client.spool_dir.glob("*.spool"))


@pytest.mark.slow
def test_the_next_start_ships_what_a_killed_process_left(project, tmp_path):
    result = _run(KILLED_WRITER, "500", cwd=tmp_path)
    run_id = result.stdout.split("\n")[0]
    follow_up = _run("import cairn\nwith cairn.start_run(): pass", cwd=tmp_path)
    assert follow_up.returncode == 0, follow_up.stderr
    assert len(CairnClient(project).get_metric_history(run_id, "loss")) == 500


@pytest.mark.slow
def test_eight_processes_log_to_one_sqlite_store(project, tmp_path):
    steps = 400
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER, str(i), str(steps)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "database is locked" not in err.lower()
        assert out.strip() == "done"
    client = CairnClient(project)
    experiment = client.get_experiment_by_name("shared")
    runs = client.search_runs([experiment.experiment_id], max_results=100).items
    assert len(runs) == 8
    assert len(client.search_experiments(filter_string="name = 'shared'").items) == 1
    for run in runs:
        assert run.info.status == "FINISHED"
        assert len(client.get_metric_history(run.info.run_id, "loss")) == steps
        assert run.data.tags["progress"] == str(steps - steps % 50 if steps % 50 else steps - 50)


def test_a_torn_last_line_is_ignored(tmp_path, project):
    from cairn.tracking.spool import read_records

    path = tmp_path / "x.spool"
    path.write_bytes(b'["m","a",1.0,1,0]\n["m","a",2.0,2,1]\n["m","a",3.')
    records = read_records(path, 0)
    assert [m.value for _, m in records] == [1.0, 2.0]
    assert records[-1][0] == len(b'["m","a",1.0,1,0]\n["m","a",2.0,2,1]\n')
    assert os.path.getsize(path) > records[-1][0]


@pytest.mark.parametrize(
    ("ending", "status"),
    [
        ("pass", "FINISHED"),
        ("raise RuntimeError('boom')", "FAILED"),
        ("raise KeyboardInterrupt", "KILLED"),
    ],
)
def test_a_run_left_open_ends_with_the_scripts_fate(project, tmp_path, ending, status):
    script = textwrap.dedent(
        f"""
        import cairn
        run = cairn.start_run()
        print(run.info.run_id, flush=True)
        cairn.log_metric("m", 1.0)
        {ending}
        """
    )
    result = _run(script, cwd=tmp_path)
    run_id = result.stdout.split("\n")[0]
    run = CairnClient(project).get_run(run_id)
    assert run.info.status == status
    assert run.data.metrics == {"m": 1.0}
