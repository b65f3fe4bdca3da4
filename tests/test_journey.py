"""The journey demo (examples/journey/run.py) run for real, as `scripts/demo.sh` runs it: a
subprocess of the venv's python with its `cairn` on PATH; then the store it made is read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cairn import CairnClient
from cairn.audit.verify import verify

RUN = Path(__file__).resolve().parents[1] / "examples" / "journey" / "run.py"


def _journey(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _runs(client: CairnClient, experiment_id: str, query: str) -> list:
    return list(client.search_runs(experiment_id, query, order_by=["attributes.start_time ASC"]))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_journey_records_every_step(tmp_path: Path):
    workdir = tmp_path / "journey"
    done = _journey("--workdir", str(workdir), "--fresh", timeout=840)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # the UI command names the workdir, relative to where the journey ran when that is near
    near = os.path.relpath(workdir, Path.cwd())
    shown = {f"cd {workdir} && ", f"cd {near} && "}
    assert any(cd in done.stdout for cd in shown), done.stdout[-1500:]
    assert "cairn ui" in done.stdout
    assert "/monitors/churn-monitor" in done.stdout
    _check_store(workdir)


def _check_store(workdir: Path) -> None:
    """What the journey in ``workdir`` recorded: runs, champion, alerts, retraining, audit."""
    client = CairnClient(f"sqlite:///{workdir}/.cairn/cairn.db")
    store = client.store
    experiment = client.get_experiment_by_name("churn").experiment_id
    pipelines = _runs(client, experiment, "tags.`cairn.run.kind` = 'pipeline'")
    stages = _runs(client, experiment, "tags.`cairn.run.kind` = 'stage'")
    (sweep,) = _runs(client, experiment, "tags.`cairn.run.kind` = 'sweep'")
    combinations = [p for p in pipelines if p.data.tags.get("cairn.parentRunId")]
    # the pipeline run, 3 sweep combinations and the retraining run, each with its 3 stages
    assert len(pipelines) == 5 and len(stages) == 15
    assert {run.data.tags["cairn.parentRunId"] for run in combinations} == {sweep.info.run_id}
    assert len(combinations) == 3 == int(sweep.data.tags["cairn.sweep.trials"])
    assert {run.data.tags["cairn.stage.name"] for run in stages} == {"prepare", "train", "evaluate"}

    # champion: version 1, from the train stage of the sweep's best combination
    champion = store.registry.get_model_version_by_alias("churn", "champion")
    (source,) = [run for run in stages if run.info.run_id == champion.run_id]
    assert champion.version == 1 and source.data.tags["cairn.stage.name"] == "train"
    assert source.data.tags["cairn.parentRunId"] == sweep.data.tags["cairn.sweep.best_run_id"]

    alerts = store.monitors.list_alerts("churn-monitor")
    fired = {alert.rule: alert for alert in alerts}
    assert {"data-drift", "quality-decay"} <= set(fired)
    decay = fired["quality-decay"]
    assert [action["status"] for action in decay.actions] == ["ok"]
    retraining = [run for run in pipelines if run.info.start_time >= decay.time]
    assert len(retraining) == 1 and retraining[0].info.status == "FINISHED"
    retrained_stages = [
        run for run in stages
        if run.data.tags["cairn.parentRunId"] == retraining[0].info.run_id
    ]  # fmt: skip
    # data v2 (the labelled traffic) changed the raw data: every stage really ran again
    assert {run.data.tags["cairn.stage.status"] for run in retrained_stages} == {"ran"}

    assert verify(store).ok


def test_an_existing_workdir_needs_fresh(tmp_path: Path):
    workdir = tmp_path / "journey"
    workdir.mkdir()
    (workdir / "notes.txt").write_text("mine\n")
    refused = _journey("--workdir", str(workdir), timeout=60)
    assert refused.returncode == 2
    assert "already exists; pass --fresh" in refused.stderr
    assert (workdir / "notes.txt").read_text() == "mine\n"

    # --fresh deletes only a folder the journey made
    foreign = _journey("--workdir", str(workdir), "--fresh", timeout=60)
    assert foreign.returncode == 2
    assert "was not made by this script" in foreign.stderr
    assert (workdir / "notes.txt").is_file()
