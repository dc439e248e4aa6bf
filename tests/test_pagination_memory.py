"""A walk holds the page being read and nothing older: earlier pages are free when the next comes.

Items here are small objects that weak references can watch; CPython frees each the moment the
last reference to it goes, so a page still alive is one the walk (or the test) still holds.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects._pagination import Paginator
from tests.paging_support import BASE, FIRST

if TYPE_CHECKING:
    from yarl import URL

PAGES = 6
SIZE = 10


class Item:
    __slots__ = ("__weakref__", "id")

    def __init__(self, item_id: int) -> None:
        self.id = item_id


class WatchedListing:
    """Pages of ``Item``; each fetch records which items of earlier pages are still alive."""

    def __init__(self, total_change_at: int | None = None) -> None:
        self.watched: dict[int, list[weakref.ref[Item]]] = {}
        self.alive_at_fetch: dict[int, set[int]] = {}
        self.total_change_at = total_change_at

    async def __call__(self, url: URL) -> do.Page[Item]:
        number = int(url.query["page"])
        self.alive_at_fetch[number] = {
            item.id for refs in self.watched.values() for ref in refs if (item := ref()) is not None
        }
        items = tuple(Item((number - 1) * SIZE + index) for index in range(SIZE))
        self.watched[number] = [weakref.ref(item) for item in items]
        link = f"https://h/v2/items?page={number + 1}&per_page={SIZE}" if number < PAGES else None
        total = PAGES * SIZE
        if self.total_change_at is not None and number >= self.total_change_at:
            total += 1
        return do.Page(items=items, total=total, links=do.PageLinks(next=link))


def _key(item: Item) -> int:
    return item.id


@pytest.mark.parametrize("total_change_at", [None, 3])
async def test_async_for_frees_every_page_before_fetching_the_next(
    total_change_at: int | None,
) -> None:
    listing = WatchedListing(total_change_at)
    seen = []
    async for item in Paginator(listing, FIRST, BASE, key=_key):
        seen.append(item.id)
    assert seen == list(range(PAGES * SIZE))
    for number in range(2, PAGES + 1):
        # Only the item the loop variable still holds: the last one of the page before.
        assert listing.alive_at_fetch[number] == {(number - 1) * SIZE - 1}, number


async def test_anext_frees_every_page_before_fetching_the_next() -> None:
    listing = WatchedListing()
    paginator = Paginator(listing, FIRST, BASE, key=_key)
    ids = [(await anext(paginator)).id for _ in range(PAGES * SIZE)]
    assert ids == list(range(PAGES * SIZE))
    for number in range(2, PAGES + 1):
        assert listing.alive_at_fetch[number] == set(), number
