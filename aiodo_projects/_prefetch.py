"""Concurrent page fetch: the first page, then pages 2..last with at most N in flight (no HTTP).

Why not one :class:`asyncio.TaskGroup` around the whole walk: an iterator hands control back to
its caller between items, and a task group spanning those yields would cancel the *caller's*
unrelated awaits when a page fails, and could not be left open across them safely. So the
window keeps the task group's rules by hand, inside each ``__anext__``:

- a page that fails cancels every sibling still in flight, and its error (not an
  ``ExceptionGroup``) is raised to the consumer once they have all finished;
- cancelling the consumer while it waits cancels the window too;
- new fetches start only inside ``next_page()``: when the consumer takes page ``k``, page
  ``k + N`` is scheduled. Memory is therefore about N pages, and a window nobody reads from
  starts nothing new;
- :meth:`ConcurrentWalk.aclose` cancels and awaits whatever is in flight, and
  :meth:`ConcurrentWalk.abandon` (run by the paginator's finalizer after an early ``break``)
  cancels it without awaiting.
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING, Generic, TypeVar

from aiodo_projects._links import PageUrls, page_number, rebase_link
from aiodo_projects.errors import DecodeError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from yarl import URL

    from aiodo_projects.models import Page

__all__ = ["TASK_PREFIX", "ConcurrentWalk"]

T = TypeVar("T")
TASK_PREFIX = "aiodo_projects page "


async def _fetch_one(fetch: Callable[[URL], Awaitable[Page[T]]], url: URL) -> Page[T]:
    return await fetch(url)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _retrieve(task: asyncio.Task[object]) -> None:
    """Mark a finished task's outcome as seen, so asyncio logs no "never retrieved" error."""
    if not task.cancelled():
        task.exception()


class ConcurrentWalk(Generic[T]):
    """Yield the pages of a listing in order while fetching up to ``concurrency`` ahead."""

    def __init__(
        self,
        fetch: Callable[[URL], Awaitable[Page[T]]],
        first: URL,
        base: URL,
        concurrency: int,
    ) -> None:
        self._fetch = fetch
        self._first: URL | None = first
        self._base = base
        self._concurrency = concurrency
        self._tasks: collections.deque[asyncio.Task[Page[T]]] = collections.deque()
        self._urls: PageUrls | None = None
        self._page_size = 0
        self._next_number = 2
        self._last = 1
        self._failure: BaseException | None = None
        self._closed = False
        self.pages_fetched = 0
        self.total: int | None = None

    async def next_page(self) -> Page[T] | None:
        """Return the next page in order, or ``None`` after the last."""
        if self._failure is not None:
            await self.aclose()
            raise self._failure
        if self._first is not None:
            first, self._first = self._first, None
            page = await self._fetch(first)
            self._plan(page)
            return self._took(page)
        if not self._tasks:
            return None
        head = self._tasks[0]
        if not head.done():
            await self._wait(head)
        self._tasks.popleft()
        if self._failure is None:
            if head.cancelled():
                msg = "a page fetch was cancelled outside the iterator"
                self._failure = RuntimeError(msg)
            else:
                self._failure = head.exception()
        if self._failure is not None:
            await self.aclose()
            raise self._failure
        page = head.result()
        self._extend(page)
        return self._took(page)

    async def _wait(self, head: asyncio.Task[Page[T]]) -> None:
        """Wait for ``head`` to finish, whatever its outcome (read from it afterwards)."""
        try:
            await head  # no asyncio.wait(): awaiting the task itself is much cheaper
        except asyncio.CancelledError:
            if _being_cancelled():  # the reader was cancelled (head with it): stop all
                await self.aclose()
                raise
            # else the window cancelled head itself, after a sibling failed
        except Exception:  # noqa: BLE001, S110 -- the caller reads the outcome from head
            pass

    def _took(self, page: Page[T]) -> Page[T]:
        self.pages_fetched += 1
        self.total = page.total
        self._fill()
        return page

    def _plan(self, first: Page[T]) -> None:
        """Work out pages 2..last from the first page's links (or its ``meta.total``)."""
        if first.links.next is None:
            return
        following = rebase_link(first.links.next, self._base)
        if page_number(following) != 2:  # noqa: PLR2004 -- not a numbered listing we can plan
            msg = "the next page link does not name page 2"
            raise DecodeError(msg, snippet=first.links.next[:120])
        self._urls = PageUrls(following)
        self._page_size = max(1, len(first.items))
        last = None
        if first.links.last is not None:
            last = page_number(rebase_link(first.links.last, self._base))
        self._last = max(2, last if last is not None else self._pages_for(first.total))

    def _pages_for(self, total: int) -> int:
        return -(-total // self._page_size)

    def _extend(self, page: Page[T]) -> None:
        """Fetch further pages when the listing grew while it was being walked."""
        if self._urls is not None:
            self._last = max(self._last, self._pages_for(page.total))

    def _fill(self) -> None:
        urls = self._urls
        if urls is None or self._closed:
            return
        while len(self._tasks) < self._concurrency and self._next_number <= self._last:
            task = asyncio.get_running_loop().create_task(
                _fetch_one(self._fetch, urls(self._next_number)),
                name=f"{TASK_PREFIX}{self._next_number}",
            )
            task.add_done_callback(self._finished)
            self._tasks.append(task)
            self._next_number += 1

    def _finished(self, task: asyncio.Task[Page[T]]) -> None:
        if task.cancelled() or self._failure is not None:
            return
        error = task.exception()
        if error is not None:
            self._failure = error
            self.abandon()

    def abandon(self) -> None:
        """Cancel every fetch in flight without waiting (safe from a finalizer)."""
        self._closed = True
        for task in self._tasks:
            if task.done():
                _retrieve(task)
            elif not task.get_loop().is_closed():
                task.cancel()
                task.add_done_callback(_retrieve)

    async def aclose(self) -> None:
        """Cancel every fetch in flight and wait until they have all finished."""
        self.abandon()
        tasks, self._tasks = list(self._tasks), collections.deque()
        if tasks:
            await asyncio.wait(tasks)
