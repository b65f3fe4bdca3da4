"""A populated lineage chain on any store: raw data -> prepare stage -> clean data -> train
stage (a pipeline run's stages) -> model version churn v1 @champion -> a monitor on the alias
whose first window fired an alert (through the real monitoring API)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cairn.entities import DatasetInput, Param, RunTag
from cairn.monitoring.ingest import log_predictions
from cairn.monitoring.monitors import create_monitor
from cairn.monitoring.runner import run_monitor
from cairn.store import Store

RAW = "1" * 32
CLEAN = "2" * 32
COMMIT = "c0ffee" + "0" * 34


@dataclass
class Chain:
    pipeline: str
    prepare: str
    train: str
    alert_id: int


def dataset(name: str, digest: str, context: str) -> DatasetInput:
    return DatasetInput(
        name,
        digest,
        "cairn",
        f'{{"path": "data/{name}.csv"}}',
        tags={"mlflow.data.context": context},
    )


def frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "request_id": [f"r-{i}" for i in range(rows)],
            "age": rng.normal(40, 10, rows),
            "prediction": rng.integers(0, 2, rows),
        }
    )


def build_chain(store: Store) -> Chain:
    """Store the chain and return the ids in it."""
    exp = store.experiments.create_experiment("lineage")
    source = {"cairn.source.git.commit": COMMIT, "cairn.source.git.dirty": "false"}
    pipeline = store.runs.create_run(
        exp, run_name="nightly", tags={"cairn.run.kind": "pipeline", **source}
    ).info.run_id

    def stage(name: str) -> str:
        tags = {"cairn.run.kind": "stage", "cairn.stage.name": name, **source}
        return store.runs.create_run(
            exp, run_name=name, tags=tags, parent_run_id=pipeline
        ).info.run_id

    prepare = stage("prepare")
    store.run_io.log_inputs(
        prepare, [dataset("raw", RAW, "input"), dataset("clean", CLEAN, "output")]
    )
    train = stage("train")
    store.run_io.log_inputs(train, [dataset("clean", CLEAN, "input")])
    store.runs.log_batch(
        train,
        params=[Param("lr", "0.1")],
        tags=[RunTag("cairn.seed.numpy", "7"), RunTag("cairn.environment.hash", "e" * 16)],
    )
    for run_id in (pipeline, prepare, train):
        store.runs.update_run_info(run_id, status="FINISHED")
    store.registry.create_registered_model("churn")
    store.registry.create_model_version("churn", f"runs:/{train}/model", run_id=train)
    store.registry.set_alias("churn", "champion", 1)
    spec = {
        "name": "churn-mon",
        "model": "churn",
        "version": "champion",
        "task": "classification",
        "features": {"age": "numeric"},
        "window": {"count": 10},
        "rules": [{"name": "busy", "when": "rows >= 10"}],
    }
    create_monitor(spec, reference=frame(50, 1).drop(columns=["request_id"]), store=store)
    log_predictions(frame(10, 2), monitor="churn-mon", store=store)
    alerts = run_monitor("churn-mon", store=store, run_actions=False).alerts
    return Chain(pipeline, prepare, train, alerts[0].alert_id)
