"""Online learning under attack: holdout accuracy with and without the poisoning guard.

A generated 3-class task (scikit-learn's ``make_classification``, 20 features, seeded) is
streamed in batches of rows to :class:`cairn.online.OnlineTrainer` (a real store in a temp
folder, metrics logged per batch, checkpoints in the registry). An attacker controls a share of
the batches (20% by default: every fifth batch after the first 10, or at random positions with
``--spacing random``), alternating between two kinds:

- ``flip``: label flipping: real rows of class 0 (the attacker picks which rows to send),
  every one labelled 1 (flipped systematically towards one class);
- ``inject``: targeted feature-space injection: synthetic points in class 0's region, pushed
  outwards (``spread`` times their distance from the data's centre), all labelled 1, to move
  the boundary into class 0.

Four learners see the same stream, each a fresh copy of one model pre-fitted on the trusted
reference: ``clean`` (no attack, no guard), ``unguarded`` (attacked), ``guarded`` (attacked,
:class:`cairn.online.guard.PoisoningGuard` with default thresholds) and ``guarded_clean`` (no
attack, guard on: its false rejections). Accuracy is measured after every batch on a test set
that neither the guard nor the model sees (the guard's canary uses its own holdout).

Targets (issue 10): with 20% poisoned batches, the guarded model's mean accuracy over the last
20% of the stream is within 2 points of the clean model's, the unguarded one loses at least 10,
and under 5% of clean batches are rejected. Checked on three seeds.

    .venv/bin/python benchmarks/bench_online.py                   # 3 seeds x 300 batches
    .venv/bin/python benchmarks/bench_online.py --quick           # 1 seed x 100 batches
    .venv/bin/python benchmarks/bench_online.py --seeds 0 1 2 --batches 300 --batch-size 200
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from cairn.monitoring.svg import line_chart
from cairn.online import OnlineTrainer
from cairn.online.guard import PoisoningGuard

HERE = Path(__file__).resolve().parent
CLASSES = [0, 1, 2]
N_REFERENCE, N_HOLDOUT, N_TEST = 2000, 2000, 5000
WARMUP = 10  # the attacker starts after the first batches
RUNS = ("clean", "unguarded", "guarded", "guarded_clean")


def make_task(seed: int, rows: int) -> dict[str, Any]:
    """Reference, guard holdout, test set and the stream's pool of clean rows."""
    total = N_REFERENCE + N_HOLDOUT + N_TEST + rows
    X, y = make_classification(
        n_samples=total, n_features=20, n_informative=10, n_redundant=4, n_classes=3,
        n_clusters_per_class=1, class_sep=1.2, flip_y=0.01, random_state=seed,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    cut = np.cumsum([N_REFERENCE, N_HOLDOUT, N_TEST])

    def part(lo: int, hi: int | None) -> tuple[pd.DataFrame, np.ndarray]:
        return frame.iloc[lo:hi].reset_index(drop=True), y[lo:hi]

    return {
        "reference": part(0, cut[0]),
        "holdout": part(cut[0], cut[1]),
        "test": part(cut[1], cut[2]),
        "pool": part(cut[2], None),
    }


def make_stream(
    pool: tuple[pd.DataFrame, np.ndarray],
    seed: int,
    *,
    batches: int,
    size: int,
    share: float,
    spread: float,
    spacing: str = "even",
) -> list[dict[str, Any]]:
    """The batches in order: ``{"kind", "X", "y", "source"}``."""
    rng = np.random.default_rng(seed + 1000)
    X, y = pool
    values = X.to_numpy()
    centre = values.mean(axis=0)
    class0 = np.flatnonzero(y == 0)
    kinds = np.array(["clean"] * batches, dtype=object)
    count = round(share * batches)
    if spacing == "even":  # a steady share: every 1/share-th batch, kinds alternating
        chosen = np.linspace(WARMUP, batches - 1, count).round().astype(int) if count else []
    else:
        chosen = rng.choice(np.arange(WARMUP, batches), count, replace=False)
    for n, position in enumerate(chosen):
        kinds[position] = "flip" if n % 2 == 0 else "inject"
    stream = []
    for i, kind in enumerate(kinds):
        rows = slice(i * size, (i + 1) * size)
        bx, by = X.iloc[rows].reset_index(drop=True), y[rows].copy()
        source = f"user-{rng.integers(20)}"
        if kind == "flip":
            bx = X.iloc[rng.choice(class0, size)].reset_index(drop=True)
            by = np.full(size, 1)
            source = f"attacker-{i % 4}"
        elif kind == "inject":
            picked = values[rng.choice(class0, size)]
            points = centre + spread * (picked - centre) + rng.normal(0, 0.1, picked.shape)
            bx, by = pd.DataFrame(points, columns=X.columns), np.full(size, 1)
            source = f"attacker-{i % 4}"
        stream.append({"kind": kind, "X": bx, "y": by, "source": source})
    return stream


def base_model(seed: int, reference: tuple[pd.DataFrame, np.ndarray]) -> MLPClassifier:
    """The model every learner starts from: an MLP pre-fitted on the trusted reference."""
    model = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.005, random_state=seed)
    model.partial_fit(reference[0], reference[1], classes=CLASSES)
    return model


def run_learner(
    name: str,
    task: dict[str, Any],
    stream: list[dict[str, Any]],
    model: MLPClassifier,
    workdir: Path,
    guarded: bool,
) -> dict[str, Any]:
    """Stream every batch through an OnlineTrainer; accuracy on the test set after each."""
    guard = None
    if guarded:
        guard = PoisoningGuard(*task["reference"], holdout=task["holdout"])
    trainer = OnlineTrainer(
        copy.deepcopy(model),
        model_name=f"bench-{name}",
        classes=CLASSES,
        guard=guard,
        checkpoint_every=100,
        experiment="bench-online",
        tracking_uri=f"sqlite:///{workdir / 'store.db'}",
        quarantine_dir=workdir / "quarantine",
    )
    test_X, test_y = task["test"]
    accuracy, rejected, reasons = [], {"clean": 0, "flip": 0, "inject": 0}, {}
    seen = {"clean": 0, "flip": 0, "inject": 0}
    started = time.perf_counter()
    for batch in stream:
        result = trainer.update(batch["X"], batch["y"], source=batch["source"])
        seen[batch["kind"]] += 1
        if not result.accepted:
            rejected[batch["kind"]] += 1
            for reason in result.verdict.reasons:
                key = f"{batch['kind']}/{reason.split(':')[0]}"
                reasons[key] = reasons.get(key, 0) + 1
        accuracy.append(float(np.mean(trainer.model.predict(test_X) == test_y)))
    trainer.close()
    tail = max(1, len(accuracy) // 5)
    return {
        "accuracy": accuracy,
        "final": accuracy[-1],
        "last20_mean": float(np.mean(accuracy[-tail:])),
        "rejected": rejected,
        "batches": seen,
        "rejections_by_check": dict(sorted(reasons.items())),
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_seed(seed: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """All four learners on one seed's task and stream."""
    task = make_task(seed, args.batches * args.batch_size)
    model = base_model(seed, task["reference"])
    attacked = make_stream(
        task["pool"], seed, batches=args.batches, size=args.batch_size,
        share=args.share, spread=args.spread, spacing=args.spacing,
    )  # fmt: skip
    clean = [dict(b, kind="clean") for b in make_stream(
        task["pool"], seed, batches=args.batches, size=args.batch_size, share=0.0,
        spread=args.spread,
    )]  # fmt: skip
    found = {}
    for name in RUNS:
        stream = clean if name in ("clean", "guarded_clean") else attacked
        folder = workdir / f"seed{seed}-{name}"
        folder.mkdir(parents=True)
        found[name] = run_learner(name, task, stream, model, folder, name.startswith("guarded"))
        print(f"seed {seed} {name}: last-20% accuracy {found[name]['last20_mean']:.4f} "
              f"({found[name]['seconds']} s)", file=sys.stderr, flush=True)  # fmt: skip
    return summarise(found)


def summarise(found: dict[str, Any]) -> dict[str, Any]:
    """The figures the targets are about, from one seed's four runs."""
    clean = found["clean"]["last20_mean"]
    guarded, unguarded = found["guarded"], found["unguarded"]
    rejected_clean = guarded["rejected"]["clean"] + found["guarded_clean"]["rejected"]["clean"]
    clean_batches = guarded["batches"]["clean"] + found["guarded_clean"]["batches"]["clean"]
    caught = {
        kind: guarded["rejected"][kind] / guarded["batches"][kind]
        for kind in ("flip", "inject")
        if guarded["batches"][kind]
    }
    return {
        "runs": found,
        "clean_last20": clean,
        "guarded_gap_points": round(100 * (clean - guarded["last20_mean"]), 2),
        "unguarded_loss_points": round(100 * (clean - unguarded["last20_mean"]), 2),
        "guarded_clean_gap_points": round(100 * (clean - found["guarded_clean"]["last20_mean"]), 2),
        "clean_rejected_share": rejected_clean / max(clean_batches, 1),
        "poisoned_caught_share": caught,
    }


def meets_targets(seed_result: dict[str, Any]) -> dict[str, bool]:
    """Issue 10's three targets on one seed."""
    return {
        "guarded_within_2_points": seed_result["guarded_gap_points"] <= 2.0,
        "unguarded_loses_10_points": seed_result["unguarded_loss_points"] >= 10.0,
        "clean_rejected_under_5pct": seed_result["clean_rejected_share"] < 0.05,
    }


def plot(results: dict[int, Any], every: int) -> str:
    """One chart per seed of test accuracy over batches, as one SVG document."""
    charts = []
    for seed, found in results.items():
        series = {
            name: [(i + 1, a) for i, a in enumerate(run["accuracy"]) if (i + 1) % every == 0]
            for name, run in found["runs"].items()
            if name != "guarded_clean"
        }
        charts.append(line_chart(series, title=f"test accuracy over batches, seed {seed}"))
    height = 240 * len(charts)
    body = "".join(
        chart.replace("<svg ", f'<svg y="{240 * i}" width="640" height="240" ', 1)
        for i, chart in enumerate(charts)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{height}" '
        f'viewBox="0 0 640 {height}">{body}</svg>\n'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--share", type=float, default=0.2, help="share of poisoned batches")
    parser.add_argument("--spread", type=float, default=2.0, help="injection's outward push")
    parser.add_argument(
        "--spacing", choices=("even", "random"), default="even",
        help="poisoned batches every 1/share-th batch, or at random positions",
    )  # fmt: skip
    parser.add_argument("--every", type=int, default=5, help="series step (batches)")
    parser.add_argument("--quick", action="store_true", help="1 seed x 100 batches")
    parser.add_argument("--out", type=Path, default=HERE / "online-latest.json")
    parser.add_argument("--svg", type=Path, default=HERE / "online-latest.svg")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.batches = args.seeds[:1], 100
    results: dict[int, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-online-") as tmp:
        for seed in args.seeds:
            results[seed] = run_seed(seed, args, Path(tmp))
    report = {
        "benchmark": "online poisoning guard",
        "python": platform.python_version(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "targets": {str(s): meets_targets(r) for s, r in results.items()},
        "seeds": {
            str(seed): {
                **{k: v for k, v in found.items() if k != "runs"},
                "runs": {
                    name: {
                        **{k: v for k, v in run.items() if k != "accuracy"},
                        "accuracy_every": [
                            round(a, 4)
                            for i, a in enumerate(run["accuracy"])
                            if (i + 1) % args.every == 0
                        ],
                    }
                    for name, run in found["runs"].items()
                },
            }
            for seed, found in results.items()
        },
    }
    text = json.dumps(report, indent=2)
    print(text)
    args.out.write_text(text + "\n", encoding="utf-8")
    args.svg.write_text(plot(results, args.every), encoding="utf-8")
    return 0 if all(all(t.values()) for t in report["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
