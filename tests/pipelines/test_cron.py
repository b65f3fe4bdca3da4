"""cairn's cron parser: fields, names, aliases, the day-of-month/day-of-week rule, errors;
and a property test against croniter as the oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from croniter import croniter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cairn.errors import InvalidInput
from cairn.pipelines.cron import next_after, parse

T0 = datetime(2026, 11, 26, 19, 17, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * *", datetime(2026, 11, 26, 19, 18)),
        ("0 3 * * *", datetime(2026, 11, 27, 3, 0)),
        ("*/15 * * * *", datetime(2026, 11, 26, 19, 30)),
        ("5/20 * * * *", datetime(2026, 11, 26, 19, 25)),
        ("0 9-17/4 * * mon-fri", datetime(2026, 11, 27, 9, 0)),  # Thursday 19:17 -> Friday
        ("0 0 * * sat,SUN", datetime(2026, 11, 28, 0, 0)),
        ("0 0 * * 7", datetime(2026, 11, 29, 0, 0)),  # 7 is Sunday too
        ("0 0 1 jan *", datetime(2027, 1, 1, 0, 0)),
        ("0 0 29 feb *", datetime(2028, 2, 29, 0, 0)),
        ("30 2 1,15 * *", datetime(2026, 12, 1, 2, 30)),
        # both day fields restricted: either matches (the 1st, or any Friday)
        ("0 0 1 * fri", datetime(2026, 11, 27, 0, 0)),
        # one day field starting with *: both must match (every other day AND Friday)
        ("0 0 */2 * fri", datetime(2026, 11, 27, 0, 0)),
        ("@hourly", datetime(2026, 11, 26, 20, 0)),
        ("@daily", datetime(2026, 11, 27, 0, 0)),
        ("@midnight", datetime(2026, 11, 27, 0, 0)),
        ("@weekly", datetime(2026, 11, 29, 0, 0)),
        ("@monthly", datetime(2026, 12, 1, 0, 0)),
        ("@yearly", datetime(2027, 1, 1, 0, 0)),
        ("@ANNUALLY", datetime(2027, 1, 1, 0, 0)),
    ],
)
def test_next_after(expression: str, expected: datetime) -> None:
    assert next_after(expression, T0) == expected.replace(tzinfo=UTC)


def test_next_after_is_strictly_later_and_in_utc() -> None:
    on_the_minute = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert next_after("0 3 * * *", on_the_minute) == datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    naive = datetime(2026, 1, 1, 2, 59, 59)
    assert next_after("0 3 * * *", naive) == on_the_minute
    berlin = datetime(2026, 1, 1, 3, 30, tzinfo=timezone(timedelta(hours=1)))
    assert next_after("0 3 * * *", berlin) == on_the_minute  # 03:30+01:00 is 02:30 UTC
    assert next_after("59 23 31 12 *", datetime(2026, 12, 31, 23, 59, tzinfo=UTC)).year == 2027


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 3 * *", "has 4 fields; it needs 5: minute hour day-of-month month day-of-week"),
        ("0 3 * * * *", "has 6 fields"),
        ("60 * * * *", "minute field '60': 60 is outside 0-59"),
        ("0 24 * * *", "hour field '24': 24 is outside 0-23"),
        ("0 0 0 * *", "day-of-month field '0': 0 is outside 1-31"),
        ("0 0 * 13 *", "month field '13': 13 is outside 1-12"),
        ("0 0 * foo *", "month field 'foo': 'foo' is not a number or jan..dec"),
        ("0 0 * * mon-fru", "day-of-week field 'mon-fru': 'fru' is not a number or sun..sat"),
        ("0 0 * * 8", "day-of-week field '8': 8 is outside 0-7"),
        ("*/0 * * * *", "minute field '*/0': step '0' must be a whole number > 0"),
        ("1-x/5 * * * *", "minute field '1-x/5': 'x' is not a number"),
        ("5-1 * * * *", "minute field '5-1': range '5-1' runs backwards"),
        ("1,,2 * * * *", "minute field '1,,2': empty value"),
        ("@often", "unknown alias (use @hourly"),
        ("0 0 30 feb *", "never runs: no month it names has day 30"),
    ],
)
def test_bad_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse(expression)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidInput, match="a cron expression is text, got int"):
        parse(5)  # type: ignore[arg-type]


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    single = value.map(str)
    pair = st.tuples(value, value).filter(lambda p: p[0] != p[1])  # croniter mishandles a-a
    span = pair.map(lambda p: f"{min(p)}-{max(p)}")
    step = st.integers(1, high - low + 1)
    stepped = st.one_of(
        step.map(lambda s: f"*/{s}"),
        st.tuples(pair, step).map(lambda p: f"{min(p[0])}-{max(p[0])}/{p[1]}"),
    )
    part = st.one_of(single, span, stepped)
    return st.one_of(st.just("*"), st.lists(part, min_size=1, max_size=3).map(",".join))


EXPRESSIONS = st.tuples(
    _field(0, 59), _field(0, 23), _field(1, 28), _field(1, 12), _field(0, 6)
).map(" ".join)
MOMENTS = st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS, MOMENTS)
def test_agrees_with_croniter(expression: str, moment: datetime) -> None:
    _, _, dom, _, dow = expression.split()
    # croniter ORs the day fields unless told otherwise; Vixie cron (and cairn) AND them
    # whenever one starts with "*", as "*/2" does
    vixie_or = not (dom.startswith("*") or dow.startswith("*"))
    # croniter also treats a day-of-week list naming all seven days as "*"; Vixie cron does not
    assume(dow.startswith("*") or len(parse(expression).weekdays) < 7)
    expected = croniter(expression, moment, day_or=vixie_or).get_next(datetime)
    assert next_after(expression, moment) == expected
