"""The search grammar: filter strings and order-by items to AST, and every error's position."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.errors import InvalidFilter, InvalidInput
from cairn.store.search import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    And,
    Comparison,
    Expr,
    Not,
    Or,
    OrderKey,
    decode_page_token,
    encode_page_token,
    format_filter,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)


def m(key: str, op: str, value: object = None) -> Comparison:
    return Comparison(METRIC, key, op, value)  # type: ignore[arg-type]


def p(key: str, op: str, value: object = None) -> Comparison:
    return Comparison(PARAM, key, op, value)  # type: ignore[arg-type]


def t(key: str, op: str, value: object = None) -> Comparison:
    return Comparison(TAG, key, op, value)  # type: ignore[arg-type]


def a(key: str, op: str, value: object = None) -> Comparison:
    return Comparison(ATTRIBUTE, key, op, value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_empty_filter_is_none(text: str | None) -> None:
    assert parse_filter(text) is None
    assert parse_experiment_filter(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.m0 > 0.5", m("m0", ">", 0.5)),
        ("metrics.m0 >= 1", m("m0", ">=", 1)),
        ("metrics.m0 < -2.5e-3", m("m0", "<", -0.0025)),
        ("metrics.m0 <= .5", m("m0", "<=", 0.5)),
        ("metrics.m0 = 1E3", m("m0", "=", 1000.0)),
        ("metrics.m0 != +7", m("m0", "!=", 7)),
        ("metrics.m0 <> 7", m("m0", "!=", 7)),
        ("metrics.m0 IN (1, 2.5)", m("m0", "IN", (1, 2.5))),
        ("metrics.m0 not in (1)", m("m0", "NOT IN", (1,))),
        ("metrics.m0 IS NULL", m("m0", "IS NULL")),
        ("metrics.m0 is not null", m("m0", "IS NOT NULL")),
        ("params.p = 'a'", p("p", "=", "a")),
        ('params.p = "a"', p("p", "=", "a")),
        ("params.p != 'a'", p("p", "!=", "a")),
        ("params.p LIKE 'a%'", p("p", "LIKE", "a%")),
        ("params.p like 'a%'", p("p", "LIKE", "a%")),
        ("params.p ILIKE 'a%'", p("p", "ILIKE", "a%")),
        ("params.p NOT LIKE 'a%'", p("p", "NOT LIKE", "a%")),
        ("params.p not ilike 'a%'", p("p", "NOT ILIKE", "a%")),
        ("params.p IN ('a', \"b\")", p("p", "IN", ("a", "b"))),
        ("params.lr < 0.01", p("lr", "<", 0.01)),
        ("params.lr = 0.01", p("lr", "=", 0.01)),
        ("params.lr = '0.01'", p("lr", "=", "0.01")),
        ("params.lr IN (1, 2)", p("lr", "IN", (1, 2))),
        ("params.p IS NULL", p("p", "IS NULL")),
        ("tags.t = 'x'", t("t", "=", "x")),
        ("tags.t IS NOT NULL", t("t", "IS NOT NULL")),
        ("attributes.status = 'FINISHED'", a("status", "=", "FINISHED")),
        ("attributes.run_id IN ('a', 'b')", a("run_id", "IN", ("a", "b"))),
        ("attributes.start_time > 100", a("start_time", ">", 100)),
        ("attributes.end_time IS NULL", a("end_time", "IS NULL")),
        ("attributes.run_name ILIKE '%x%'", a("run_name", "ILIKE", "%x%")),
    ],
)
def test_every_operator(text: str, expected: Comparison) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metric.m = 1", m("m", "=", 1)),
        ("METRICS.m = 1", m("m", "=", 1)),
        ("param.p = 'a'", p("p", "=", "a")),
        ("parameters.p = 'a'", p("p", "=", "a")),
        ("tag.t = 'a'", t("t", "=", "a")),
        ("attribute.status = 'a'", a("status", "=", "a")),
        ("attr.status = 'a'", a("status", "=", "a")),
        ("run.status = 'a'", a("status", "=", "a")),
        ("attributes.created > 5", a("start_time", ">", 5)),
        ("attributes.Created > 5", a("start_time", ">", 5)),
        ("attributes.`run name` = 'x'", a("run_name", "=", "x")),
    ],
)
def test_prefix_and_attribute_aliases(text: str, expected: Comparison) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.`my metric` > 1", m("my metric", ">", 1)),
        ("params.\"a b\" = 'x'", p("a b", "=", "x")),
        ("params.'a b' = 'x'", p("a b", "=", "x")),
        ("metrics.`a.b-c` > 1", m("a.b-c", ">", 1)),
        ("metrics.a.b > 1", m("a.b", ">", 1)),
        ("metrics.loss/val > 1", m("loss/val", ">", 1)),
        ("metrics.`a``b` > 1", m("a`b", ">", 1)),
        ("tags.t = 'it''s'", t("t", "=", "it's")),
        ("tags.t = 'it\\'s'", t("t", "=", "it's")),
        ('tags.t = "say ""hi"""', t("t", "=", 'say "hi"')),
        ("tags.t = 'a\\\\b'", t("t", "=", "a\\b")),
        ("tags.t LIKE '100\\%'", t("t", "LIKE", "100\\%")),
        ("tags.t = 'AND OR ()'", t("t", "=", "AND OR ()")),
        ("tags.t = ''", t("t", "=", "")),
        ("tags.t = 'ünï €'", t("t", "=", "ünï €")),
        ("metrics.m>-1", m("m", ">", -1)),
    ],
)
def test_quoting(text: str, expected: Comparison) -> None:
    assert parse_filter(text) == expected


X, Y, Z = m("x", ">", 1), m("y", ">", 2), m("z", ">", 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.x > 1 AND metrics.y > 2", And((X, Y))),
        ("metrics.x > 1 and metrics.y > 2 AnD metrics.z > 3", And((X, Y, Z))),
        ("metrics.x > 1 OR metrics.y > 2 AND metrics.z > 3", Or((X, And((Y, Z))))),
        ("metrics.x > 1 AND metrics.y > 2 OR metrics.z > 3", Or((And((X, Y)), Z))),
        ("(metrics.x > 1 OR metrics.y > 2) AND metrics.z > 3", And((Or((X, Y)), Z))),
        ("NOT metrics.x > 1 AND metrics.y > 2", And((Not(X), Y))),
        ("NOT (metrics.x > 1 AND metrics.y > 2)", Not(And((X, Y)))),
        ("not not metrics.x > 1", Not(Not(X))),
        ("((metrics.x > 1))", X),
        ("metrics.x > 1 AND (metrics.y > 2 AND metrics.z > 3)", And((X, Y, Z))),
        ("metrics.x > 1 OR (metrics.y > 2 OR metrics.z > 3)", Or((X, Y, Z))),
        ("NOT metrics.x > 1 OR NOT metrics.y > 2", Or((Not(X), Not(Y)))),
    ],
)
def test_precedence_not_and_or(text: str, expected: Expr) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("metrics.m0 > 'a'", 13, "compares numbers"),
        ("metrics.m0 LIKE 1", 11, "Operator 'LIKE' does not apply"),
        ("metrics.m0 IN (1, 'b')", 18, "got the string 'b'"),
        ("tags.t = 1", 9, "quote it"),
        ("tags.t > 'a'", 7, "Operator '>' does not apply"),
        ("params.p < 'a'", 11, "needs a number"),
        ("params.p LIKE 1", 9, "Operator 'LIKE' does not apply"),
        ("params.p LIKE 'a\\'", 14, "Unterminated string"),
        ("params.p LIKE 'a\\\\'", 14, "ends with a backslash"),
        ("attributes.status > 1", 18, "Operator '>' does not apply"),
        ("attributes.start_time = 'x'", 24, "compares numbers"),
        ("attributes.status IS NULL", 18, "never null"),
        ("attributes.stauts = 'x'", 11, "Did you mean 'status'?"),
        ("attributes.run_nam = 'x'", 11, "Did you mean 'run_name'"),
        ("metricz.m > 1", 0, "Did you mean 'metric' or 'metrics'?"),
        ("datasets.name = 'x'", 0, "Unknown entity 'datasets'"),
        ("status = 'x'", 0, "attributes.status"),
        ("metrics. > 1", 8, "Expected a key after 'metrics.'"),
        ("metrics.`` > 1", 8, "Empty key"),
        ("metrics.m >", 11, "Expected a value"),
        ("metrics.m", 9, "Expected an operator"),
        ("metrics.m 1", 10, "Expected an operator"),
        ("metrics.m ~ 1", 10, "Unknown operator '~'"),
        ("metrics.m == 1", 10, "Unknown operator '=='"),
        ("metrics.m > 1 && metrics.n > 1", 14, "write 'AND'"),
        ("metrics.m > 1 | metrics.n > 1", 14, "write 'OR'"),
        ("metrics.m > 1 # x", 14, "Unexpected character '#'"),
        ("(metrics.m > 1", 0, "Unbalanced parentheses"),
        ("((metrics.m > 1) AND (metrics.n > 1)", 0, "never closed"),
        ("metrics.m > 1)", 13, "got ')'"),
        ("metrics.m > 1 (", 14, "got '('"),
        ("metrics.m > 1 metrics.n > 2", 14, "got 'metrics.n'"),
        ("metrics.m > 1 AND", 17, "got the end of the filter"),
        ("AND metrics.m > 1", 0, "got 'AND'"),
        ("metrics.m > 1 OR OR metrics.n > 1", 17, "got 'OR'"),
        ("()", 1, "got ')'"),
        ("NOT", 3, "Expected a name"),
        ("tags.t = 'abc", 9, "Unterminated string"),
        ('tags.t = "abc', 9, "Unterminated string"),
        ("metrics.`abc > 1", 8, "Unterminated quoted name"),
        ("metrics.m IN 1", 13, "'(' to start the list"),
        ("metrics.m IN ()", 14, "Expected a value"),
        ("metrics.m IN (1 2)", 16, "',' or ')'"),
        ("metrics.m IN (1,", 16, "Expected a value"),
        ("metrics.m IN (1", 15, "',' or ')'"),
        ("metrics.m IS 1", 13, "NULL after IS"),
        ("metrics.m IS NOT 1", 17, "NULL after IS NOT"),
        ("metrics.m > 1.2.3", 12, "Malformed number"),
        ("metrics.m > 12abc", 12, "Malformed number"),
        ("metrics.m > null", 12, "Expected a value"),
        ("1 = metrics.m", 0, "Expected a name"),
        ("'x' = tags.t", 0, "Expected a name"),
    ],
)
def test_errors_point_at_the_offending_token(text: str, position: int, fragment: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text)
    assert caught.value.position == position, caught.value.message
    assert fragment in caught.value.message
    assert caught.value.text == text
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (None, []),
        ([], []),
        (["metrics.m0 DESC"], [OrderKey(METRIC, "m0", False)]),
        (["params.p"], [OrderKey(PARAM, "p", True)]),
        (["tags.t ASC"], [OrderKey(TAG, "t", True)]),
        (["tags.`a b` desc"], [OrderKey(TAG, "a b", False)]),
        (["attributes.start_time"], [OrderKey(ATTRIBUTE, "start_time", True)]),
        (
            ["start_time DESC", "run_name"],
            [OrderKey(ATTRIBUTE, "start_time", False), OrderKey(ATTRIBUTE, "run_name", True)],
        ),
        (["created"], [OrderKey(ATTRIBUTE, "start_time", True)]),
        (["`run name`"], [OrderKey(ATTRIBUTE, "run_name", True)]),
    ],
)
def test_order_by(items: list[str] | None, expected: list[OrderKey]) -> None:
    assert parse_order_by(items) == expected


@pytest.mark.parametrize(
    ("item", "position", "fragment"),
    [
        ("", 0, "Expected a name to order by"),
        ("metrics.m0 DOWN", 11, "ASC, DESC"),
        ("metrics.m0 DESC ASC", 16, "ASC, DESC"),
        ("start_tim", 0, "Did you mean 'start_time'?"),
        ("DESC", 0, "Expected a name"),
        ("foo.x", 0, "Unknown entity"),
    ],
)
def test_order_by_errors(item: str, position: int, fragment: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_order_by(["metrics.ok", item])
    assert caught.value.position == position
    assert fragment in caught.value.message
    assert caught.value.text == item


def test_experiment_filter() -> None:
    assert parse_experiment_filter("name = 'x'") == a("name", "=", "x")
    assert parse_experiment_filter("attributes.name ILIKE 'x%'") == a("name", "ILIKE", "x%")
    assert parse_experiment_filter("creation_time > 5 AND tags.k != 'v'") == And(
        (a("creation_time", ">", 5), t("k", "!=", "v"))
    )
    assert parse_experiment_filter("last_update_time <= 1") == a("last_update_time", "<=", 1)
    with pytest.raises(InvalidFilter, match="Did you mean 'name'"):
        parse_experiment_filter("nmae = 'x'")
    with pytest.raises(InvalidFilter, match="compares numbers"):
        parse_experiment_filter("creation_time > '5'")
    with pytest.raises(InvalidFilter, match="Unknown entity 'metrics'") as caught:
        parse_experiment_filter("metrics.m > 1")
    assert caught.value.position == 0
    with pytest.raises(InvalidFilter, match="Unknown experiment attribute 'experiment_id'"):
        parse_experiment_filter("experiment_id = 1")


def test_experiment_order_by() -> None:
    assert parse_experiment_order_by(
        ["name", "experiment_id DESC", "attributes.creation_time", "last_update_time asc"]
    ) == [
        OrderKey(ATTRIBUTE, "name"),
        OrderKey(ATTRIBUTE, "experiment_id", False),
        OrderKey(ATTRIBUTE, "creation_time"),
        OrderKey(ATTRIBUTE, "last_update_time"),
    ]
    with pytest.raises(InvalidFilter, match="Unknown experiment attribute"):
        parse_experiment_order_by(["status"])


def test_deep_nesting_is_an_invalid_filter_not_a_crash() -> None:
    assert parse_filter("(" * 50 + "metrics.m > 1" + ")" * 50) == m("m", ">", 1)
    wide = " AND ".join(["(NOT metrics.m > 1)"] * 300)
    assert parse_filter(wide) == And((Not(m("m", ">", 1)),) * 300)
    for text in ("(" * 5000 + "metrics.m > 1" + ")" * 5000, "NOT " * 5000 + "metrics.m > 1"):
        with pytest.raises(InvalidFilter, match="more than 100 deep") as caught:
            parse_filter(text)
        assert caught.value.position is not None and caught.value.position < 500


def test_format_filter_examples() -> None:
    assert format_filter(None) == ""
    expr = parse_filter("NOT (metrics.`a b` > 1 OR tags.t = 'it''s') AND params.p IN (1, 2)")
    text = format_filter(expr)
    assert text == "NOT (metrics.`a b` > 1 OR tags.t = 'it''s') AND params.p IN (1, 2)"
    assert parse_filter(text) == expr


def test_page_tokens() -> None:
    for offset in (0, 1, 100, 10**12):
        token = encode_page_token(offset)
        assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
        assert decode_page_token(token) == offset
    assert decode_page_token(None) == 0
    assert decode_page_token("") == 0
    for bad in ("!!!", "abc", "eyJvZmZzZXQiOiAtMX0", "WzFd", "eyJvZmZzZXQiOnRydWV9", "é"):
        with pytest.raises(InvalidInput, match="Invalid page token") as caught:
            decode_page_token(bad)
        assert repr(bad) in caught.value.message
    with pytest.raises(InvalidInput):
        encode_page_token(-1)


# -- property tests -----------------------------------------------------------------------

_OPS_NUMBER = ["=", "!=", "<", "<=", ">", ">="]
_OPS_STRING = ["=", "!=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"]
_numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
)
_strings = st.text(max_size=12)
_patterns = _strings.filter(lambda s: not s.endswith("\\"))
_keys = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True), st.text(min_size=1, max_size=8)
)


@st.composite
def _comparisons(draw: st.DrawFn) -> Comparison:
    entity = draw(st.sampled_from([METRIC, PARAM, TAG, ATTRIBUTE]))
    if entity == ATTRIBUTE:
        key = draw(st.sampled_from(["run_id", "run_name", "status", "start_time", "end_time"]))
        numeric = key.endswith("_time")
    else:
        key = draw(_keys)
        numeric = {METRIC: True, TAG: False, PARAM: draw(st.booleans())}[entity]
    scalars = _numbers if numeric else _strings
    shape = draw(st.sampled_from(["op", "in", "null"]))
    if shape == "null" and (entity != ATTRIBUTE or key == "end_time"):
        return Comparison(entity, key, draw(st.sampled_from(["IS NULL", "IS NOT NULL"])))
    if shape == "in":
        values = tuple(draw(st.lists(scalars, min_size=1, max_size=3)))
        return Comparison(entity, key, draw(st.sampled_from(["IN", "NOT IN"])), values)
    op = draw(st.sampled_from(_OPS_NUMBER if numeric else _OPS_STRING))
    value = draw(_patterns if "LIKE" in op else scalars)
    return Comparison(entity, key, op, value)


def _flat(kind: type[And] | type[Or], terms: list[Expr]) -> Expr:
    out: list[Expr] = []
    for term in terms:
        out.extend(term.terms if isinstance(term, kind) else [term])
    return kind(tuple(out))


_exprs = st.recursive(
    _comparisons(),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: _flat(And, ts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: _flat(Or, ts)),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_formatted_filters_parse_back(expr: Expr) -> None:
    assert parse_filter(format_filter(expr)) == expr


def _spell(word: str, draw: st.DrawFn) -> str:
    """A keyword in random letter case."""
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.lower() if flip else c for c, flip in zip(word, flips, strict=True))


@st.composite
def _written(draw: st.DrawFn, depth: int = 0) -> tuple[str, Expr]:
    """A filter written the way people do (aliases, quoting, case, spacing) and its AST."""
    space = draw(st.sampled_from([" ", "  ", "\t", "\n "]))
    if depth < 2 and draw(st.booleans()):
        parts = [draw(_written(depth + 1)) for _ in range(draw(st.integers(2, 3)))]
        word = draw(st.sampled_from(["AND", "OR"]))
        text = f"{space}{_spell(word, draw)}{space}".join(f"({s})" for s, _ in parts)
        expr = _flat(And if word == "AND" else Or, [e for _, e in parts])
        if draw(st.booleans()):
            return f"{_spell('NOT', draw)} ({text})", Not(expr)
        return text, expr
    prefix, entity = draw(
        st.sampled_from(
            [
                ("metrics", METRIC),
                ("metric", METRIC),
                ("params", PARAM),
                ("param", PARAM),
                ("tags", TAG),
                ("tag", TAG),
            ]
        )
    )
    key = draw(st.from_regex(r"[a-z][a-z0-9_ .-]{0,6}", fullmatch=True))
    quote = draw(st.sampled_from(["`", '"'])) if not key.replace("_", "a").isalnum() else ""
    name = f"{prefix}.{quote}{key}{quote}"
    if entity == METRIC:
        number = draw(st.integers(-1000, 1000))
        op = draw(st.sampled_from(_OPS_NUMBER))
        return f"{name}{space}{op}{space}{number}", Comparison(entity, key, op, number)
    if draw(st.booleans()):
        negated = draw(st.booleans())
        op = "IS NOT NULL" if negated else "IS NULL"
        words = " ".join(_spell(w, draw) for w in op.split())
        return f"{name} {words}", Comparison(entity, key, op)
    value = draw(st.from_regex(r"[a-z%_]{0,5}", fullmatch=True))
    op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE", "NOT LIKE"]))
    words = " ".join(_spell(w, draw) for w in op.split())
    q = draw(st.sampled_from(["'", '"']))
    return f"{name}{space}{words}{space}{q}{value}{q}", Comparison(entity, key, op, value)


@settings(max_examples=300, deadline=None)
@given(_written())
def test_written_filters_parse_to_their_ast(case: tuple[str, Expr]) -> None:
    text, expected = case
    assert parse_filter(text) == expected


_pieces = st.sampled_from(
    [
        "metrics.m",
        "params.p",
        "tags.t",
        "attributes.status",
        "attributes.end_time",
        "status",
        "(",
        ")",
        ",",
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "NULL",
        "LIKE",
        "ILIKE",
        "=",
        "!=",
        "<",
        ">=",
        "==",
        "1",
        "-2.5e3",
        "1.2.3",
        "'x'",
        '"y"',
        "'",
        '"',
        "`",
        "\\",
        "%",
        "~",
        ".",
        "",
    ]
)


def _parses_or_raises_invalid_filter(text: str) -> None:
    try:
        parse_filter(text)
    except InvalidFilter as exc:
        assert exc.position is not None and 0 <= exc.position <= len(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_garbage_text_never_raises_anything_else(text: str) -> None:
    _parses_or_raises_invalid_filter(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(_pieces, max_size=12).map(" ".join))
def test_token_soup_never_raises_anything_else(text: str) -> None:
    _parses_or_raises_invalid_filter(text)
    with contextlib.suppress(InvalidFilter):
        parse_order_by([text])
