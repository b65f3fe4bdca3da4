"""Import the prediction log of ``cairn models serve`` into a monitor.

The server writes ``predictions/chunk-NNNNNN.jsonl`` artifacts to one run per process in
experiment ``serving:<model>`` (:mod:`cairn.serving.predictions`). Each request becomes one
record per input row: ids ``<request_id>`` for its first row and ``<request_id>:<i>`` for row
``i > 0``, time ``time_ms``, model version ``model_target``; a prediction that is a mapping
holding the monitor's prediction column is merged into the row. Damaged lines and request ids
the monitor already has (a client may resend an ``X-Request-Id``) are skipped. The last chunk
imported is remembered per run (state key ``serving:<run_id>``), so an import reads only
chunks written since the previous one.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from cairn.errors import InvalidInput
from cairn.monitoring.chunks import to_parquet
from cairn.monitoring.monitors import get_spec, store_or_default

if TYPE_CHECKING:
    from cairn.monitoring.spec import MonitorSpec
    from cairn.store.base import Store

__all__ = ["import_serving_logs"]

_CHUNK = re.compile(r"^chunk-(\d+)\.jsonl$")


def _rows(record: Mapping[str, Any], spec: MonitorSpec) -> list[dict[str, Any]]:
    inputs, predictions = record.get("inputs"), record.get("predictions")
    if not isinstance(inputs, list) or not isinstance(predictions, list):
        return []
    rows = []
    for row, predicted in zip(inputs, predictions, strict=False):
        if isinstance(row, list) and len(row) == len(spec.features):
            row = dict(zip(spec.feature_names, row, strict=True))
        if not isinstance(row, dict):
            continue
        out = dict(row)
        if isinstance(predicted, dict) and spec.prediction in predicted:
            out.update(predicted)
        else:
            out[spec.prediction] = predicted
        rows.append(out)
    return rows


def _import_chunk(store: Store, spec: MonitorSpec, text: str) -> int:
    groups: dict[int | None, tuple[list[dict[str, Any]], list[str], list[int]]] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line) if line.strip() else None
        except ValueError:
            continue  # a damaged line is skipped, never the whole chunk
        if not isinstance(record, dict):
            continue
        target = record.get("model_target")
        version = target if isinstance(target, int) and not isinstance(target, bool) else None
        rows, ids, times = groups.setdefault(version, ([], [], []))  # type: ignore[assignment]
        request_id = str(record.get("request_id") or uuid.uuid4().hex)
        for i, row in enumerate(_rows(record, spec)):
            rows.append(row)
            ids.append(request_id if i == 0 else f"{request_id}:{i}")
            times.append(int(record.get("time_ms") or time.time() * 1000))
    imported = 0
    for version, (rows, ids, times) in groups.items():
        imported += _append_new(store, spec.name, rows, ids, times, version)
    return imported


def _append_new(
    store: Store,
    name: str,
    rows: list[dict[str, Any]],
    ids: list[str],
    times: list[int],
    version: int | None,
) -> int:
    """Append rows whose request ids are new (a client may resend an ``X-Request-Id``)."""
    seen: set[str] = set()
    keep = [i for i, rid in enumerate(ids) if not (rid in seen or seen.add(rid))]  # type: ignore[func-returns-value]
    if rows and len(keep) == len(ids):
        try:
            store.monitors.append_records(
                name, to_parquet(pd.DataFrame(rows), version), ids, times, version
            )
            return len(rows)
        except InvalidInput:
            pass  # some ids were imported before: drop those and append the rest
    known = {r.request_id for r in store.monitors.list_records(name)}
    keep = [i for i in keep if ids[i] not in known]
    if keep:
        chunk = to_parquet(pd.DataFrame([rows[i] for i in keep]), version)
        store.monitors.append_records(
            name, chunk, [ids[i] for i in keep], [times[i] for i in keep], version
        )
    return len(keep)


def _runs(store: Store, experiment_id: str) -> list[str]:
    run_ids, token = [], None
    while True:
        page = store.runs.search_runs([experiment_id], max_results=1000, page_token=token)
        run_ids += [run.info.run_id for run in page.items]
        token = page.next_page_token
        if not token:
            return sorted(run_ids)


def import_serving_logs(monitor: str, *, store: Store | None = None) -> int:
    """Import the prediction logs of the monitor's model written since the last import;
    the number of rows imported."""
    from cairn.serving.predictions import experiment_name

    store = store_or_default(store)
    spec = get_spec(store.monitors.get_monitor(monitor))
    experiment = store.experiments.find_experiment_by_name(experiment_name(spec.model))
    if experiment is None:
        return 0
    imported = 0
    for run_id in _runs(store, experiment.experiment_id):
        run = store.runs.get_run(run_id)
        files = store.artifact_store(run.info.artifact_uri, run_id)
        key = f"serving:{run_id}"
        done = int(store.monitors.get_state(monitor, key) or 0)
        chunks = []
        for info in files.list("predictions"):
            found = _CHUNK.match(info.path.rsplit("/", 1)[-1])
            if found and int(found.group(1)) > done:
                chunks.append((int(found.group(1)), info.path))
        for number, path in sorted(chunks):
            text = files.read_bytes(path).decode("utf-8", errors="replace")
            imported += _import_chunk(store, spec, text)
            store.monitors.set_state(monitor, key, str(number))
    return imported
