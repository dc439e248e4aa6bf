"""A closed Client, aclose() during a call, and one Client across event loops."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from typing import TYPE_CHECKING

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean
from tests.cli_support import fake_in_thread
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def threaded_fake() -> Iterator[FakeDigitalOcean]:
    """A fake serving from its own loop in a thread, so the test can run loops of its own."""
    with fake_in_thread(token=TOKEN) as server:
        yield server


async def test_client_closed_refuses_every_call_with_a_typed_error(
    fake: FakeDigitalOcean,
) -> None:
    client = do.Client(token=TOKEN, base_url=fake.base_url)
    await client.projects.get_default()
    await client.aclose()
    with pytest.raises(do.ClientClosedError, match="closed") as info:
        await client.projects.get_default()
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value, do.DigitalOceanError)
    with pytest.raises(do.ClientClosedError):
        await client.projects.create(name="late", purpose="p")
    with pytest.raises(do.ClientClosedError):
        await client.projects.list()
    assert fake.received() == 1


async def test_client_closed_before_any_call_sends_nothing(fake: FakeDigitalOcean) -> None:
    async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
        pass
    with pytest.raises(do.ClientClosedError):
        await client.projects.get_default()
    assert fake.received() == 0


async def test_client_with_a_borrowed_session_closed_under_it_raises_typed(
    fake: FakeDigitalOcean,
) -> None:
    session = aiohttp.ClientSession()
    client = do.Client(token=TOKEN, base_url=fake.base_url, session=session)
    await session.close()
    with pytest.raises(do.ClientClosedError, match="borrows"):
        await client.projects.get_default()
    await client.aclose()
    assert fake.received() == 0


async def test_client_aclose_during_calls_ends_them_with_typed_errors() -> None:
    async with FakeDigitalOcean(token=TOKEN, latency=0.3) as fake:
        client = do.Client(token=TOKEN, base_url=fake.base_url)
        reading = asyncio.create_task(client.projects.get_default())
        writing = asyncio.create_task(client.projects.create(name="web", purpose="p"))
        await asyncio.sleep(0.1)  # both sent, neither answered
        await client.aclose()
        with pytest.raises(do.ClientClosedError):
            await reading
        with pytest.raises(do.AmbiguousWriteError):  # the create may have been processed
            await writing
    assert fake.received() == 2


def test_client_across_two_asyncio_runs_works_in_each_and_leaks_nothing(
    threaded_fake: FakeDigitalOcean, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    client = do.Client(token=TOKEN, base_url=threaded_fake.base_url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = asyncio.run(client.projects.get_default())
        session = client._owned
        assert session is not None
        assert session.closed  # closed as its loop ended, though aclose() was never called
        second = asyncio.run(client.projects.get_default())
        asyncio.run(client.aclose())
        del client, session
        gc.collect()
    assert first == second
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert "Unclosed" not in caplog.text


def test_client_closed_in_another_loop_than_its_session_leaks_nothing(
    threaded_fake: FakeDigitalOcean, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    client = do.Client(token=TOKEN, base_url=threaded_fake.base_url)

    async def use_and_close(used: do.Client) -> None:
        await used.projects.get_default()
        await used.aclose()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(client.projects.get_default())
        asyncio.run(use_and_close(client))
        asyncio.run(client.aclose())  # twice, from a third loop: nothing to do
        del client
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert "Unclosed" not in caplog.text
