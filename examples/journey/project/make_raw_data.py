"""Generate the raw data set: customers of a subscription service and whether they churned.

    python make_raw_data.py data/raw.csv --rows 3000 --seed 1

``--drift`` draws the customers of "later on": they spend more, call support more, and churn
for a different reason than before (so a model trained on the old data gets worse).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = ["age", "tenure_months", "monthly_spend", "support_calls"]
TARGET = "churned"


def customers(rows: int, seed: int, drift: bool = False) -> pd.DataFrame:
    """``rows`` customers with their label; ``drift`` shifts the inputs and the labels' rule."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(42, 12, rows).clip(18, 90).round(),
            "tenure_months": rng.gamma(2.0, 12.0, rows).round(1),
            "monthly_spend": rng.normal(70 if drift else 50, 15, rows).round(2),
            "support_calls": rng.poisson(4.0 if drift else 1.5, rows),
        }
    )
    if drift:  # later on, long-standing customers who spend a lot are the ones leaving
        risk = 0.04 * frame.tenure_months + 0.05 * (frame.monthly_spend - 70) - 1.0
    else:  # new customers who keep calling support leave
        risk = 1.2 * frame.support_calls - 0.08 * frame.tenure_months - 0.5
    noise = rng.logistic(0, 0.5, rows)
    frame[TARGET] = (risk + noise > 0).astype(int)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drift", action="store_true")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    customers(args.rows, args.seed, args.drift).to_csv(args.out, index=False)
    print(f"wrote {args.rows} customers to {args.out}")


if __name__ == "__main__":
    main()
