"""Checks for schedules and their runs, applied before any backend sees them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from cairn.errors import InvalidInput, NotFound, did_you_mean
from cairn.store.model_validation import text

MAX_NAME_LENGTH = 256
MAX_CRON_LENGTH = 256
MAX_PATH_LENGTH = 4096
MAX_ERROR_LENGTH = 8000
MAX_STAGES = 1000
CATCH_UP = ("latest", "all", "skip")
END_STATUSES = ("succeeded", "failed")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def schedule_name(name: object) -> str:
    """A schedule name: 1-128 letters, digits, ``_ . -``, starting with a letter or digit."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInput(
            f"schedule name {name!r} is not allowed; use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit (e.g. nightly-train)"
        )
    return name


def stage_names(stages: Sequence[str]) -> tuple[str, ...]:
    """The stages a schedule runs (none: the whole pipeline)."""
    if isinstance(stages, str):
        raise InvalidInput(f"stages must be a list of stage names, got the string {stages!r}")
    found = tuple(stages)
    if len(found) > MAX_STAGES:
        raise InvalidInput(f"a schedule names {len(found)} stages; at most {MAX_STAGES}")
    for stage in found:
        text(stage, "stage name", MAX_NAME_LENGTH)
    return found


def catch_up(policy: object) -> str:
    """One of "latest", "all", "skip"."""
    if policy not in CATCH_UP:
        raise InvalidInput(f"catch-up policy {policy!r} is not one of {', '.join(CATCH_UP)}")
    return str(policy)


def end_status(status: object) -> str:
    """How a schedule run ended: "succeeded" or "failed"."""
    if status not in END_STATUSES:
        raise InvalidInput(f"a schedule run ends {' or '.join(END_STATUSES)}, not {status!r}")
    return str(status)


def time_ms(value: object, what: str) -> int:
    """Epoch milliseconds."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise InvalidInput(f"{what} must be epoch milliseconds (an integer >= 0), got {value!r}")
    return value


def run_number(value: object) -> int:
    """A schedule run id: a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
        raise InvalidInput(f"schedule run id must be a positive integer, got {value!r}")
    return value


def unknown_schedule(name: str, known: Iterable[str]) -> NotFound:
    """The error for a schedule name that does not exist."""
    return NotFound(
        f"no schedule named {name!r}; `cairn schedule list` shows them.{did_you_mean(name, known)}"
    )
