"""Rejected batches, kept with their reasons: ``QUARANTINE_ROOT/<model>/<id>/``.

Each entry holds ``batch.parquet`` (the features), ``labels.parquet`` (column ``__label__``) and
``record.json`` (reasons, scores, source, batch index, times, the alerts fired and the audit
event's sequence number). An entry is written in a hidden folder and renamed into place, so
a reader never sees half of one. :func:`reject` also appends an ``online.quarantine`` event to
the audit trail of ``registered_model:<model>`` and fires the guard's alert actions;
:class:`Quarantine` lists, shows, releases and deletes entries (each change audited too).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput, InvalidState, NotFound, did_you_mean
from cairn.online.guard_api import Batch, Verdict

__all__ = ["LABEL_COLUMN", "Quarantine", "QuarantinedBatch", "reject"]

LABEL_COLUMN = "__label__"
_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _now_ms() -> int:
    from cairn.store.base import now_ms

    return now_ms()


def _safe(value: str, what: str) -> str:
    if not isinstance(value, str) or not _SAFE.match(value):
        raise InvalidInput(
            f"{what} {value!r} cannot name a quarantine folder: use letters, digits, '_', '.' "
            "or '-' (at most 128, not starting with '.' or '-')"
        )
    return value


def _plain(scores: dict[str, float]) -> dict[str, float | str]:
    """Scores as JSON: infinities and NaN become strings."""
    return {k: (float(v) if math.isfinite(float(v)) else str(float(v))) for k, v in scores.items()}


@dataclass(frozen=True)
class QuarantinedBatch:
    """One quarantined batch: its record (``record.json``) and folder."""

    record: dict[str, Any]
    path: Path

    @property
    def id(self) -> str:
        """The entry's id (its folder name)."""
        return str(self.record["id"])

    def load(self) -> Batch:
        """The batch as it arrived."""
        import pandas as pd

        table = pd.read_parquet(self.path / "batch.parquet")
        y = pd.read_parquet(self.path / "labels.parquet")[LABEL_COLUMN].to_numpy()
        r = self.record
        return Batch(table, y, r.get("source"), int(r["batch_index"]), int(r["received_ms"]))


def reject(
    store: Any,
    quarantine_root: str | Path,
    batch: Batch,
    verdict: Verdict,
    *,
    model_name: str,
    run_id: str | None,
    alert_actions: Sequence[Any] | None = None,
) -> str:
    """Keep ``batch`` under ``quarantine_root/model_name/``, audit it, fire the alerts and
    return the entry's id. ``store`` may be None (no audit event then)."""
    if verdict.accepted:
        raise InvalidInput(f"batch {batch.index} was accepted: only a rejected batch is kept")
    folder = Path(quarantine_root) / _safe(model_name, "model name")
    folder.mkdir(parents=True, exist_ok=True)
    entry = f"{batch.received_ms:013d}-{batch.index:06d}-{secrets.token_hex(3)}"
    staging = folder / f".{entry}.tmp"
    staging.mkdir()
    try:
        _write_table(batch.X, staging / "batch.parquet")
        _write_table({LABEL_COLUMN: list(batch.y)}, staging / "labels.parquet")
        record: dict[str, Any] = {
            "id": entry,
            "model_name": model_name,
            "run_id": run_id,
            "status": "quarantined",
            "stage": verdict.stage,
            "reasons": list(verdict.reasons),
            "scores": _plain(dict(verdict.scores)),
            "source": batch.source,
            "batch_index": batch.index,
            "received_ms": batch.received_ms,
            "quarantined_ms": _now_ms(),
            "rows": len(batch.y),
            "columns": [str(c) for c in batch.X.columns],
            "sha256": _digest(staging),
        }
        record["audit_seq"] = _audit(store, model_name, "online.quarantine", _summary(record))
        record["alerts"] = _alert(store, alert_actions or [], record)
        _write_json(staging / "record.json", record)
        os.replace(staging, folder / entry)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return entry


def _write_table(data: Any, path: Path) -> None:
    """Parquet of ``data``; values Parquet cannot type (a malformed batch's) kept as text."""
    import pandas as pd

    frame = pd.DataFrame(data).copy()
    frame.columns = [str(c) for c in frame.columns]
    try:
        frame.to_parquet(path, index=False)
    except (ValueError, TypeError):  # pyarrow's ArrowInvalid / ArrowTypeError
        frame.astype(str).to_parquet(path, index=False)


def _digest(folder: Path) -> str:
    found = hashlib.sha256()
    for name in ("batch.parquet", "labels.parquet"):
        found.update((folder / name).read_bytes())
    return found.hexdigest()


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "run_id", "stage", "reasons", "scores", "source", "batch_index", "rows")
    return {k: record[k] for k in (*keys, "sha256")}


def _audit(store: Any, model_name: str, action: str, payload: dict[str, Any]) -> int | None:
    if store is None:
        return None
    return store.audit.record(f"registered_model:{model_name}", action, payload).seq


def _alert(store: Any, actions: Sequence[Any], record: dict[str, Any]) -> list[dict[str, Any]]:
    if not actions:
        return []
    from cairn.monitoring.actions import run_action

    message = (
        f"online guard rejected batch {record['batch_index']} of {record['model_name']} "
        f"({record['rows']} rows from {record['source'] or 'an unnamed source'}) at the "
        f"{record['stage']} stage: {'; '.join(record['reasons'])}"
    )
    context = {
        "event": "online.quarantine",
        "monitor": f"online:{record['model_name']}",
        "rule": record["stage"],
        "window": record["batch_index"],
        "value": None,
        "message": message,
        "results": _summary(record),
    }
    return [run_action(action, context, store=store) for action in actions]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


class Quarantine:
    """The quarantined batches under ``root`` (one folder per model)."""

    def __init__(self, root: str | Path, store: Any = None) -> None:
        self.root = Path(root)
        self.store = store

    def list(self, model_name: str | None = None) -> list[QuarantinedBatch]:
        """Entries, oldest first, of one model or of all."""
        if model_name is not None:
            folders = [self.root / _safe(model_name, "model name")]
        else:
            folders = sorted(p for p in self.root.glob("*") if p.is_dir())
        found = []
        for folder in folders:
            for entry in sorted(folder.glob("[!.]*/record.json")):
                found.append(self._read(entry.parent))
        return found

    def show(self, model_name: str, entry_id: str) -> QuarantinedBatch:
        """One entry; NotFound (with close ids) when there is none."""
        path = self.root / _safe(model_name, "model name") / _safe(entry_id, "quarantine id")
        if not (path / "record.json").is_file():
            known = [q.id for q in self.list(model_name)] if path.parent.is_dir() else []
            hint = did_you_mean(entry_id, known)
            raise NotFound(
                f"no quarantined batch {entry_id!r} for model {model_name!r}.{hint} "
                "List them with `cairn online quarantine list`"
            )
        return self._read(path)

    def release(
        self,
        model_name: str,
        entry_id: str,
        *,
        to: str | Path | None = None,
        label: str = "label",
    ) -> Path:
        """Mark an entry released (judged clean) and, with ``to``, write its batch there as
        one Parquet file (labels in column ``label``) for a folder stream; returns the file
        written (or the entry's folder)."""
        found = self.show(model_name, entry_id)
        if found.record["status"] == "released":
            raise InvalidState(f"quarantined batch {entry_id!r} was released already")
        target = found.path
        if to is not None:
            target = Path(to) / f"released-{entry_id}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            batch = found.load()
            partial = target.with_name(f".{target.name}.tmp")
            _write_table(batch.X.assign(**{label: batch.y}), partial)
            os.replace(partial, target)
        payload = {"id": entry_id, "to": None if to is None else str(target)}
        seq = _audit(self.store, model_name, "online.quarantine.release", payload)
        record = dict(found.record, status="released", released_ms=_now_ms(), release_seq=seq)
        _write_json(found.path / "record.json", record)
        return target

    def delete(self, model_name: str, entry_id: str) -> None:
        """Remove an entry and its data for good (audited)."""
        found = self.show(model_name, entry_id)
        trash = found.path.with_name(f".{entry_id}.deleted")
        os.replace(found.path, trash)
        shutil.rmtree(trash)
        _audit(self.store, model_name, "online.quarantine.delete", {"id": entry_id})

    def _read(self, path: Path) -> QuarantinedBatch:
        try:
            record = json.loads((path / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidState(
                f"quarantine record {path / 'record.json'} is unreadable: {exc}"
            ) from None
        return QuarantinedBatch(record, path)
