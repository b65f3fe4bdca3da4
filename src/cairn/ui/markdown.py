"""Markdown from users (run descriptions) rendered to HTML that is safe to show.

Raw HTML in the source is escaped, not passed through; links and images must be absolute
``http(s)`` URLs (``javascript:``, ``data:``, relative and other schemes are left as plain
text), and every link opens without handing the page to its target.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_SCHEMES = frozenset({"http", "https"})
LINK_REL = "nofollow noopener noreferrer"


def is_safe_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host (what links may point to)."""
    text = url.strip()
    if any(ord(char) < 32 for char in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.netloc)


def render_markdown(source: str) -> Markup:
    """``source`` as HTML: CommonMark plus tables and strikethrough, no raw HTML."""
    return Markup(_parser().render(source))  # the parser escaped everything


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.validateLink = is_safe_url  # type: ignore[method-assign]
    parser.add_render_rule("link_open", _link_open)
    return parser


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("rel", LINK_REL)
    token.attrSet("target", "_blank")
    return self.renderToken(tokens, idx, options, env)  # type: ignore[no-any-return]
