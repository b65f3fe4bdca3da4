"""Precision and recall of the scanner on the labelled table, and masked examples."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from labelled_table import generate

from cairn.security import scan_frame


def _scores(frame: pd.DataFrame, labels: dict[str, str | None]) -> tuple[float, float, list]:
    report = scan_frame(frame)
    found = {f.column: f.kind for f in report.findings}
    right = [c for c, kind in found.items() if labels[c] == kind]
    sensitive = [c for c, kind in labels.items() if kind]
    wrong = [(c, labels[c], found.get(c)) for c in labels if found.get(c) != labels[c]]
    return len(right) / max(len(found), 1), len(right) / len(sensitive), wrong


@pytest.mark.parametrize("seed", [7, 11])
def test_precision_and_recall_on_the_labelled_table(seed):
    frame, labels = generate(rows=2000, seed=seed)
    kinds = {kind for kind in labels.values() if kind}
    assert len(labels) >= 40 and len(kinds) >= 15
    assert sum(1 for kind in labels.values() if kind is None) >= 30  # look-alikes
    precision, recall, wrong = _scores(frame, labels)
    print(f"seed {seed}: {len(labels)} columns, precision {precision:.3f}, recall {recall:.3f}")
    assert recall >= 0.95, wrong
    assert precision >= 0.9, wrong


def test_precision_and_recall_on_a_small_sample():
    frame, labels = generate(rows=60, seed=3)
    precision, recall, wrong = _scores(frame, labels)
    print(f"60 rows: precision {precision:.3f}, recall {recall:.3f}")
    assert recall >= 0.9 and precision >= 0.9, wrong


def test_masked_examples_never_hold_a_raw_value():
    frame, labels = generate(rows=500, seed=5)
    report = scan_frame(frame)
    text = json.dumps(report.to_dict())
    for finding in report.findings:
        assert finding.examples
        raw = set(frame[finding.column].dropna().astype(str))
        for example in finding.examples:
            assert example not in raw
            # No raw value of four characters or more shows inside an example.
            assert not any(len(v) >= 4 and v in example for v in raw), (finding.column, example)
    for column in ("email", "card_number", "ssn", "iban", "api_key"):
        assert not any(v in text for v in frame[column].astype(str))


def test_masks_keep_the_shape():
    frame = pd.DataFrame(
        {
            "email": ["jane.doe@example.com"] * 3,
            "card": ["4242 4242 4242 4242"] * 3,
        }
    )
    report = scan_frame(frame)
    examples = {f.column: f.examples for f in report.findings}
    assert examples == {"email": ("j***@e***.com",), "card": ("**** **** **** 4242",)}


def test_report_shape_and_sampling_is_deterministic():
    frame, _ = generate(rows=3000, seed=7)
    first = scan_frame(frame, sample=500, seed=1)
    again = scan_frame(frame, sample=500, seed=1)
    assert first == again
    assert (first.rows, first.sampled, first.scanned_columns) == (3000, 500, len(frame.columns))
    found = first.to_dict()
    assert found["sensitive"] is True and found["findings"][0].keys() >= {
        "column", "kind", "category", "evidence", "share", "examples",
    }  # fmt: skip
    assert first.columns == [f["column"] for f in found["findings"]]
    categories = {f.kind: f.category for f in first.findings}
    assert categories["gender"] == "protected" and categories["email"] == "identifier"
    assert categories["date_of_birth"] == "quasi_identifier"
    assert categories["secret"] == "secret"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_the_hooks_reader_finds_the_same_columns_without_pandas(tmp_path, suffix):
    from cairn.security.columns import read_columns
    from cairn.security.report import scan_columns

    frame, labels = generate(rows=1500, seed=7)
    path = tmp_path / f"table{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path)
    columns, rows = read_columns(path, max_rows=1000, sample=500)
    assert rows == 1000 and all(len(c.values) <= 500 for c in columns)
    report = scan_columns(columns, rows=rows)
    found = {f.column: f.kind for f in report.findings}
    right = [c for c, kind in found.items() if labels[c] == kind]
    precision, recall = len(right) / len(found), len(right) / sum(1 for k in labels.values() if k)
    print(f"{suffix}: precision {precision:.3f}, recall {recall:.3f}")
    wrong = {c: (labels[c], found.get(c)) for c in labels if found.get(c) != labels[c]}
    assert precision >= 0.9 and recall >= 0.95, wrong
