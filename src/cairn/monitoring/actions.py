"""What a fired rule does: a webhook POST, a shell command, or a pipeline (retraining).

:func:`run_action` never raises for a failing action: it returns the action's record,
``{"kind", "target", "status", "detail", ...}`` with ``status`` "ok" or "failed" and
details such as the HTTP status, the exit code and the end of the output, or the pipeline
and schedule run ids. The runner stores the records with the alert (which audits them).

- ``webhook``: POST JSON ``{monitor, rule, expr, window, value, message, results}`` (the
  window's results summary) to the URL; ok on a 2xx answer. Options: ``timeout`` (s, 10).
- ``command``: run the text with the shell, with ``CAIRN_MONITOR``, ``CAIRN_RULE``,
  ``CAIRN_WINDOW``, ``CAIRN_VALUE`` in its environment; ok on exit code 0; a command still
  running after ``timeout`` (s, 60) is killed with its process group. Option ``cwd``.
- ``pipeline``: the target is a schedule name known to the store or a project folder.
  A schedule is made due now, so the scheduler service starts it at its next poll (the way
  ``cairn schedule run NAME`` does); with ``wait: true`` it is claimed and run here through
  :func:`cairn.pipelines.scheduler.trigger`, and the record holds its schedule run and
  pipeline run. A folder gets ``cairn pipeline run [stages]`` started the way the scheduler
  starts it (its own session, ``CAIRN_TRACKING_URI`` set, output to
  ``.cairn/monitors/MONITOR/TIME.log`` in the folder), in the background; with
  ``wait: true`` (up to ``timeout`` s, default 3600) the record holds its exit code and the
  pipeline run it made. Options: ``stages``, ``experiment``, ``wait``, ``timeout``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from cairn import config
from cairn.errors import CairnError, InvalidInput
from cairn.monitoring.spec import ActionSpec
from cairn.store.base import now_ms

__all__ = ["TAIL", "run_action"]

TAIL = 2000  # characters of a command's output kept in its record


def _record(action: ActionSpec, status: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": action.kind,
        "target": action.target,
        "status": status,
        "detail": detail,
        "time": now_ms(),
        **extra,
    }


def _timeout(action: ActionSpec, default: float) -> float:
    value = action.options.get("timeout", default)
    return float(value) if isinstance(value, int | float) and value > 0 else default


def _webhook(action: ActionSpec, context: Mapping[str, Any]) -> dict[str, Any]:
    if not action.target.startswith(("http://", "https://")):
        return _record(action, "failed", f"not an http(s) URL: {action.target!r}")
    body = json.loads(json.dumps(dict(context), default=str, allow_nan=False))
    try:
        response = httpx.post(action.target, json=body, timeout=_timeout(action, 10.0))
    except httpx.HTTPError as exc:
        return _record(action, "failed", f"{type(exc).__name__}: {exc}"[:TAIL])
    status = "ok" if response.is_success else "failed"
    detail = f"HTTP {response.status_code}"
    if not response.is_success and response.text:
        detail += f": {response.text[-TAIL:]}"
    return _record(action, status, detail, http_status=response.status_code)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _environment(context: Mapping[str, Any], store: Any) -> dict[str, str]:
    value = context.get("value")
    env = {
        **os.environ,
        "CAIRN_MONITOR": str(context.get("monitor", "")),
        "CAIRN_RULE": str(context.get("rule", "")),
        "CAIRN_WINDOW": str(context.get("window", "")),
        "CAIRN_VALUE": "" if value is None else repr(float(value)),
    }
    if store is not None:
        env[config.ENV_TRACKING_URI] = store.uri
    return env


def _command(action: ActionSpec, context: Mapping[str, Any], store: Any) -> dict[str, Any]:
    timeout = _timeout(action, 60.0)
    try:
        process = subprocess.Popen(  # noqa: S602 - running the user's shell command is the point
            action.target,
            shell=True,
            cwd=action.options.get("cwd"),
            env=_environment(context, store),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return _record(action, "failed", f"could not start the command: {exc}")
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, _ = process.communicate()
        tail = output.decode("utf-8", errors="replace")[-TAIL:]
        return _record(action, "failed", f"timed out after {timeout:g} s\n{tail}".strip())
    tail = output.decode("utf-8", errors="replace")[-TAIL:]
    code = process.returncode
    status = "ok" if code == 0 else "failed"
    return _record(action, status, f"exit code {code}\n{tail}".strip(), exit_code=code)


def run_action(
    action: ActionSpec, context: Mapping[str, Any], *, store: Any = None
) -> dict[str, Any]:
    """Run one action for a fired rule (``context``: monitor, rule, expr, window, value,
    message, results) and return its record; never raises for the action's own failure.
    ``store`` (default: the current tracking store) is needed by pipeline actions."""
    try:
        if action.kind == "webhook":
            return _webhook(action, context)
        if action.kind == "command":
            return _command(action, context, store)
        if action.kind == "pipeline":
            return _pipeline(action, context, store)
    except (CairnError, OSError, ValueError) as exc:
        return _record(action, "failed", f"{type(exc).__name__}: {exc}"[:TAIL])
    return _record(action, "failed", f"unknown action kind {action.kind!r}")


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Wait for a background pipeline in a daemon thread (no zombie, no warning)."""
    threading.Thread(target=process.wait, name=f"reap {process.pid}", daemon=True).start()


def _pipeline(action: ActionSpec, context: Mapping[str, Any], store: Any) -> dict[str, Any]:
    if store is None:
        from cairn.tracking.client import CairnClient

        store = CairnClient().store
    target = action.target
    if "/" not in target and target not in (".", ".."):
        try:
            found = store.schedules.find_schedule(target)
        except InvalidInput:  # not a schedule name: a folder
            found = None
        if found is not None:  # a schedule's name wins over a folder of that name
            return _schedule(action, store)
        if not Path(target).exists():
            return _record(
                action, "failed", f"no schedule called {target!r} and no project folder there"
            )
    return _folder(action, context, store)


def _schedule(action: ActionSpec, store: Any) -> dict[str, Any]:
    from cairn.pipelines.scheduler import trigger
    from cairn.pipelines.schedules import mark_due_now

    name = action.target
    if not action.options.get("wait"):
        mark_due_now(store, name)
        detail = f"schedule {name!r} is due now; the scheduler service starts it at its next poll"
        return _record(action, "ok", detail)
    ended = trigger(name, tracking_uri=store.uri, wait=True)
    assert ended is not None  # noqa: S101 - trigger(wait=True) returns the ended run
    status = "ok" if ended.status == "succeeded" else "failed"
    detail = f"schedule {name!r} run {ended.schedule_run_id} {ended.status}"
    if ended.error:
        detail += f"\n{ended.error[-TAIL:]}"
    return _record(
        action,
        status,
        detail,
        schedule_run_id=ended.schedule_run_id,
        pipeline_run_id=ended.pipeline_run_id,
    )


def _folder(action: ActionSpec, context: Mapping[str, Any], store: Any) -> dict[str, Any]:
    from cairn.entities import Schedule
    from cairn.pipelines.scheduler import pipeline_command
    from cairn.pipelines.schedules import pipeline_folder

    folder = pipeline_folder(action.target)  # InvalidInput: no cairn.yaml there
    stages = action.options.get("stages") or ()
    if isinstance(stages, str):
        stages = (stages,)
    experiment = action.options.get("experiment")
    # the scheduler's own command line, for an unscheduled run of this folder
    command = pipeline_command(
        Schedule(
            name=f"monitor:{context.get('monitor', '')}", cron="", pipeline=str(folder),
            stages=tuple(str(s) for s in stages), experiment=experiment, catch_up="latest",
            enabled=True, creator="", creation_time=0, next_due_time=0,
        )
    )  # fmt: skip
    started = now_ms()
    path = (
        folder / config.CAIRN_DIR / "monitors" / str(context.get("monitor", "_")) / f"{started}.log"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=_environment(context, store),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if not action.options.get("wait"):
        _reap(process)
        detail = f"started cairn pipeline run in {folder} (pid {process.pid}, output in {path})"
        return _record(action, "ok", detail, pid=process.pid, log=str(path))
    timeout = _timeout(action, 3600.0)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.wait()
        return _record(action, "failed", f"timed out after {timeout:g} s; output in {path}")
    tail = path.read_text("utf-8", errors="replace")[-TAIL:]
    run_id = _pipeline_run(store, folder, experiment, started)
    status = "ok" if code == 0 else "failed"
    detail = f"cairn pipeline run exited with {code}\n{tail}".strip()
    return _record(action, status, detail, exit_code=code, pipeline_run_id=run_id, log=str(path))


def _pipeline_run(store: Any, folder: Path, experiment: str | None, since: int) -> str | None:
    """The pipeline run recorded for ``folder`` since ``since`` (None when none was)."""
    experiments = store.experiments
    if experiment:
        found = experiments.find_experiment_by_name(experiment)
        ids = [found.experiment_id] if found is not None else []
    else:
        ids = [e.experiment_id for e in experiments.search_experiments(max_results=1000).items]
    if not ids:
        return None
    root = str(folder).replace("'", "\\'")
    query = (
        "tags.`cairn.run.kind` = 'pipeline' and "
        f"tags.`cairn.pipeline.root` = '{root}' and attributes.start_time >= {since}"
    )
    page = store.runs.search_runs(ids, query, max_results=1, order_by=["attributes.start_time ASC"])
    return page.items[0].info.run_id if page.items else None
