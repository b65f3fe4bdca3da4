"""Split a filter or order-by string into tokens, each with its character offset.

Token kinds:

- ``IDENT``: ``prefix.key`` in one token (``metrics.m0``, ``params.`a b```, ``tags."x.y"``);
  ``value`` is the pair ``(prefix, key)`` and ``key_pos`` the offset of the key.
- ``WORD``: a bare word (keywords such as ``AND``, or a bare name such as ``start_time``);
  a backtick-quoted bare name is a ``WORD`` with ``quoted`` set.
- ``STRING``: a single- or double-quoted literal. The quote is escaped by doubling it or
  with a backslash, ``\\\\`` is one backslash, and any other backslash is kept as written
  (so ``'100\\%'`` reaches LIKE as an escaped percent sign).
- ``NUMBER`` (int or float, signed, scientific), ``OP`` (``= != <> < <= > >=``),
  ``LPAREN``, ``RPAREN``, ``COMMA`` and a final ``EOF``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.errors import InvalidFilter

__all__ = ["Token", "tokenize"]

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_OPS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_SINGLE = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}
_QUOTES = "'\"`"
# Operators people bring from other languages, with what to write instead.
_FOREIGN_OPS = {"==": "=", "&&": "AND", "||": "OR", "&": "AND", "|": "OR", "!": "NOT", "~": "LIKE"}


@dataclass(frozen=True)
class Token:
    """One token: its kind, parsed value, raw text and 0-based offset in the source."""

    kind: str
    value: object
    text: str
    pos: int
    key_pos: int = -1
    quoted: bool = False


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The unescaped contents of the quoted literal at ``start`` and the offset after it."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quote != "`" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(nxt if nxt in (quote, "\\") else ch + nxt)
            i += 2
        elif ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                out.append(quote)
                i += 2
            else:
                return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    what = "quoted name" if quote == "`" else "string"
    raise InvalidFilter(f"Unterminated {what}: missing the closing {quote}", text, start)


def _foreign_op(text: str, pos: int) -> None:
    for op in sorted(_FOREIGN_OPS, key=len, reverse=True):
        if text.startswith(op, pos):
            raise InvalidFilter(
                f"Unknown operator {op!r}; write {_FOREIGN_OPS[op]!r} instead", text, pos
            )


def _ident(text: str, pos: int, word: str) -> Token:
    """The ``prefix.key`` token whose prefix ``word`` starts at ``pos``."""
    key_pos = pos + len(word) + 1
    if key_pos < len(text) and text[key_pos] in _QUOTES:
        key, end = _read_quoted(text, key_pos)
        if not key:
            raise InvalidFilter(f"Empty key after '{word}.'", text, key_pos)
        quoted = True
    else:
        match = _BARE_KEY.match(text, key_pos)
        if not match:
            raise InvalidFilter(
                f"Expected a key after '{word}.' (quote it with backticks if it has spaces)",
                text,
                key_pos,
            )
        key, end, quoted = match.group(), match.end(), False
    return Token("IDENT", (word, key), text[pos:end], pos, key_pos, quoted)


def _next(text: str, pos: int) -> Token:
    ch = text[pos]
    if ch in _SINGLE:
        return Token(_SINGLE[ch], ch, ch, pos)
    if ch in _QUOTES:
        contents, end = _read_quoted(text, pos)
        kind = "WORD" if ch == "`" else "STRING"
        return Token(kind, contents, text[pos:end], pos, quoted=True)
    number = _NUMBER.match(text, pos)
    if number:
        end = number.end()
        if end < len(text) and (text[end].isalnum() or text[end] in "_."):
            raise InvalidFilter(f"Malformed number {text[pos : end + 1]!r}", text, pos)
        raw = number.group()
        value: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
        return Token("NUMBER", value, raw, pos)
    word = _WORD.match(text, pos)
    if word:
        if word.end() < len(text) and text[word.end()] == ".":
            return _ident(text, pos, word.group())
        return Token("WORD", word.group(), word.group(), pos)
    if text.startswith("==", pos):
        _foreign_op(text, pos)
    for op in _OPS:
        if text.startswith(op, pos):
            return Token("OP", "!=" if op == "<>" else op, op, pos)
    _foreign_op(text, pos)
    raise InvalidFilter(f"Unexpected character {ch!r}", text, pos)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``EOF`` token; raises InvalidFilter."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        token = _next(text, pos)
        tokens.append(token)
        pos = token.pos + len(token.text)
    tokens.append(Token("EOF", None, "", len(text)))
    return tokens
