"""Sensitive data: find it (:func:`scan_frame`, :func:`scan_path`), apply the project's
policy where data is logged (:func:`enforce`), and redact it (:func:`redact`).

Names load lazily, so the hooks in tracking, data and monitoring do not import pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "Finding": "cairn.security.scan",
    "ScanReport": "cairn.security.scan",
    "scan_frame": "cairn.security.scan",
    "scan_path": "cairn.security.scan",
    "SensitiveDataWarning": "cairn.security.policies",
    "enforce": "cairn.security.policies",
    "policy": "cairn.security.policies",
    "redact": "cairn.security.redaction",
    "check_frame": "cairn.security.guard",
    "check_path": "cairn.security.guard",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn.security' has no attribute {name!r}")
    return getattr(import_module(module), name)
