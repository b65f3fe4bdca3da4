"""Parse filter strings and order-by items into the search AST.

The grammar is MLflow's run filter grammar (``metrics.m > 0.5 and params.p = 'a'``) widened
with OR, NOT, parentheses, IN on any key and IS [NOT] NULL::

    filter     := or EOF
    or         := and ("OR" and)*
    and        := not ("AND" not)*
    not        := "NOT" not | "(" or ")" | comparison
    comparison := name op value
    op         := = | != | <> | < | <= | > | >= | [NOT] LIKE | [NOT] ILIKE | [NOT] IN
                | IS [NOT] NULL
    value      := STRING | NUMBER | "(" scalar ("," scalar)* ")"      (a list for IN)
    order_item := name [ASC | DESC]

Keywords are case-insensitive. Every error is an InvalidFilter whose ``position`` is the offset
of the offending token.
"""

from __future__ import annotations

from typing import cast

from cairn.errors import InvalidFilter
from cairn.store.search.ast import And, Comparison, Expr, Not, Or, OrderKey, Scalar, Value
from cairn.store.search.fields import EXPERIMENTS, RUNS, Schema
from cairn.store.search.lexer import Token, tokenize

__all__ = [
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_filter_with",
    "parse_order_by",
    "parse_order_by_with",
]

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "ASC", "DESC"})
MAX_DEPTH = 100  # NOTs and parentheses opened, so that a hostile filter cannot exhaust the stack
_OPS_HINT = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL"


def _describe(token: Token) -> str:
    if token.kind == "EOF":
        return "the end of the filter"
    if token.kind == "STRING":
        return f"the string {token.text}"
    if token.kind == "NUMBER":
        return f"the number {token.text}"
    return repr(token.text)


class _Parser:
    """A recursive-descent parser over the tokens of one string."""

    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def is_word(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "WORD" and not token.quoted and str(token.value).upper() == word

    def fail(self, expected: str, token: Token | None = None) -> InvalidFilter:
        token = token or self.peek()
        return InvalidFilter(f"Expected {expected}, got {_describe(token)}", self.text, token.pos)

    def expect_end(self, expected: str) -> None:
        if self.peek().kind != "EOF":
            raise self.fail(expected)

    def parse_or(self) -> Expr:
        terms = [self.parse_and()]
        while self.is_word("OR"):
            self.advance()
            terms.append(self.parse_and())
        return _combine(Or, terms)

    def parse_and(self) -> Expr:
        terms = [self.parse_not()]
        while self.is_word("AND"):
            self.advance()
            terms.append(self.parse_not())
        return _combine(And, terms)

    def parse_not(self) -> Expr:
        token = self.peek()
        if token.kind != "LPAREN" and not self.is_word("NOT"):
            return self.parse_comparison()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter(
                f"The filter nests NOT and parentheses more than {MAX_DEPTH} deep",
                self.text,
                token.pos,
            )
        self.advance()
        if token.kind == "LPAREN":
            expr = self.parse_or()
            if self.peek().kind == "EOF":
                raise InvalidFilter(
                    "Unbalanced parentheses: this '(' is never closed", self.text, token.pos
                )
            if self.peek().kind != "RPAREN":
                raise self.fail(f"AND, OR or ')' to close the '(' at offset {token.pos}")
            self.advance()
        else:
            expr = Not(self.parse_not())
        self.depth -= 1
        return expr

    def parse_name(self, ordering: bool) -> tuple[str, str]:
        token = self.peek()
        if token.kind == "IDENT":
            prefix, key = cast("tuple[str, str]", token.value)
            self.advance()
            return self.schema.resolve(prefix, key, self.text, token.pos, token.key_pos, ordering)
        bare_ok = ordering or self.schema.bare_attributes_in_filter
        if token.kind == "WORD" and (token.quoted or str(token.value).upper() not in KEYWORDS):
            if not bare_ok:
                raise InvalidFilter(
                    f"Unknown identifier {token.text!r}: prefix it with metrics., params., tags. "
                    f"or attributes. (e.g. attributes.{token.value})",
                    self.text,
                    token.pos,
                )
            self.advance()
            return self.schema.resolve(
                None, str(token.value), self.text, token.pos, token.pos, ordering
            )
        if bare_ok:
            raise self.fail("a name such as tags.<key> or an attribute name")
        raise self.fail(
            "a name such as metrics.<key>, params.<key>, tags.<key> or attributes.<name>"
        )

    def parse_comparison(self) -> Comparison:
        entity, key = self.parse_name(ordering=False)
        op_token = self.peek()
        op = self.parse_op()
        positions = [op_token.pos]
        value: Value = None
        if op in ("IN", "NOT IN"):
            value = self.parse_list(positions)
        elif op not in ("IS NULL", "IS NOT NULL"):
            value = self.parse_scalar(f"a value (a quoted string or a number) after '{op}'")
            positions.append(self.peek(-1).pos)
        self.schema.check(entity, key, op, value, self.text, tuple(positions))
        return Comparison(entity, key, op, value)

    def parse_op(self) -> str:
        token = self.peek()
        if token.kind == "OP":
            self.advance()
            return str(token.value)
        for word in ("LIKE", "ILIKE", "IN"):
            if self.is_word(word):
                self.advance()
                return word
            if self.is_word("NOT") and self.is_word(word, 1):
                self.index += 2
                return "NOT " + word
        if self.is_word("IS"):
            self.advance()
            negated = self.is_word("NOT")
            if negated:
                self.advance()
            if not self.is_word("NULL"):
                raise self.fail("NULL after IS" + (" NOT" if negated else ""))
            self.advance()
            return "IS NOT NULL" if negated else "IS NULL"
        raise self.fail(f"an operator ({_OPS_HINT})")

    def parse_scalar(self, expected: str) -> Scalar:
        token = self.peek()
        if token.kind not in ("STRING", "NUMBER"):
            raise self.fail(expected)
        self.advance()
        return token.value  # type: ignore[return-value]

    def parse_list(self, positions: list[int]) -> tuple[Scalar, ...]:
        if self.peek().kind != "LPAREN":
            raise self.fail("'(' to start the list of values after IN")
        self.advance()
        items = []
        while True:
            positions.append(self.peek().pos)
            items.append(self.parse_scalar("a value (a quoted string or a number) in the list"))
            token = self.advance()
            if token.kind == "RPAREN":
                return tuple(items)
            if token.kind != "COMMA":
                raise self.fail("',' or ')' in the list of values", token)

    def parse_order_item(self) -> OrderKey:
        if self.peek().kind == "EOF":
            raise self.fail("a name to order by")
        entity, key = self.parse_name(ordering=True)
        ascending = True
        if self.is_word("ASC") or self.is_word("DESC"):
            ascending = self.is_word("ASC")
            self.advance()
        self.expect_end("ASC, DESC or the end of the order-by item")
        return OrderKey(entity, key, ascending)


def _combine(kind: type[And] | type[Or], terms: list[Expr]) -> Expr:
    if len(terms) == 1:
        return terms[0]
    flat: list[Expr] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    return kind(tuple(flat))


def _parse(text: str | None, schema: Schema) -> Expr | None:
    if text is None or not text.strip():
        return None
    parser = _Parser(text, schema)
    expr = parser.parse_or()
    parser.expect_end("AND, OR or the end of the filter")
    return expr


def _parse_order(items: list[str] | None, schema: Schema) -> list[OrderKey]:
    return [_Parser(item, schema).parse_order_item() for item in items or ()]


def parse_filter(text: str | None) -> Expr | None:
    """Parse a run filter string; None for an empty one; raises InvalidFilter."""
    return _parse(text, RUNS)


def parse_order_by(items: list[str] | None) -> list[OrderKey]:
    """Parse run order-by items such as ``"metrics.loss DESC"``; raises InvalidFilter."""
    return _parse_order(items, RUNS)


def parse_experiment_filter(text: str | None) -> Expr | None:
    """Parse an experiment filter string (``name``, times, ``tags.<key>``)."""
    return _parse(text, EXPERIMENTS)


def parse_experiment_order_by(items: list[str] | None) -> list[OrderKey]:
    """Parse experiment order-by items (name, experiment_id, creation_time, last_update_time)."""
    return _parse_order(items, EXPERIMENTS)


def parse_filter_with(text: str | None, schema: Schema) -> Expr | None:
    """Parse a filter string for another searchable kind, described by its ``schema``."""
    return _parse(text, schema)


def parse_order_by_with(items: list[str] | None, schema: Schema) -> list[OrderKey]:
    """Parse order-by items for another searchable kind, described by its ``schema``."""
    return _parse_order(items, schema)
