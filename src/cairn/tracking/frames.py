"""Runs as a pandas DataFrame, in MLflow's column layout."""

from __future__ import annotations

from typing import Any

from cairn.entities import Run
from cairn.errors import ConfigError


def runs_to_frame(runs: list[Run]) -> Any:
    """One row per run: info columns, then ``metrics.*``, ``params.*``, ``tags.*``."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ConfigError(
            "search_runs returns a pandas DataFrame: pip install 'cairn[pandas]', "
            "or pass output_format='list'"
        ) from exc
    rows = []
    for run in runs:
        info = run.info
        row: dict[str, Any] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "status": info.status,
            "artifact_uri": info.artifact_uri,
            "start_time": info.start_time,
            "end_time": info.end_time,
        }
        row.update({f"metrics.{k}": val for k, val in run.data.metrics.items()})
        row.update({f"params.{k}": val for k, val in run.data.params.items()})
        row.update({f"tags.{k}": val for k, val in run.data.tags.items()})
        rows.append(row)
    columns = [
        "run_id",
        "experiment_id",
        "run_name",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    frame = pd.DataFrame(rows, columns=None if rows else columns)
    for name in ("start_time", "end_time"):  # once per column: per row costs 100s of ms
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    extra = sorted(c for c in frame.columns if c not in columns)
    ordered = [c for c in columns if c in frame.columns]
    for prefix in ("metrics.", "params.", "tags."):
        ordered.extend(c for c in extra if c.startswith(prefix))
    return frame[ordered]
