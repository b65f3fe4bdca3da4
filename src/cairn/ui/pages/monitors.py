"""The monitoring pages: ``/monitors`` lists the monitors with where each stands,
``/monitors/{name}`` draws quality and drift share over the windows with the alerts,
``/monitors/{name}/windows/{id}`` shows one window's drift per feature (reference vs current
distributions), data quality and segments, and ``/monitors/new`` creates a monitor from
pasted YAML. A monitor of a model the caller may not read answers 404, as an unknown one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cairn.entities import Monitor
from cairn.errors import CairnError, InvalidInput, NotFound, PermissionDenied
from cairn.monitoring.report import (
    alert_dict,
    main_metric,
    monitor_status,
    window_dict,
    window_problems,
)
from cairn.monitoring.report_html import histogram_labels
from cairn.monitoring.results import CLASSIFICATION_METRICS, REGRESSION_METRICS
from cairn.server.auth.visibility import model_reader
from cairn.server.deps import StoreDep
from cairn.store import Store
from cairn.ui import nav
from cairn.ui.templating import render

router = APIRouter()
nav.register("Monitors", "/monitors", order=37)

MAX_FORM_BYTES = 256 * 1024
EXAMPLE = """name: churn-monitor
model: churn
version: champion
task: classification
target: churned
window: {count: 1000}
segments: [region]
rules:
  - name: f1-decay
    when: f1 < 0.8 for 2 windows
"""


def readable_monitor(request: Request, store: Store, name: str) -> Monitor:
    """The monitor ``name``; NotFound when absent or its model is hidden from the caller."""
    found = store.monitors.find_monitor(name)
    if found is None or not model_reader(request)(found.model):
        raise NotFound(f"no monitor {name!r}")
    return found


def _chart_data(monitor: Monitor, windows: list[dict[str, Any]]) -> dict[str, Any]:
    """Series for the quality and drift-share charts (x: window id)."""
    task = str(monitor.spec.get("task", "classification"))
    names = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    quality = {
        m: [((w["results"] or {}).get("quality") or {}).get(m) for w in windows] for m in names
    }
    return {
        "windows": [w["window_id"] for w in windows],
        "quality": {m: v for m, v in quality.items() if any(x is not None for x in v)},
        "drift_share": [
            ((w["results"] or {}).get("drift") or {}).get("drift_share") for w in windows
        ],
    }


@router.get("/monitors")
def monitors_page(request: Request, store: StoreDep) -> Response:
    """Every monitor the caller may read, with its latest quality, drift and alerts."""
    readable = model_reader(request)
    found = [m for m in store.monitors.list_monitors() if readable(m.model)]
    return render(request, "monitors.html", rows=[monitor_status(store, m) for m in found])


@router.get("/monitors/new")
def new_monitor_page(request: Request) -> Response:
    """The form that creates a monitor from YAML."""
    return render(request, "monitor_new.html", spec_text=EXAMPLE, reference="", error="")


def _check_may_edit(request: Request, model: str) -> None:
    access = getattr(request.state, "access", None)
    if access is None:
        return
    from cairn.store.sql.auth import Permission

    if not access.allows(("registered_model", model), Permission.EDIT):
        raise PermissionDenied(f"you may not add monitors to model {model!r}")


def _create(request: Request, store: Store, spec_text: str, reference: str) -> Monitor:
    import yaml

    from cairn.monitoring.monitors import create_monitor

    try:
        data = yaml.safe_load(spec_text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"monitor YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InvalidInput("monitor YAML must be a mapping of fields (name, model, task, ...)")
    if reference:
        data["reference"] = {"path": reference}
    _check_may_edit(request, str(data.get("model", "")))
    return create_monitor(data, store=store)


@router.post("/monitors/new")
async def create_monitor_form(request: Request, store: StoreDep) -> Response:
    """Create the monitor of the form; the form again with the one-line error otherwise."""
    body = await request.body()
    form = {} if len(body) > MAX_FORM_BYTES else dict(parse_qsl(body.decode(), True))
    spec_text, reference = form.get("spec", ""), form.get("reference", "").strip()
    try:
        made = _create(request, store, spec_text, reference)
    except CairnError as exc:
        return render(
            request, "monitor_new.html", status_code=exc.http_status, spec_text=spec_text,
            reference=reference, error=exc.message,
        )  # fmt: skip
    return RedirectResponse(f"/monitors/{quote(made.name, safe='')}", status_code=303)


@router.get("/monitors/{name}")
def monitor_page(name: str, request: Request, store: StoreDep) -> Response:
    """One monitor: quality and drift share over its windows, the windows, its alerts."""
    monitor = readable_monitor(request, store, name)
    windows = [window_dict(w) for w in store.monitors.list_windows(monitor.name)]
    alerts = [alert_dict(a) for a in store.monitors.list_alerts(monitor.name, limit=200)]
    metric = main_metric(str(monitor.spec.get("task", "classification")))
    for w in windows:
        results = w["results"] or {}
        w["problems"] = window_problems(results)
        w["main_value"] = (results.get("quality") or {}).get(metric)
        w["drift_share"] = (results.get("drift") or {}).get("drift_share")
    return render(
        request, "monitor.html", monitor=monitor, status=monitor_status(store, monitor),
        windows=windows, alerts=alerts, metric=metric, chart=_chart_data(monitor, windows),
    )  # fmt: skip


def _drift_rows(drift: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-feature drift (and the prediction's), each with its distributions for a chart."""
    entries = list((drift.get("columns") or {}).items())
    if drift.get("prediction"):
        entries.append(("(prediction)", drift["prediction"]))
    rows = []
    for column, result in entries:
        histogram = result.get("histogram") or {}
        rows.append(
            {
                "column": str(column),
                **{k: result.get(k) for k in ("kind", "method", "statistic", "p_value")},
                "threshold": result.get("threshold"),
                "drifted": bool(result.get("drifted")),
                "labels": histogram_labels(histogram) if histogram else [],
                "reference": histogram.get("reference") or [],
                "current": histogram.get("current") or [],
            }
        )
    return rows


def _quality_rows(dq: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("missing_share", "type_mismatch_share", "out_of_range_share", "new_category_share")
    return [
        {"column": str(c), **{k: q.get(k) for k in keys},
         "new_categories": ", ".join(map(str, q.get("new_categories") or []))}
        for c, q in (dq.get("columns") or {}).items()
    ]  # fmt: skip


def _segment_rows(segments: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [
        {
            "label": ", ".join(f"{k}={v}" for k, v in (s.get("segment") or {}).items()),
            "rows": s.get("rows"),
            "labelled_rows": s.get("labelled_rows"),
            "value": (s.get("quality") or {}).get(metric),
            "drift_share": s.get("drift_share"),
            "score": s.get("score"),
        }
        for s in segments
    ]


@router.get("/monitors/{name}/windows/{window_id}")
def window_page(name: str, window_id: str, request: Request, store: StoreDep) -> Response:
    """One window: drift per feature with distributions, data quality, segments."""
    monitor = readable_monitor(request, store, name)
    if not window_id.isdigit():
        raise NotFound(f"no window {window_id!r} of monitor {monitor.name!r}")
    try:
        window = store.monitors.get_window(monitor.name, int(window_id))
    except InvalidInput as exc:
        raise NotFound(exc.message) from exc
    results = window.results or {}
    drift = results.get("drift") or {}
    dq = results.get("data_quality") or {}
    metric = main_metric(str(monitor.spec.get("task", "classification")))
    alerts = store.monitors.list_alerts(monitor.name, limit=10_000)
    return render(
        request, "monitor_window.html", monitor=monitor, window=window_dict(window),
        quality=results.get("quality") or {}, drift_share=drift.get("drift_share"),
        drifted_columns=drift.get("drifted_columns"), column_count=drift.get("column_count"),
        drift_rows=_drift_rows(drift), quality_rows=_quality_rows(dq),
        duplicate_rows=dq.get("duplicate_rows"), duplicate_share=dq.get("duplicate_share"),
        columns_lost=dq.get("columns_lost") or [], columns_added=dq.get("columns_added") or [],
        problems=window_problems(results), metric=metric,
        segments=_segment_rows(results.get("segments") or [], metric),
        alerts=[alert_dict(a) for a in alerts if a.window_id == window.window_id],
    )  # fmt: skip
