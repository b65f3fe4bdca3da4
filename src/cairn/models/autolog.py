"""``cairn.sklearn.autolog()``: log every scikit-learn ``fit`` without changing the code.

Turning it on wraps ``fit`` on every ``BaseEstimator`` subclass that defines one: the classes
already imported, and (through a ``__init_subclass__`` hook on ``BaseEstimator``) those
defined later. Only the outermost ``fit`` logs (a Pipeline's steps, a search's candidates
and fits on other threads while it runs pass straight through). Each logging ``fit``:

- starts a run when none is active (and ends it afterwards, FAILED if ``fit`` raised);
- logs ``get_params(deep=True)`` as params;
- logs training metrics on the training data (``training_score`` and, for classifiers,
  ``training_{accuracy,precision,recall,f1}_score``; for regressors ``training_r2_score``,
  ``training_{mean_squared,root_mean_squared,mean_absolute}_error``);
- logs the fitted estimator as the model ``model`` with the first rows as input example (so
  with a signature);
- for a hyper-parameter search (``GridSearchCV``, ``RandomizedSearchCV`` ...), see
  :mod:`cairn.models.autolog_search`.

A failure to log never breaks training: it is reported on the ``cairn.autolog`` logger.
``autolog(disable=True)`` restores every original ``fit``.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any

from cairn.errors import CairnError, InvalidInput, ParamOverwrite

__all__ = ["AutologConfig", "autolog", "is_enabled"]

logger = logging.getLogger("cairn.autolog")
_MARK = "_cairn_autolog_original"
_EXAMPLE_ROWS = 5


@dataclass
class AutologConfig:
    """What autolog records."""

    log_models: bool = True
    max_tuning_runs: int | None = None


_config = AutologConfig()
_patched: dict[type, Any] = {}
_lock = threading.RLock()
_depth = 0  # > 0 while a logging fit runs (on any thread)


def is_enabled() -> bool:
    """Whether autolog is on."""
    return bool(_patched)


def autolog(
    disable: bool = False, *, log_models: bool = True, max_tuning_runs: int | None = None
) -> None:
    """Turn scikit-learn autologging on (or off with ``disable=True``)."""
    if max_tuning_runs is not None and (
        not isinstance(max_tuning_runs, int)
        or isinstance(max_tuning_runs, bool)
        or max_tuning_runs < 0
    ):
        raise InvalidInput(
            f"max_tuning_runs must be None or an integer >= 0, got {max_tuning_runs!r}"
        )
    from cairn.models.flavors._base import require_library

    BaseEstimator = require_library("sklearn.base", "sklearn").BaseEstimator
    with _lock:
        if disable:
            _unpatch_all(BaseEstimator)
            return
        _config.log_models = bool(log_models)
        _config.max_tuning_runs = max_tuning_runs
        stack = [BaseEstimator]
        while stack:
            cls = stack.pop()
            _patch(cls)
            stack.extend(cls.__subclasses__())
        if "__init_subclass__" not in BaseEstimator.__dict__:
            hook: classmethod[Any, ..., None] = classmethod(_on_subclass)
            setattr(hook.__func__, _MARK, True)
            BaseEstimator.__init_subclass__ = hook  # type: ignore[assignment]


def _on_subclass(cls: type, **kwargs: Any) -> None:
    from sklearn.base import BaseEstimator

    super(BaseEstimator, cls).__init_subclass__(**kwargs)  # type: ignore[misc]
    with _lock:
        if _patched:
            _patch(cls)


def _patch(cls: type) -> None:
    original = cls.__dict__.get("fit")
    if original is None or cls in _patched or not callable(original):
        return
    _patched[cls] = original
    cls.fit = _wrap(original)  # type: ignore[attr-defined]


def _unpatch_all(base: type) -> None:
    for cls, original in _patched.items():
        cls.fit = original  # type: ignore[attr-defined]
    _patched.clear()
    hook = base.__dict__.get("__init_subclass__")
    if hook is not None and getattr(getattr(hook, "__func__", None), _MARK, False):
        delattr(base, "__init_subclass__")


def _wrap(original: Any) -> Any:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _depth
        with _lock:
            outer = _depth == 0
            _depth += 1
        try:
            if not outer:
                return original(self, *args, **kwargs)
            return _fit_and_log(original, self, args, kwargs)
        finally:
            with _lock:
                _depth -= 1

    setattr(fit, _MARK, original)
    return fit


def _fit_and_log(original: Any, estimator: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    from cairn.tracking import fluent

    started = fluent.active_run() is None
    if started:
        fluent.start_run(tags={"cairn.autolog": "sklearn"})
    try:
        result = original(estimator, *args, **kwargs)
    except BaseException:
        if started:
            fluent.end_run("FAILED")
        raise
    try:
        x = args[0] if args else kwargs.get("X")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        log_fitted(estimator, x, y)
    except (CairnError, ValueError, TypeError, AttributeError, OSError) as exc:
        logger.warning("cairn autolog could not log %s: %s", type(estimator).__name__, exc)
    finally:
        if started:
            fluent.end_run()
    return result


def log_fitted(estimator: Any, x: Any, y: Any) -> None:
    """Log params, training metrics, the model (and a search's results) to the active run."""
    from cairn.models.autolog_search import is_search, log_search
    from cairn.tracking import fluent

    try:
        fluent.log_params(param_values(estimator))
    except ParamOverwrite as exc:  # fitted again in the same run with other params
        logger.warning("cairn autolog kept the run's first params: %s", exc)
    if y is not None and x is not None:
        fluent.log_metrics(training_metrics(estimator, x, y))
    if is_search(estimator):
        log_search(estimator, _config.max_tuning_runs, _config.log_models, example_rows(x))
    if _config.log_models:
        from cairn.models.flavors import sklearn as cairn_sklearn

        cairn_sklearn.log_model(estimator, "model", input_example=example_rows(x))


def param_values(estimator: Any) -> dict[str, str]:
    """``get_params(deep=True)`` as text (estimators by their repr, cut to the store's limit)."""
    from cairn.store.validation import MAX_PARAM_VALUE_LENGTH

    out = {}
    for key, value in estimator.get_params(deep=True).items():
        text = str(value)
        out[key] = (
            text
            if len(text) <= MAX_PARAM_VALUE_LENGTH
            else text[: MAX_PARAM_VALUE_LENGTH - 3] + "..."
        )
    return out


def training_metrics(estimator: Any, x: Any, y: Any) -> dict[str, float]:
    """Scores of the fitted estimator on its training data (empty when it cannot predict)."""
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    if not callable(getattr(estimator, "predict", None)):
        return {}
    predicted = estimator.predict(x)
    out: dict[str, float] = {}
    if is_classifier(estimator):
        average = "binary" if len(set(_labels(y))) <= 2 else "weighted"
        if average == "binary" and not _binary_numeric(y):
            average = "weighted"
        out["training_accuracy_score"] = metrics.accuracy_score(y, predicted)
        for name, fn in (
            ("precision", metrics.precision_score),
            ("recall", metrics.recall_score),
            ("f1", metrics.f1_score),
        ):
            out[f"training_{name}_score"] = fn(y, predicted, average=average, zero_division=0)
    elif is_regressor(estimator):
        mse = metrics.mean_squared_error(y, predicted)
        out["training_mean_squared_error"] = mse
        out["training_root_mean_squared_error"] = mse**0.5
        out["training_mean_absolute_error"] = metrics.mean_absolute_error(y, predicted)
        out["training_r2_score"] = metrics.r2_score(y, predicted)
    if callable(getattr(estimator, "score", None)) and (
        is_classifier(estimator) or is_regressor(estimator)
    ):
        out["training_score"] = estimator.score(x, y)
    return {k: float(v) for k, v in out.items()}


def _labels(y: Any) -> list[Any]:
    import numpy as np

    return list(np.unique(np.asarray(y)))


def _binary_numeric(y: Any) -> bool:
    labels = set(_labels(y))
    return labels <= {0, 1} or labels <= {-1, 1}


def example_rows(x: Any) -> Any:
    """The first rows of the training data as an input example (None for sparse or odd data)."""
    if hasattr(x, "iloc"):
        return x.iloc[:_EXAMPLE_ROWS]
    if hasattr(x, "ndim") and hasattr(x, "dtype") and not hasattr(x, "tocsr"):
        return x[:_EXAMPLE_ROWS] if x.ndim >= 1 else None
    if isinstance(x, list) and x:
        import numpy as np

        return np.asarray(x[:_EXAMPLE_ROWS])
    return None
