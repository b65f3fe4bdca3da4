"""Pages of a listing narrowed to what the caller may see.

When the caller may see everything, the store's page is the answer. Otherwise the store is
read on from the request's offset, keeping only visible items, until the page is full; the
next page token carries the store offset where reading stopped, so pages neither repeat nor
skip items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cairn.entities import Page
from cairn.store.search import decode_page_token, encode_page_token

T = TypeVar("T")
_BATCH = 1000


def visible_page(
    search: Callable[[int, str | None], Page],
    experiment_of: Callable[[Any], str],
    visible: set[str] | None,
    max_results: int,
    page_token: str | None,
) -> Page:
    """A page of ``search(max_results, token)`` holding only items of visible experiments."""
    if visible is None:
        return search(max_results, page_token)
    offset = decode_page_token(page_token)
    kept: list[Any] = []
    while True:
        page = search(max(_BATCH, max_results), encode_page_token(offset))
        for index, item in enumerate(page.items):
            if experiment_of(item) not in visible:
                continue
            kept.append(item)
            if len(kept) == max_results:
                more = index + 1 < len(page.items) or page.next_page_token is not None
                token = encode_page_token(offset + index + 1) if more else None
                return Page(kept, token)
        if page.next_page_token is None:
            return Page(kept, None)
        offset += len(page.items)
