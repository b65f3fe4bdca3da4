"""cairn.sklearn.autolog(): params, training metrics, the model, searches with child runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import cairn
from cairn.errors import InvalidInput
from cairn.models.autolog_search import candidate_order


@pytest.fixture
def autolog(project):
    cairn.sklearn.autolog()
    yield
    cairn.sklearn.autolog(disable=True)


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(60, 4, random_state=0)
    return pd.DataFrame(X, columns=["a", "b", "c", "d"]), y


def _runs():
    return cairn.search_runs(search_all_experiments=True, output_format="list")


def _children(parent_id):
    return [r for r in _runs() if r.data.tags.get("cairn.parentRunId") == parent_id]


def test_fit_logs_params_metrics_and_a_loadable_model(autolog, classification):
    frame, y = classification
    model = LogisticRegression(C=0.5).fit(frame, y)
    (run,) = _runs()
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == "0.5"
    assert run.data.tags["cairn.autolog"] == "sklearn"
    metrics = run.data.metrics
    assert metrics["training_accuracy_score"] == pytest.approx(model.score(frame, y))
    for name in ("precision", "recall", "f1"):
        assert 0 <= metrics[f"training_{name}_score"] <= 1
    uri = f"runs:/{run.info.run_id}/model"
    pyfunc = cairn.pyfunc.load_model(uri)
    assert [c.name for c in pyfunc.metadata.signature.inputs.inputs] == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(pyfunc.predict(frame), model.predict(frame))


def test_regressor_metrics_and_the_active_run_is_used(autolog):
    X, y = make_regression(40, 3, random_state=1)
    with cairn.start_run() as active:
        LinearRegression().fit(X, y)
    (run,) = _runs()
    assert run.info.run_id == active.info.run_id
    metrics = run.data.metrics
    assert metrics["training_r2_score"] == pytest.approx(1.0)
    assert metrics["training_root_mean_squared_error"] == pytest.approx(
        metrics["training_mean_squared_error"] ** 0.5
    )
    assert {"training_mean_absolute_error", "training_score"} <= set(metrics)


def test_a_pipeline_logs_once(autolog, classification):
    frame, y = classification
    make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, y)
    (run,) = _runs()
    assert "logisticregression__C" in run.data.params


def test_grid_search_logs_best_and_one_child_per_candidate(autolog, classification):
    frame, y = classification
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]}, cv=3)
    search.fit(frame, y)
    (parent,) = [r for r in _runs() if "cairn.parentRunId" not in r.data.tags]
    assert parent.data.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    children = _children(parent.info.run_id)
    assert sorted(c.data.params["max_depth"] for c in children) == ["1", "2", "3"]
    for child in children:
        depth = int(child.data.params["max_depth"])
        index = search.cv_results_["params"].index({"max_depth": depth})
        assert child.data.metrics["mean_test_score"] == pytest.approx(
            search.cv_results_["mean_test_score"][index]
        )
        assert "rank_test_score" in child.data.metrics
    best = cairn.sklearn.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    assert best.get_depth() <= search.best_params_["max_depth"]


def test_randomized_search_with_max_tuning_runs(project, classification):
    frame, y = classification
    cairn.sklearn.autolog(max_tuning_runs=2, log_models=False)
    try:
        RandomizedSearchCV(
            LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0]}, n_iter=4, cv=2, random_state=0
        ).fit(frame, y)
    finally:
        cairn.sklearn.autolog(disable=True)
    (parent,) = [r for r in _runs() if "cairn.parentRunId" not in r.data.tags]
    assert len(_children(parent.info.run_id)) == 2
    client = cairn.CairnClient()
    assert "model" not in {f.path for f in client.list_artifacts(parent.info.run_id)}


def test_candidate_order_picks_the_best_ranks():
    results = {"params": [{}, {}, {}, {}], "rank_test_score": [3, 1, 4, 2]}
    assert candidate_order(results, None) == [0, 1, 2, 3]
    assert candidate_order(results, 2) == [1, 3]
    assert candidate_order({"params": [{}, {}]}, 1) == [0]


def test_disable_restores_fit_and_classes_defined_later_are_patched(project, classification):
    frame, y = classification
    original = LogisticRegression.fit
    cairn.sklearn.autolog()
    try:
        assert LogisticRegression.fit is not original

        class Later(RegressorMixin, BaseEstimator):
            def fit(self, X, y):
                self.mean_ = float(np.mean(y))
                return self

            def predict(self, X):
                return np.full(len(X), self.mean_)

        Later().fit(frame, y)
        assert len(_runs()) == 1
    finally:
        cairn.sklearn.autolog(disable=True)
    assert LogisticRegression.fit is original
    LogisticRegression().fit(frame, y)
    assert len(_runs()) == 1


def test_bad_arguments_and_failing_fits(project, classification):
    with pytest.raises(InvalidInput, match="max_tuning_runs"):
        cairn.sklearn.autolog(max_tuning_runs=-1)
    frame, y = classification
    cairn.sklearn.autolog()
    try:
        with pytest.raises(ValueError, match="C"):
            LogisticRegression(C=-1).fit(frame, y)
    finally:
        cairn.sklearn.autolog(disable=True)
    (run,) = _runs()
    assert run.info.status == "FAILED"
    assert cairn.active_run() is None


def test_a_second_fit_in_the_same_run_keeps_logging(autolog, classification):
    frame, y = classification
    with cairn.start_run():
        LogisticRegression(C=1.0).fit(frame, y)
        LogisticRegression(C=2.0, max_iter=500).fit(frame, y)
    (run,) = _runs()
    assert run.data.params["C"] == "1.0"
    assert "training_accuracy_score" in run.data.metrics
