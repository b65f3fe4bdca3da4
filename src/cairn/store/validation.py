"""Checks applied to every value before any backend sees it (MLflow's rules, clearer errors).

Each function either returns the normalised value or raises a :mod:`cairn.errors` error
whose message names the field, the value received, what is allowed and how to fix it.
"""

from __future__ import annotations

import math
import numbers
import posixpath
import re
import uuid
from typing import Any

from cairn.entities import Metric
from cairn.errors import InvalidInput, InvalidKey

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 256
# Beyond this a timestamp is surely in microseconds or nanoseconds, not milliseconds.
MAX_TIMESTAMP_MS = 10**14
MAX_INT64 = 2**63 - 1

_KEY_RE = re.compile(r"^[\w\-. /:]+$")
_RUN_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def validate_key(key: object, kind: str) -> str:
    """A param/metric/tag key: 1-250 of letters, digits, ``_ - . / : space``; no ``..`` part."""
    if type(key) is str and key in _GOOD_KEYS:
        return key
    checked = _check_key(key, kind)
    if len(_GOOD_KEYS) < 100_000:
        _GOOD_KEYS.add(checked)
    return checked


# Keys repeat endlessly (a training loop logs the same few); remember the good ones.
_GOOD_KEYS: set[str] = set()


def _check_key(key: object, kind: str) -> str:
    if not isinstance(key, str):
        raise InvalidKey(f"{kind} key must be a string, got {type(key).__name__} {key!r}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(
            f"{kind} key {key[:60]!r} has {len(key)} characters; keys need 1 to {MAX_KEY_LENGTH}"
        )
    if not _KEY_RE.match(key):
        bad = sorted({c for c in key if not re.match(r"[\w\-. /:]", c)})
        raise InvalidKey(
            f"{kind} key {key!r} contains {''.join(bad)!r}; keys may only contain letters, "
            "digits, underscores, dashes, periods, spaces, colons and slashes"
        )
    normalized = posixpath.normpath(key)
    if key.startswith("/") or normalized.startswith("..") or "/../" in f"/{key}/":
        raise InvalidKey(f"{kind} key {key!r} must be a relative name without '..' parts")
    return key


def validate_param_value(key: str, value: object) -> str:
    """A param value as text, at most 6000 characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidInput(
            f"param {key!r} value has {len(text)} characters; at most {MAX_PARAM_VALUE_LENGTH} "
            "are kept. Log long values as an artifact (log_text/log_dict) instead"
        )
    return text


def validate_tag_value(key: str, value: object) -> str:
    """A tag value as text, at most 8000 characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidInput(
            f"tag {key!r} value has {len(text)} characters; at most {MAX_TAG_VALUE_LENGTH} "
            "are kept. Log long values as an artifact instead"
        )
    return text


def validate_metric_value(key: str, value: object) -> float:
    """A metric value: any real number (NaN and infinities included), not a bool or a string."""
    if type(value) is float:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(
            f"metric {key!r} got {type(value).__name__} {value!r:.60}; metric values must be "
            "numbers (int or float). Log text as a param or tag"
        )
    return float(value)


def validate_step(key: str, step: object) -> int:
    """A metric step: an integer (numpy integers accepted)."""
    if type(step) is int and -MAX_INT64 <= step <= MAX_INT64:
        return step
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidInput(f"metric {key!r} step must be an integer, got {step!r}")
    if not -MAX_INT64 <= int(step) <= MAX_INT64:
        raise InvalidInput(f"metric {key!r} step {step} does not fit in 64 bits")
    return int(step)


def validate_timestamp(key: str, timestamp: object) -> int:
    """A timestamp in epoch milliseconds."""
    if type(timestamp) is int and 0 <= timestamp <= MAX_TIMESTAMP_MS:
        return timestamp
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Integral):
        raise InvalidInput(
            f"metric {key!r} timestamp must be integer epoch milliseconds, got {timestamp!r}"
        )
    ts = int(timestamp)
    if ts < 0 or ts > MAX_TIMESTAMP_MS:
        raise InvalidInput(
            f"metric {key!r} timestamp {ts} is not epoch milliseconds (expected 0..{MAX_TIMESTAMP_MS})"
        )
    return ts


def validate_time(what: str, value: object) -> int:
    """A run's start or end time in epoch milliseconds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInput(f"{what} must be integer epoch milliseconds, got {value!r}")
    if not 0 <= int(value) <= MAX_TIMESTAMP_MS:
        raise InvalidInput(
            f"{what} {value} is not epoch milliseconds (expected 0..{MAX_TIMESTAMP_MS})"
        )
    return int(value)


def is_clean_metric(metric: Any) -> bool:
    """True when a metric point needs no conversion (the common case, checked cheaply)."""
    return (
        type(metric) is Metric
        and type(metric.value) is float
        and type(metric.timestamp) is int
        and type(metric.step) is int
        and metric.key in _GOOD_KEYS
        and 0 <= metric.timestamp <= MAX_TIMESTAMP_MS
        and -MAX_INT64 <= metric.step <= MAX_INT64
    )


def clean_metric(metric: Any) -> Metric:
    """A metric point validated and converted to (str, float, int, int)."""
    key = validate_key(metric.key, "metric")
    return Metric(
        key,
        validate_metric_value(key, metric.value),
        validate_timestamp(key, metric.timestamp),
        validate_step(key, metric.step),
    )


def validate_run_id(run_id: object) -> str:
    """A run id: 32 lowercase hex characters (dashes and upper case are normalised)."""
    if not isinstance(run_id, str):
        raise InvalidInput(f"run id must be a string, got {type(run_id).__name__}")
    text = run_id.strip().lower().replace("-", "")
    if not _RUN_ID_RE.match(text):
        raise InvalidInput(f"run id {run_id!r} is not 32 hexadecimal characters")
    return text


def validate_spool_id(spool_id: object) -> str:
    """A spool id: 32 lowercase hex characters, like a run id."""
    if not isinstance(spool_id, str) or not _RUN_ID_RE.match(spool_id):
        raise InvalidInput(f"spool id {spool_id!r} is not 32 lowercase hexadecimal characters")
    return spool_id


def validate_experiment_id(experiment_id: object) -> int:
    """An experiment id: a non-negative integer, given as int or decimal string."""
    text = str(experiment_id).strip()
    if (
        isinstance(experiment_id, bool)
        or not (text.isascii() and text.isdigit())
        or int(text) > MAX_INT64
    ):
        raise InvalidInput(
            f"experiment id {experiment_id!r} is not a non-negative integer "
            "(experiment ids look like '0', '1', ...; use the experiment's name with get_experiment_by_name)"
        )
    return int(text)


def validate_experiment_name(name: object) -> str:
    """An experiment name: non-empty text of at most 256 characters."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"experiment name must be a non-empty string, got {name!r}")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidInput(
            f"experiment name has {len(name)} characters; at most {MAX_EXPERIMENT_NAME_LENGTH}"
        )
    return name


def validate_run_name(name: object) -> str:
    """A run name: text of at most 250 characters."""
    if not isinstance(name, str):
        raise InvalidInput(f"run name must be a string, got {type(name).__name__}")
    if len(name) > MAX_KEY_LENGTH:
        raise InvalidInput(f"run name has {len(name)} characters; at most {MAX_KEY_LENGTH}")
    return name


def new_run_id() -> str:
    """A fresh 32-hex run id."""
    return uuid.uuid4().hex


def as_number(text: str) -> float | None:
    """The param text as a finite float when it reads as a number, else ``None``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


MAX_RESULTS_LIMIT = 50_000


def check_max_results(max_results: int) -> int:
    """``max_results`` when it is a page size the stores accept (1 to the limit)."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidInput(f"max_results must be a positive integer, got {max_results!r}")
    if max_results > MAX_RESULTS_LIMIT:
        raise InvalidInput(f"max_results {max_results} is over the limit of {MAX_RESULTS_LIMIT}")
    return max_results
