"""The paginator, driven by a stub fetch function (no HTTP)."""

from __future__ import annotations

import pytest
from yarl import URL

import aiodo_projects as do
from aiodo_projects._links import ListingPages
from aiodo_projects._pagination import Paginator
from tests.paging_support import Listing

BASE = URL("https://api.digitalocean.com")
FIRST = BASE / "v2" / "items" % {"page": 1}


@pytest.mark.parametrize(
    "link",
    [
        "https://api.digitalocean.com/v2/projects?page=2&per_page=20",
        "https://evil.example/v2/projects?page=2",
        "http://127.0.0.1:9/v2/projects?page=2&per_page=999",
        "/v2/projects?page=2",
        "https://user:pw@evil.example:444/v2/projects?page=2#frag",
        "https://x/v2/projects?name=a%20b%2Fc&page=2",
    ],
)
def test_listing_pages_request_every_page_on_base_with_the_first_query(link: str) -> None:
    pages = ListingPages(BASE / "v2" / "projects" % {"page": 1, "per_page": 20}, BASE)
    page = do.Page(items=(1, 2), total=9, links=do.PageLinks(next=link))
    assert pages.after(1, page) == 2
    assert str(pages.url(2)) == "https://api.digitalocean.com/v2/projects?page=2&per_page=20"


def test_listing_pages_take_exactly_their_own_next_url_as_the_next_page() -> None:
    pages = ListingPages(BASE / "v2" / "projects" % {"page": 1, "per_page": 2}, BASE)
    own = do.Page(items=(1, 2), total=9, links=do.PageLinks(next=str(pages.url(2))))
    assert pages.after(1, own) == 2
    later = do.Page(items=(1, 2), total=9, links=do.PageLinks(next=str(pages.url(4))))
    with pytest.raises(do.DecodeError, match="skips to page 4"):
        pages.after(2, later)
    again = do.Page(items=(1, 2), total=9, links=do.PageLinks(next=str(pages.url(2))))
    with pytest.raises(do.DecodeError, match="repeats page 2"):
        pages.after(2, again)


def test_listing_pages_keep_base_port_and_scheme() -> None:
    base = URL("http://127.0.0.1:8080/")
    pages = ListingPages(base / "v2" / "projects" % {"page": 1}, base)
    page = do.Page(
        items=(1,), total=2, links=do.PageLinks(next="https://other:1/v2/projects?page=2")
    )
    assert pages.after(1, page) == 2
    assert str(pages.url(2)) == "http://127.0.0.1:8080/v2/projects?page=2"


@pytest.mark.parametrize("link", ["page=2", "", "mailto:someone", "https://[::1"])
def test_listing_pages_reject_links_without_the_collection_path(link: str) -> None:
    pages = ListingPages(FIRST, BASE)
    with pytest.raises(do.DecodeError):
        pages.after(1, do.Page(items=(1,), total=2, links=do.PageLinks(next=link)))


DEFAULT_RESOURCES = BASE / "v2" / "projects" / "default" / "resources" % {"page": 1}
PROJECT_ID = "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679"


def test_listing_pages_of_the_default_project_accept_links_naming_its_id() -> None:
    # DigitalOcean's own example links the default project's resources by the project's id.
    pages = ListingPages(DEFAULT_RESOURCES, BASE)
    link = f"https://api.digitalocean.com/v2/projects/{PROJECT_ID}/resources?page=2"
    page = do.Page(items=(1,), total=3, links=do.PageLinks(next=link))
    assert pages.after(1, page) == 2
    assert str(pages.url(2)) == "https://api.digitalocean.com/v2/projects/default/resources?page=2"


@pytest.mark.parametrize(
    "path",
    [
        "/v2/projects/not-a-uuid/resources",
        f"/v2/projects/{PROJECT_ID}/droplets",
        f"/v2/{PROJECT_ID}/default/resources",
        f"/v2/projects/{PROJECT_ID}/resources/extra",
    ],
)
def test_listing_pages_of_the_default_project_refuse_other_paths(path: str) -> None:
    pages = ListingPages(DEFAULT_RESOURCES, BASE)
    link = f"https://api.digitalocean.com{path}?page=2"
    with pytest.raises(do.DecodeError, match="out of the listing"):
        pages.after(1, do.Page(items=(1,), total=3, links=do.PageLinks(next=link)))


def test_listing_pages_of_one_project_refuse_links_to_another_id() -> None:
    pages = ListingPages(BASE / "v2" / "projects" / PROJECT_ID / "resources" % {"page": 1}, BASE)
    other = "5f2c0cd4-ed4f-42f3-b29e-2c5e8b182780"
    link = f"https://api.digitalocean.com/v2/projects/{other}/resources?page=2"
    with pytest.raises(do.DecodeError, match="out of the listing"):
        pages.after(1, do.Page(items=(1,), total=3, links=do.PageLinks(next=link)))


def _pages(count: int, per_page: int) -> dict[str, do.Page[int]]:
    pages: dict[str, do.Page[int]] = {}
    for number in range(1, count + 1):
        url = f"https://api.digitalocean.com/v2/items?page={number}"
        following = f"https://elsewhere/v2/items?page={number + 1}" if number < count else None
        items = tuple(range((number - 1) * per_page, number * per_page))
        pages[url] = do.Page(
            items=items, total=count * per_page, links=do.PageLinks(next=following)
        )
    return pages


class StubFetch:
    def __init__(self, pages: dict[str, do.Page[int]]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    async def __call__(self, url: URL) -> do.Page[int]:
        self.calls.append(str(url))
        return self.pages[str(url)]


async def test_paginator_yields_every_item_in_order() -> None:
    fetch = StubFetch(_pages(4, 3))
    paginator = Paginator(fetch, FIRST, BASE)
    assert paginator.total is None
    assert [item async for item in paginator] == list(range(12))
    assert paginator.total == 12
    assert paginator.pages_fetched == 4
    assert all(call.startswith("https://api.digitalocean.com/") for call in fetch.calls)
    with pytest.raises(StopAsyncIteration):
        await paginator.__anext__()


async def test_paginator_pages_yields_whole_pages_from_the_start() -> None:
    fetch = StubFetch(_pages(3, 2))
    paginator = Paginator(fetch, FIRST, BASE)
    first = await paginator.__anext__()
    assert first == 0
    pages = [page.items async for page in paginator.pages()]
    assert pages == [(0, 1), (2, 3), (4, 5)]


async def test_paginator_break_early_fetches_no_more() -> None:
    fetch = StubFetch(_pages(5, 10))
    async for item in Paginator(fetch, FIRST, BASE):
        if item == 12:
            break
    assert len(fetch.calls) == 2


async def test_paginator_resumes_where_a_broken_loop_left_off() -> None:
    fetch = StubFetch(_pages(3, 4))
    paginator = Paginator(fetch, FIRST, BASE)
    first: list[int] = []
    async for item in paginator:
        first.append(item)
        if item == 5:
            break
    middle = await paginator.__anext__()
    rest = [item async for item in paginator]
    assert (first, middle, rest) == ([0, 1, 2, 3, 4, 5], 6, [7, 8, 9, 10, 11])
    assert len(fetch.calls) == 3
    assert [item async for item in paginator] == []  # the end stays the end


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_paginator_empty_page_that_links_on_raises(concurrency: int) -> None:
    # An empty page cannot be followed by more items of an offset-numbered listing: going on
    # would skip or repeat items silently.
    pages = _pages(3, 2)
    url = "https://api.digitalocean.com/v2/items?page=2"
    pages[url] = do.Page(items=(), total=6, links=pages[url].links)
    fetch = StubFetch(pages)
    seen: list[int] = []
    with pytest.raises(do.DecodeError, match="page 2 is empty"):
        async for item in Paginator(fetch, FIRST, BASE, concurrency=concurrency):
            seen.append(item)
    assert seen == [0, 1]


async def test_paginator_repeating_next_link_raises() -> None:
    pages = _pages(3, 1)
    url = "https://api.digitalocean.com/v2/items?page=3"
    pages[url] = do.Page(items=(2,), total=3, links=do.PageLinks(next="https://x/v2/items?page=2"))
    paginator = Paginator(StubFetch(pages), FIRST, BASE)
    seen = [await paginator.__anext__() for _ in range(3)]
    assert seen == [0, 1, 2]
    with pytest.raises(do.DecodeError, match="repeats"):
        await paginator.__anext__()


async def test_paginator_propagates_a_failing_page() -> None:
    fetch = StubFetch(_pages(2, 1))
    del fetch.pages["https://api.digitalocean.com/v2/items?page=2"]
    paginator = Paginator(fetch, FIRST, BASE)
    assert await paginator.__anext__() == 0
    with pytest.raises(KeyError):
        await paginator.__anext__()


async def test_paginator_repeat_detection_ignores_query_order() -> None:
    page = do.Page(
        items=(1,), total=1, links=do.PageLinks(next="https://x/v2/items?per_page=1&page=1")
    )
    fetch = StubFetch({"https://api.digitalocean.com/v2/items?page=1&per_page=1": page})
    paginator = Paginator(fetch, BASE / "v2" / "items" % {"page": 1, "per_page": 1}, BASE)
    assert await paginator.__anext__() == 1
    with pytest.raises(do.DecodeError, match="repeats"):
        await paginator.__anext__()


async def test_anext_on_an_empty_listing_ends_at_once() -> None:
    listing = Listing(pages=1)
    listing.items[1], listing.totals[1] = (), 0
    paginator = Paginator(listing, FIRST, BASE)
    with pytest.raises(StopAsyncIteration):
        await anext(paginator)
    assert listing.calls == [1]
