"""MkDocs hook: the benchmark tables, rendered from ``benchmarks/*-latest.json`` at build time.

``benchmarks.md`` holds the prose; this hook appends one section per benchmark: the command
that produced the figures, when they were taken, the key figures beside MLflow's, DVC's or
Evidently's with the ratio, and the targets met or missed. A missing or reshaped result
file stops the build with a message naming it.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

PAGE = "benchmarks.md"
ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
CMD = ".venv/bin/python benchmarks/"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Append the generated sections to the benchmarks page."""
    if page.file.src_uri != PAGE:
        return markdown
    return markdown.rstrip() + "\n\n" + render(BENCH)


def render(folder: Path) -> str:
    """Every benchmark section, from the result files in ``folder``."""
    parts = []
    for name, title, command, section in SECTIONS:
        path = folder / f"{name}-latest.json"
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise PluginError(
                f"cannot read {path}: {exc}; run `{CMD}{command}` to produce it"
            ) from exc
        try:
            body = section(result)
        except (KeyError, TypeError, AttributeError) as exc:
            raise PluginError(
                f"{path} lacks {exc} that docs/hooks/benchmarks.py renders; rerun "
                f"`{CMD}{command}` or update the hook to the file's new shape"
            ) from exc
        when = _when(result)
        parts += [f"## {title}", "", "```bash", f"{CMD}{command}", "```", ""]
        parts += [f"From `benchmarks/{path.name}`" + (f", taken {when}." if when else "."), ""]
        parts += [*body, ""]
    return "\n".join(parts)


def fmt(value: Any) -> str:
    """A figure as shown: 58,524 / 12.8 / 0.212 / yes / -."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def _times(value: Any) -> str:
    return "-" if value is None else f"{fmt(value)}×"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |"
        for row in rows
    ]
    return [*lines, ""]


def _when(result: dict[str, Any]) -> str:
    stamp = result.get("when") or result.get("started_utc") or result.get("date") or ""
    return stamp[:16].replace("T", " ") + " UTC" if stamp else ""


def _targets(targets: dict[str, Any]) -> list[str]:
    """Targets as ``{name: bool}`` or ``{key: {"target", "value", "met"}}``."""
    rows = []
    for key, entry in targets.items():
        if isinstance(entry, dict):
            rows.append([entry.get("target", key), _times(entry.get("value")), fmt(entry["met"])])
        else:
            rows.append([key, "", fmt(entry)])
    return ["**Targets**", "", *_table(["target", "value", "met"], rows)]


def _workloads(other: str, label: str) -> Callable[[dict[str, Any]], list[str]]:
    """Sections whose JSON has ``workloads`` of ``{cairn, <other>, unit, ratio}``."""

    def section(result: dict[str, Any]) -> list[str]:
        rows = [
            [f"`{name}`", w["cairn"], w.get(other), w["unit"], _times(w.get("ratio"))]
            for name, w in result["workloads"].items()
        ]
        header = ["workload", "cairn", label, "unit", "ratio (>1: cairn better)"]
        return [*_table(header, rows), *_targets(result.get("targets", {}))]

    return section


def _server(result: dict[str, Any]) -> list[str]:
    setup = result["setup"]
    lines = ["Both servers ran as:", "", "```", setup["cairn_server"], setup["mlflow_server"]]
    return [*lines, "```", "", *_workloads("mlflow", "MLflow")(result)]


def _data(result: dict[str, Any]) -> list[str]:
    cairn, dvc, ratios = result["cairn"], result["dvc"], result["ratios"]
    rows = [
        [f"`{op}`", cairn[op], dvc.get(op), _times(ratios["dvc_over_cairn"].get(op))]
        for op in cairn if isinstance(cairn[op], float) and op in dvc
    ]  # fmt: skip
    header = ["operation", "cairn (s)", f"DVC {result['dvc_version']} (s)", "DVC / cairn"]
    pairs = [
        [f"`{name}`", statistics.median(pair["cairn_s"]), statistics.median(pair["cp_s"]),
         _times(pair["ratio_median"])]
        for name, pair in result["paired"].items()
    ]  # fmt: skip
    pair_header = ["step (beside `cp`)", "cairn (s, median)", "cp (s, median)",
                   "cairn / cp (median of pairs)"]  # fmt: skip
    big = result["cairn_200k"]
    hashing = result["hashing"]
    extra = [
        ["`cairn data add` of 200,000 files (s)", big["add"]],
        ["`cairn data status` of 200,000 files, clean (s)", big["status_clean"]],
        ["hashing (MB/s)", hashing["cairn_hash_file_mb_s"]],
        ["BLAKE3 on all cores (MB/s)", hashing["blake3_mmap_all_cores_mb_s"]],
    ]
    return [*_table(header, rows), *_table(pair_header, pairs),
            *_table(["figure", "value"], extra), *_targets(result["targets"])]  # fmt: skip


def _pipeline(result: dict[str, Any]) -> list[str]:
    rows = []
    for shape, s in result["summary"].items():
        rows.append([f"{result['stages']}-stage {shape}", result["cairn"][shape]["first_run_s"],
                     result["dvc"][shape]["first_run_s"], s["cairn_noop_rerun_s"],
                     s["dvc_noop_rerun_s"], _times(s["noop_speedup_vs_dvc"]),
                     s["cairn_overhead_per_stage_ms"], s["dvc_overhead_per_stage_ms"],
                     _times(s["overhead_ratio_vs_dvc"])])  # fmt: skip
    header = ["pipeline", "cairn first run (s)", "DVC first run (s)", "cairn no-op (s)",
              "DVC no-op (s)", "no-op DVC / cairn", "cairn ms/stage", "DVC ms/stage",
              "overhead DVC / cairn"]  # fmt: skip
    targets = {f"{shape}: {k}": v for shape, s in result["summary"].items()
               for k, v in s["targets"].items()}  # fmt: skip
    return [*_table(header, rows), *_targets(targets)]


def _monitoring(result: dict[str, Any]) -> list[str]:
    w = result["workload"]
    window = result["cairn_window"]
    drift, summary = result["evidently_drift_preset"], result["evidently_summary_preset"]
    rows = [
        [
            "cairn: drift + data quality",
            window["drift_plus_data_quality_s"],
            window["peak_rss_mib"],
        ],
        ["cairn: a new window against the stored summary", window["compute_window_s"], "-"],
        ["Evidently DataDriftPreset", drift["seconds"], drift["peak_rss_mib"]],
        ["Evidently DataSummaryPreset", summary["seconds"], summary["peak_rss_mib"]],
    ]
    lines = [
        f"{w['current_rows']:,} rows × {w['numeric'] + w['categorical']} columns against a "
        f"{w['reference_rows']:,}-row reference. Evidently's two presets together over cairn's "
        f"drift + data quality: {_times(result['ratio_evidently_over_cairn'])}.",
        "",
    ]
    return [*lines, *_table(["what", "seconds", "peak RSS (MiB)"], rows),
            *_targets(result["targets"])]  # fmt: skip


def _online(result: dict[str, Any]) -> list[str]:
    rows = []
    for seed, s in result["seeds"].items():
        runs = s["runs"]
        caught = s["poisoned_caught_share"]
        rows.append([seed, runs["clean"]["last20_mean"], runs["unguarded"]["last20_mean"],
                     runs["guarded"]["last20_mean"], s["unguarded_loss_points"],
                     s["guarded_gap_points"], f"{s['clean_rejected_share']:.2%}",
                     f"{caught['flip']:.0%} / {caught['inject']:.0%}"])  # fmt: skip
    header = ["seed", "clean", "unguarded", "guarded", "unguarded loss (pt)",
              "guarded gap (pt)", "clean batches rejected", "poisoned caught (flip / inject)"]  # fmt: skip
    targets = {f"seed {seed}: {k}": v for seed, t in result["targets"].items()
               for k, v in t.items()}  # fmt: skip
    lines = ["Mean test accuracy over the last 20% of the stream.", ""]
    return [*lines, *_table(header, rows), *_targets(targets)]


def _ui(result: dict[str, Any]) -> list[str]:
    timings = result["timings"]
    rows = [[f"`{k}`", v["median_ms"], v["min_ms"], v["max_ms"]]
            for k, v in timings.items() if isinstance(v, dict)]  # fmt: skip
    lines = [f"The runs table over {result['runs_in_experiment']:,} runs in Chromium, "
             f"{result['reps']} repetitions.", ""]  # fmt: skip
    target = {f"interactive < {fmt(result['target_interactive_ms'])} ms": result["meets_target"]}
    return [*lines, *_table(["step", "median (ms)", "min (ms)", "max (ms)"], rows),
            *_targets(target)]  # fmt: skip


SECTIONS: tuple[tuple[str, str, str, Callable[[dict[str, Any]], list[str]]], ...] = (
    ("tracking", "Tracking: cairn vs MLflow",
     "bench_tracking.py --out benchmarks/tracking-latest.json", _workloads("mlflow", "MLflow")),
    ("server", "Server: cairn server vs mlflow server", "bench_server.py", _server),
    ("data", "Data versioning: cairn data vs DVC", "bench_data.py", _data),
    ("pipeline", "Pipelines: cairn pipeline run vs dvc repro", "bench_pipeline.py", _pipeline),
    ("serving", "Serving: cairn models serve vs mlflow models serve", "bench_serving.py",
     _workloads("mlflow", "MLflow")),
    ("monitoring", "Monitoring: cairn vs Evidently", "bench_monitoring.py", _monitoring),
    ("online", "Online learning under a poisoning attack", "bench_online.py", _online),
    ("ui", "Web UI: the runs table", "bench_ui.py", _ui),
)  # fmt: skip
