"""What the trainer needs of a model: learn from one batch, predict, say whether it classifies.

scikit-learn estimators with ``partial_fit`` are used as they are. A River model (anything with
``learn_many`` or ``learn_one``) is wrapped in :class:`RiverModel`, which gives it the same
``partial_fit``/``predict`` face, so checkpoints, serving and rollback treat both alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.errors import InvalidInput

__all__ = ["RiverModel", "as_learner", "is_classifier", "is_fitted", "learn"]


class RiverModel:
    """A River estimator behind scikit-learn's ``partial_fit``/``predict`` (``features_`` are
    the column names it has learned from)."""

    def __init__(self, river_model: Any) -> None:
        self.river_model = river_model
        self.features_: list[str] | None = None

    def partial_fit(self, X: Any, y: Any, classes: Sequence[Any] | None = None) -> RiverModel:
        """Learn from a DataFrame of features and the matching labels."""
        import pandas as pd

        labels = pd.Series(list(y), index=X.index)
        if hasattr(self.river_model, "learn_many"):
            self.river_model.learn_many(X, labels)
        else:
            for row, label in zip(X.to_dict(orient="records"), labels, strict=True):
                self.river_model.learn_one(row, label)
        self.features_ = [str(c) for c in X.columns]
        return self

    def predict(self, X: Any) -> Any:
        """One prediction per row (an array)."""
        import numpy as np
        import pandas as pd

        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=self.features_)
        if hasattr(self.river_model, "predict_many"):
            return np.asarray(self.river_model.predict_many(frame))
        rows = frame.to_dict(orient="records")
        return np.asarray([self.river_model.predict_one(row) for row in rows])


def _is_river(model: Any) -> bool:
    return type(model).__module__.split(".")[0] == "river"


def as_learner(model: Any) -> Any:
    """``model`` ready for online updates; InvalidInput when it cannot learn incrementally."""
    if isinstance(model, RiverModel):
        return model
    if _is_river(model) and (hasattr(model, "learn_many") or hasattr(model, "learn_one")):
        return RiverModel(model)
    if not callable(getattr(model, "partial_fit", None)):
        raise InvalidInput(
            f"{type(model).__name__} has no partial_fit: online learning needs an estimator that "
            "learns incrementally (SGDClassifier, SGDRegressor, MultinomialNB, Perceptron, "
            "PassiveAggressiveClassifier, MLPClassifier ... or a River model)"
        )
    if not callable(getattr(model, "predict", None)):
        raise InvalidInput(f"{type(model).__name__} has no predict method")
    return model


def is_classifier(model: Any) -> bool:
    """Whether the model predicts classes (so accuracy/F1 apply, not MAE/RMSE)."""
    if isinstance(model, RiverModel):
        from river import base

        return isinstance(model.river_model, base.Classifier)
    from sklearn.base import is_classifier as sk_is_classifier

    return bool(sk_is_classifier(model))


def is_fitted(model: Any) -> bool:
    """Whether the model has learned anything yet (so it can be evaluated)."""
    if isinstance(model, RiverModel):
        return model.features_ is not None
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        return False
    return True


def learn(model: Any, X: Any, y: Any, classes: Sequence[Any] | None) -> None:
    """One ``partial_fit`` step (with ``classes`` for classifiers that need them)."""
    if classes is not None and is_classifier(model):
        import numpy as np

        model.partial_fit(X, y, classes=np.asarray(list(classes)))
    else:
        model.partial_fit(X, y)
