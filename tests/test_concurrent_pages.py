"""Concurrent page fetch (``concurrency=N``), driven by a stub fetch whose timing tests control."""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects._pagination import MAX_CONCURRENCY, Paginator
from tests.paging_support import BASE, FIRST, Listing, others, settle

if TYPE_CHECKING:
    from yarl import URL


@pytest.mark.parametrize("concurrency", [2, 4, 8])
async def test_concurrent_paginator_yields_every_item_once_in_page_order(concurrency: int) -> None:
    listing = Listing(pages=13, size=7)
    paginator = Paginator(listing, FIRST, BASE, concurrency=concurrency)
    items = [item async for item in paginator]
    assert items == list(range(13 * 7))
    assert sorted(listing.calls) == list(range(1, 14))
    assert paginator.pages_fetched == 13
    assert paginator.total == 91
    assert not paginator.drifted


async def test_concurrent_paginator_keeps_order_when_pages_finish_backwards() -> None:
    listing = Listing(pages=6)
    listing.gate(2, 3, 4, 5, 6)
    paginator = Paginator(listing, FIRST, BASE, concurrency=5)

    async def release_backwards() -> None:
        await settle()  # the reader has page 1 and pages 2..6 are waiting at their gates
        assert len(listing.calls) == 6
        for number in (6, 5, 4, 3, 2):
            listing.release(number)
            await settle()

    releaser = asyncio.create_task(release_backwards())
    items = [item async for item in paginator]
    await releaser
    assert listing.finished[1:] == [6, 5, 4, 3, 2]
    assert items == list(range(60))


async def test_concurrent_paginator_has_at_most_n_fetches_in_flight() -> None:
    listing = Listing(pages=40, size=3)
    items = [item async for item in Paginator(listing, FIRST, BASE, concurrency=4)]
    assert len(items) == 120
    assert listing.peak == 4


async def test_concurrent_paginator_holds_at_most_n_pages_ahead_of_the_reader() -> None:
    listing = Listing(pages=30)
    paginator = Paginator(listing, FIRST, BASE, concurrency=3)
    assert await paginator.__anext__() == 0
    await settle()
    # page 1 is being read; pages 2..4 are fetched ahead and nothing more starts
    assert sorted(listing.calls) == [1, 2, 3, 4]
    for _ in range(50):
        await paginator.__anext__()
    await settle()
    assert max(listing.calls) == 6 + 3
    await paginator.aclose()


async def test_concurrent_paginator_falls_back_to_meta_total_without_a_last_link() -> None:
    listing = Listing(pages=9, size=5, last_link=False)
    listing.total = 42  # the last page is short
    items = [item async for item in Paginator(listing, FIRST, BASE, concurrency=4)]
    assert items == list(range(42))
    assert sorted(listing.calls) == list(range(1, 10))


async def test_concurrent_paginator_single_page_makes_one_request() -> None:
    listing = Listing(pages=1)
    assert [item async for item in Paginator(listing, FIRST, BASE, concurrency=8)] == list(
        range(10)
    )
    assert listing.calls == [1]


async def test_concurrent_paginator_pages_yields_whole_pages_in_order() -> None:
    listing = Listing(pages=5, size=2)
    paginator = Paginator(listing, FIRST, BASE, concurrency=3)
    pages = [page.items async for page in paginator.pages()]
    assert pages == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]


async def test_concurrent_paginator_failing_page_raises_and_cancels_its_siblings() -> None:
    listing = Listing(pages=10)
    listing.gate(3, 4, 5)
    listing.failures[2] = do.NotFoundError(404, "not_found", "gone")
    paginator = Paginator(listing, FIRST, BASE, concurrency=4)
    seen: list[int] = []
    with pytest.raises(do.NotFoundError):
        async for item in paginator:
            seen.append(item)
    assert seen == list(range(10))  # page 1, then the error: never a silently short list
    assert sorted(listing.cancelled) == [3, 4, 5]
    assert max(listing.calls) == 5  # nothing was started after the failure
    assert not others()
    with pytest.raises(do.NotFoundError):
        await paginator.__anext__()


async def test_concurrent_paginator_failure_ahead_of_the_reader_stops_the_walk() -> None:
    listing = Listing(pages=10)
    listing.failures[4] = do.ServerError(503, "unavailable", "try later")
    paginator = Paginator(listing, FIRST, BASE, concurrency=4)
    assert await paginator.__anext__() == 0
    await settle()  # pages 2..5 finish meanwhile, page 4 with an error
    with pytest.raises(do.ServerError):
        while True:
            await paginator.__anext__()
    assert not others()


async def test_concurrent_paginator_failing_first_page_raises() -> None:
    listing = Listing(pages=3)
    listing.failures[1] = do.AuthenticationError(401, "unauthorized", "bad token")
    with pytest.raises(do.AuthenticationError):
        await Paginator(listing, FIRST, BASE, concurrency=4).__anext__()
    assert listing.calls == [1]


async def test_concurrent_paginator_cancelling_the_reader_cancels_the_fetches() -> None:
    listing = Listing(pages=10)
    listing.gate(2, 3, 4)
    paginator = Paginator(listing, FIRST, BASE, concurrency=3)
    reached = asyncio.Event()

    async def read() -> list[int]:
        items = []
        async for item in paginator:
            items.append(item)
            if item == 9:
                reached.set()
        return items

    reader = asyncio.create_task(read())
    await reached.wait()
    await settle()
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert sorted(listing.cancelled) == [2, 3, 4]
    assert not others()


async def test_concurrent_paginator_aclose_cancels_and_ends_iteration() -> None:
    listing = Listing(pages=10)
    listing.gate(2, 3)
    paginator = Paginator(listing, FIRST, BASE, concurrency=2)
    assert await paginator.__anext__() == 0
    await settle()
    await paginator.aclose()
    assert sorted(listing.cancelled) == [2, 3]
    assert not others()
    remaining = [item async for item in paginator]
    assert remaining == list(range(1, 10))  # the page already read, then the end
    assert max(listing.calls) == 3


async def test_concurrent_paginator_async_with_closes_on_break() -> None:
    listing = Listing(pages=10)
    listing.gate(2, 3, 4)
    async with Paginator(listing, FIRST, BASE, concurrency=3) as paginator:
        async for item in paginator:
            await settle()  # let pages 2..4 start (they wait on their gates)
            if item == 5:
                break
    assert sorted(listing.cancelled) == [2, 3, 4]
    assert not others()


async def test_concurrent_paginator_early_break_leaves_no_task_running() -> None:
    listing = Listing(pages=10)
    listing.gate(2, 3, 4)
    async for item in Paginator(listing, FIRST, BASE, concurrency=3):
        await settle()  # let pages 2..4 start (they wait on their gates)
        if item == 5:
            break
    gc.collect()  # the finalizer runs at once on CPython; collect for other interpreters
    await settle()
    assert sorted(listing.cancelled) == [2, 3, 4]
    assert not others()


async def test_concurrent_paginator_abandoned_failure_is_not_logged_as_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listing = Listing(pages=4)
    listing.failures[3] = do.ServerError(500, "server_error", "boom")
    paginator = Paginator(listing, FIRST, BASE, concurrency=3)
    assert await paginator.__anext__() == 0
    await settle()
    del paginator
    gc.collect()
    await settle()
    assert "never retrieved" not in caplog.text
    assert not others()


@pytest.mark.parametrize("concurrency", [0, -1, MAX_CONCURRENCY + 1, 2.0, True, "4"])
def test_paginator_rejects_a_bad_concurrency(concurrency: object) -> None:
    with pytest.raises(do.ValidationError, match="concurrency"):
        Paginator(Listing(pages=1), FIRST, BASE, concurrency=concurrency)  # type: ignore[arg-type]


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_paginator_refuses_a_next_link_without_a_page_number(concurrency: int) -> None:
    async def fetch(_: URL) -> do.Page[int]:
        return do.Page(items=(1,), total=2, links=do.PageLinks(next="https://x/v2/items?c=abc"))

    paginator = Paginator(fetch, FIRST, BASE, concurrency=concurrency)
    assert await paginator.__anext__() == 1  # the page is yielded, as a sequential walk does
    with pytest.raises(do.DecodeError, match="no page number"):
        await paginator.__anext__()


async def test_concurrent_paginator_reports_a_fetch_cancelled_from_outside() -> None:
    listing = Listing(pages=3)
    listing.gate(2, 3)
    paginator = Paginator(listing, FIRST, BASE, concurrency=2)
    assert await paginator.__anext__() == 0
    await settle()
    for task in others():
        task.cancel()
    for _ in range(9):
        await paginator.__anext__()
    with pytest.raises(RuntimeError, match="cancelled outside"):
        await paginator.__anext__()
    assert not others()
