"""Raw HTTP against the fake, for the fake's own tests (no client library involved)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from aiodo_projects.testing import FakeDigitalOcean

TOKEN = "test-token"


@dataclass
class Answer:
    """What the fake answered."""

    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


async def send(
    fake: FakeDigitalOcean,
    method: str,
    path: str,
    *,
    json: Any = None,
    body: bytes | str | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = TOKEN,
) -> Answer:
    """Send one request on a fresh connection and read the whole answer."""
    sent = {"Content-Type": "application/json"} if method == "DELETE" else {}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, fake.base_url + path, json=json, data=body, params=params, headers=sent
        ) as response,
    ):
        return Answer(response.status, response.headers, await response.read())


async def arrivals(fake: FakeDigitalOcean, count: int = 1) -> None:
    """Wait until the fake has received ``count`` requests (within 5 seconds)."""
    async with asyncio.timeout(5):
        # The fake signals no event on arrival; a short poll keeps it simple.
        while len(fake.requests) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
