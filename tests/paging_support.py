"""Stub listings for paginator tests: pages of ints to hold and fail, and a shapeable server."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Self

from aiohttp import web
from yarl import URL

import aiodo_projects as do

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["BASE", "FIRST", "Listing", "StubListing", "others", "settle"]

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


class StubListing:
    """A loopback server of one listing, ``GET {prefix}/v2/projects``, whose links a test shapes.

    Pages are numbered by offset like DigitalOcean's, with ``default_per_page`` when a request
    names no ``per_page``. ``per_page_in_links`` says whether the links repeat it,
    ``claimed_total`` overstates ``meta.total`` and ``links.pages.last``, and ``next_link``
    (page number -> link) replaces the honest ``next`` link. Every request is recorded.
    """

    def __init__(
        self, count: int, *, host: str = "127.0.0.1", prefix: str = "", default_per_page: int = 20
    ) -> None:
        self.ids = [str(uuid.UUID(int=n + 1)) for n in range(count)]
        self.host = host
        self.prefix = prefix
        self.default_per_page = default_per_page
        self.per_page_in_links = True
        self.claimed_total: int | None = None
        self.next_link: Callable[[int], str] | None = None
        self.received: list[URL] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get(f"{self.prefix}/v2/projects", self._list)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{port}{self.prefix}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _list(self, request: web.Request) -> web.Response:
        self.received.append(request.rel_url)
        page = int(request.query.get("page", "1"))
        per_page = int(request.query.get("per_page", self.default_per_page))
        total = len(self.ids)
        claimed = total if self.claimed_total is None else self.claimed_total
        start = (page - 1) * per_page
        projects = [{"id": i, "name": f"p-{i}"} for i in self.ids[start : start + per_page]]
        query = f"&per_page={per_page}" if self.per_page_in_links else ""
        pages: dict[str, str] = {
            "last": f"{self.base_url}/v2/projects?page={-(-claimed // per_page)}{query}"
        }
        if self.next_link is not None:
            pages["next"] = self.next_link(page)
        elif start + per_page < total:
            pages["next"] = f"{self.base_url}/v2/projects?page={page + 1}{query}"
        body = {"projects": projects, "links": {"pages": pages}, "meta": {"total": claimed}}
        return web.json_response(body)

    def pages_requested(self) -> list[int]:
        return [int(url.query.get("page", "1")) for url in self.received]
