"""Checks for monitors, their records, labels, windows, alerts and state, applied before any
backend sees them.

Monitor names follow registered model names (printable, no ``/`` or ``@``, no outer spaces,
1-256 characters). A monitor's ``model`` is a registered model name, optionally with
``@alias`` or ``/version``; permissions on a server follow that registered model. Sizes are
bounded so one call cannot exhaust the store: see the ``MAX_*`` constants.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

from cairn.errors import InvalidInput, NotFound, did_you_mean
from cairn.store.model_validation import text
from cairn.store.registry_validation import alias_name, model_name, version_number

MAX_SPEC_BYTES = 1024 * 1024
MAX_REFERENCE_BYTES = 512 * 1024 * 1024
MAX_CHUNK_BYTES = 512 * 1024 * 1024
MAX_APPEND_ROWS = 5_000_000
MAX_REQUEST_ID_LENGTH = 128
MAX_LABEL_LENGTH = 65_535
MAX_RESULTS_BYTES = 16 * 1024 * 1024
MAX_RULE_LENGTH = 1000
MAX_MESSAGE_LENGTH = 8000
MAX_ACTIONS_BYTES = 1024 * 1024
MAX_STATE_KEY_LENGTH = 256
MAX_STATE_VALUE_LENGTH = 65_535
MAX_ALERTS = 10_000
_MAX_INT = 2**63 - 1
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def monitor_name(name: object) -> str:
    """A monitor name, under the rules of registered model names."""
    return model_name(name, "monitor name")


def model_ref(model: object) -> str:
    """A registered model name, optionally ``name@alias`` or ``name/version``."""
    found = text(model, "monitor model", 512)
    base, at, alias = found.partition("@")
    base, slash, version = base.partition("/")
    model_name(base, "monitor model")
    if at:
        alias_name(alias)
    if slash:
        version_number(version)
    return found


def registered_model_of(model: str) -> str:
    """The registered model name of a monitor's ``model`` reference."""
    return model.partition("@")[0].partition("/")[0]


def json_mapping(value: object, what: str, limit: int) -> dict[str, Any]:
    """A JSON object (plain dict after a round trip, no NaN) of at most ``limit`` bytes."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a mapping, got {type(value).__name__}")
    return json.loads(json_text(value, what, limit))  # type: ignore[no-any-return]


def json_text(value: object, what: str, limit: int) -> str:
    """``value`` as compact JSON text (no NaN or infinities) of at most ``limit`` bytes."""
    try:
        found = json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} must be plain JSON (no NaN or infinities): {exc}") from exc
    if len(found) > limit:
        raise InvalidInput(f"{what} has {len(found)} bytes of JSON; at most {limit} are allowed")
    return found


def blob(value: object, what: str, limit: int) -> bytes:
    """Non-empty bytes of at most ``limit`` bytes."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidInput(f"{what} must be bytes, got {type(value).__name__}")
    found = bytes(value)
    if not found:
        raise InvalidInput(f"{what} must not be empty")
    if len(found) > limit:
        raise InvalidInput(f"{what} has {len(found)} bytes; at most {limit} are allowed")
    return found


def reference(data: object, digest: object) -> tuple[bytes, str]:
    """A reference summary and its sha256 hex digest, which must match."""
    found = blob(data, "reference summary", MAX_REFERENCE_BYTES)
    if not isinstance(digest, str) or not _SHA256_RE.match(digest):
        raise InvalidInput(
            f"reference digest must be 64 lowercase hexadecimal characters (sha256), "
            f"got {digest!r:.80}"
        )
    actual = hashlib.sha256(found).hexdigest()
    if actual != digest:
        raise InvalidInput(
            f"reference digest {digest} does not match the reference bytes (sha256 {actual})"
        )
    return found, digest


def integer(value: object, what: str, minimum: int = 0) -> int:
    """An integer (numpy's too, not bool) from ``minimum`` to 2**63-1."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidInput(f"{what} must be an integer >= {minimum}, got {value!r:.60}")
    found = int(value)
    if not minimum <= found <= _MAX_INT:
        raise InvalidInput(f"{what} must be an integer >= {minimum}, got {found}")
    return found


def optional_integer(value: object, what: str, minimum: int = 0) -> int | None:
    """None or :func:`integer`."""
    return None if value is None else integer(value, what, minimum)


def plain_text(value: object, what: str, limit: int, required: bool = True) -> str:
    """Text of at most ``limit`` characters without NUL (PostgreSQL cannot store it)."""
    found = text(value, what, limit, required=required)
    if "\x00" in found:
        raise InvalidInput(f"{what} must not contain NUL characters")
    return found


def request_id(value: object, what: str = "request id") -> str:
    """A request id: 1-128 printable characters."""
    found = text(value, what, MAX_REQUEST_ID_LENGTH)
    if not found.isprintable():
        raise InvalidInput(f"{what} {found!r} has characters that are not printable")
    return found


def _ok_id(value: object) -> bool:
    return value is None or (
        type(value) is str and 0 < len(value) <= MAX_REQUEST_ID_LENGTH and value.isprintable()
    )


def _times(times: object) -> list[int]:
    """Epoch milliseconds as Python ints: a fast path for lists of ints and integer arrays."""
    tolist = getattr(times, "tolist", None)
    kind = getattr(getattr(times, "dtype", None), "kind", "")
    stamps = tolist() if callable(tolist) and kind in ("i", "u") else list(times)  # type: ignore[call-overload]
    if not stamps or (
        all(type(t) is int for t in stamps) and min(stamps) >= 0 and max(stamps) <= _MAX_INT
    ):
        return stamps
    return [integer(t, "prediction time (epoch ms)") for t in stamps]


def records(
    chunk: object, request_ids: object, times: object
) -> tuple[bytes, list[str | None], list[int]]:
    """A chunk with one request id (or None) and one time (ms) per row; ids unique."""
    data = blob(chunk, "records chunk", MAX_CHUNK_BYTES)
    if isinstance(request_ids, str | bytes) or not isinstance(request_ids, Iterable):
        raise InvalidInput("request ids must be a sequence of strings or None, one per row")
    if isinstance(times, str | bytes) or not isinstance(times, Iterable):
        raise InvalidInput("times must be a sequence of epoch milliseconds, one per row")
    ids = list(request_ids)
    if not all(map(_ok_id, ids)):
        ids = [None if i is None else request_id(i) for i in ids]
    stamps = _times(times)
    if len(ids) != len(stamps):
        raise InvalidInput(f"got {len(ids)} request ids for {len(stamps)} times; give one per row")
    if not stamps:
        raise InvalidInput("a records chunk must hold at least one row")
    if len(stamps) > MAX_APPEND_ROWS:
        raise InvalidInput(
            f"{len(stamps)} rows in one append; at most {MAX_APPEND_ROWS} (split the batch)"
        )
    named = [i for i in ids if i is not None]
    if len(set(named)) != len(named):
        seen: set[str] = set()
        for found in named:
            if found in seen:
                raise InvalidInput(f"request id {found!r} appears twice in the batch")
            seen.add(found)
    return data, ids, stamps


def labels(found: object) -> dict[str, str]:
    """``(request_id, label JSON text)`` pairs as a dict (a later pair replaces an earlier)."""
    if isinstance(found, str | bytes | Mapping) or not isinstance(found, Iterable):
        raise InvalidInput("labels must be a sequence of (request id, label text) pairs")
    checked: dict[str, str] = {}
    for pair in found:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise InvalidInput(f"a label must be a (request id, label text) pair, got {pair!r:.80}")
        checked[request_id(pair[0])] = plain_text(pair[1], "label", MAX_LABEL_LENGTH, False)
    return checked


def window_bounds(
    start_time: object, end_time: object, first_seq: object, last_seq: object
) -> tuple[int, int, int, int]:
    """A window's time range and sequence range (empty when ``last_seq < first_seq``)."""
    start = integer(start_time, "window start time")
    end = integer(end_time, "window end time")
    if end < start:
        raise InvalidInput(f"window end time {end} is before its start time {start}")
    first = integer(first_seq, "window first_seq", 1)
    last = integer(last_seq, "window last_seq")
    if last < first - 1:
        raise InvalidInput(f"window last_seq {last} is before its first_seq {first}")
    return start, end, first, last


def row_counts(rows: object, labelled_rows: object) -> tuple[int, int]:
    """A window's row count and how many of its rows have labels."""
    total = integer(rows, "window rows")
    labelled = integer(labelled_rows, "window labelled_rows")
    if labelled > total:
        raise InvalidInput(f"window labelled_rows {labelled} is more than its rows {total}")
    return total, labelled


def alert_value(value: object) -> float | None:
    """A finite number or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InvalidInput(f"alert value must be a finite number or None, got {value!r:.60}")
    return float(value)


def actions(found: object) -> list[dict[str, Any]]:
    """An alert's actions: a list of JSON objects."""
    if isinstance(found, str | bytes | Mapping) or not isinstance(found, Iterable):
        raise InvalidInput("alert actions must be a sequence of mappings")
    checked = list(found)
    for action in checked:
        if not isinstance(action, Mapping):
            raise InvalidInput(f"an alert action must be a mapping, got {type(action).__name__}")
    return json.loads(json_text(checked, "alert actions", MAX_ACTIONS_BYTES))  # type: ignore[no-any-return]


def unknown_monitor(name: str, known: Iterable[str]) -> NotFound:
    """The error for a monitor name that does not exist."""
    return NotFound(
        f"no monitor named {name!r}; `cairn monitor list` shows them.{did_you_mean(name, known)}"
    )


def monitor_exists(name: str) -> str:
    """The message for a name taken by another monitor."""
    return (
        f"a monitor named {name!r} exists already; update it, remove it first with "
        f"`cairn monitor delete {name}`, or pick another name"
    )
