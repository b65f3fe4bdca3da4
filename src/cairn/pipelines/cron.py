"""Cron expressions: the five fields of Vixie cron, parsed once and stepped through in UTC.

``minute hour day-of-month month day-of-week``; each field is ``*``, a value, a range
``a-b``, a step ``*/n``, ``a-b/n`` or ``a/n`` (``a`` to the field's end), or a comma list of
those. Months take ``jan``..``dec`` and days of the week ``sun``..``sat`` (0 or 7 is Sunday).
``@hourly``, ``@daily`` (``@midnight``), ``@weekly``, ``@monthly`` and ``@yearly``
(``@annually``) stand for their usual expressions. As in Vixie cron, when both day fields are
restricted (neither starts with ``*``) a day matches when *either* does; otherwise both must.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from cairn.errors import InvalidInput

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


class _Spec(NamedTuple):
    field: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Spec("minute", 0, 59, {}),
    _Spec("hour", 0, 23, {}),
    _Spec("day-of-month", 1, 31, {}),
    _Spec("month", 1, 12, _MONTHS),
    _Spec("day-of-week", 0, 7, _DAYS),
)
_SEARCH_YEARS = 30  # Feb 29 on a given weekday recurs within 28 years


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the allowed values of each field (Sunday is 0)."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day-of-month starts with "*"
    any_weekday: bool  # day-of-week starts with "*"

    def matches_day(self, day: datetime) -> bool:
        """Whether ``day`` (its date) is one the expression runs on."""
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


def _bad(expression: str, field: str, text: str, why: str) -> InvalidInput:
    return InvalidInput(f"cron expression {expression!r}: {field} field {text!r}: {why}")


def _value(expression: str, spec: _Spec, text: str, token: str) -> int:
    field, low, high, names = spec
    if token.lower() in names:
        return names[token.lower()]
    if not token.isdigit():
        hint = f" or {'..'.join([next(iter(names)), list(names)[-1]])}" if names else ""
        raise _bad(expression, field, text, f"{token!r} is not a number{hint}")
    value = int(token)
    if not low <= value <= high:
        raise _bad(expression, field, text, f"{value} is outside {low}-{high}")
    return value


def _field(expression: str, spec: _Spec, text: str) -> set[int]:
    field, low, high, _ = spec
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise _bad(
                    expression, field, text, f"step {step_text!r} must be a whole number > 0"
                )
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(expression, spec, text, a), _value(expression, spec, text, b)
            if first > last:
                raise _bad(expression, field, text, f"range {base!r} runs backwards")
        elif base:
            first = _value(expression, spec, text, base)
            last = high if slash else first
        else:
            raise _bad(expression, field, text, "empty value (doubled or trailing comma?)")
        values.update(range(first, last + 1, step))
    return values


def parse(expression: str) -> Cron:
    """Parse and validate ``expression``; InvalidInput names the bad field and why."""
    if not isinstance(expression, str):
        raise InvalidInput(f"a cron expression is text, got {type(expression).__name__}")
    text = " ".join(expression.split())
    if text.startswith("@"):
        if text.lower() not in ALIASES:
            known = ", ".join(ALIASES)
            raise InvalidInput(f"cron expression {expression!r}: unknown alias (use {known})")
        text = ALIASES[text.lower()]
    fields = text.split(" ")
    if len(fields) != 5:
        raise InvalidInput(
            f"cron expression {expression!r} has {len(fields)} fields; it needs 5: "
            "minute hour day-of-month month day-of-week (e.g. '0 3 * * *')"
        )
    minute, hour, dom, month, dow = (
        _field(expression, spec, f) for spec, f in zip(_FIELDS, fields, strict=True)
    )
    weekdays = frozenset(d % 7 for d in dow)
    cron = Cron(
        expression=expression,
        minutes=tuple(sorted(minute)),
        hours=tuple(sorted(hour)),
        days=frozenset(dom),
        months=frozenset(month),
        weekdays=weekdays,
        any_day=fields[2].startswith("*"),
        any_weekday=fields[4].startswith("*"),
    )
    if cron.any_weekday or cron.any_day:
        longest = max(29 if m == 2 else calendar.monthrange(2001, m)[1] for m in cron.months)
        if min(cron.days) > longest:
            raise InvalidInput(
                f"cron expression {expression!r} never runs: no month it names has day "
                f"{min(cron.days)}"
            )
    return cron


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def next_after(expression: str | Cron, dt: datetime) -> datetime:
    """The first time strictly after ``dt`` that ``expression`` runs, in UTC (a naive ``dt``
    is taken as UTC)."""
    cron = expression if isinstance(expression, Cron) else parse(expression)
    t = _utc(dt).replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = t.year + _SEARCH_YEARS
    while t.year <= limit:
        if t.month not in cron.months:
            t = (t.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
            continue
        if not cron.matches_day(t):
            t = (t + timedelta(days=1)).replace(hour=0, minute=0)
            continue
        i = bisect_left(cron.hours, t.hour)
        if i == len(cron.hours):
            t = (t + timedelta(days=1)).replace(hour=0, minute=0)
            continue
        if cron.hours[i] != t.hour:
            t = t.replace(hour=cron.hours[i], minute=0)
        j = bisect_left(cron.minutes, t.minute)
        if j == len(cron.minutes):
            t = (t + timedelta(hours=1)).replace(minute=0)
            continue
        return t.replace(minute=cron.minutes[j])
    raise InvalidInput(f"cron expression {cron.expression!r} never runs")
