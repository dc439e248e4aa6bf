"""Listings that lie: overstated totals, links that drop per_page, leave the collection or loop."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest
from yarl import URL

import aiodo_projects as do
from aiodo_projects._links import ListingPages
from aiodo_projects._pagination import Paginator
from tests.conftest import TOKEN
from tests.paging_support import BASE, FIRST, Listing, StubListing, others, settle

if TYPE_CHECKING:
    from collections.abc import Callable

BOTH = pytest.mark.parametrize("concurrency", [1, 8])


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def _ids(stub: StubListing, *, per_page: int, concurrency: int) -> list[str]:
    async with do.Client(token=TOKEN, base_url=stub.base_url) as client:
        iterator = client.projects.iter_all(per_page=per_page, concurrency=concurrency)
        async with asyncio.timeout(10):  # a walk that does not stop fails instead of hanging
            return [project.id async for project in iterator]


@BOTH
async def test_iter_all_stops_at_the_real_end_when_total_and_last_overstate(
    concurrency: int,
) -> None:
    async with StubListing(3) as stub:
        stub.claimed_total = 10**9
        assert await _ids(stub, per_page=1, concurrency=concurrency) == stub.ids
    assert sorted(stub.pages_requested())[:3] == [1, 2, 3]
    assert len(stub.received) <= 3 + concurrency - 1  # beyond page 3, only what was in flight


@BOTH
async def test_iter_all_sends_per_page_on_every_page_when_links_drop_it(concurrency: int) -> None:
    async with StubListing(1000) as stub:
        stub.per_page_in_links = False  # page 2 of the links would be 20 projects, not 200
        assert await _ids(stub, per_page=200, concurrency=concurrency) == stub.ids
    assert [url.query.get("per_page") for url in stub.received] == ["200"] * 5


HOSTILE_LINKS: dict[str, Callable[[str, int], str]] = {
    "another endpoint": lambda base, _: f"{base}/v2/account/keys?page=2",
    "dot segments": lambda base, _: f"{base}/v2/projects/../droplets?page=2",
    "encoded dot segments": lambda base, _: f"{base}/v2/projects/%2e%2e/droplets?page=2",
    "a sub-path": lambda base, n: f"{base}/v2/projects/{n}?page={n + 1}",
    # a fine link on page 1, a repeat on page 2
    "page 2 with junk": lambda base, n: f"{base}/v2/projects?page=2&junk={n}",
    "no page number": lambda base, n: f"{base}/v2/projects?per_page=1&n={n}",
    "a page number that is not one": lambda base, _: f"{base}/v2/projects?page=%C2%B2",
    "a huge page number": lambda base, _: f"{base}/v2/projects?page={'9' * 5000}",
    "two page numbers": lambda base, n: f"{base}/v2/projects?page={n + 1}&page={n + 2}",
    "a skip": lambda base, n: f"{base}/v2/projects?page={n + 2}",
}


@BOTH
@pytest.mark.parametrize("shape", HOSTILE_LINKS, ids=list(HOSTILE_LINKS))
async def test_iter_all_refuses_a_next_link_that_leaves_the_listing_or_makes_no_progress(
    concurrency: int, shape: str
) -> None:
    async with StubListing(50) as stub:
        stub.next_link = lambda number: HOSTILE_LINKS[shape](stub.base_url, number)
        with pytest.raises(do.DecodeError):
            await _ids(stub, per_page=1, concurrency=concurrency)
    # the walk stops at the page whose link is bad, before fetching ahead of it
    refused_at = 2 if shape == "page 2 with junk" else 1
    assert stub.pages_requested()[:refused_at] == list(range(1, refused_at + 1))
    assert len(stub.received) <= (1 if refused_at == 1 else refused_at + concurrency - 1)
    assert {url.path for url in stub.received} == {"/v2/projects"}


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
@BOTH
async def test_iter_all_walks_an_ipv6_loopback_base_url(concurrency: int) -> None:
    async with StubListing(45, host="::1") as stub:
        assert stub.base_url.startswith("http://[::1]:")
        assert await _ids(stub, per_page=10, concurrency=concurrency) == stub.ids
    assert sorted(stub.pages_requested()) == [1, 2, 3, 4, 5]


def test_listing_pages_build_ipv6_page_urls() -> None:
    base = URL("http://[::1]:8080")
    pages = ListingPages(base / "v2" / "projects" % {"page": 1, "per_page": 5}, base)
    link = "http://[::1]:8080/v2/projects?page=2&per_page=5"
    assert pages.after(1, do.Page(items=(1,), total=9, links=do.PageLinks(next=link))) == 2
    assert str(pages.url(2)) == "http://[::1]:8080/v2/projects?page=2&per_page=5"


@pytest.mark.parametrize(
    "link", ["https://api.example/v2/items?page=2", "http://127.0.0.1:8/proxy/v2/items?page=2"]
)
def test_listing_pages_keep_base_url_path_prefix(link: str) -> None:
    # A proxy may or may not rewrite the links it passes on: both name the same collection.
    base = URL("http://127.0.0.1:8/proxy")
    pages = ListingPages(base / "v2" / "items" % {"page": 1, "per_page": 10}, base)
    assert pages.after(1, do.Page(items=(1,), total=9, links=do.PageLinks(next=link))) == 2
    assert str(pages.url(2)) == "http://127.0.0.1:8/proxy/v2/items?page=2&per_page=10"


@pytest.mark.parametrize(
    "link", ["/proxy/v2/other?page=2", "/other/v2/items?page=2", "/proxy/proxy/v2/items?page=2"]
)
def test_listing_pages_with_a_prefix_refuse_other_paths(link: str) -> None:
    base = URL("http://127.0.0.1:8/proxy/")
    pages = ListingPages(base / "v2" / "items" % {"page": 1}, base)
    with pytest.raises(do.DecodeError, match="collection"):
        pages.after(1, do.Page(items=(1,), total=9, links=do.PageLinks(next=link)))


def test_listing_pages_need_a_numbered_first_page() -> None:
    with pytest.raises(ValueError, match="page number"):
        ListingPages(BASE / "v2" / "items" % {"per_page": 3}, BASE)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [((3, 2, 3), "page 2 has 2 items but links on"), ((3, 3, 4), "more than the 3")],
)
def test_listing_pages_refuse_pages_that_break_the_offsets(
    sizes: tuple[int, ...], message: str
) -> None:
    pages = ListingPages(FIRST, BASE)
    with pytest.raises(do.DecodeError, match=message):
        for number, size in enumerate(sizes, start=1):
            following = None if number == len(sizes) else f"/v2/items?page={number + 1}"
            page = do.Page(items=tuple(range(size)), total=9, links=do.PageLinks(next=following))
            pages.after(number, page)


@BOTH
async def test_paginator_resumes_after_its_first_page_failed(concurrency: int) -> None:
    listing = Listing(pages=4)
    listing.failures[1] = do.ServerError(503, "unavailable", "try later")
    paginator = Paginator(listing, FIRST, BASE, concurrency=concurrency)
    with pytest.raises(do.ServerError):
        await paginator.__anext__()
    del listing.failures[1]
    assert [item async for item in paginator] == list(range(40))
    assert listing.calls[:2] == [1, 1]


async def test_concurrent_paginator_resumes_at_the_page_that_failed() -> None:
    listing = Listing(pages=6)
    listing.failures[3] = do.ServerError(503, "unavailable", "try later")
    paginator = Paginator(listing, FIRST, BASE, concurrency=3)
    seen: list[int] = []
    with pytest.raises(do.ServerError):
        async for item in paginator:
            seen.append(item)
    assert seen == list(range(20))  # pages 1 and 2, then the error where page 3 belongs
    del listing.failures[3]
    seen += [item async for item in paginator]
    assert seen == list(range(60))


async def test_concurrent_paginator_cancels_fetches_past_the_last_page() -> None:
    listing = Listing(pages=2)
    listing.totals = dict.fromkeys(range(1, 10), 10**6)  # meta.total overstates
    listing.gate(3, 4)

    async def fetch(url: URL) -> do.Page[int]:
        page = await listing(url)
        if url.query["page"] == "2":
            return do.Page(items=page.items, total=page.total, links=do.PageLinks())
        return page

    paginator = Paginator(fetch, FIRST, BASE, concurrency=3)
    async with asyncio.timeout(5):  # pages 3 and 4 never finish: the walk must not wait on them
        assert [item async for item in paginator] == list(range(20))
    assert sorted(listing.cancelled) == [3, 4]
    assert sorted(listing.finished) == [1, 2]


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_paginator_closed_during_its_first_page_fetches_nothing_more(
    concurrency: int,
) -> None:
    listing = Listing(pages=5)
    listing.gate(1)
    paginator = Paginator(listing, FIRST, BASE, concurrency=concurrency)
    reader = asyncio.create_task(paginator.__anext__())
    await settle()
    await paginator.aclose()
    listing.release(1)
    assert await reader == 0
    await settle()
    assert [item async for item in paginator] == list(range(1, 10))  # then the end
    assert listing.calls == [1]
    assert not others()
