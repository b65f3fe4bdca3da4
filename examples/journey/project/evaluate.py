"""Stage evaluate: score the model on the test set; keep the scored test set as the
monitor's reference (inputs, prediction and truth)."""

import json

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

import cairn
import cairn.sklearn

FEATURES = ["age", "tenure_months", "monthly_spend", "support_calls"]
TARGET = "churned"

model = cairn.sklearn.load_model("model")
test = pd.read_csv("data/prepared/test.csv")
test["prediction"] = model.predict(test[FEATURES])
metrics = {
    "accuracy": accuracy_score(test[TARGET], test["prediction"]),
    "f1": f1_score(test[TARGET], test["prediction"], average="macro"),
}
with open("metrics.json", "w") as out:  # the stage's metrics file: the pipeline logs it
    json.dump(metrics, out, indent=2)
test[[*FEATURES, "prediction", TARGET]].to_csv("reference.csv", index=False)

with cairn.start_run():  # the run the pipeline opened for this stage
    cairn.log_input(cairn.data.dataset("data/prepared/test.csv"), context="evaluation")
    cairn.log_artifact("reference.csv")
print(f"evaluate: test accuracy {metrics['accuracy']:.3f}, f1 {metrics['f1']:.3f}")
