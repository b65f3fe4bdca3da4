"""The fluent API end to end on the embedded default (a project folder, no configuration)."""

from __future__ import annotations

import math

import pytest

import cairn
from cairn.errors import InvalidInput, InvalidState, NotFound, ParamOverwrite


@pytest.fixture(autouse=True)
def project(cairn_project):
    return cairn_project


def test_the_issue_example(project):
    (project / "confusion.png").write_bytes(b"\x89PNG fake")
    cairn.set_experiment("churn")
    seeds = cairn.seed_everything(42)
    assert seeds["python"] == 42
    with cairn.start_run(
        run_name="rf-baseline", tags={"team": "growth"}, description="first try"
    ) as run:
        cairn.log_params({"n_estimators": 100, "max_depth": 8})
        for step in range(100):
            cairn.log_metric("loss", 1 / (step + 1), step=step)
        cairn.log_metrics({"acc": 0.91, "f1": 0.88})
        cairn.set_tag("stage", "baseline")
        cairn.log_artifact(str(project / "confusion.png"))
        cairn.log_dict({"a": 1}, "cfg.json")
        cairn.log_text("hi", "notes.txt")
        with cairn.start_run(run_name="fold-1", nested=True) as child:
            cairn.log_metric("fold_acc", 0.9)
    assert (project / ".cairn" / "cairn.db").exists()
    df = cairn.search_runs(
        experiment_names=["churn"],
        filter_string="metrics.acc > 0.9 and params.max_depth = '8'",
        order_by=["metrics.acc DESC"],
        max_results=50,
    )
    assert list(df["run_id"]) == [run.info.run_id]
    assert df.loc[0, "metrics.acc"] == 0.91
    assert df.loc[0, "params.n_estimators"] == "100"
    finished = cairn.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    tags = finished.data.tags
    assert tags["team"] == "growth" and tags["stage"] == "baseline"
    assert tags["cairn.note.content"] == "first try"
    assert tags["cairn.seed.python"] == "42" and tags["cairn.seed.numpy"] == "42"
    assert tags["cairn.python.version"]
    assert len(cairn.get_metric_history(run.info.run_id, "loss")) == 100
    client = cairn.CairnClient()
    names = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"confusion.png", "cfg.json", "notes.txt", "environment"} <= names
    assert client.read_artifact(run.info.run_id, "cfg.json") == b'{\n  "a": 1\n}'
    child_run = cairn.get_run(child.info.run_id)
    assert child_run.data.tags["cairn.parentRunId"] == run.info.run_id
    as_list = cairn.search_runs(experiment_names=["churn"], output_format="list")
    assert {r.info.run_id for r in as_list} == {run.info.run_id, child.info.run_id}


def test_exception_fails_the_run_and_interrupt_kills_it():
    with pytest.raises(RuntimeError), cairn.start_run() as failed:
        raise RuntimeError("boom")
    with pytest.raises(KeyboardInterrupt), cairn.start_run() as killed:
        raise KeyboardInterrupt
    assert cairn.get_run(failed.info.run_id).info.status == "FAILED"
    assert cairn.get_run(killed.info.run_id).info.status == "KILLED"
    assert cairn.last_active_run().info.run_id == killed.info.run_id


def test_param_overwrite_and_bad_values_fail_at_the_call():
    with cairn.start_run() as run:
        cairn.log_param("lr", 0.1)
        cairn.log_param("lr", 0.1)
        with pytest.raises(ParamOverwrite, match="'lr'"):
            cairn.log_param("lr", 0.2)
        with pytest.raises(InvalidInput, match="numbers"):
            cairn.log_metric("m", "high")
        with pytest.raises(InvalidInput, match="contains"):
            cairn.log_metric("bad$key", 1.0)
        with pytest.raises(InvalidInput, match="dict"):
            cairn.log_metrics([1, 2])
        cairn.log_metric("nan_ok", math.nan)
    data = cairn.get_run(run.info.run_id).data
    assert data.params == {"lr": "0.1"}
    assert set(data.metrics) == {"nan_ok"}


def test_only_one_unnested_run_at_a_time():
    with cairn.start_run() as run, pytest.raises(InvalidState, match=run.info.run_id):
        cairn.start_run()
    assert cairn.active_run() is None


def test_logging_without_a_run_starts_one():
    cairn.log_metric("m", 1.0)
    current = cairn.active_run()
    assert current is not None
    cairn.end_run()
    assert cairn.get_run(current.info.run_id).data.metrics == {"m": 1.0}


def test_resume_a_run_by_id():
    with cairn.start_run() as first:
        cairn.log_metric("m", 1.0, step=0)
    with cairn.start_run(run_id=first.info.run_id):
        cairn.log_metric("m", 2.0, step=1)
    run = cairn.get_run(first.info.run_id)
    assert run.data.metrics["m"] == 2.0 and run.info.status == "FINISHED"


def test_set_experiment_validation_and_unknown_names():
    with pytest.raises(InvalidInput, match="exactly one"):
        cairn.set_experiment()
    cairn.set_experiment("alpha")
    with pytest.raises(NotFound, match="Did you mean 'alpha'"):
        cairn.search_runs(experiment_names=["alpah"])
    exp = cairn.get_experiment_by_name("alpha")
    cairn.CairnClient().delete_experiment(exp.experiment_id)
    with pytest.raises(InvalidState, match="deleted"):
        cairn.set_experiment("alpha")


def test_set_tracking_uri_to_a_folder(tmp_path):
    cairn.set_tracking_uri(str(tmp_path / "elsewhere"))
    assert cairn.get_tracking_uri() == f"sqlite:///{tmp_path / 'elsewhere' / 'cairn.db'}"
    with cairn.start_run():
        cairn.log_metric("m", 1.0)
    assert (tmp_path / "elsewhere" / "cairn.db").exists()


def test_system_metrics_are_sampled(monkeypatch):
    import time

    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", "0.05")
    with cairn.start_run(log_system_metrics=True) as run:
        time.sleep(0.3)
    metrics = cairn.get_run(run.info.run_id).data.metrics
    assert "system/cpu_utilization_percentage" in metrics


def test_a_rank_above_zero_logs_system_metrics_under_its_rank(monkeypatch):
    """The ranks of a `workers: N` stage share one run: rank K's system metrics are kept
    apart under system/rank<K>/, and its own metrics are dropped (rank 0 reports)."""
    import time

    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", "0.05")
    monkeypatch.setenv("CAIRN_RANK", "1")
    with cairn.start_run(log_system_metrics=True) as run:
        cairn.log_metric("loss", 0.5)
        time.sleep(0.3)
    metrics = cairn.get_run(run.info.run_id).data.metrics
    assert "system/rank1/cpu_utilization_percentage" in metrics
    assert "system/cpu_utilization_percentage" not in metrics and "loss" not in metrics


def test_log_figure_and_image():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with cairn.start_run() as run:
        cairn.log_figure(fig, "plots/line.png")
        cairn.log_image(np.zeros((8, 8, 3), dtype=np.uint8), "img/black.png")
        with pytest.raises(InvalidInput, match="shape"):
            cairn.log_image(np.zeros((2, 2, 7)), "img/bad.png")
        with pytest.raises(InvalidInput, match="matplotlib"):
            cairn.log_figure("not a figure", "x.png")
    plt.close(fig)
    client = cairn.CairnClient()
    assert client.read_artifact(run.info.run_id, "plots/line.png").startswith(b"\x89PNG")
    assert client.read_artifact(run.info.run_id, "img/black.png").startswith(b"\x89PNG")


def test_seeds_set_before_a_resumed_run_starts_are_recorded_on_it(monkeypatch):
    """A stage or project run hands its process CAIRN_RUN_ID; a script that seeds first and
    then starts (resumes) that run still records its seeds."""
    client = cairn.CairnClient()
    made = client.create_run(client.create_experiment("resumed"))
    monkeypatch.setenv("CAIRN_RUN_ID", made.info.run_id)
    cairn.seed_everything(7)
    with cairn.start_run() as run:
        assert run.info.run_id == made.info.run_id
    tags = cairn.get_run(made.info.run_id).data.tags
    assert tags["cairn.seed.python"] == "7" and tags["cairn.seed.numpy"] == "7"


def test_cairn_run_id_names_only_the_first_top_level_run(monkeypatch):
    """A script handed CAIRN_RUN_ID that makes several runs (a sweep) resumes that run once;
    its later runs are new, so they do not log params into the first one."""
    client = cairn.CairnClient()
    made = client.create_run(client.create_experiment("handed"))
    monkeypatch.setenv("CAIRN_RUN_ID", made.info.run_id)
    ids, children = [], []
    for lr in (0.1, 0.5):
        with cairn.start_run() as run:
            cairn.log_param("lr", lr)
            with cairn.start_run(nested=True) as child:
                children.append(child.info.run_id)
            ids.append(run.info.run_id)
    assert ids[0] == made.info.run_id and ids[1] != made.info.run_id
    assert made.info.run_id not in children
    assert cairn.get_run(ids[1]).data.params == {"lr": "0.5"}
    invocations = {
        cairn.get_run(i).data.tags["cairn.source.invocation"] for i in children + ids[1:]
    }
    assert len(invocations) == 1  # every run this process made shares its invocation id


def test_the_embedded_store_does_not_make_a_clean_commit_look_dirty(project):
    """The default store lives in .cairn/ inside the repository; it keeps itself out of git,
    so a run of committed code is recorded as clean (and reproduced without a diff)."""
    import subprocess

    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (project / "train.py").write_text("print('hi')\n")
    subprocess.run([*git, "add", "train.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "code"], check=True)
    with cairn.start_run() as run:
        cairn.log_metric("m", 1.0)
    tags = cairn.get_run(run.info.run_id).data.tags
    assert tags["cairn.source.git.dirty"] == "false"
    assert (project / ".cairn" / ".gitignore").read_text() == "*\n!.gitignore\n!config.toml\n"
