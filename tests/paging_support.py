"""A stub listing for paginator tests: pages of ints whose fetches the test can hold and fail."""

from __future__ import annotations

import asyncio

from yarl import URL

import aiodo_projects as do

__all__ = ["BASE", "FIRST", "Listing", "others", "settle"]

BASE = URL("https://api.digitalocean.com")
FIRST = BASE / "v2" / "items" % {"page": 1, "per_page": 10}


class Listing:
    """``pages`` pages of ``size`` ints; fetches wait on a per-page gate when one is set."""

    def __init__(self, pages: int, size: int = 10, *, last_link: bool = True) -> None:
        self.pages = pages
        self.size = size
        self.last_link = last_link
        self.total = pages * size
        self.gates: dict[int, asyncio.Event] = {}
        self.failures: dict[int, Exception] = {}
        self.totals: dict[int, int] = {}
        self.items: dict[int, tuple[int, ...]] = {}
        self.calls: list[int] = []
        self.cancelled: list[int] = []
        self.finished: list[int] = []
        self.in_flight = 0
        self.peak = 0

    def gate(self, *numbers: int) -> None:
        for number in numbers:
            self.gates[number] = asyncio.Event()

    def release(self, number: int) -> None:
        self.gates[number].set()

    def page(self, number: int) -> do.Page[int]:
        total = self.totals.get(number, self.total)
        last = max(1, -(-total // self.size))
        query = f"per_page={self.size}"
        links = do.PageLinks(
            next=f"https://elsewhere/v2/items?page={number + 1}&{query}" if number < last else None,
            last=f"https://elsewhere/v2/items?page={last}&{query}" if self.last_link else None,
        )
        start = (number - 1) * self.size
        default = tuple(range(start, min(start + self.size, total)))
        return do.Page(items=self.items.get(number, default), total=total, links=links)

    async def __call__(self, url: URL) -> do.Page[int]:
        assert url.host == "api.digitalocean.com"
        number = int(url.query["page"])
        self.calls.append(number)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            gate = self.gates.get(number)
            if gate is None:
                await asyncio.sleep(0)
            else:
                await gate.wait()
            if number in self.failures:
                raise self.failures[number]
            self.finished.append(number)
            return self.page(number)
        except asyncio.CancelledError:
            self.cancelled.append(number)
            raise
        finally:
            self.in_flight -= 1


def others() -> set[asyncio.Task[object]]:
    return asyncio.all_tasks() - {asyncio.current_task()}


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)
