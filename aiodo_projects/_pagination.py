"""Pagination: every item of a listing, page after page or several pages at once (no HTTP).

The iterators are small classes that keep the walk's state; ``async for`` over a
:class:`Paginator` runs a private async generator over that state, which costs less per item
than a coroutine per ``__anext__`` call. Sequentially (the default), a page is fetched only
when the previous one has been read to the end, so breaking out of ``async for`` leaves no
request running. With ``concurrency=N`` up to N pages are fetched ahead
(:mod:`aiodo_projects._prefetch`); those fetches are cancelled by :meth:`Paginator.aclose`, by
``async with``, or, after an early ``break``, by the iterator's finalizer.
"""

from __future__ import annotations

import collections
import logging
import operator
import weakref
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeAlias, TypeVar, cast

import attrs

from aiodo_projects._closing import AsyncClosing
from aiodo_projects._display import counted
from aiodo_projects._links import ListingPages
from aiodo_projects._prefetch import ConcurrentWalk
from aiodo_projects.errors import DecodeError, ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator

    from yarl import URL

    from aiodo_projects.models import Page

__all__ = ["MAX_CONCURRENCY", "PageIterator", "Paginator"]

logger = logging.getLogger("aiodo_projects")

T = TypeVar("T")

FetchPage: TypeAlias = "Callable[[URL], Awaitable[Page[T]]]"
MAX_CONCURRENCY: Final = 32


class _Walk(Generic[T]):
    """Fetch one page at a time, each only once the previous one has been read.

    Which page comes next, and whether the walk may go on, is :class:`ListingPages`'s
    decision: a page that breaks its rules is still yielded, and the next call raises.
    """

    def __init__(self, fetch: FetchPage[T], pages: ListingPages) -> None:
        self._fetch = fetch
        self._pages = pages
        self._next: int | None = pages.first
        self._broken: DecodeError | None = None
        self.pages_fetched = 0
        self.total: int | None = None

    async def next_page(self) -> Page[T] | None:
        if self._broken is not None:
            raise self._broken
        number = self._next
        if number is None:
            return None
        page = await self._fetch(self._pages.url(number))
        self.pages_fetched += 1
        self.total = page.total
        if self._next is None:  # closed while this page was on its way
            return page
        try:
            self._next = self._pages.after(number, page)
        except DecodeError as exc:
            self._next = None
            self._broken = exc
        return page

    @property
    def ended(self) -> bool:
        """Whether no page is left to fetch (the last was read, or the walk was closed)."""
        return self._next is None

    async def aclose(self) -> None:
        self._next = None

    def abandon(self) -> None:
        self._next = None


class _Drift(Generic[T]):
    """Notice a listing that changed while it was walked, and drop items seen twice.

    Pages are numbered by offset, so an item added (or removed) before a page that is not yet
    fetched shifts later items by one: an item can then appear twice, or never. Until
    ``meta.total`` changes this costs nothing per item: only the last few pages are kept.
    From the first page whose total differs, ids are remembered, within a horizon of the
    pages that can overlap, and an id already yielded is skipped. The last pages are kept as
    their ids, not their items, so a walk holds no more than the page being read.
    """

    def __init__(self, key: Callable[[T], Hashable], pages_kept: int) -> None:
        self._key = key
        self._recent: collections.deque[tuple[Hashable, ...]] = collections.deque(maxlen=pages_kept)
        self._pages_kept = pages_kept
        self._reference: int | None = None
        self._shift = 0
        self._longest = 0
        self._seen: set[Hashable] | None = None
        self._order: collections.deque[Hashable] = collections.deque()
        self.drifted = False
        self.skipped = 0

    def admit(self, page: Page[T]) -> Page[T]:
        """Return ``page``, without the items already yielded once the listing has changed."""
        self._longest = max(self._longest, len(page.items))
        if self._reference is None:
            self._reference = page.total
        elif page.total != self._reference:
            self._shift = max(self._shift, abs(page.total - self._reference))
            if not self.drifted:
                self._start(page.total)
        if self._seen is None:
            self._recent.append(tuple(map(self._key, page.items)))
            return page
        return self._filter(page)

    def _start(self, total: int) -> None:
        self.drifted = True
        logger.warning(
            "the listing changed while it was walked (meta.total %s -> %s); items seen twice "
            "are skipped and items may have been missed",
            self._reference,
            total,
        )
        self._seen = set()
        for keys in self._recent:
            for key in keys:
                self._remember(key)
        self._recent.clear()

    def _remember(self, key: Hashable) -> None:
        assert self._seen is not None  # noqa: S101 -- only called once remembering started
        self._seen.add(key)
        self._order.append(key)
        horizon = self._pages_kept * self._longest + self._shift
        while len(self._order) > horizon:
            self._seen.discard(self._order.popleft())

    def _filter(self, page: Page[T]) -> Page[T]:
        kept: list[T] = []
        for item in page.items:
            key = self._key(item)
            if self._seen is not None and key in self._seen:
                self.skipped += 1
            else:
                self._remember(key)
                kept.append(item)
        if len(kept) == len(page.items):
            return page
        return attrs.evolve(page, items=tuple(kept))


def _identity(item: Any) -> Hashable:  # noqa: ANN401 -- any hashable item is its own key
    return cast("Hashable", item)


class _Source(Generic[T]):
    """The pages of one walk, sequential or concurrent, with drift handling and cleanup."""

    def __init__(
        self,
        fetch: FetchPage[T],
        first: URL,
        base: URL,
        concurrency: int,
        key: Callable[[T], Hashable],
    ) -> None:
        self.walk: _Walk[T] | ConcurrentWalk[T]
        pages = ListingPages(first, base)
        if concurrency == 1:
            self.walk = _Walk(fetch, pages)
        else:
            self.walk = ConcurrentWalk(fetch, pages, concurrency)
        self.drift = _Drift(key, concurrency + 1)
        self.first = first
        self.concurrency = concurrency

    def describe(self, progress: str, *, closed: bool) -> str:
        """Say what this walk lists and where it stands, e.g. for a repr (no host, no token)."""
        per_page = self.first.query.get("per_page")
        listing = self.first.path + ("" if per_page is None else f" per_page={per_page}")
        if self.concurrency > 1:
            listing += f" concurrency={self.concurrency}"
        total = self.walk.total
        of_total = "" if total is None else f" of {total:,}"
        if closed:
            state = "closed"
        elif self.walk.ended:
            state = "done"
        else:
            state = "not started" if self.walk.pages_fetched == 0 else "in progress"
        return (
            f"{listing}: {counted(self.walk.pages_fetched, 'page')} fetched, "
            f"{progress}{of_total}, {state}"
        )

    async def next_page(self) -> Page[T] | None:
        page = await self.walk.next_page()
        return None if page is None else self.drift.admit(page)


class _Iterating(AsyncClosing, Generic[T]):
    """What both public iterators share: the figures they report, closing, ``async with``."""

    def __init__(self, source: _Source[T]) -> None:
        self._source = source
        self._closed = False
        # After an early ``break`` nobody calls aclose(): cancel what is in flight when this
        # iterator is collected. The callback holds the walk, never the iterator itself.
        self._finalizer = weakref.finalize(self, source.walk.abandon)

    @property
    def total(self) -> int | None:
        """``meta.total`` of the last page fetched, or ``None`` before the first."""
        return self._source.walk.total

    @property
    def pages_fetched(self) -> int:
        """How many pages this iterator has fetched so far."""
        return self._source.walk.pages_fetched

    @property
    def drifted(self) -> bool:
        """Whether ``meta.total`` changed between pages: the listing changed during the walk.

        Items seen twice are skipped (each id is yielded at most once), but an item removed or
        added before the current position may have been missed: list again if that matters.
        """
        return self._source.drift.drifted

    @property
    def duplicates_skipped(self) -> int:
        """How many items were skipped because the listing shifted and served them again."""
        return self._source.drift.skipped

    async def aclose(self) -> None:
        """Stop: cancel any page fetched ahead and wait for it. Iterating then ends."""
        self._closed = True
        self._finalizer.detach()
        await self._source.walk.aclose()


class PageIterator(_Iterating[T]):
    """An async iterator over whole :class:`~aiodo_projects.Page` objects."""

    def __repr__(self) -> str:
        described = self._source.describe(
            f"{counted(self._source.walk.pages_fetched, 'page')} yielded", closed=self._closed
        )
        return f"<{type(self).__name__} {described}>"

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Page[T]:
        page = await self._source.next_page()
        if page is None:
            raise StopAsyncIteration
        return page


class Paginator(_Iterating[T]):
    """An async iterator over every item of a listing, fetching page after page.

    ``async for project in client.projects.iter_all(): ...`` streams every project; use
    :meth:`pages` to get whole pages instead. A page that fails raises (the next call fetches
    it again): the iteration never ends early with a silently short list. The walk follows
    ``next`` links only within its own collection and one page at a time, else it raises
    :class:`~aiodo_projects.DecodeError`. With ``concurrency=N`` (at most
    ``MAX_CONCURRENCY``, 32) the first page is fetched, then up to N pages ahead of the
    reader; it yields exactly the pages a sequential walk would, in order. Use ``async with`` (or
    :meth:`aclose`) to stop such an iteration early and be sure nothing is left running::

        async with client.projects.iter_all(concurrency=8) as projects:
            async for project in projects:
                ...
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        first: URL,
        base: URL,
        *,
        concurrency: int = 1,
        key: Callable[[T], Hashable] | None = None,
    ) -> None:
        if type(concurrency) is not int or not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValidationError(
                f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}, not {concurrency!r}"
            )
        self._start = (fetch, first, base, concurrency, key or _identity)
        super().__init__(_Source(*self._start))
        self._items: Iterator[T] = iter(())
        self._loaded = 0  # items of the pages taken so far, yielded or still in _items

    @property
    def items_yielded(self) -> int:
        """How many items this paginator has yielded so far."""
        return self._loaded - operator.length_hint(self._items)

    def __repr__(self) -> str:
        described = self._source.describe(
            f"{counted(self.items_yielded, 'item')} yielded", closed=self._closed
        )
        return f"<{type(self).__name__} {described}>"

    def pages(self) -> PageIterator[T]:
        """Return a new async iterator over whole pages, starting from the first page."""
        return PageIterator(_Source(*self._start))

    def __aiter__(self) -> AsyncIterator[T]:
        # ``async for`` resumes one generator per item rather than making a coroutine per
        # item (``__anext__``): about a third less CPU per item. Both share this paginator's
        # position, so ``anext()`` and ``async for`` can be mixed and a loop left with
        # ``break`` can be resumed by another.
        return self._stream()

    async def _stream(self) -> AsyncIterator[T]:
        while True:
            for item in self._items:
                yield item
            if not await self._load_next_page():
                return

    async def _load_next_page(self) -> bool:
        """Fetch the next page for the items to come; return whether there was one.

        The page is held only by the iterator over its items: while the next page is fetched
        and decoded, the last one is already free.
        """
        page = await self._source.next_page()
        if page is None:
            return False
        self._items = iter(page.items)
        self._loaded += len(page.items)
        return True

    async def __anext__(self) -> T:
        try:
            return next(self._items)  # one call per item, no page work
        except StopIteration:
            return await self._first_of_next_page()

    async def _first_of_next_page(self) -> T:
        while await self._load_next_page():
            for item in self._items:
                return item
        raise StopAsyncIteration
