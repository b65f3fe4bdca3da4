"""Tests of features.py, run from walkthrough.ipynb (or ``pytest test_features.py``)."""

import pandas as pd
import pytest
from features import add_ratios


def test_ratios_are_length_over_width() -> None:
    frame = pd.DataFrame(
        {
            "petal length (cm)": [4.0, 1.5],
            "petal width (cm)": [2.0, 0.5],
            "sepal length (cm)": [6.0, 5.0],
            "sepal width (cm)": [3.0, 2.5],
        }
    )
    out = add_ratios(frame)
    assert out["petal_ratio"].tolist() == pytest.approx([2.0, 3.0])
    assert out["sepal_ratio"].tolist() == pytest.approx([2.0, 2.0])


def test_the_input_frame_is_left_alone() -> None:
    frame = pd.DataFrame(
        {
            "petal length (cm)": [1.0],
            "petal width (cm)": [1.0],
            "sepal length (cm)": [1.0],
            "sepal width (cm)": [1.0],
        }
    )
    add_ratios(frame)
    assert list(frame.columns) == [
        "petal length (cm)",
        "petal width (cm)",
        "sepal length (cm)",
        "sepal width (cm)",
    ]
