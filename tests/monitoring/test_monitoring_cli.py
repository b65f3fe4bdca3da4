"""``cairn monitor`` end to end on a real SQLite store with a real registered scikit-learn
model: create from YAML, log predictions and late ground truth from files, run (windows and
an alert), status, report (HTML and JSON), alerts, show, list, delete; one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cairn
from cli_support import cairn as run_cli

YAML = """\
name: churn-mon
model: churn
task: classification
target: churned
window: {count: 200}
segments: [plan]
rules:
  - name: drifting
    when: drift_share > 0.3
    actions:
      - {command: "echo retrain"}
"""


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": (rng.normal(40, 10, n) + shift).round(1),
            "plan": rng.choice(["basic", "pro"], n),
            "tenure": rng.integers(1, 60, n),
        }
    )
    frame["churned"] = ((frame.age < 38) & (frame.plan == "basic")).astype(int)
    return frame


@pytest.fixture
def churn(project, client):
    """``churn`` v1 (a real sklearn pipeline) and files: the reference (with predictions),
    400 new predictions (the second 200 with age shifted) and their labels."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    train = _frame(600, 0)
    features = ["age", "plan", "tenure"]
    encode = ColumnTransformer([("plan", OneHotEncoder(), ["plan"])], remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(
        train[features], train["churned"]
    )
    with cairn.start_run():
        cairn.sklearn.log_model(
            model, name="model", input_example=train[features].head(5),
            registered_model_name="churn",
        )  # fmt: skip
    train["prediction"] = model.predict(train[features])
    train.to_csv(project / "reference.csv", index=False)
    current = pd.concat([_frame(200, 1), _frame(200, 2, shift=25.0)], ignore_index=True)
    current["prediction"] = model.predict(current[features])
    current["request_id"] = [f"r-{i}" for i in range(len(current))]
    current.drop(columns=["churned"]).to_csv(project / "predictions.csv", index=False)
    labels = current[["request_id", "churned"]].copy()
    labels.loc[len(labels)] = ["ghost-1", 1]
    labels.to_csv(project / "labels.csv", index=False)
    (project / "monitor.yaml").write_text(YAML)
    return project


def ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_whole_cycle(churn: Path, client):
    made = json.loads(
        ok("monitor", "create", "-f", str(churn / "monitor.yaml"),
           "--reference", str(churn / "reference.csv"), "--json")
    )  # fmt: skip
    assert made["name"] == "churn-mon" and made["model"] == "churn"
    assert [f["name"] for f in made["spec"]["features"]] == ["age", "plan", "tenure"]
    assert "churn-mon" in ok("monitor", "list")
    assert "Logged 400 predictions" in ok(
        "monitor", "log", "churn-mon", str(churn / "predictions.csv")
    )
    truth = json.loads(ok("monitor", "truth", "churn-mon", str(churn / "labels.csv"), "--json"))
    assert truth == {"monitor": "churn-mon", "matched": 400, "unknown": ["ghost-1"]}

    ran = json.loads(ok("monitor", "run", "--no-actions", "--json"))
    assert ran["churn-mon"]["windows_added"] == [1, 2]
    (alert,) = ran["churn-mon"]["alerts"]
    assert alert["window_id"] == 2 and alert["rule"] == "drifting"
    assert "0 windows added" in ok("monitor", "run", "churn-mon")

    table = ok("monitor", "status")
    assert "churn-mon" in table and "f1_macro" in table
    status = json.loads(ok("monitor", "status", "churn-mon", "--json"))
    assert status["windows"] == 2 and status["alerts"] == 1
    assert status["drift_share"] > 0.3
    windows = ok("monitor", "status", "churn-mon")
    assert "window" in windows and "drift share" in windows

    numbers = json.loads(ok("monitor", "report", "churn-mon", "--json"))
    assert [w["window_id"] for w in numbers["windows"]] == [1, 2]
    assert numbers["windows"][1]["results"]["drift"]["columns"]["age"]["drifted"] is True
    assert numbers["windows"][0]["results"]["quality"]["f1_macro"] is not None
    out = churn / "report.html"
    assert "2 windows" in ok("monitor", "report", "churn-mon", "-o", str(out))
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "<svg" in html
    f1 = numbers["windows"][1]["results"]["quality"]["f1_macro"]
    assert f"{f1:.4g}" in html
    one = json.loads(ok("monitor", "report", "churn-mon", "--window", "1", "--json"))
    assert [w["window_id"] for w in one["windows"]] == [1] and one["alerts"] == []
    last = json.loads(ok("monitor", "report", "churn-mon", "--windows", "1", "--json"))
    assert last["selected_window"] == 2 and len(last["alerts"]) == 1

    alerts = ok("monitor", "alerts", "churn-mon")
    assert "drifting" in alerts and "command:pending" in alerts
    shown = ok("monitor", "show", "churn-mon")
    assert "churn-mon" in shown and "drift_share > 0.3" in shown

    assert "Deleted monitor" in ok("monitor", "delete", "churn-mon", "--yes")
    assert json.loads(ok("monitor", "list", "--json")) == []


def test_errors_are_one_line_and_change_nothing(churn: Path, client):
    missing = run_cli("monitor", "show", "nope")
    assert missing.exit_code == 1
    assert (
        missing.output.strip().startswith("Error:")
        and len(missing.output.strip().splitlines()) == 1
    )
    bad = churn / "bad.yaml"
    bad.write_text(YAML.replace("task: classification", "task: clustering"))
    refused = run_cli("monitor", "create", "-f", str(bad))
    assert refused.exit_code == 1 and "task" in refused.output
    assert json.loads(ok("monitor", "list", "--json")) == []
    ok(
        "monitor",
        "create",
        "-f",
        str(churn / "monitor.yaml"),
        "--reference",
        str(churn / "reference.csv"),
    )
    unknown_window = run_cli("monitor", "report", "churn-mon", "--window", "9")
    assert unknown_window.exit_code == 1 and "no window 9" in unknown_window.output
    both = run_cli("monitor", "report", "churn-mon", "--window", "1", "--windows", "2")
    assert both.exit_code == 2
    declined = run_cli("monitor", "delete", "churn-mon")  # no --yes, no input: aborted
    assert declined.exit_code == 1
    assert "churn-mon" in ok("monitor", "list")


def test_import_serving_reads_the_prediction_log_once(churn: Path, client):
    from cairn.serving.predictions import PredictionLogger

    ok("monitor", "create", "-f", str(churn / "monitor.yaml"),
       "--reference", str(churn / "reference.csv"))  # fmt: skip
    assert "Imported 0" in ok("monitor", "import-serving", "churn-mon")
    logger = PredictionLogger(client, "churn", "models:/churn/1", 1.0, flush_rows=2)
    for i in range(3):
        logger.log(
            {"request_id": f"s-{i}", "time_ms": 1_764_000_000_000 + i, "model_uri":
             "models:/churn/1", "model_target": 1, "latency_ms": 1.0,
             "inputs": [{"age": 30.0 + i, "plan": "pro", "tenure": 3}], "predictions": [0]}
        )  # fmt: skip
    logger.close()
    found = json.loads(ok("monitor", "import-serving", "churn-mon", "--json"))
    assert found == {"monitor": "churn-mon", "records": 3}
    assert "Imported 0" in ok("monitor", "import-serving", "churn-mon")
    assert json.loads(ok("monitor", "show", "churn-mon", "--json"))["records"] == 3
