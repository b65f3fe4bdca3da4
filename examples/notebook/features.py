"""Features for the iris walkthrough: grown in walkthrough.ipynb, then moved here."""

import pandas as pd


def add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each flower's petal and sepal length/width ratios added."""
    out = frame.copy()
    out["petal_ratio"] = out["petal length (cm)"] / out["petal width (cm)"]
    out["sepal_ratio"] = out["sepal length (cm)"] / out["sepal width (cm)"]
    return out
