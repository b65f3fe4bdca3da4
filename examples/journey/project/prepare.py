"""Stage prepare: split the raw data into a training and a test set."""

from pathlib import Path

import pandas as pd
import yaml

import cairn

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
raw = pd.read_csv("data/raw.csv")
# the same share of churners in both sets
test = raw.groupby("churned").sample(frac=params["test_size"], random_state=params["seed"])
train = raw.drop(test.index)
out = Path("data/prepared")
out.mkdir(parents=True, exist_ok=True)
train.to_csv(out / "train.csv", index=False)
test.to_csv(out / "test.csv", index=False)

with cairn.start_run():  # the run the pipeline opened for this stage
    cairn.log_input(cairn.data.dataset("data/raw.csv"), context="raw")
    cairn.log_metrics({"train_rows": len(train), "test_rows": len(test)})
print(f"prepare: {len(train)} training rows, {len(test)} test rows")
