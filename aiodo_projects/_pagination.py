"""Pagination: follow ``links.pages.next`` until there is none (no HTTP of its own).

The iterators are small classes with ``__anext__`` rather than async generators, so a caller
that breaks out of ``async for`` early leaves nothing running: a page is fetched (and its body
read to the end) entirely inside one ``__anext__`` call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from yarl import URL

from aiodo_projects.errors import DecodeError
from aiodo_projects.models import Page

__all__ = ["PageIterator", "Paginator", "rebase_link"]

T = TypeVar("T")

FetchPage = Callable[[URL], Awaitable[Page[T]]]


def rebase_link(link: str, base: URL) -> URL:
    """Send a page link's path and query to ``base``'s origin, never to the link's own host.

    DigitalOcean's links are absolute and a hostile or proxied body could name any host; the
    token must only ever go to ``base``'s origin (DESIGN §4).
    """
    try:
        parsed = URL(link)
    except (TypeError, ValueError) as exc:
        raise DecodeError("a page link is not a URL", snippet=link[:120]) from exc
    if not parsed.path.startswith("/"):
        raise DecodeError("a page link has no absolute path", snippet=link[:120])
    return URL.build(
        scheme=base.scheme,
        host=base.raw_host or "",
        port=base.explicit_port,
        path=parsed.raw_path,
        query_string=parsed.raw_query_string,
        encoded=True,
    )


def _page_key(url: URL) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Identify a page by its path and query, whatever the order of the query's keys."""
    return url.path, tuple(sorted(url.query.items()))


class _Walk(Generic[T]):
    """The state shared by both iterators: which URL comes next, and what was seen."""

    def __init__(self, fetch: FetchPage[T], first: URL, base: URL) -> None:
        self._fetch = fetch
        self._base = base
        self._next: URL | None = first
        self._seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self._broken: DecodeError | None = None
        self.pages_fetched = 0
        self.total: int | None = None

    async def next_page(self) -> Page[T] | None:
        if self._broken is not None:
            raise self._broken
        url = self._next
        if url is None:
            return None
        page = await self._fetch(url)
        self._seen.add(_page_key(url))
        self.pages_fetched += 1
        self.total = page.total
        link = page.links.next
        if link is None:
            self._next = None
        else:
            following = rebase_link(link, self._base)
            if _page_key(following) in self._seen:
                # Yield this page, then refuse to loop: the listing cannot be trusted to end.
                self._broken = DecodeError(
                    "the next page link repeats a page already fetched", snippet=link
                )
            self._next = following
        return page


class PageIterator(Generic[T]):
    """An async iterator over whole :class:`~aiodo_projects.Page` objects."""

    def __init__(self, walk: _Walk[T]) -> None:
        self._walk = walk

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        page = await self._walk.next_page()
        if page is None:
            raise StopAsyncIteration
        return page


class Paginator(Generic[T]):
    """An async iterator over every item of a listing, fetching page after page.

    ``async for project in client.projects.iter_all(): ...`` streams every project; use
    :meth:`pages` to get whole pages instead. A page that fails raises: the iteration never
    ends early with a silently short list.
    """

    def __init__(self, fetch: FetchPage[T], first: URL, base: URL) -> None:
        self._start = (fetch, first, base)
        self._walk = _Walk(fetch, first, base)
        self._items: tuple[T, ...] = ()
        self._index = 0

    @property
    def total(self) -> int | None:
        """``meta.total`` of the last page fetched, or ``None`` before the first."""
        return self._walk.total

    @property
    def pages_fetched(self) -> int:
        """How many pages this iterator has fetched so far."""
        return self._walk.pages_fetched

    def pages(self) -> PageIterator[T]:
        """Return a new async iterator over whole pages, starting from the first page."""
        return PageIterator(_Walk(*self._start))

    def __aiter__(self) -> Paginator[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._items):
            page = await self._walk.next_page()
            if page is None:
                raise StopAsyncIteration
            self._items = page.items
            self._index = 0
        item = self._items[self._index]
        self._index += 1
        return item
