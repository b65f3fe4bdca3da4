"""The HTML form of a monitoring report (:func:`cairn.monitoring.report.build_report`): one
file with inline CSS and SVG, no scripts, no network. Every string from users or data is
escaped; the report's JSON rides along in a ``<script type="application/json">`` block."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from cairn.monitoring.results import CLASSIFICATION_METRICS, REGRESSION_METRICS
from cairn.monitoring.svg import bars, line_chart

__all__ = ["histogram_labels", "render"]

UNBOUNDED = {"log_loss", "mae", "rmse", "mape", "r2"}
CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#0f172a;margin:0;background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin:28px 0 8px;font-size:18px}h3{margin:16px 0 4px;font-size:15px}
.sub{color:#64748b;margin:0 0 12px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f5f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b91c1c;font-weight:600}.ok{color:#15803d}.muted{color:#64748b}
.chart{width:100%;max-width:640px;height:auto;display:block}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:8px 12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#64748b}
dd{margin:0}code{font-size:12px}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return '<span class="muted">–</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value))


def _table(headers: list[str], rows: list[list[str]], table_id: str) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _td(value: Any, *, bad: bool = False) -> str:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    cls = " ".join(c for c in ("num" if numeric else "", "bad" if bad else "") if c)
    return f'<td class="{cls}">{_fmt(value)}</td>' if cls else f"<td>{_fmt(value)}</td>"


def histogram_labels(histogram: dict[str, Any]) -> list[str]:
    """Bin labels of a results Histogram: its categories, or ``low–high`` of each bin."""
    if histogram.get("categories") is not None:
        return [str(c) for c in histogram["categories"]]
    edges = histogram.get("edges") or []
    return [f"{edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]


def _metric_names(task: str, windows: list[dict[str, Any]]) -> list[str]:
    known = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    present = {k for w in windows for k in ((w["results"] or {}).get("quality") or {})}
    return [m for m in known if m in present]


def _quality_section(report: dict[str, Any]) -> str:
    windows = report["windows"]
    task = str(report["spec"].get("task", "classification"))
    metrics = _metric_names(task, windows)
    if not metrics:
        return '<h2>Quality over time</h2><p class="muted">No labelled window yet.</p>'

    def points(metric: str) -> list[tuple[float, float | None]]:
        return [
            (w["window_id"], ((w["results"] or {}).get("quality") or {}).get(metric))
            for w in windows
        ]

    bounded = [m for m in metrics if m not in UNBOUNDED]
    charts = []
    if bounded:
        charts.append(
            line_chart(
                {m: points(m) for m in bounded}, title="quality over windows", y_range=(0, 1)
            )
        )
    charts += [line_chart({m: points(m)}, title=m) for m in metrics if m in UNBOUNDED]
    rows = []
    reference = next((w["results"].get("reference_quality") for w in windows if w["results"]), None)
    if reference:
        rows.append(["<td>reference</td>", "<td></td>"] + [_td(reference.get(m)) for m in metrics])
    for w in windows:
        quality = (w["results"] or {}).get("quality") or {}
        rows.append(
            [f"<td>{w['window_id']}</td>", _td(w["labelled_rows"])]
            + [_td(quality.get(m)) for m in metrics]
        )
    charts_html = "".join(f'<div class="card">{c}</div>' for c in charts)
    return (
        '<h2 id="quality">Quality over time</h2>'
        f'<div class="grid" id="quality-charts">{charts_html}</div>'
        + _table(["window", "labelled rows", *metrics], rows, "quality-table")
    )


def _drift_over_time(report: dict[str, Any]) -> str:
    windows = report["windows"]
    share = [
        (w["window_id"], (w["results"] or {}).get("drift", {}).get("drift_share")) for w in windows
    ]
    chart = line_chart({"drift_share": share}, title="share of drifted columns", y_range=(0, 1))
    return f'<h2 id="drift-share">Drift share over time</h2><div class="card">{chart}</div>'


def _drift_rows(drift: dict[str, Any]) -> list[list[str]]:
    entries = list((drift.get("columns") or {}).items())
    if drift.get("prediction"):
        entries.append(("(prediction)", drift["prediction"]))
    return [
        [
            f"<td>{escape(str(name))}</td>",
            _td(col.get("kind")),
            _td(col.get("method")),
            _td(col.get("statistic")),
            _td(col.get("p_value")),
            _td(col.get("threshold")),
            _td(col.get("drifted"), bad=bool(col.get("drifted"))),
        ]
        for name, col in entries
    ]


def _distributions(drift: dict[str, Any]) -> str:
    cards = []
    entries = list((drift.get("columns") or {}).items())
    if drift.get("prediction"):
        entries.append(("(prediction)", drift["prediction"]))
    for name, col in entries:
        histogram = col.get("histogram") or {}
        if not histogram.get("reference") and not histogram.get("current"):
            continue
        chart = bars(
            histogram_labels(histogram),
            histogram.get("reference") or [],
            histogram.get("current") or [],
            title=f"{name}: reference vs current",
        )
        flag = ' <span class="bad">drifted</span>' if col.get("drifted") else ""
        cards.append(f'<div class="card feature"><h3>{escape(str(name))}{flag}</h3>{chart}</div>')
    return f'<div class="grid" id="distributions">{"".join(cards)}</div>'


def _data_quality(results: dict[str, Any]) -> str:
    dq = results.get("data_quality") or {}
    rows = []
    for name, col in (dq.get("columns") or {}).items():
        new = ", ".join(str(c) for c in col.get("new_categories") or [])
        rows.append(
            [
                f"<td>{escape(str(name))}</td>",
                _td(col.get("missing_share")),
                _td(col.get("type_mismatch_share")),
                _td(col.get("out_of_range_share")),
                _td(col.get("new_category_share")),
                f"<td>{escape(new)}</td>",
            ]
        )
    lost = ", ".join(dq.get("columns_lost") or []) or "none"
    added = ", ".join(dq.get("columns_added") or []) or "none"
    problems = "".join(f"<li>{escape(str(p))}</li>" for p in results.get("problems") or [])
    return (
        '<h3 id="data-quality">Data quality</h3>'
        + _table(
            [
                "column",
                "missing",
                "type mismatch",
                "out of range",
                "new category share",
                "new categories",
            ],
            rows,
            "data-quality-table",
        )
        + f"<dl><dt>duplicate rows</dt><dd>{_fmt(dq.get('duplicate_rows'))} "
        f"({_fmt(dq.get('duplicate_share'))})</dd><dt>columns lost</dt><dd>{escape(lost)}</dd>"
        f"<dt>columns added</dt><dd>{escape(added)}</dd></dl>"
        + (f'<h3>Problems</h3><ul id="problems">{problems}</ul>' if problems else "")
    )


def _segments(results: dict[str, Any], metric: str) -> str:
    rows = []
    for seg in results.get("segments") or []:
        label = ", ".join(f"{k}={v}" for k, v in (seg.get("segment") or {}).items())
        quality = seg.get("quality") or {}
        rows.append(
            [
                f"<td>{escape(label)}</td>",
                _td(seg.get("rows")),
                _td(seg.get("labelled_rows")),
                _td(quality.get(metric)),
                _td(seg.get("drift_share")),
                _td(seg.get("score")),
            ]
        )
    headers = ["segment", "rows", "labelled", metric, "drift share", "score"]
    return '<h3 id="segments">Segments, worst first</h3>' + _table(headers, rows, "segment-table")


def _window_section(report: dict[str, Any]) -> str:
    chosen = next(
        (w for w in report["windows"] if w["window_id"] == report["selected_window"]), None
    )
    if chosen is None:
        return '<h2>Window</h2><p class="muted">No window computed yet.</p>'
    results = chosen["results"] or {}
    drift = results.get("drift") or {}
    head = (
        f'<h2 id="window">Window {chosen["window_id"]}</h2><p class="sub">'
        f"{escape(str(chosen['start_iso']))} to {escape(str(chosen['end_iso']))}, "
        f"{chosen['rows']} rows ({chosen['labelled_rows']} labelled), records "
        f"{chosen['first_seq']}..{chosen['last_seq']}; drifted columns "
        f"{_fmt(drift.get('drifted_columns'))} of {_fmt(drift.get('column_count'))} "
        f"(share {_fmt(drift.get('drift_share'))})</p>"
    )
    drift_table = _table(
        ["column", "kind", "method", "statistic", "p-value", "threshold", "drifted"],
        _drift_rows(drift),
        "drift-table",
    )
    return (
        head
        + "<h3>Drift per feature</h3>"
        + drift_table
        + _distributions(drift)
        + _data_quality(results)
        + _segments(results, report["main_metric"])
    )


def _alerts(report: dict[str, Any]) -> str:
    rows = []
    for alert in report["alerts"]:
        actions = "; ".join(
            f"{a.get('kind')} {a.get('target')}: {a.get('status')}" for a in alert["actions"]
        )
        rows.append(
            [
                _td(alert["time_iso"]),
                f"<td>{escape(alert['rule'])}</td>",
                _td(alert["window_id"]),
                _td(alert["value"]),
                f"<td>{escape(alert['message'])}</td>",
                f"<td>{escape(actions)}</td>",
            ]
        )
    headers = ["time", "rule", "window", "value", "message", "actions"]
    return '<h2 id="alerts">Alerts</h2>' + _table(headers, rows, "alerts-table")


def render(report: dict[str, Any]) -> str:
    """The whole page."""
    monitor, spec = report["monitor"], report["spec"]
    name = escape(str(monitor["name"]))
    window = spec.get("window") or {}
    facts = (
        f"<dl><dt>model</dt><dd>{escape(str(monitor['model']))}"
        f"{'@' + escape(str(spec['model_ref'])) if spec.get('model_ref') else ''}</dd>"
        f"<dt>task</dt><dd>{escape(str(spec.get('task')))}</dd>"
        f"<dt>window</dt><dd>{escape(str(window.get('kind')))} {_fmt(window.get('size'))}</dd>"
        f"<dt>records</dt><dd>{monitor['records']}</dd>"
        f"<dt>windows</dt><dd>{len(report['windows'])}</dd>"
        f"<dt>reference</dt><dd><code>{escape(str(monitor['reference_digest']))}</code></dd>"
        f"<dt>generated</dt><dd>{escape(str(report['generated_iso']))}</dd></dl>"
    )
    data = json.dumps(report, allow_nan=False, default=str).replace("<", "\\u003c")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Monitor {name} · cairn</title><style>{CSS}</style></head><body><main>"
        f'<h1>Monitor <span id="monitor-name">{name}</span></h1>'
        f'<p class="sub">{escape(str(spec.get("description") or ""))}</p>{facts}'
        + _quality_section(report)
        + _drift_over_time(report)
        + _window_section(report)
        + _alerts(report)
        + f'<script type="application/json" id="report-data">{data}</script>'
        "</main></body></html>"
    )
