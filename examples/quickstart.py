"""Quickstart: a small learning-rate sweep tracked with cairn on the embedded default store.

Trains a logistic-regression classifier with plain numpy gradient descent on a generated
data set, once per learning rate, each fold as a nested run, and logs params, per-epoch
metrics, seeds, a plot and the model weights. Run it from the project root:

    python examples/quickstart.py
"""

from __future__ import annotations

import json
import sys

import numpy as np

import cairn

EPOCHS = 40
LEARNING_RATES = (0.01, 0.1, 0.5)
FOLDS = 3


def make_data(rng: np.random.Generator, n: int = 2000, features: int = 8):
    """A linearly separable-ish binary problem with label noise."""
    x = rng.normal(size=(n, features))
    true_w = rng.normal(size=features)
    logits = x @ true_w + rng.normal(scale=0.5, size=n)
    return x, (logits > 0).astype(float)


def train(x, y, lr: float, epochs: int, log=None):
    """Logistic regression by full-batch gradient descent; returns weights and final loss."""
    w = np.zeros(x.shape[1])
    loss = float("nan")
    for epoch in range(epochs):
        p = 1 / (1 + np.exp(-(x @ w)))
        loss = float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
        w -= lr * x.T @ (p - y) / len(y)
        if log is not None:
            log(epoch, loss)
    return w, loss


def accuracy(w, x, y) -> float:
    return float(np.mean(((x @ w) > 0) == (y > 0.5)))


def main() -> int:
    cairn.set_experiment("quickstart")
    cairn.seed_everything(7)
    rng = np.random.default_rng(7)
    x, y = make_data(rng)
    folds = np.array_split(rng.permutation(len(y)), FOLDS)
    for lr in LEARNING_RATES:
        with cairn.start_run(run_name=f"lr-{lr}", tags={"model": "logreg"},
                             description="numpy logistic regression, 3-fold CV") as run:
            cairn.log_params({"learning_rate": lr, "epochs": EPOCHS, "folds": FOLDS})
            scores = []
            for k, test_idx in enumerate(folds):
                train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
                with cairn.start_run(run_name=f"lr-{lr}-fold-{k}", nested=True):
                    cairn.log_param("fold", k)
                    w, loss = train(
                        x[train_idx], y[train_idx], lr, EPOCHS,
                        log=lambda epoch, value: cairn.log_metric("train_loss", value, step=epoch),
                    )
                    score = accuracy(w, x[test_idx], y[test_idx])
                    cairn.log_metrics({"val_accuracy": score, "final_loss": loss})
                    scores.append(score)
            w, _ = train(x, y, lr, EPOCHS, log=lambda e, v: cairn.log_metric("loss", v, step=e))
            cairn.log_metrics({"cv_accuracy": float(np.mean(scores)), "cv_std": float(np.std(scores))})
            cairn.log_dict({"weights": w.round(6).tolist()}, "model/weights.json")
            _log_plot(w)
        print(f"run {run.info.run_id[:8]}  lr={lr:<5} cv_accuracy={np.mean(scores):.3f}")
    best = cairn.search_runs(
        experiment_names=["quickstart"],
        filter_string="params.learning_rate >= 0.01 and tags.model = 'logreg'",
        order_by=["metrics.cv_accuracy DESC"],
        max_results=1,
    )
    print("best run:", json.dumps({
        "run_id": best.loc[0, "run_id"],
        "learning_rate": best.loc[0, "params.learning_rate"],
        "cv_accuracy": round(float(best.loc[0, "metrics.cv_accuracy"]), 4),
    }))
    return 0


def _log_plot(w) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(range(len(w)), w)
    ax.set_title("learned weights")
    cairn.log_figure(fig, "plots/weights.png")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
