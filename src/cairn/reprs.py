"""The HTML notebooks show for cairn's objects (their ``_repr_html_``): runs, experiments,
pages of search results, gate, reproduction and monitoring reports, lineage graphs.

Pure and stdlib only. Every value is escaped. Tables carry no colours of their own, so the
notebook's theme (light or dark) styles them; only the pass/fail marks are coloured, in
tones that read on both. Long listings stop at :data:`MAX_ROWS` rows and say how many more.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MAX_ROWS",
    "experiment_html",
    "gate_report_html",
    "lineage_html",
    "monitor_run_html",
    "page_html",
    "reproduction_html",
    "run_html",
]

MAX_ROWS = 50
MAX_COLUMNS = 8  # metric and param columns of a page of runs, each
SYSTEM_PREFIXES = ("cairn.", "mlflow.")
_GOOD, _BAD = "#2da44e", "#cf222e"
_BOX = "font-size:13px;line-height:1.45;margin:2px 0"
_CELL = "padding:2px 8px;text-align:left;vertical-align:top"
_DIM = "opacity:.7"


def _text(value: Any) -> str:
    """One value, escaped: numbers short, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isnan(value):
        return html.escape(f"{value:.6g}")
    return html.escape(str(value))


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    text = datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f'<span style="white-space:nowrap">{text}</span>'


def _code(value: Any) -> str:
    return f"<code>{_text(value)}</code>"


def _mark(ok: bool, good: str = "pass", bad: str = "fail") -> str:
    colour, word = (_GOOD, "✓ " + good) if ok else (_BAD, "✗ " + bad)
    return f'<b style="color:{colour}">{html.escape(word)}</b>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of cells that are already HTML (none without rows); rows past MAX_ROWS are
    counted, not shown."""
    rows = list(rows)
    if not rows:
        return ""
    head = "".join(f'<th style="{_CELL}">{html.escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>"
        for row in rows[:MAX_ROWS]
    )
    more = len(rows) - MAX_ROWS
    note = f'<div style="{_DIM}">… and {more} more</div>' if more > 0 else ""
    return f'<table style="border-collapse:collapse"><tr>{head}</tr>{body}</table>{note}'


def _pairs(title: str, mapping: Mapping[str, Any]) -> str:
    if not mapping:
        return ""
    rows = [(_code(key), _text(mapping[key])) for key in sorted(mapping)]
    heading = f"<b>{html.escape(title)}</b>" if title else ""
    return f"<div>{heading}{_table(('key', 'value'), rows)}</div>"


def _box(title: str, facts: Sequence[str], *sections: str) -> str:
    line = " · ".join(f for f in facts if f)
    head = f'<div><b>{title}</b> <span style="{_DIM}">{line}</span></div>'
    return f'<div class="cairn" style="{_BOX}">{head}{"".join(s for s in sections if s)}</div>'


def _numbers(values: Sequence[int]) -> str:
    return _text(", ".join(map(str, values)) or None)


def _items(title: str, lines: Sequence[str]) -> str:
    if not lines:
        return ""
    return f"<div><b>{html.escape(title)}</b><ul>{''.join(f'<li>{_text(x)}</li>' for x in lines)}</ul></div>"


def run_html(run: Any) -> str:
    """A :class:`cairn.entities.Run`: name, id, status, times, metrics, params and tags."""
    info, data = run.info, run.data
    tags = data.tags
    system = {k: v for k, v in tags.items() if k.startswith(SYSTEM_PREFIXES)}
    user = {k: v for k, v in tags.items() if k not in system}
    seconds = (info.end_time - info.start_time) / 1000 if info.end_time else None
    details = ""
    if system:
        inner = _pairs("", system)
        details = f"<details><summary>{len(system)} system tags</summary>{inner}</details>"
    facts = [
        _code(info.run_id),
        _text(info.status),
        f"experiment {_text(info.experiment_id)}",
        f"started {_when(info.start_time)}",
        f"took {seconds:.1f} s" if seconds is not None else "",
    ]
    return _box(
        f"Run {_text(info.run_name)}",
        facts,
        _pairs("Metrics", data.metrics),
        _pairs("Params", data.params),
        _pairs("Tags", user),
        details,
    )


def experiment_html(experiment: Any) -> str:
    """A :class:`cairn.entities.Experiment`: name, id, where its artifacts go, its tags."""
    facts = [
        _code(experiment.experiment_id),
        _text(experiment.lifecycle_stage),
        f"created {_when(experiment.creation_time)}",
        f"artifacts {_code(experiment.artifact_location)}",
    ]
    return _box(f"Experiment {_text(experiment.name)}", facts, _pairs("Tags", experiment.tags))


def _run_rows(runs: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    metrics = sorted({k for r in runs for k in r.data.metrics})[:MAX_COLUMNS]
    params = sorted({k for r in runs for k in r.data.params})[:MAX_COLUMNS]
    headers = ["run", "id", "status", "started"]
    headers += [f"metrics.{k}" for k in metrics] + [f"params.{k}" for k in params]
    rows = [
        [
            _text(r.info.run_name),
            _code(r.info.run_id[:8]),
            _text(r.info.status),
            _when(r.info.start_time),
            *(_text(r.data.metrics.get(k)) for k in metrics),
            *(_text(r.data.params.get(k)) for k in params),
        ]
        for r in runs
    ]
    return headers, rows


def page_html(page: Any) -> str:
    """A :class:`cairn.entities.Page`: a table of its runs or experiments (a list otherwise)."""
    items = list(page.items)
    kinds = {type(item).__name__ for item in items}
    if kinds == {"Run"}:
        headers, rows = _run_rows(items)
    elif kinds == {"Experiment"}:
        headers = ["id", "name", "stage", "created"]
        rows = [
            [
                _code(e.experiment_id),
                _text(e.name),
                _text(e.lifecycle_stage),
                _when(e.creation_time),
            ]
            for e in items
        ]
    else:
        headers, rows = ["item"], [[_text(item)] for item in items]
    more = "more with page_token=" + _code(page.next_page_token) if page.next_page_token else ""
    noun = {"Run": "runs", "Experiment": "experiments"}.get("".join(kinds), "items")
    return _box(f"{len(items)} {noun}", [more], _table(headers, rows))


def gate_report_html(report: Any) -> str:
    """A :class:`cairn.gates.GateReport`: the verdict and each rule's numbers."""
    rows = [
        [
            _text(r.text),
            _text(r.slice),
            _code(r.metric),
            _text(r.value),
            _text(f"{r.op} {r.threshold:g}" if r.op and r.threshold is not None else None),
            _mark(r.passed),
            _text(r.message),
        ]
        for r in report.results
    ]
    headers = ("rule", "slice", "metric", "value", "needs", "verdict", "message")
    facts = [_mark(report.passed), f"run {_code(report.run_id)}", f"gates {_code(report.source)}"]
    return _box("Gate report", facts, _table(headers, rows))


def reproduction_html(report: Any) -> str:
    """A :class:`cairn.projects.reproduce_report.ReproductionReport`: verdict, problems, checks."""
    metrics = [
        [_code(m.key), _text(m.original), _text(m.reproduced), _text(m.difference)]
        + [_mark(m.within_tolerance, "within", "beyond")]
        for m in report.metrics
    ]
    datasets = [
        [_text(d.name), _code(d.path), _mark(d.same, "same"), _text(d.message)]
        for d in report.datasets
    ]
    seeds = [
        [_code(k), _text(a), _text(b), _mark(a == b, "same", "differ")]
        for k, (a, b) in report.seeds.items()
    ]
    commit = _code(report.commit) + (" (dirty)" if report.dirty else "")
    facts = [
        _mark(report.passed, "reproduced", "not reproduced"),
        f"run {_code(report.run_id)} → {_code(report.reproduction_run_id)}",
        f"{_text(report.kind)} at {commit}",
        f"exit code {_text(report.exit_code)}",
        f"tolerance atol={_text(report.atol)} rtol={_text(report.rtol)}",
    ]
    return _box(
        "Reproduction",
        facts,
        f"<div>command {_code(report.command)}</div>",
        _items("Problems", report.problems),
        _table(("metric", "original", "reproduced", "difference", "tolerance"), metrics),
        _table(("dataset", "path", "verdict", "detail"), datasets),
        _table(("seed", "original", "reproduced", "verdict"), seeds),
        _items("Notes", report.notes),
    )


def monitor_run_html(summary: Any) -> str:
    """A :class:`cairn.monitoring.runner.RunSummary`: windows computed, alerts fired, problems."""
    alerts = [
        [
            _text(a.rule),
            _text(a.window_id),
            _text(a.value),
            _text(a.message),
            _text(", ".join(f"{x.get('kind')}: {x.get('status')}" for x in a.actions) or None),
        ]
        for a in summary.alerts
    ]
    facts = [
        _mark(not summary.problems, "ran", "had problems"),
        f"windows added {_numbers(summary.windows_added)}",
        f"recomputed {_numbers(summary.windows_updated)}",
        f"{len(summary.alerts)} alerts",
    ]
    return _box(
        f"Monitor {_text(summary.monitor)}",
        facts,
        _table(("rule", "window", "value", "message", "actions"), alerts),
        _items("Problems", summary.problems),
    )


def lineage_html(graph: Any, picture: str = "") -> str:
    """A :class:`cairn.lineage.LineageGraph`: its ``picture`` (an SVG, already escaped), then
    its nodes (by kind, then distance) and edges."""
    nodes = sorted(graph.nodes.values(), key=lambda n: (n.depth, n.kind, n.id))

    def name(node_id: str) -> str:
        node = graph.nodes.get(node_id)
        if node is None or node.hidden:
            return "<i>hidden</i>"
        return f"{_text(node.kind.replace('_', ' '))} {_text(node.label)}"

    node_rows = [
        [
            _text(n.kind.replace("_", " ")),
            name(n.id) if n.hidden else _text(n.label),
            _text(n.depth) + (" (start)" if n.id in graph.roots else ""),
            _text(", ".join(f"{k}={v}" for k, v in sorted(n.facts.items())) or None),
        ]
        for n in nodes
    ]
    edge_rows = [[name(e.source), _text(e.relation), name(e.target)] for e in sorted(graph.edges)]
    facts = [
        f"{_text(graph.direction)}, {_text(graph.depth)} hops",
        f"{len(graph.nodes)} nodes, {len(graph.edges)} edges",
        "stopped at the node limit" if graph.truncated else "",
    ]
    return _box(
        f"Lineage of {_code(graph.ref)}",
        facts,
        f'<div style="overflow-x:auto">{picture}</div>' if picture else "",
        _table(("kind", "label", "hops", "facts"), node_rows),
        _table(("from", "relation", "to"), edge_rows),
    )
