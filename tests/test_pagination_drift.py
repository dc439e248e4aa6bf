"""Paginator details: drift (a listing that changes during the walk), loop checks, page URLs."""

from __future__ import annotations

import logging

import attrs
import pytest
from yarl import URL

import aiodo_projects as do
from aiodo_projects._links import PageUrls
from aiodo_projects._pagination import Paginator
from tests.paging_support import BASE, FIRST, Listing


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_paginator_drift_skips_items_served_twice(
    concurrency: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Two projects were added in front after page 1 was read: page 2 and later shift by two.
    listing = Listing(pages=4, size=5)
    for number in (2, 3, 4):
        listing.totals[number] = 22
        start = (number - 1) * 5 - 2
        listing.items[number] = tuple(range(start, start + 5))
    listing.totals[5] = 22
    listing.items[5] = (18, 19)
    paginator = Paginator(listing, FIRST, BASE, concurrency=concurrency)
    with caplog.at_level(logging.WARNING, logger="aiodo_projects"):
        items = [item async for item in paginator]
    assert items == list(range(20))
    assert paginator.drifted
    assert paginator.duplicates_skipped == 2
    assert "changed while it was walked" in caplog.text


async def test_concurrent_paginator_follows_a_listing_that_grew() -> None:
    listing = Listing(pages=3, size=5)
    for number in (2, 3, 4):
        listing.totals[number] = 17
    paginator = Paginator(listing, FIRST, BASE, concurrency=2)
    items = [item async for item in paginator]
    assert items == list(range(17))
    assert paginator.drifted
    assert paginator.duplicates_skipped == 0
    assert sorted(listing.calls) == [1, 2, 3, 4]


async def test_paginator_without_drift_reports_none() -> None:
    paginator = Paginator(Listing(pages=3), FIRST, BASE, concurrency=2)
    assert [item async for item in paginator] == list(range(30))
    assert not paginator.drifted
    assert paginator.duplicates_skipped == 0


async def test_paginator_aclose_stops_a_sequential_walk() -> None:
    listing = Listing(pages=5)
    async with Paginator(listing, FIRST, BASE) as paginator:
        assert await paginator.__anext__() == 0
    assert [item async for item in paginator] == list(range(1, 10))
    assert listing.calls == [1]


def test_page_urls_change_only_the_page_number() -> None:
    template = URL(
        "https://api.digitalocean.com/v2/items?per_page=5&page=2&name=a%20b", encoded=True
    )
    urls = PageUrls(template)
    assert str(urls(7)) == "https://api.digitalocean.com/v2/items?per_page=5&page=7&name=a%20b"
    assert (
        str(PageUrls(URL("http://127.0.0.1:8/v2/x?page=2"))(3)) == "http://127.0.0.1:8/v2/x?page=3"
    )


async def test_paginator_walks_a_long_listing_of_single_item_pages() -> None:
    listing = Listing(pages=300, size=1)
    paginator = Paginator(listing, BASE / "v2" / "items" % {"page": 1, "per_page": 1}, BASE)
    assert [item async for item in paginator] == list(range(300))
    assert listing.calls == list(range(1, 301))


async def test_paginator_next_link_going_back_raises() -> None:
    listing = Listing(pages=5)

    async def back(url: URL) -> do.Page[int]:
        page = await listing(url)
        if url.query["page"] == "3":
            return attrs.evolve(
                page, links=do.PageLinks(next="https://x/v2/items?page=2&per_page=10")
            )
        return page

    paginator = Paginator(back, FIRST, BASE)
    with pytest.raises(do.DecodeError, match="repeats"):
        async for _ in paginator:
            pass
    assert listing.calls == [1, 2, 3]
