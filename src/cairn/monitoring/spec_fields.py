"""Reading the fields of a monitor spec: a reader that names the source and the field in
every error, and the parsing of rules and their actions (the largest part of a spec).

Actions: ``{webhook: URL, timeout: S, headers: {...}}``, ``{command: TEXT, timeout: S}`` or
``{pipeline: FOLDER_OR_SCHEDULE, stages: [...], timeout: S}``; the stored form
``{kind, target, options}`` is read too. Rule expressions are checked with
:func:`cairn.monitoring.rules.parse_rule`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cairn.errors import InvalidInput, did_you_mean
from cairn.monitoring.spec import DRIFT_METHODS, ActionSpec, RuleSpec

__all__ = ["DRIFT_METHODS", "FieldReader", "parse_rules"]

_ACTION_OPTIONS = {
    "webhook": ("timeout", "headers"),
    "command": ("timeout", "cwd"),
    "pipeline": ("timeout", "stages", "experiment", "wait"),
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class FieldReader:
    """Reads fields of one spec, raising InvalidInput prefixed with the source's name."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field: str, message: str) -> InvalidInput:
        """The error for ``field``: "<source>: <field> <message>"."""
        return InvalidInput(f"{self.source}: {field} {message}")

    def keys(self, data: Any, field: str, known: tuple[str, ...]) -> Mapping[str, Any]:
        """``data`` as a mapping whose keys are all ``known``."""
        if not isinstance(data, Mapping):
            raise self.fail(field, f"must be a mapping, got {type(data).__name__}")
        for key in data:
            if key not in known:
                hint = did_you_mean(str(key), known) if isinstance(key, str) else ""
                where = f"{field}.{key}" if field else str(key)
                raise self.fail(where, f"is not a known key (known: {', '.join(known)}).{hint}")
        return data

    def text(self, value: Any, field: str, *, name: bool = False) -> str:
        """A non-empty string (a URL-safe name when ``name``)."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be a non-empty string, got {value!r}")
        if name and not _NAME.match(value):
            raise self.fail(
                field, f"must be letters, digits, '_', '.' or '-' (at most 128), got {value!r}"
            )
        return value

    def names(self, value: Any, field: str) -> tuple[str, ...]:
        """A list of distinct column names."""
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise self.fail(field, f"must be a list of column names, got {value!r}")
        found = tuple(self.text(v, f"{field}[{i}]") for i, v in enumerate(value))
        if len(set(found)) != len(found):
            raise self.fail(field, f"lists a column twice: {list(found)}")
        return found

    def threshold(self, value: Any, field: str) -> float | None:
        """A positive number, or None."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(field, f"must be a positive number or null, got {value!r}")
        return float(value)

    def method(self, value: Any, field: str) -> str:
        """One of :data:`DRIFT_METHODS`."""
        if value not in DRIFT_METHODS:
            hint = did_you_mean(value, DRIFT_METHODS) if isinstance(value, str) else ""
            known = ", ".join(DRIFT_METHODS)
            raise self.fail(field, f"must be one of {known}, got {value!r}.{hint}")
        return str(value)


def _action(r: FieldReader, value: Any, field: str) -> ActionSpec:
    if not isinstance(value, Mapping):
        raise r.fail(field, f"must be a mapping like {{webhook: URL}}, got {value!r}")
    if "kind" in value:
        data = r.keys(value, field, ("kind", "target", "options"))
        kind, target, options = data["kind"], data.get("target"), data.get("options") or {}
    else:
        kinds = [k for k in _ACTION_OPTIONS if k in value]
        if len(kinds) != 1:
            raise r.fail(field, "must have exactly one of webhook, command, pipeline")
        kind = kinds[0]
        data = r.keys(value, field, (kind, *_ACTION_OPTIONS[kind]))
        target, options = data[kind], {k: v for k, v in data.items() if k != kind}
    if kind not in _ACTION_OPTIONS:
        raise r.fail(f"{field}.kind", f"must be webhook, command or pipeline, got {kind!r}")
    target = r.text(target, f"{field}.{kind}")
    if kind == "webhook" and not target.startswith(("http://", "https://")):
        raise r.fail(f"{field}.webhook", f"must be an http:// or https:// URL, got {target!r}")
    r.keys(options, f"{field}", _ACTION_OPTIONS[kind])
    if "timeout" in options:
        r.threshold(options["timeout"], f"{field}.timeout")
    if "stages" in options:
        options = {**options, "stages": list(r.names(options["stages"], f"{field}.stages"))}
    for name in ("cwd", "experiment"):
        if name in options:
            options = {**options, name: r.text(options[name], f"{field}.{name}")}
    if "wait" in options and not isinstance(options["wait"], bool):
        raise r.fail(f"{field}.wait", f"must be true or false, got {options['wait']!r}")
    headers = options.get("headers")
    if headers is not None and not (
        isinstance(headers, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        raise r.fail(f"{field}.headers", f"must map header names to strings, got {headers!r}")
    return ActionSpec(kind, target, dict(options))


def _check_rule(r: FieldReader, expr: str, field: str) -> None:
    try:
        from cairn.monitoring.rules import parse_rule
    except ImportError:  # the rule grammar is not installed: keep the text
        return
    try:
        parse_rule(expr)
    except InvalidInput as exc:
        raise InvalidInput(f"{r.source}: {field}: {exc.message}") from None


def parse_rules(r: FieldReader, value: Any) -> tuple[RuleSpec, ...]:
    """The ``rules`` of a spec (None: no rules)."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise r.fail("rules", f"must be a list of rules, got {value!r}")
    rules = []
    for i, item in enumerate(value):
        field = f"rules[{i}]"
        data = r.keys(item, field, ("name", "when", "expr", "actions"))
        key = "when" if "when" in data else "expr"
        expr = r.text(data.get(key), f"{field}.{key}")
        _check_rule(r, expr, f"{field}.{key}")
        name = r.text(data.get("name", f"rule-{i + 1}"), f"{field}.name", name=True)
        actions = data.get("actions") or []
        if not isinstance(actions, (list, tuple)):
            raise r.fail(f"{field}.actions", f"must be a list, got {actions!r}")
        parsed = tuple(_action(r, a, f"{field}.actions[{j}]") for j, a in enumerate(actions))
        rules.append(RuleSpec(name, expr, parsed))
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise r.fail("rules", f"names must be unique, got {names}")
    return tuple(rules)
