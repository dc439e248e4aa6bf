"""Shared fixtures: a running fake API, a client pointed at it, and a working aioresponses."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any
from unittest import mock

import aiohttp
import pytest
from aioresponses import aioresponses

import aiodo_projects as do
from aiodo_projects import _limiter
from aiodo_projects.testing import FakeDigitalOcean
from tests.redis_support import RedisServer, running_redis

if TYPE_CHECKING:
    import pathlib
    from collections.abc import AsyncIterator, Iterator

TOKEN = "dop_v1_test_token_0123456789abcdef"


@pytest.fixture(autouse=True)
def _private_data_directory(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the audit's default database into the test's own directory, never the home's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    """A running fake API holding only the default project."""
    async with FakeDigitalOcean(token=TOKEN) as server:
        yield server


@pytest.fixture
async def client(fake: FakeDigitalOcean) -> AsyncIterator[do.Client]:
    """A client pointed at the fake."""
    async with do.Client(token=TOKEN, base_url=fake.base_url) as api:
        yield api


@pytest.fixture
async def seeded(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[FakeDigitalOcean, do.Client]]:
    """A fake seeded with ``request.param`` projects (parametrize indirectly) and a client."""
    async with FakeDigitalOcean(token=TOKEN) as server:
        server.seed(projects=request.param)
        async with do.Client(token=TOKEN, base_url=server.base_url) as api:
            yield server, api


class _CompatResponse(aiohttp.ClientResponse):
    """A ClientResponse that aioresponses 0.7.9 can build on aiohttp 3.14.

    aiohttp 3.14 made ``stream_writer`` a required argument and aioresponses does not pass it
    (pnuckowski/aioresponses#289, fixed by the open PR #288). Remove this shim once a fixed
    aioresponses is released.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "stream_writer" in _RESPONSE_PARAMETERS:
            kwargs.setdefault("stream_writer", mock.Mock(output_size=0))
        super().__init__(*args, **kwargs)


_RESPONSE_PARAMETERS = inspect.signature(aiohttp.ClientResponse.__init__).parameters


class _Mocked(aioresponses):
    def add(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("response_class", _CompatResponse)
        super().add(*args, **kwargs)


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    """aioresponses with the aiohttp 3.14 shim; loopback passes through to real servers."""
    with _Mocked(passthrough=["http://127.0.0.1"]) as mocker:
        yield mocker


@pytest.fixture(autouse=True)
def _no_shared_limiter_from_an_earlier_test() -> None:
    """Start every test with an empty registry of shared limiters.

    The registry keys on the API origin, and a fake listens on a port the system picks: a later
    test's fake can get the port of an earlier one whose limiter is still alive (clients sit in
    reference cycles until the garbage collector runs), and would inherit that test's budget,
    pause and reports.
    """
    with _limiter._REGISTRY_LOCK:
        _limiter._REGISTRY.clear()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of its own on a loopback port (skipped locally without the binary)."""
    yield from running_redis()
