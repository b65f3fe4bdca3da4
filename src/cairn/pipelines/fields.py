"""One stage's fields checked and turned into a :class:`Stage`, for both forms alike.

Every error is one line that opens with ``where`` (``"cairn.yaml: stage 'train'"``), names the
field and the value received, and says what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cairn.errors import InvalidInput
from cairn.pipelines.model import Stage
from cairn.pipelines.paths import clean_wdir, project_path

__all__ = ["check_stage_name", "parse_timeout", "stage_from_fields"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(@[A-Za-z0-9_.\-]+)?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h)?")
_UNIT = {"s": 1, "m": 60, "h": 3600, None: 1}


def check_stage_name(name: str, where: str) -> None:
    """Refuse a stage name that is not letters, digits, ``_``, ``-`` and ``.`` (plus one
    ``@suffix`` for expanded stages): names become run names, file names and CLI arguments."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"{where}: {name!r} is not a valid stage name; use letters, digits, '_', '-' "
            "and '.' (starting with a letter, digit or '_')"
        )


def stage_from_fields(name: str, fields: Mapping[str, Any], where: str, *, origin: str) -> Stage:
    """The :class:`Stage` ``name`` described by ``fields`` (the keys of a cairn.yaml stage)."""
    check_stage_name(name, where)
    wdir = _wdir(fields.get("wdir", "."), where)
    return Stage(
        name=name,
        cmd=_cmd(fields.get("cmd"), where),
        deps=_paths(fields.get("deps"), wdir, where, "deps"),
        params=_keys(fields.get("params"), where),
        outs=_paths(fields.get("outs"), wdir, where, "outs"),
        metrics=_paths(fields.get("metrics"), wdir, where, "metrics"),
        wdir=wdir,
        env=_env(fields.get("env"), where),
        retries=_count(fields.get("retries", 0), where, "retries", minimum=0),
        timeout=parse_timeout(fields.get("timeout"), where),
        workers=_count(fields.get("workers", 1), where, "workers", minimum=1),
        origin=origin,
    )


def _cmd(value: Any, where: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return " && ".join(v.strip() for v in value)
    if value is None:
        raise InvalidInput(f"{where}: 'cmd' is missing; give the command that runs the stage")
    raise InvalidInput(
        f"{where}: 'cmd' must be a command or a list of commands, got {_shown(value)}"
    )


def _strings(value: Any, where: str, field: str) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise InvalidInput(
            f"{where}: {field!r} must be a path or a list of paths, got {_shown(value)}"
            if field != "params"
            else f"{where}: 'params' must be a key or a list of keys of the params file, "
            f"got {_shown(value)}"
        )
    return list(dict.fromkeys(items))


def _paths(value: Any, wdir: str, where: str, field: str) -> tuple[str, ...]:
    label = f"{where}: {field!r}"
    found = [project_path(raw, wdir, label) for raw in _strings(value, where, field)]
    return tuple(dict.fromkeys(found))


def _keys(value: Any, where: str) -> tuple[str, ...]:
    keys = _strings(value, where, "params")
    for key in keys:
        if key.startswith(".") or key.endswith(".") or ".." in key:
            raise InvalidInput(f"{where}: 'params' has a malformed key {key!r}")
    return tuple(keys)


def _wdir(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}: 'wdir' must be a folder path, got {_shown(value)}")
    return clean_wdir(value, f"{where}: 'wdir'")


def _env(value: Any, where: str) -> Mapping[str, str]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: 'env' must be a mapping of NAME: value, got {_shown(value)}")
    env: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _ENV_NAME.fullmatch(key):
            raise InvalidInput(f"{where}: 'env' has an invalid variable name {key!r}")
        if isinstance(item, (dict, list)) or item is None:
            raise InvalidInput(f"{where}: 'env' value of {key} must be text, got {_shown(item)}")
        env[key] = _text(item)
    return MappingProxyType(dict(sorted(env.items())))


def _count(value: Any, where: str, field: str, *, minimum: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(
            f"{where}: {field!r} must be an integer >= {minimum}, got {_shown(value)}"
        )
    return value


def parse_timeout(value: Any, where: str) -> float | None:
    """Seconds from a number or ``'90s'``/``'10m'``/``'2h'``; ``None`` for no timeout."""
    if value is None:
        return None
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())):
        seconds = float(match[1]) * _UNIT[match[2]]
    if seconds is None or seconds <= 0:
        raise InvalidInput(
            f"{where}: 'timeout' must be a positive number of seconds (or '90s', '10m', '2h'), "
            f"got {_shown(value)}"
        )
    return seconds


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value)
