"""PipelineRecorder against a real SQLite store: runs, tags, params, metrics, logs, datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cairn.errors import InvalidInput
from cairn.pipelines.executor import StageResult
from cairn.pipelines.graph import Graph
from cairn.pipelines.model import Pipeline, Stage
from cairn.pipelines.recording import NullRecorder, PipelineRecorder
from cairn.pipelines.tracked_values import dataset_input, flatten
from cairn.tracking.client import CairnClient
from cairn.tracking.inputs import describe_dataset_input

OID = "a" * 64


def make_pipeline(root: Path, count: int = 3) -> Pipeline:
    """A chain s0 -> s1 -> ... (each reads the previous one's out), with its files."""
    (root / "params.yaml").write_text("train:\n  lr: 0.1\n")
    (root / "data").mkdir(exist_ok=True)
    (root / "data/in0.csv").write_text("x\n")
    stages = {
        f"s{i}": Stage(
            f"s{i}",
            f"python step{i}.py",
            deps=(f"data/in{i}.csv" if i == 0 else f"data/out{i - 1}.csv",),
            outs=(f"data/out{i}.csv",),
            params=("train",),
            metrics=(f"metrics{i}.json",),
        )
        for i in range(count)
    }
    return Pipeline(root, stages)


@pytest.fixture
def pipeline(project: Path) -> Pipeline:
    return make_pipeline(project)


def recorder(pipeline: Pipeline, **kwargs: object) -> PipelineRecorder:
    return PipelineRecorder(pipeline, Graph.build(pipeline), **kwargs)  # type: ignore[arg-type]


def artifact_json(client: CairnClient, run_id: str) -> dict:
    return json.loads(client.read_artifact(run_id, "pipeline.json"))


def test_a_ran_stage_is_a_nested_run_with_everything_it_used_and_made(
    pipeline: Pipeline, client: CairnClient, tmp_path: Path
) -> None:
    rec = recorder(pipeline, experiment="pipes", run_name="nightly", tags={"team": "ml"})
    parent = rec.start({"s0": "run", "s1": "cached", "s2": "run"})
    pending = artifact_json(client, parent)
    assert [s["status"] for s in pending["stages"]] == ["pending"] * 3
    assert pending["layers"] == [["s0"], ["s1"], ["s2"]]

    stage = pipeline.stages["s0"]
    run = rec.stage_started(stage, "never ran")
    assert run.env["CAIRN_RUN_ID"] == run.run_id
    assert run.env["CAIRN_TRACKING_URI"] == client.tracking_uri
    assert run.env["CAIRN_EXPERIMENT_ID"] == client.get_experiment_by_name("pipes").experiment_id
    client.log_param(run.run_id, "train.lr", "0.10")  # as the command itself might
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    out.write_text("hello\n")
    err.write_text("")
    result = StageResult("s0", 0, 1.25, stdout=out, stderr=err, host="node1")
    rec.stage_finished(
        run,
        result,
        status="ran",
        attempts=2,
        metrics={"acc": 0.9, "eval": {"loss": 0.3}, "note": "text"},
        params={"train": {"lr": 0.1, "layers": [1, 2]}},
        deps={"data/in0.csv": f"blake3:{OID}"},
        outs={"data/out0.csv": OID},
    )
    stage_run = client.get_run(run.run_id)
    assert stage_run.info.status == "FINISHED"
    tags = stage_run.data.tags
    assert tags["cairn.parentRunId"] == parent
    assert tags["cairn.run.kind"] == "stage"
    assert tags["cairn.stage.name"] == "s0"
    assert tags["cairn.stage.status"] == "ran"
    assert tags["cairn.stage.reason"] == "never ran"
    assert tags["cairn.stage.attempts"] == "2"
    assert tags["cairn.stage.host"] == "node1"
    assert stage_run.data.params == {"train.lr": "0.10", "train.layers": "[1, 2]"}
    assert stage_run.data.metrics == {"acc": 0.9, "eval.loss": 0.3}
    assert [f.path for f in client.list_artifacts(run.run_id, "logs")] == ["logs/stdout.txt"]
    described = [describe_dataset_input(d) for d in client.get_run_io(run.run_id).datasets]
    assert {(d["name"], d["context"], d["digest"], d["hash"]) for d in described} == {
        ("data/in0.csv", "input", OID[:32], f"blake3:{OID}"),
        ("data/out0.csv", "output", OID[:32], f"blake3:{OID}"),
    }

    cached = rec.stage_not_run(
        pipeline.stages["s1"], status="cached", reason="unchanged", metrics={"acc": 0.8}
    )
    blocked = rec.stage_not_run(pipeline.stages["s2"], status="blocked", reason="s1 failed")
    assert client.get_run(str(cached)).info.status == "FINISHED"
    assert client.get_run(str(cached)).data.tags["cairn.stage.status"] == "cached"
    assert client.get_run(str(blocked)).info.status == "KILLED"
    rec.finish(ok=False)

    top = client.get_run(parent)
    assert top.info.status == "FAILED"
    assert top.info.run_name == "nightly"
    assert top.data.tags["cairn.run.kind"] == "pipeline"
    assert top.data.tags["cairn.pipeline.source"] == "cairn.yaml"
    assert top.data.tags["team"] == "ml"
    assert top.data.tags["cairn.pipeline.ran"] == "1"
    assert top.data.metrics == {"s0.acc": 0.9, "s0.eval.loss": 0.3, "s1.acc": 0.8}
    assert top.data.params["train.lr"] == "0.1"
    final = artifact_json(client, parent)
    by_name = {s["name"]: s for s in final["stages"]}
    assert by_name["s0"] == {
        "name": "s0",
        "cmd": "python step0.py",
        "deps": ["data/in0.csv"],
        "outs": ["data/out0.csv"],
        "metrics": ["metrics0.json"],
        "upstream": [],
        "planned": "run",
        "status": "ran",
        "reason": "never ran",
        "run_id": run.run_id,
        "duration": 1.25,
        "attempts": 2,
    }
    assert by_name["s1"]["status"] == "cached"
    assert by_name["s1"]["upstream"] == ["s0"]
    assert by_name["s2"]["run_id"] == blocked


def test_a_failed_stage_ends_failed_and_open_stages_are_killed(
    pipeline: Pipeline, client: CairnClient
) -> None:
    rec = recorder(pipeline)
    parent = rec.start({})
    failing = rec.stage_started(pipeline.stages["s0"], "never ran")
    dangling = rec.stage_started(pipeline.stages["s1"], "never ran")
    result = StageResult("s0", 3, 0.5, error=None)
    rec.stage_finished(
        failing, result, status="failed", attempts=1, metrics={}, params={}, deps={}, outs={}
    )
    rec.finish(ok=False)
    assert client.get_run(failing.run_id).info.status == "FAILED"
    assert client.get_run(failing.run_id).data.tags["cairn.stage.returncode"] == "3"
    assert client.get_run(dangling.run_id).info.status == "KILLED"
    stages = {s["name"]: s for s in artifact_json(client, parent)["stages"]}
    assert stages["s1"]["status"] == "failed"
    assert stages["s1"]["reason"] == "interrupted"
    assert client.get_run(parent).info.experiment_id == "0"


def test_schedule_environment_and_parent_run_become_tags_and_experiment(
    pipeline: Pipeline, client: CairnClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment("sweeps")
    outer = client.create_run(exp).info.run_id
    monkeypatch.setenv("CAIRN_SCHEDULE", "nightly")
    monkeypatch.setenv("CAIRN_SCHEDULE_RUN", "17")
    rec = recorder(pipeline, parent_run_id=outer)
    parent = rec.start({})
    rec.finish(ok=True)
    top = client.get_run(parent)
    assert top.info.experiment_id == exp
    assert top.data.tags["cairn.parentRunId"] == outer
    assert top.data.tags["cairn.schedule"] == "nightly"
    assert top.data.tags["cairn.schedule.run_id"] == "17"
    assert top.info.status == "FINISHED"


def test_bad_calls_are_refused(pipeline: Pipeline, client: CairnClient) -> None:
    rec = recorder(pipeline)
    with pytest.raises(InvalidInput, match="start must be called"):
        rec.stage_not_run(pipeline.stages["s0"], status="cached", reason="unchanged")
    rec.start({})
    with pytest.raises(InvalidInput, match="status cached, skipped, blocked; got 'ran'"):
        rec.stage_not_run(pipeline.stages["s0"], status="ran", reason="x")


def test_odd_params_and_metrics_are_kept_within_the_store_limits(
    pipeline: Pipeline, client: CairnClient
) -> None:
    rec = recorder(pipeline)
    rec.start({})
    run = rec.stage_started(pipeline.stages["s0"], "never ran")
    rec.stage_finished(
        run,
        StageResult("s0", 0, 0.1),
        status="ran",
        attempts=1,
        metrics={"ok": 1, "flag": True, "bad key!": 2.0},
        params={"long": "x" * 7000, "none": None, "bad key!": 1, "empty": {}},
        deps={},
        outs={},
    )
    data = client.get_run(run.run_id).data
    assert data.metrics == {"ok": 1.0}
    assert len(data.params["long"]) == 6000
    assert data.params["none"] == "null"
    assert data.params["empty"] == "{}"
    assert "bad key!" not in data.params


def _statements_of_a_no_op_rerun(root: Path, stages: int) -> int:
    """How many SQL statements recording a rerun of ``stages`` cached stages executes."""
    import sqlalchemy as sa

    pipeline = make_pipeline(root, stages)
    graph = Graph.build(pipeline)
    PipelineRecorder(pipeline, graph).start({})  # warm the store up
    rec = PipelineRecorder(pipeline, graph)
    engine = rec.client.store._engine
    count = 0

    def counted(*_: object) -> None:
        nonlocal count
        count += 1

    sa.event.listen(engine, "before_cursor_execute", counted)
    try:
        rec.start({name: "cached" for name in pipeline.stages})
        for stage in pipeline.stages.values():
            rec.stage_not_run(stage, status="cached", reason="unchanged")
        rec.finish(ok=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", counted)
    return count


def test_a_no_op_rerun_costs_a_few_statements_per_cached_stage(project: Path) -> None:
    """Recording a cached stage is a handful of writes, the same for the 100th stage as for
    the 10th (no per-stage context probes, no rewrite of everything so far)."""
    (project / "small").mkdir()
    (project / "large").mkdir()
    small = _statements_of_a_no_op_rerun(project / "small", 10)
    large = _statements_of_a_no_op_rerun(project / "large", 100)
    per_stage = (large - small) / 90
    assert small > 10 and per_stage <= 4, (small, large)  # 2 today: create, terminate
    assert large <= 100 * 4 + small


def test_null_recorder_records_nothing(pipeline: Pipeline) -> None:
    rec = NullRecorder()
    assert rec.start({}) is None
    run = rec.stage_started(pipeline.stages["s0"], "never ran")
    assert (run.run_id, run.env) == ("", {})
    rec.stage_finished(run, StageResult("s0", 0, 0.1), status="ran")
    assert rec.stage_not_run(pipeline.stages["s0"], status="cached", reason="x") is None
    rec.finish(ok=True)
    assert not (pipeline.root / ".cairn").exists()


def test_flatten_and_dataset_input() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": [1], "f": {}}) == {
        "a.b": 1,
        "a.c.d": 2,
        "e": [1],
        "f": {},
    }
    record = dataset_input("model.pkl", OID, "output")
    assert record.name == "model.pkl"
    assert record.digest == OID[:32]
    assert json.loads(record.source) == {
        "path": "model.pkl",
        "hash": f"blake3:{OID}",
        "lock": "cairn.lock",
    }


def test_cairn_pipeline_run_records_the_pipeline_and_its_stages(three_stages: Path) -> None:
    from cli_support import cairn

    result = cairn("pipeline", "run", "--experiment", "e2e")
    assert result.exit_code == 0, result.output
    client = CairnClient()
    experiment = client.get_experiment_by_name("e2e").experiment_id
    runs = client.search_runs(experiment).items
    (top,) = [r for r in runs if r.data.tags["cairn.run.kind"] == "pipeline"]
    stages = {r.data.tags["cairn.stage.name"]: r for r in runs if r is not top}
    assert set(stages) == {"prepare", "train", "evaluate"}
    assert all(r.data.tags["cairn.parentRunId"] == top.info.run_id for r in stages.values())
    assert all(r.info.status == "FINISHED" for r in [top, *stages.values()])
    assert stages["train"].data.params == {"train.lr": "0.1"}
    assert stages["evaluate"].data.metrics == {"score.acc": 0.9, "rows": 3.0}
    assert top.data.metrics == {"evaluate.score.acc": 0.9, "evaluate.rows": 3.0}
    graph = artifact_json(client, top.info.run_id)
    assert [s["status"] for s in graph["stages"]] == ["ran", "ran", "ran"]
    assert graph["layers"] == [["prepare"], ["train"], ["evaluate"]]
    assert graph["stages"][1]["upstream"] == ["prepare"]
    used = {
        (d.name, d.tags["mlflow.data.context"])
        for d in client.get_run_io(stages["train"].info.run_id).datasets
    }
    assert used == {
        ("train.py", "input"),
        ("data/prepared.txt", "input"),
        ("model.txt", "output"),
    }
    lineage = client.get_dataset("data/prepared.txt")
    assert {u.context for v in lineage for u in v.uses} == {"input", "output"}

    again = cairn("pipeline", "run", "--experiment", "e2e")  # nothing stale: nothing recorded
    assert again.exit_code == 0
    assert len(client.search_runs(experiment).items) == 4
