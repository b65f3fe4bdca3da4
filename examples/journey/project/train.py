"""Stage train: fit a random forest, check it on a validation slice, log it as a model."""

from pathlib import Path

import pandas as pd
import yaml
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

import cairn
import cairn.sklearn

FEATURES = ["age", "tenure_months", "monthly_spend", "support_calls"]
TARGET = "churned"

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
data = pd.read_csv("data/prepared/train.csv")
fit, valid = train_test_split(data, test_size=0.2, random_state=params["seed"])
model = RandomForestClassifier(
    n_estimators=params["n_estimators"],
    max_depth=params["max_depth"],
    random_state=params["seed"],
).fit(fit[FEATURES], fit[TARGET])
predicted = model.predict(valid[FEATURES])

with cairn.start_run():  # the run the pipeline opened for this stage
    cairn.log_input(cairn.data.dataset("data/prepared/train.csv"), context="training")
    # "metric/slice" keys: the registry's gates read accuracy/valid and f1/valid
    cairn.log_metrics(
        {
            "accuracy/valid": accuracy_score(valid[TARGET], predicted),
            "f1/valid": f1_score(valid[TARGET], predicted, average="macro"),
        }
    )
    example = data[FEATURES].head(5)
    cairn.sklearn.log_model(model, name="model", input_example=example)
    cairn.sklearn.save_model(model, "model", input_example=example)  # the stage's out
print(f"train: accuracy on the validation slice {accuracy_score(valid[TARGET], predicted):.3f}")
