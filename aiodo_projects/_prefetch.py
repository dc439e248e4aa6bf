"""Concurrent page fetch: the first page, then up to N pages ahead of the reader (no HTTP).

Why not one :class:`asyncio.TaskGroup` around the whole walk: an iterator hands control back to
its caller between items, and a task group spanning those yields would cancel the *caller's*
unrelated awaits when a page fails, and could not be left open across them safely. So the
window keeps the task group's rules by hand, inside each ``__anext__``:

- a page that fails cancels the fetches after it; the pages before it are still yielded,
  then its error (not an ``ExceptionGroup``) is raised once nothing is left in flight, and
  the walk stays at that page;
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

from aiodo_projects._display import counted
from aiodo_projects.errors import DecodeError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from yarl import URL

    from aiodo_projects._links import ListingPages
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
    """Yield the pages of a listing in order while fetching up to ``concurrency`` ahead.

    Pages ``position .. position + len(tasks) - 1`` are in flight, in order. Each page is
    checked by :class:`ListingPages` when the reader takes it, exactly as a sequential walk
    would check it, so both yield the same pages: the walk ends at the first page that
    names no next page (fetches beyond it are cancelled), and fetching ahead never goes
    further than the pages ``meta.total`` implies or one past the last page known to link on.
    A failed page leaves the walk at that page, so the next call fetches it again.
    """

    def __init__(
        self,
        fetch: Callable[[URL], Awaitable[Page[T]]],
        pages: ListingPages,
        concurrency: int,
    ) -> None:
        self._fetch = fetch
        self._pages = pages
        self._concurrency = concurrency
        self._tasks: collections.deque[asyncio.Task[Page[T]]] = collections.deque()
        self._position: int | None = pages.first  # the page the reader gets next
        self._last = pages.first  # fetch ahead up to here
        self._stalled = False  # a page ahead failed: start nothing more
        self._broken: DecodeError | None = None
        self.pages_fetched = 0
        self.total: int | None = None

    def __repr__(self) -> str:
        if self._position is None:
            where = "ended"
        else:
            where = f"next page {self._position:,}, {len(self._tasks)} in flight"
        total = "" if self.total is None else f", total {self.total:,}"
        return (
            f"<{type(self).__name__} concurrency={self._concurrency}: {where}, "
            f"{counted(self.pages_fetched, 'page')} fetched{total}>"
        )

    @property
    def ended(self) -> bool:
        """Whether no page is left to fetch (the last was read, or the walk was closed)."""
        return self._position is None

    async def next_page(self) -> Page[T] | None:
        """Return the next page in order, or ``None`` after the last."""
        if self._broken is not None:
            raise self._broken
        number = self._position
        if number is None:
            return None
        if self._tasks:
            page = await self._take_head()
        else:  # the first page, or the one that failed last time: no task needed
            page = await self._fetch(self._pages.url(number))
        self.pages_fetched += 1
        self.total = page.total
        if self._position is None:  # closed while this page was on its way: start nothing
            return page
        try:
            following = self._pages.after(number, page)
        except DecodeError as exc:
            self._broken = exc
            following = None
        self._position = following
        if following is None:
            await self.aclose()  # whatever is in flight lies past the end
        else:
            planned = self._pages.planned_last(page.total)
            self._last = max(self._last, planned, following)
            self._fill()
        return page

    async def _take_head(self) -> Page[T]:
        head = self._tasks[0]
        if not head.done():
            await self._wait(head)
        self._tasks.popleft()
        failure: BaseException | None
        if head.cancelled():
            failure = RuntimeError("a page fetch was cancelled outside the iterator")
        else:
            failure = head.exception()
        if failure is not None:
            await self._cancel_in_flight()  # the walk stays at this page, to be fetched again
            self._stalled = False
            raise failure
        return head.result()

    async def _wait(self, head: asyncio.Task[Page[T]]) -> None:
        """Wait for ``head`` to finish, whatever its outcome (read from it afterwards)."""
        try:
            await head  # no asyncio.wait(): awaiting the task itself is much cheaper
        except asyncio.CancelledError:
            if _being_cancelled():  # the reader was cancelled (head with it): stop all
                await self.aclose()
                raise
            # else head was cancelled from elsewhere: the caller reports it
        except Exception:  # noqa: BLE001, S110 -- the caller reads the outcome from head
            pass

    def _fill(self) -> None:
        if self._position is None or self._stalled:
            return
        number = self._position + len(self._tasks)
        while len(self._tasks) < self._concurrency and number <= self._last:
            task = asyncio.get_running_loop().create_task(
                _fetch_one(self._fetch, self._pages.url(number)),
                name=f"{TASK_PREFIX}{number}",
            )
            task.add_done_callback(self._finished)
            self._tasks.append(task)
            number += 1

    def _finished(self, task: asyncio.Task[Page[T]]) -> None:
        """Cancel the fetches after a page that failed: the walk cannot get past it."""
        if task.cancelled() or task.exception() is None or task not in self._tasks:
            return
        self._stalled = True
        later = False
        for other in self._tasks:
            if later:
                other.cancel()
            later = later or other is task

    def _cancel_all(self) -> list[asyncio.Task[Page[T]]]:
        tasks, self._tasks = list(self._tasks), collections.deque()
        for task in tasks:
            if task.done():
                _retrieve(task)
            elif not task.get_loop().is_closed():
                task.cancel()
                task.add_done_callback(_retrieve)
        return tasks

    async def _cancel_in_flight(self) -> None:
        tasks = self._cancel_all()
        if tasks:
            await asyncio.wait(tasks)

    def abandon(self) -> None:
        """Stop: cancel every fetch in flight without waiting (safe from a finalizer)."""
        self._position = None
        self._cancel_all()

    async def aclose(self) -> None:
        """Stop: cancel every fetch in flight and wait until they have all finished."""
        self._position = None
        await self._cancel_in_flight()
