"""`cairn data scan` end to end through the root group: reports, exit codes, redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from labelled_table import generate

from cairn.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["data", "scan", *args])


@pytest.fixture
def tables(cairn_project: Path) -> Path:
    frame, _ = generate(rows=200, seed=7)
    frame[["email", "card_number", "gender", "price"]].to_csv("people.csv", index=False)
    frame[["price", "rating", "order_date"]].to_parquet("clean.parquet")
    frame[["ssn", "quantity"]].to_json("events.jsonl", orient="records", lines=True)
    return cairn_project


def test_sensitive_table_exits_1_with_masked_examples(tables):
    result = run("people.csv")
    assert result.exit_code == 1, result.output
    for text in ("email", "credit_card", "gender", "**** **** ****"):
        assert text in result.output
    raw = pd.read_csv("people.csv", dtype=str)
    assert not any(value in result.output for value in raw["email"])


def test_clean_table_exits_0(tables):
    result = run("clean.parquet")
    assert result.exit_code == 0, result.output
    assert "No sensitive columns in clean.parquet" in result.output


def test_json_report_and_folder(tables):
    result = run(".", "--json", "--sample", "50")
    assert result.exit_code == 1
    found = json.loads(result.output)
    assert found["sensitive"] is True and found["sampled"] == 150
    by_file = {(f["file"], f["column"]): f["kind"] for f in found["findings"]}
    assert by_file == {
        ("events.jsonl", "ssn"): "national_id",
        ("people.csv", "email"): "email",
        ("people.csv", "card_number"): "credit_card",
        ("people.csv", "gender"): "gender",
    }


@pytest.mark.parametrize("how", ["hash", "drop"])
def test_redact_writes_a_clean_copy(tables, how):
    result = run("people.csv", "--redact", how, "-o", "out.parquet", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["redacted"]["columns"] == ["email", "card_number", "gender"]
    out = pd.read_parquet("out.parquet")
    assert ("email" in out.columns) is (how == "hash")
    assert run("out.parquet").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv: no such file or folder"),
        (["notes.txt"], "unknown table format '.txt'; supported: CSV (.csv)"),
        (["broken.parquet"], "broken.parquet: cannot read it as parquet"),
        (["people.csv", "--redact", "hash"], "--redact and -o/--output go together"),
        ([".", "--redact", "hash", "-o", "x.csv"], "--redact works on one table file"),
        (["people.csv", "--redact", "hash", "-o", "out.xlsx"], "unknown table format '.xlsx'"),
        (["people.csv", "--sample", "0"], "0 is not in the range x>=1"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tables, args, message):
    Path("notes.txt").write_text("hello")
    Path("broken.parquet").write_bytes(b"not parquet at all")
    before = sorted(p.name for p in tables.iterdir())
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert sorted(p.name for p in tables.iterdir()) == before
