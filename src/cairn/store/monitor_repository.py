"""The store interface of model monitoring (see :mod:`cairn.store.base` for the verbs).

Public methods validate their input once, here, and call a private hook a backend implements.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import Monitor, MonitorAlert, MonitorRecord, MonitorWindow
from cairn.errors import InvalidInput
from cairn.store import monitor_validation as mo


class MonitorRepository(abc.ABC):
    """Monitors, the predictions and labels they ingest, their windows and their alerts.

    A monitor's predictions arrive in chunks: one Parquet blob per ingestion call (the
    feature, prediction and optional extra columns) plus one narrow row per prediction
    (sequence number, request id, time, label), so a window reads its chunks whole and labels
    are matched in SQL. Sequence numbers are per monitor, dense and start at 1. Labels
    arriving for request ids the monitor has not seen are kept as unmatched and attached
    when a prediction with that id arrives. Every write that changes what a monitor is or
    says (create, update, delete, a window, an alert, an alert's actions) appends an audit
    event (``monitor.*``) in its transaction; ingestion of records and labels does not.
    Operations naming a monitor that does not exist raise NotFound naming close matches.
    """

    # -- monitors -------------------------------------------------------------------------

    def create_monitor(
        self,
        name: str,
        model: str,
        spec: Mapping[str, Any],
        reference: bytes,
        reference_digest: str,
    ) -> Monitor:
        """Add a monitor with its reference summary; AlreadyExists when the name is taken."""
        data, digest = mo.reference(reference, reference_digest)
        return self._create_monitor(
            mo.monitor_name(name),
            mo.model_ref(model),
            mo.json_mapping(spec, "monitor spec", mo.MAX_SPEC_BYTES),
            data,
            digest,
        )

    def get_monitor(self, name: str) -> Monitor:
        """The monitor called ``name``; NotFound (naming close matches) otherwise."""
        found = self.find_monitor(name)
        if found is None:
            raise mo.unknown_monitor(name, [m.name for m in self.list_monitors()])
        return found

    def find_monitor(self, name: str) -> Monitor | None:
        """The monitor called ``name``, or None."""
        return self._find_monitor(mo.monitor_name(name))

    def list_monitors(self, model: str | None = None) -> list[Monitor]:
        """Every monitor (of ``model`` when given), by name."""
        return self._list_monitors(None if model is None else mo.model_ref(model))

    def update_monitor(
        self,
        name: str,
        *,
        spec: Mapping[str, Any] | None = None,
        reference: bytes | None = None,
        reference_digest: str | None = None,
    ) -> Monitor:
        """Replace a monitor's spec and/or reference (both reference arguments together)."""
        checked = None if spec is None else mo.json_mapping(spec, "monitor spec", mo.MAX_SPEC_BYTES)
        if (reference is None) != (reference_digest is None):
            raise InvalidInput("give the reference summary and its digest together, or neither")
        found = None if reference is None else mo.reference(reference, reference_digest)
        return self._update_monitor(mo.monitor_name(name), checked, found)

    def delete_monitor(self, name: str) -> None:
        """Remove a monitor with its records, labels, windows and alerts."""
        self._delete_monitor(mo.monitor_name(name))

    def get_reference(self, name: str) -> bytes:
        """The stored reference summary of a monitor."""
        return self._get_reference(mo.monitor_name(name))

    # -- records and labels ---------------------------------------------------------------

    def append_records(
        self,
        name: str,
        chunk: bytes,
        request_ids: Sequence[str | None],
        times: Sequence[int],
        model_version: int | None = None,
    ) -> tuple[int, int]:
        """Store one chunk (Parquet bytes of ``len(times)`` rows, in order) and its rows'
        request ids and prediction times (ms); ``(first_seq, last_seq)`` of the new rows.
        A request id repeated in the batch or already in the monitor is refused
        (InvalidInput naming it) and nothing is stored. Unmatched labels for these ids are
        attached to them."""
        data, ids, stamps = mo.records(chunk, request_ids, times)
        version = mo.optional_integer(model_version, "model version", 1)
        return self._append_records(mo.monitor_name(name), data, ids, stamps, version)

    def read_chunks(self, name: str, first_seq: int, last_seq: int) -> list[tuple[int, bytes]]:
        """``(first_seq of the chunk, Parquet bytes)`` of every chunk holding a record in
        ``first_seq..last_seq``, in order (callers cut the rows outside the range)."""
        first = mo.integer(first_seq, "first_seq")
        last = mo.integer(last_seq, "last_seq")
        return self._read_chunks(mo.monitor_name(name), first, last)

    def list_records(
        self,
        name: str,
        *,
        first_seq: int | None = None,
        last_seq: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[MonitorRecord]:
        """Records in sequence order, within the inclusive seq range and the half-open time
        range ``[start_time, end_time)`` when given."""
        return self._list_records(
            mo.monitor_name(name),
            mo.optional_integer(first_seq, "first_seq"),
            mo.optional_integer(last_seq, "last_seq"),
            mo.optional_integer(start_time, "start time"),
            mo.optional_integer(end_time, "end time"),
        )

    def record_bounds(self, name: str) -> tuple[int, int | None, int | None]:
        """``(last_seq, min_time, max_time)`` of a monitor's records (0, None, None if none)."""
        return self._record_bounds(mo.monitor_name(name))

    def put_labels(self, name: str, labels: Sequence[tuple[str, str]], time: int) -> list[str]:
        """Set the ground truth (JSON text) of records by request id (a later label replaces
        an earlier one); returns the request ids no record has, which are kept unmatched."""
        checked = mo.labels(labels)
        arrived = mo.integer(time, "label time (epoch ms)")
        return self._put_labels(mo.monitor_name(name), checked, arrived)

    def unmatched_labels(
        self, name: str, start_time: int | None = None, end_time: int | None = None
    ) -> list[tuple[str, int]]:
        """``(request_id, arrival time)`` of labels still waiting for their prediction,
        arrived within ``[start_time, end_time)`` when given."""
        return self._unmatched_labels(
            mo.monitor_name(name),
            mo.optional_integer(start_time, "start time"),
            mo.optional_integer(end_time, "end time"),
        )

    # -- windows, alerts and state --------------------------------------------------------

    def add_window(
        self,
        name: str,
        *,
        start_time: int,
        end_time: int,
        first_seq: int,
        last_seq: int,
        rows: int,
        labelled_rows: int,
        model_version: int | None,
        results: Mapping[str, Any],
    ) -> MonitorWindow:
        """Store a computed window (ids increase by one per monitor, from 1). AlreadyExists
        when a stored window holds some of its records (their sequence ranges and their
        ``[start_time, end_time)`` ranges both overlap), so two runners store a window once."""
        bounds = mo.window_bounds(start_time, end_time, first_seq, last_seq)
        counts = mo.row_counts(rows, labelled_rows)
        return self._add_window(
            mo.monitor_name(name),
            bounds,
            counts,
            mo.optional_integer(model_version, "model version", 1),
            mo.json_mapping(results, "window results", mo.MAX_RESULTS_BYTES),
        )

    def update_window(
        self, name: str, window_id: int, *, labelled_rows: int, results: Mapping[str, Any]
    ) -> MonitorWindow:
        """Replace a window's results (recomputed after late labels arrived for it)."""
        return self._update_window(
            mo.monitor_name(name),
            mo.integer(window_id, "window id", 1),
            mo.integer(labelled_rows, "window labelled_rows"),
            mo.json_mapping(results, "window results", mo.MAX_RESULTS_BYTES),
        )

    def list_windows(
        self, name: str, after_window_id: int = 0, limit: int | None = None
    ) -> list[MonitorWindow]:
        """Windows in id order after ``after_window_id``."""
        return self._list_windows(
            mo.monitor_name(name),
            mo.integer(after_window_id, "after_window_id"),
            mo.optional_integer(limit, "limit", 1),
        )

    def get_window(self, name: str, window_id: int) -> MonitorWindow:
        """One window; NotFound otherwise."""
        return self._get_window(mo.monitor_name(name), mo.integer(window_id, "window id", 1))

    def add_alert(
        self,
        name: str,
        *,
        rule: str,
        window_id: int,
        value: float | None,
        message: str,
        actions: Sequence[Mapping[str, Any]] = (),
    ) -> MonitorAlert:
        """Store a fired rule with its actions (usually "pending" at first)."""
        return self._add_alert(
            mo.monitor_name(name),
            mo.plain_text(rule, "alert rule", mo.MAX_RULE_LENGTH),
            mo.integer(window_id, "window id", 1),
            mo.alert_value(value),
            mo.plain_text(message, "alert message", mo.MAX_MESSAGE_LENGTH, required=False),
            mo.actions(actions),
        )

    def update_alert_actions(
        self, alert_id: int, actions: Sequence[Mapping[str, Any]]
    ) -> MonitorAlert:
        """Record what an alert's actions did."""
        return self._update_alert_actions(mo.integer(alert_id, "alert id", 1), mo.actions(actions))

    def list_alerts(self, name: str | None = None, limit: int = 100) -> list[MonitorAlert]:
        """Alerts, newest first (of one monitor when ``name`` is given)."""
        found = mo.integer(limit, "limit", 1)
        if found > mo.MAX_ALERTS:
            raise InvalidInput(f"limit {found} is over {mo.MAX_ALERTS}")
        return self._list_alerts(None if name is None else mo.monitor_name(name), found)

    def get_state(self, name: str, key: str) -> str | None:
        """A monitor's small bookkeeping value (e.g. how far serving logs were imported)."""
        return self._get_state(
            mo.monitor_name(name), mo.plain_text(key, "state key", mo.MAX_STATE_KEY_LENGTH)
        )

    def set_state(self, name: str, key: str, value: str) -> None:
        """Set a bookkeeping value."""
        self._set_state(
            mo.monitor_name(name),
            mo.plain_text(key, "state key", mo.MAX_STATE_KEY_LENGTH),
            mo.plain_text(value, "state value", mo.MAX_STATE_VALUE_LENGTH, required=False),
        )

    # -- what a backend implements --------------------------------------------------------

    @abc.abstractmethod
    def _create_monitor(
        self, name: str, model: str, spec: dict[str, Any], reference: bytes, digest: str
    ) -> Monitor: ...
    @abc.abstractmethod
    def _find_monitor(self, name: str) -> Monitor | None: ...
    @abc.abstractmethod
    def _list_monitors(self, model: str | None) -> list[Monitor]: ...
    @abc.abstractmethod
    def _update_monitor(
        self, name: str, spec: dict[str, Any] | None, reference: tuple[bytes, str] | None
    ) -> Monitor: ...
    @abc.abstractmethod
    def _delete_monitor(self, name: str) -> None: ...
    @abc.abstractmethod
    def _get_reference(self, name: str) -> bytes: ...
    @abc.abstractmethod
    def _append_records(
        self,
        name: str,
        chunk: bytes,
        request_ids: list[str | None],
        times: list[int],
        model_version: int | None,
    ) -> tuple[int, int]: ...
    @abc.abstractmethod
    def _read_chunks(self, name: str, first_seq: int, last_seq: int) -> list[tuple[int, bytes]]: ...
    @abc.abstractmethod
    def _list_records(
        self,
        name: str,
        first_seq: int | None,
        last_seq: int | None,
        start_time: int | None,
        end_time: int | None,
    ) -> list[MonitorRecord]: ...
    @abc.abstractmethod
    def _record_bounds(self, name: str) -> tuple[int, int | None, int | None]: ...
    @abc.abstractmethod
    def _put_labels(self, name: str, labels: dict[str, str], time: int) -> list[str]: ...
    @abc.abstractmethod
    def _unmatched_labels(
        self, name: str, start_time: int | None, end_time: int | None
    ) -> list[tuple[str, int]]: ...
    @abc.abstractmethod
    def _add_window(
        self,
        name: str,
        bounds: tuple[int, int, int, int],
        counts: tuple[int, int],
        model_version: int | None,
        results: dict[str, Any],
    ) -> MonitorWindow: ...
    @abc.abstractmethod
    def _update_window(
        self, name: str, window_id: int, labelled_rows: int, results: dict[str, Any]
    ) -> MonitorWindow: ...
    @abc.abstractmethod
    def _list_windows(
        self, name: str, after_window_id: int, limit: int | None
    ) -> list[MonitorWindow]: ...
    @abc.abstractmethod
    def _get_window(self, name: str, window_id: int) -> MonitorWindow: ...
    @abc.abstractmethod
    def _add_alert(
        self,
        name: str,
        rule: str,
        window_id: int,
        value: float | None,
        message: str,
        actions: list[dict[str, Any]],
    ) -> MonitorAlert: ...
    @abc.abstractmethod
    def _update_alert_actions(
        self, alert_id: int, actions: list[dict[str, Any]]
    ) -> MonitorAlert: ...
    @abc.abstractmethod
    def _list_alerts(self, name: str | None, limit: int) -> list[MonitorAlert]: ...
    @abc.abstractmethod
    def _get_state(self, name: str, key: str) -> str | None: ...
    @abc.abstractmethod
    def _set_state(self, name: str, key: str, value: str) -> None: ...
