"""The work each client does in a scenario: the floor, aiodo_projects and pydo.aio.

Inside a timed listing every client touches each project the same cheap way: it counts it
and reads its id. ``ids`` walks the same listing untimed and returns every id, so the harness
can check that all clients saw the same projects in the same order.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Protocol

from yarl import URL

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

__all__ = ["CLIENTS", "Client"]

JSON = Any


class Client(Protocol):
    """A client under test, made once per run outside the timed part."""

    async def warm_up(self) -> None:
        """Make one small request, so a connection is open before timing starts."""

    async def list_all(self, per_page: int, concurrency: int) -> tuple[int, str | None]:
        """Walk every project; return how many there were and the last id."""

    async def ids(self, per_page: int, concurrency: int) -> list[str]:
        """Walk every project (untimed); return every id in order."""

    async def get_each(self, ids: Sequence[str], concurrency: int) -> list[str]:
        """Fetch each project by id with ``concurrency`` requests in flight; return names."""

    async def close(self) -> None:
        """Release the client's connections."""


async def _ordered(
    fetch: Callable[[int], Awaitable[list[JSON]]], numbers: range, concurrency: int
) -> AsyncIterator[list[JSON]]:
    """Fetch pages ``numbers`` with at most ``concurrency`` in flight; yield them in order.

    This is what a careful user writes by hand around a client without concurrent
    pagination: every page is kept until the walk ends.
    """
    gate = asyncio.Semaphore(concurrency)

    async def one(number: int) -> list[JSON]:
        async with gate:
            return await fetch(number)

    for items in await asyncio.gather(*(one(n) for n in numbers)):
        yield items


async def _get_each(
    get: Callable[[str], Awaitable[str]], ids: Sequence[str], concurrency: int
) -> list[str]:
    names = [""] * len(ids)
    queue = iter(enumerate(ids))

    async def worker() -> None:
        for index, project_id in queue:
            names[index] = await get(project_id)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return names


def _last_page(body: JSON) -> int:
    last = body.get("links", {}).get("pages", {}).get("last")
    return 1 if last is None else int(URL(last).query["page"])


class _DictClient:
    """What the floor and pydo share: pages of plain dicts, walked one way or the other."""

    async def page(self, number: int, per_page: int) -> JSON:
        raise NotImplementedError

    async def pages(self, per_page: int, concurrency: int) -> AsyncIterator[list[JSON]]:
        body = await self.page(1, per_page)
        yield body["projects"]
        if concurrency > 1:

            async def fetch(number: int) -> list[JSON]:
                return list((await self.page(number, per_page))["projects"])

            async for items in _ordered(fetch, range(2, _last_page(body) + 1), concurrency):
                yield items
            return
        number = 1
        while body.get("links", {}).get("pages", {}).get("next"):
            number += 1
            body = await self.page(number, per_page)
            yield body["projects"]

    async def list_all(self, per_page: int, concurrency: int) -> tuple[int, str | None]:
        count, last = 0, None
        async for items in self.pages(per_page, concurrency):
            for item in items:
                count += 1
                last = item["id"]
        return count, last

    async def ids(self, per_page: int, concurrency: int) -> list[str]:
        return [item["id"] async for items in self.pages(per_page, concurrency) for item in items]


class Floor(_DictClient):
    """The floor: aiohttp, ``json.loads``, plain dicts, following ``links.pages.next``."""

    def __init__(self, base_url: str, token: str) -> None:
        import aiohttp  # noqa: PLC0415 -- each worker imports only its own client

        self._base = base_url
        self._http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"})

    async def _json(self, url: str) -> JSON:
        async with self._http.get(url) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    async def page(self, number: int, per_page: int) -> JSON:
        return await self._json(f"{self._base}/v2/projects?page={number}&per_page={per_page}")

    async def pages(self, per_page: int, concurrency: int) -> AsyncIterator[list[JSON]]:
        if concurrency > 1:
            async for items in super().pages(per_page, concurrency):
                yield items
            return
        url: str | None = f"{self._base}/v2/projects?page=1&per_page={per_page}"
        while url:  # the floor follows the absolute next link, as the issue defines it
            body = await self._json(url)
            yield body["projects"]
            url = body.get("links", {}).get("pages", {}).get("next")

    async def warm_up(self) -> None:
        await self.page(1, 1)

    async def get_each(self, ids: Sequence[str], concurrency: int) -> list[str]:
        async def get(project_id: str) -> str:
            body = await self._json(f"{self._base}/v2/projects/{project_id}")
            return str(body["project"]["name"])

        return await _get_each(get, ids, concurrency)

    async def close(self) -> None:
        await self._http.close()


class Pydo(_DictClient):
    """pydo's async client (``pydo.aio.Client``) pointed at the fake.

    The fake speaks plain http on loopback, which azure-core's bearer-token policy refuses
    unless each call passes ``enforce_https=False``. pydo has no auto-pagination: pages are
    walked by number as its documentation shows.
    """

    def __init__(self, base_url: str, token: str) -> None:
        from pydo.aio import Client as PydoClient  # noqa: PLC0415 -- optional, heavy import

        self._client = PydoClient(token, endpoint=base_url)

    async def page(self, number: int, per_page: int) -> JSON:
        return await self._client.projects.list(per_page=per_page, page=number, enforce_https=False)

    async def warm_up(self) -> None:
        await self.page(1, 1)

    async def get_each(self, ids: Sequence[str], concurrency: int) -> list[str]:
        async def get(project_id: str) -> str:
            body = await self._client.projects.get(project_id=project_id, enforce_https=False)
            return str(body["project"]["name"])

        return await _get_each(get, ids, concurrency)

    async def close(self) -> None:
        await self._client.close()


class Aiodo:
    """aiodo_projects, typed models included."""

    def __init__(self, base_url: str, token: str) -> None:
        import aiodo_projects  # noqa: PLC0415 -- each worker imports only its own client

        self._client = aiodo_projects.Client(token=token, base_url=base_url, **self.options())

    @staticmethod
    def options() -> dict[str, Any]:
        """Extra ``Client`` arguments (none: the limiter is off on loopback by default)."""
        return {}

    async def warm_up(self) -> None:
        await self._client.projects.list(per_page=1)

    async def list_all(self, per_page: int, concurrency: int) -> tuple[int, str | None]:
        count, last = 0, None
        projects = self._client.projects.iter_all(per_page=per_page, concurrency=concurrency)
        async for project in projects:
            count += 1
            last = project.id
        return count, last

    async def ids(self, per_page: int, concurrency: int) -> list[str]:
        projects = self._client.projects.iter_all(per_page=per_page, concurrency=concurrency)
        return [project.id async for project in projects]

    async def get_each(self, ids: Sequence[str], concurrency: int) -> list[str]:
        async def get(project_id: str) -> str:
            return (await self._client.projects.get(project_id)).name

        return await _get_each(get, ids, concurrency)

    async def close(self) -> None:
        await self._client.aclose()


class AiodoLimited(Aiodo):
    """aiodo_projects with the rate limiter on, sized so that it never makes anyone wait.

    Every attempt then goes through the shared token-bucket limiter (acquire, release, the
    ``Date`` and ``ratelimit-*`` bookkeeping), which is what this row measures. The hourly
    bucket stays off: the fake reports DigitalOcean's 5,000-per-hour budget as spent after
    5,000 requests (without enforcing it), and a run makes many more.
    """

    @staticmethod
    def options() -> dict[str, Any]:
        """Turn the limiter on with a burst limit far above what a run sends."""
        import aiodo_projects  # noqa: PLC0415 -- each worker imports only its own client

        return {"rate_limiter": aiodo_projects.RateLimits(burst_limit=100_000, hourly=False)}


CLIENTS: dict[str, Callable[[str, str], Client]] = {
    "floor": Floor,
    "aiodo_projects": Aiodo,
    "aiodo_projects+limiter": AiodoLimited,
    "pydo.aio": Pydo,
}
