"""Helpers of the browser tests: the data the UI server holds, accounts, signing in.

:func:`populate` fills a store with what every page has something to show for:

- ``churn`` (the main experiment): 12 runs ``run-00``..``run-11`` with params ``lr``,
  ``depth``, ``optimizer``, metrics ``loss``/``accuracy`` over 30 steps (and ``f1`` on even
  runs), ``system/cpu_utilization_percentage`` over time, tags ``team`` and
  ``mlflow.note.content`` (a markdown description). ``run-03`` FAILED, ``run-05`` RUNNING,
  ``run-11`` deleted, ``run-07`` is the parent of ``run-08``. ``run-00`` holds artifacts:
  ``notes.txt``, ``config.json``, ``params.yaml``, ``data/table.csv``, ``plots/curve.png``,
  ``report.html`` and ``model/weights.bin``.
- ``vision``: 3 runs (metric ``iou``, param ``backbone``).
- ``empty-experiment``: no runs.  ``retired``: deleted, with one run.
"""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from cairn.entities import Metric, Param, RunTag
from cairn.store import Store

BASE_TIME = 1_700_000_000_000
PASSWORDS = {"admin": "admin-password", "alice": "alice-password", "bob": "bob-password"}


@dataclass
class UiData:
    """Ids of what :func:`populate` made."""

    experiments: dict[str, str] = field(default_factory=dict)  # name -> id
    runs: dict[str, str] = field(default_factory=dict)  # run name -> id

    @property
    def churn(self) -> str:
        """The id of the main experiment."""
        return self.experiments["churn"]


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (a gradient), made without image libraries."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _log_artifacts(store: Store, run_id: str) -> None:
    run = store.runs.get_run(run_id)
    files = store.artifact_store(run.info.artifact_uri, run_id)
    files.log_bytes(b"Trained on churn-2024-05.\nNo surprises.\n", "notes.txt")
    files.log_bytes(json.dumps({"lr": 0.01, "layers": [64, 32]}, indent=2).encode(), "config.json")
    files.log_bytes(b"lr: 0.01\ndepth: 3\noptimizer: adam\n", "params.yaml")
    table = "customer,churned,score\n" + "".join(f"c{i},{i % 2},{i / 10:.2f}\n" for i in range(25))
    files.log_bytes(table.encode(), "data/table.csv")
    files.log_bytes(png_bytes(), "plots/curve.png")
    files.log_bytes(b"<html><body><h1>Report</h1><p>AUC 0.91</p></body></html>", "report.html")
    files.log_bytes(bytes(range(256)) * 4, "model/weights.bin")


def populate(store: Store) -> UiData:
    """Fill ``store`` with the experiments and runs described in the module docstring."""
    data = UiData()
    churn = store.experiments.create_experiment("churn", tags={"owner": "ann"})
    data.experiments["churn"] = churn
    for i in range(12):
        name = f"run-{i:02d}"
        parent = data.runs.get("run-07") if i == 8 else None
        run = store.runs.create_run(
            churn,
            user_id="ann" if i % 3 else "bo",
            start_time=BASE_TIME + i * 60_000,
            run_name=name,
            parent_run_id=parent,
        )
        run_id = run.info.run_id
        data.runs[name] = run_id
        metrics = []
        for step in range(30):
            at = BASE_TIME + i * 60_000 + step * 1000
            metrics.append(Metric("loss", 1.0 / (step + 1 + i), at, step))
            metrics.append(
                Metric("accuracy", 0.5 + 0.4 * (1 - math.exp(-step / (5 + i))), at, step)
            )
            metrics.append(
                Metric("system/cpu_utilization_percentage", 20.0 + (step * 7 + i) % 60, at, step)
            )
        if i % 2 == 0:
            metrics.append(Metric("f1", 0.6 + i / 100, BASE_TIME + i * 60_000 + 30_000, 0))
        store.runs.log_batch(
            run_id,
            metrics=metrics,
            params=[
                Param("lr", str(10.0 ** -(1 + i % 4))),
                Param("depth", str(2 + i % 3)),
                Param("optimizer", "adam" if i % 2 else "sgd"),
            ],
            tags=[
                RunTag("team", "growth" if i % 2 == 0 else "core"),
                RunTag("mlflow.note.content", f"# {name}\n\nA **churn** model, try {i}."),
            ],
        )
        status = "FAILED" if i == 3 else "RUNNING" if i == 5 else "FINISHED"
        if status != "RUNNING":
            store.runs.update_run_info(
                run_id, status=status, end_time=BASE_TIME + i * 60_000 + 30_000 + i * 1000
            )
    store.runs.delete_run(data.runs["run-11"])
    _log_artifacts(store, data.runs["run-00"])

    vision = store.experiments.create_experiment("vision")
    data.experiments["vision"] = vision
    for i in range(3):
        run_id = store.runs.create_run(
            vision, user_id="cy", start_time=BASE_TIME + i * 1000, run_name=f"vis-{i}"
        ).info.run_id
        data.runs[f"vis-{i}"] = run_id
        store.runs.log_batch(
            run_id,
            metrics=[Metric("iou", 0.4 + i / 10, BASE_TIME, 0)],
            params=[Param("backbone", ["resnet", "vit", "convnext"][i])],
        )
        store.runs.update_run_info(run_id, status="FINISHED", end_time=BASE_TIME + 90_000)
    data.experiments["empty-experiment"] = store.experiments.create_experiment("empty-experiment")
    retired = store.experiments.create_experiment("retired")
    data.experiments["retired"] = retired
    data.runs["old-0"] = store.runs.create_run(retired, run_name="old-0").info.run_id
    store.experiments.delete_experiment(retired)
    return data


def basic(user: str) -> str:
    """An ``Authorization`` header value for ``user``'s password."""
    raw = f"{user}:{PASSWORDS[user]}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def screenshot_dir() -> Path:
    """Where ``shot`` saves screenshots (git-ignored; CI keeps them as artifacts)."""
    return Path(__file__).parent / "screenshots"
