"""The search grammar: filter strings and order-by items parsed once into an AST.

The AST is pure data; ``cairn.store.sql.search_compiler`` turns it into SQL.
"""

from __future__ import annotations

from cairn.store.search.ast import (
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
    format_filter,
)
from cairn.store.search.paging import decode_page_token, encode_page_token
from cairn.store.search.parser import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)

__all__ = [
    "ATTRIBUTE",
    "METRIC",
    "PARAM",
    "TAG",
    "And",
    "Comparison",
    "Expr",
    "Not",
    "Or",
    "OrderKey",
    "decode_page_token",
    "encode_page_token",
    "format_filter",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_order_by",
]
