"""Run Evidently 0.7.23 on reference/current Parquet files (a script for the Evidently venv
made by ``scripts/evidently_venv.sh``; cairn's own venv has pandas 3, which Evidently refuses).

    python evidently_peer.py drift OUT REF,CUR [REF,CUR ...] --numeric a,b --categorical c,d
        per-column drift of Evidently's default stattests (legacy DataDriftTable) of each
        pair, as a JSON list of {column: {"method", "statistic", "threshold", "drifted"}}
        (method: the stattest's registered name, e.g. ks, chisquare, z, wasserstein)
    python evidently_peer.py preset OUT REF,CUR --numeric ... --categorical ... --preset drift|summary
        time DataDriftPreset or DataSummaryPreset (the current API) and write
        {"seconds", "peak_rss_mib"} (peak RSS includes reading the Parquet files)
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import pandas as pd


def _drift(
    reference: pd.DataFrame, current: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> dict:
    from evidently.legacy.metrics import DataDriftTable
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    mapping = ColumnMapping(
        target=None, prediction=None, numerical_features=numeric, categorical_features=categorical
    )
    report = Report(metrics=[DataDriftTable(columns=numeric + categorical)])
    report.run(reference_data=reference, current_data=current, column_mapping=mapping)
    result = report.as_dict()["metrics"][0]["result"]["drift_by_columns"]
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests

    names = {
        test.display_name: test.name
        for tests in _registered_stat_tests.values()
        for test in tests.values()
    }
    return {
        name: {
            "method": names.get(column["stattest_name"], column["stattest_name"]),
            "statistic": float(column["drift_score"]),
            "threshold": column["stattest_threshold"],
            "drifted": bool(column["drift_detected"]),
        }
        for name, column in result.items()
    }


def _preset(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    preset: str,
) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset, DataSummaryPreset

    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    start = time.perf_counter()
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    report = Report([DataDriftPreset() if preset == "drift" else DataSummaryPreset()])
    snapshot = report.run(cur, ref)
    snapshot.dict()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mib": _peak_rss_mib()}


def _peak_rss_mib() -> float:
    """Peak resident memory (VmHWM; ``ru_maxrss`` can keep the parent's peak across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["drift", "preset"])
    parser.add_argument("out")
    parser.add_argument("pairs", nargs="+", help="REF.parquet,CUR.parquet")
    parser.add_argument("--numeric", default="")
    parser.add_argument("--categorical", default="")
    parser.add_argument("--preset", choices=["drift", "summary"], default="drift")
    args = parser.parse_args()
    numeric = [name for name in args.numeric.split(",") if name]
    categorical = [name for name in args.categorical.split(",") if name]
    outputs = []
    for pair in args.pairs:
        reference_path, current_path = pair.split(",")
        reference, current = pd.read_parquet(reference_path), pd.read_parquet(current_path)
        if args.mode == "drift":
            outputs.append(_drift(reference, current, numeric, categorical))
        else:
            outputs.append(_preset(reference, current, numeric, categorical, args.preset))
    output = outputs if args.mode == "drift" else outputs[0]
    with open(args.out, "w") as handle:
        json.dump(output, handle)


if __name__ == "__main__":
    main()
