"""Pages narrowed to the experiments a caller may see: full pages, no repeats, no gaps."""

from __future__ import annotations

import pytest

from cairn.entities import Page
from cairn.server.mlflow.paging import visible_page
from cairn.store.search import decode_page_token, encode_page_token

ITEMS = [f"{i % 4}:{i}" for i in range(2500)]  # experiment id, then a serial number


def _search(max_results: int, token: str | None) -> Page:
    start = decode_page_token(token)
    end = start + max_results
    return Page(ITEMS[start:end], encode_page_token(end) if end < len(ITEMS) else None)


def _all_pages(visible: set[str] | None, size: int) -> list[list[str]]:
    pages, token = [], None
    while True:
        page = visible_page(_search, lambda item: item.split(":")[0], visible, size, token)
        pages.append(page.items)
        token = page.next_page_token
        if token is None:
            return pages


@pytest.mark.parametrize("size", [1, 7, 1000, 3000])
def test_narrowed_pages_are_full_and_cover_every_visible_item_once(size):
    pages = _all_pages({"1", "3"}, size)
    flat = [item for page in pages for item in page]
    assert flat == [item for item in ITEMS if item.split(":")[0] in {"1", "3"}]
    assert all(len(page) == size for page in pages[:-1])
    assert 0 < len(pages[-1]) <= size


def test_everything_visible_is_the_stores_own_page():
    assert _all_pages(None, 1000) == [ITEMS[:1000], ITEMS[1000:2000], ITEMS[2000:]]


def test_nothing_visible_is_one_empty_page():
    assert _all_pages(set(), 10) == [[]]
