"""FolderSource: files dropped into a folder by another thread become batches; half-written
files are not read; unreadable and malformed files go to failed/ with a reason, the others to
processed/; a source column splits a file into one batch per sender."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from online_streams import RecordingGuard, stream
from sklearn.linear_model import SGDClassifier

from cairn.errors import InvalidInput
from cairn.online import FolderSource, OnlineTrainer


def _drop(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Write under a temporary name, then rename into place (the documented convention)."""
    temporary = folder / f".{name}"
    if name.endswith(".csv"):
        frame.to_csv(temporary, index=False)
    elif name.endswith(".parquet"):
        frame.to_parquet(temporary, index=False)
    else:
        frame.to_json(temporary, orient="records", lines=True)
    temporary.replace(folder / name)


def _labelled(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    return X.assign(label=y)


def _trainer(tmp_path: Path, **kwargs) -> OnlineTrainer:
    return OnlineTrainer(
        SGDClassifier(random_state=0),
        model_name="folder-model",
        classes=[0, 1],
        checkpoint_every=2,
        quarantine_dir=tmp_path / "quarantine",
        **kwargs,
    )


def test_files_dropped_by_another_thread_are_learned_from(client, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batches = stream(11, 5)
    names = ["b0.csv", "b1.jsonl", "b2.parquet", "b3.csv", "b4.jsonl"]

    def writer() -> None:
        for name, (X, y) in zip(names, batches, strict=True):
            time.sleep(0.05)
            _drop(inbox, name, _labelled(X, y))

    thread = threading.Thread(target=writer)
    thread.start()
    trainer = _trainer(tmp_path)
    summary = trainer.run(FolderSource(inbox, poll=0.02, stop_when_idle=1.5))
    thread.join()

    assert (summary.batches, summary.accepted, summary.rejected) == (5, 5, 0)
    assert summary.rows == 200
    assert summary.checkpoints == [1, 2, 3]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == sorted(names)
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    history = client.get_metric_history(summary.run_id, "rows")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]


def test_half_written_and_hidden_files_are_not_read(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    X, y = stream(12, 1)[0]
    _labelled(X, y).to_csv(inbox / "b.csv.tmp", index=False)
    _labelled(X, y).to_csv(inbox / ".b.csv", index=False)
    _labelled(X, y).to_csv(inbox / "b.csv.part", index=False)
    (inbox / "notes.txt").write_text("not a batch")
    source = FolderSource(inbox, poll=0.01, stop_when_idle=0.05)
    assert source.ready_files() == []
    assert list(source.items()) == []


def test_unreadable_and_malformed_files_go_to_failed_and_the_stream_goes_on(client, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (good_X, good_y), (other_X, other_y) = stream(13, 2)
    _drop(inbox, "1-good.csv", _labelled(good_X, good_y))
    time.sleep(0.02)
    (inbox / "2-broken.parquet").write_bytes(b"this is not parquet")
    time.sleep(0.02)
    _drop(inbox, "3-nolabel.csv", good_X)
    time.sleep(0.02)
    _drop(inbox, "4-wrongcols.csv", _labelled(good_X.rename(columns={"c": "z"}), good_y))
    time.sleep(0.02)
    _drop(inbox, "5-good.csv", _labelled(other_X, other_y))
    trainer = _trainer(tmp_path)

    summary = trainer.run(FolderSource(inbox, poll=0.01, stop_when_idle=0.2))

    # the broken parquet file never became a batch; the two malformed ones were rejected
    assert (summary.batches, summary.accepted, summary.rejected) == (4, 2, 2)
    failed = inbox / "failed"
    assert sorted(p.name for p in failed.iterdir()) == [
        "2-broken.parquet",
        "2-broken.parquet.reason.txt",
        "3-nolabel.csv",
        "3-nolabel.csv.reason.txt",
        "4-wrongcols.csv",
        "4-wrongcols.csv.reason.txt",
    ]
    assert "unreadable" in (failed / "2-broken.parquet.reason.txt").read_text()
    assert "no labels" in (failed / "3-nolabel.csv.reason.txt").read_text()
    assert "unexpected z" in (failed / "4-wrongcols.csv.reason.txt").read_text()
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["1-good.csv", "5-good.csv"]
    assert client.get_run(summary.run_id).data.metrics["rejected"] == 2
    from cairn.online.quarantine import Quarantine

    kept = Quarantine(tmp_path / "quarantine").list("folder-model")
    assert sorted(q.record["source"] for q in kept) == ["3-nolabel", "4-wrongcols"]
    assert all(q.record["reasons"][0] == "malformed" for q in kept)


def test_a_source_column_splits_a_file_into_one_batch_per_sender(client, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    X, y = stream(14, 1, n=60)[0]
    senders = np.array(["alice", "bob", "carol"] * 20)
    _drop(inbox, "mixed.csv", _labelled(X, y).assign(source=senders))
    guard = RecordingGuard()
    trainer = _trainer(tmp_path, guard=guard)
    source = FolderSource(inbox, source_column="source", poll=0.01, stop_when_idle=0.1)
    summary = trainer.run(source)
    assert sorted(guard.sources) == ["alice", "bob", "carol"]
    assert (summary.batches, summary.rows) == (3, 60)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"poll": 0}, "poll"),
        ({"pattern": " | "}, "pattern"),
        ({"label_column": ""}, "label_column"),
        ({"stop_when_idle": -1}, "stop_when_idle"),
    ],
)
def test_bad_folder_settings_are_refused(tmp_path, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        FolderSource(tmp_path, **kwargs)
    with pytest.raises(InvalidInput, match="does not exist"):
        FolderSource(tmp_path / "missing")


def test_stop_ends_a_stream_that_waits_forever(tmp_path):
    source = FolderSource(tmp_path, poll=0.01)
    threading.Timer(0.2, source.stop).start()
    started = time.monotonic()
    assert list(source.items()) == []
    assert time.monotonic() - started < 5
