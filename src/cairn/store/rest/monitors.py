"""Monitors on a cairn server (the native API's ``/monitors`` routes), and their JSON form,
which the server's routes share.

Binary payloads (a reference summary, a records chunk, chunks read back) travel as
``application/octet-stream`` frames: one line of JSON (the other arguments), a newline, then
the bytes. The server takes bodies up to 64 MiB (:data:`MAX_FRAME_BYTES`), so over HTTP one
append or one reference summary is at most that, request ids included; larger batches are
refused before sending, with the advice to split them. Labels are sent in JSON batches of
:data:`LABEL_BATCH` pairs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cairn.entities import Monitor, MonitorAlert, MonitorRecord, MonitorWindow
from cairn.errors import InvalidInput, NotFound
from cairn.store.monitor_repository import MonitorRepository
from cairn.store.rest import transport

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api

MAX_FRAME_BYTES = 64 * 1024 * 1024
LABEL_BATCH = 50_000
OCTETS = "application/octet-stream"


def frame(header: dict[str, Any], data: bytes = b"") -> bytes:
    """A JSON header line followed by raw bytes."""
    return json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + data


def unframe(body: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the bytes of a frame; InvalidInput when it is not one."""
    head, newline, data = body.partition(b"\n")
    try:
        header = json.loads(head) if newline else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise InvalidInput("the request body must be a JSON header line, a newline, then bytes")
    return header, data


def monitor_out(monitor: Monitor) -> dict[str, Any]:
    """A monitor as JSON."""
    return asdict(monitor)


def monitor_in(data: dict[str, Any]) -> Monitor:
    """A monitor from JSON."""
    return Monitor(**data)


def window_out(window: MonitorWindow) -> dict[str, Any]:
    """A window as JSON."""
    return asdict(window)


def alert_out(alert: MonitorAlert) -> dict[str, Any]:
    """An alert as JSON."""
    return asdict(alert)


def chunks_frame(chunks: list[tuple[int, bytes]]) -> bytes:
    """Chunks read back: the header lists ``[first_seq, length]`` of each, then their bytes."""
    header = {"chunks": [[first, len(data)] for first, data in chunks]}
    return frame(header, b"".join(data for _, data in chunks))


def chunks_in(body: bytes) -> list[tuple[int, bytes]]:
    """The chunks of :func:`chunks_frame`."""
    header, data = unframe(body)
    found, offset = [], 0
    for first, length in header["chunks"]:
        found.append((int(first), data[offset : offset + length]))
        offset += length
    return found


def _path(name: str) -> str:
    return f"/monitors/{quote(name, safe='')}"


def _fits(size: int, what: str) -> None:
    if size > MAX_FRAME_BYTES:
        raise InvalidInput(
            f"{what} takes {size} bytes over HTTP; the server takes at most {MAX_FRAME_BYTES} "
            "per request, so split the batch into smaller ones"
        )


class RestMonitorRepository(MonitorRepository):
    """Monitors on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _binary(self, method: str, path: str, body: bytes, **params: Any) -> Any:
        response = transport.request(
            self._api.client,
            method,
            f"/api/v1{path}",
            content=body,
            params=params,
            headers={"Content-Type": OCTETS},
        )
        return response.json()

    def _create_monitor(
        self, name: str, model: str, spec: dict[str, Any], reference: bytes, digest: str
    ) -> Monitor:
        body = frame({"name": name, "spec": spec, "reference_digest": digest}, reference)
        _fits(len(body), "the reference summary")
        return monitor_in(self._binary("POST", "/monitors", body, model=model))

    def _find_monitor(self, name: str) -> Monitor | None:
        try:
            return monitor_in(self._api.get(_path(name)))
        except NotFound:
            return None

    def _list_monitors(self, model: str | None) -> list[Monitor]:
        return [monitor_in(m) for m in self._api.get("/monitors", model=model)["items"]]

    def _update_monitor(
        self, name: str, spec: dict[str, Any] | None, reference: tuple[bytes, str] | None
    ) -> Monitor:
        data, digest = reference if reference is not None else (b"", None)
        body = frame({"spec": spec, "reference_digest": digest}, data)
        _fits(len(body), "the reference summary")
        return monitor_in(self._binary("PATCH", _path(name), body))

    def _delete_monitor(self, name: str) -> None:
        self._api.send("DELETE", _path(name))

    def _get_reference(self, name: str) -> bytes:
        path = f"/api/v1{_path(name)}/reference"
        return transport.request(self._api.client, "GET", path).content

    def _append_records(
        self,
        name: str,
        chunk: bytes,
        request_ids: list[str | None],
        times: list[int],
        model_version: int | None,
    ) -> tuple[int, int]:
        header = {"request_ids": request_ids, "times": times, "model_version": model_version}
        body = frame(header, chunk)
        _fits(len(body), f"a batch of {len(times)} records")
        found = self._binary("POST", f"{_path(name)}/records", body)
        return int(found["first_seq"]), int(found["last_seq"])

    def _read_chunks(self, name: str, first_seq: int, last_seq: int) -> list[tuple[int, bytes]]:
        response = transport.request(
            self._api.client,
            "GET",
            f"/api/v1{_path(name)}/chunks",
            params={"first_seq": first_seq, "last_seq": last_seq},
        )
        return chunks_in(response.content)

    def _list_records(
        self,
        name: str,
        first_seq: int | None,
        last_seq: int | None,
        start_time: int | None,
        end_time: int | None,
    ) -> list[MonitorRecord]:
        found = self._api.get(
            f"{_path(name)}/records",
            first_seq=first_seq,
            last_seq=last_seq,
            start_time=start_time,
            end_time=end_time,
        )
        return [MonitorRecord(s, i, t, lb) for s, i, t, lb in found["items"]]

    def _record_bounds(self, name: str) -> tuple[int, int | None, int | None]:
        found = self._api.get(f"{_path(name)}/record-bounds")
        return int(found["last_seq"]), found["min_time"], found["max_time"]

    def _put_labels(self, name: str, labels: dict[str, str], time: int) -> list[str]:
        pairs = list(labels.items())
        unknown: list[str] = []
        for start in range(0, len(pairs), LABEL_BATCH):
            body = {"labels": pairs[start : start + LABEL_BATCH], "time": time}
            unknown.extend(self._api.send("POST", f"{_path(name)}/labels", body)["unknown"])
        return unknown

    def _unmatched_labels(
        self, name: str, start_time: int | None, end_time: int | None
    ) -> list[tuple[str, int]]:
        found = self._api.get(
            f"{_path(name)}/unmatched-labels", start_time=start_time, end_time=end_time
        )
        return [(str(i), int(t)) for i, t in found["items"]]

    def _add_window(
        self,
        name: str,
        bounds: tuple[int, int, int, int],
        counts: tuple[int, int],
        model_version: int | None,
        results: dict[str, Any],
    ) -> MonitorWindow:
        start, end, first, last = bounds
        body = {
            "start_time": start,
            "end_time": end,
            "first_seq": first,
            "last_seq": last,
            "rows": counts[0],
            "labelled_rows": counts[1],
            "model_version": model_version,
            "results": results,
        }
        return MonitorWindow(**self._api.send("POST", f"{_path(name)}/windows", body))

    def _update_window(
        self, name: str, window_id: int, labelled_rows: int, results: dict[str, Any]
    ) -> MonitorWindow:
        body = {"labelled_rows": labelled_rows, "results": results}
        found = self._api.send("PATCH", f"{_path(name)}/windows/{window_id}", body)
        return MonitorWindow(**found)

    def _list_windows(
        self, name: str, after_window_id: int, limit: int | None
    ) -> list[MonitorWindow]:
        found = self._api.get(
            f"{_path(name)}/windows", after_window_id=after_window_id, limit=limit
        )
        return [MonitorWindow(**w) for w in found["items"]]

    def _get_window(self, name: str, window_id: int) -> MonitorWindow:
        return MonitorWindow(**self._api.get(f"{_path(name)}/windows/{window_id}"))

    def _add_alert(
        self,
        name: str,
        rule: str,
        window_id: int,
        value: float | None,
        message: str,
        actions: list[dict[str, Any]],
    ) -> MonitorAlert:
        body = {
            "rule": rule,
            "window_id": window_id,
            "value": value,
            "message": message,
            "actions": actions,
        }
        return MonitorAlert(**self._api.send("POST", f"{_path(name)}/alerts", body))

    def _update_alert_actions(self, alert_id: int, actions: list[dict[str, Any]]) -> MonitorAlert:
        found = self._api.send("PATCH", f"/monitor-alerts/{alert_id}", {"actions": actions})
        return MonitorAlert(**found)

    def _list_alerts(self, name: str | None, limit: int) -> list[MonitorAlert]:
        found = self._api.get("/monitor-alerts", name=name, limit=limit)
        return [MonitorAlert(**a) for a in found["items"]]

    def _get_state(self, name: str, key: str) -> str | None:
        found = self._api.get(f"{_path(name)}/state/{quote(key, safe='')}")
        return found["value"]  # type: ignore[no-any-return]

    def _set_state(self, name: str, key: str, value: str) -> None:
        self._api.send("PUT", f"{_path(name)}/state/{quote(key, safe='')}", {"value": value})
