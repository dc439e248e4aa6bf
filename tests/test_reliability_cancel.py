"""Cancellation at random points leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
from typing import TYPE_CHECKING

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, ScriptedResponse
from tests.cli_support import fake_in_thread
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

RUNS = 200
OPERATIONS = ("list", "iter_all", "get", "create")
SCRIPTED = {
    "list": "projects_list",
    "iter_all": "projects_list",
    "get": "projects_get_default",
    "create": "projects_create",
}
RATE_LIMITED = ScriptedResponse(
    status=429, json={"id": "too_many_requests", "message": "m"}, headers={"Retry-After": "0.01"}
)


@pytest.fixture
def threaded_fake() -> Iterator[FakeDigitalOcean]:
    """A fake on its own loop in a thread, so the test's loop holds only the client's tasks."""
    with fake_in_thread(
        lambda server: server.seed(projects=30), latency=0.002, token=TOKEN
    ) as fake:
        yield fake


async def run_operation(client: do.Client, operation: str, run: int) -> None:
    projects = client.projects
    if operation == "list":
        await projects.list(per_page=10)
    elif operation == "iter_all":
        async for _ in projects.iter_all(per_page=5):
            pass
    elif operation == "get":
        await projects.get_default()
    else:
        with contextlib.suppress(do.AmbiguousWriteError):
            await projects.create(name=f"cancel-{run}", purpose="IoT")


@pytest.mark.slow
async def test_cancellation_at_random_points_leaves_nothing_behind(
    threaded_fake: FakeDigitalOcean,
) -> None:
    fake = threaded_fake
    rng = random.Random(20240603)  # noqa: S311 -- reproducible test schedule
    this_task = asyncio.current_task()
    policy = do.RetryPolicy(backoff_base=0.002, backoff_cap=0.004)
    cancelled = completed = 0
    async with do.Client(
        token=TOKEN,
        base_url=fake.base_url,
        # small, so that many cancellations land in a limiter wait
        rate_limiter=do.RateLimits(burst_limit=4, burst_window=0.01),
        retry_policy=policy,
        timeout=10.0,
    ) as client:
        limiter = client.rate_limiter
        assert isinstance(limiter, do.TokenBucketLimiter)
        await client.projects.get_default()
        session = client._owned
        assert session is not None
        assert isinstance(session.connector, aiohttp.BaseConnector)
        assert hasattr(session.connector, "_acquired")  # what "no connection held" reads
        for run in range(RUNS):
            operation = OPERATIONS[run % len(OPERATIONS)]
            fault = rng.choice([None, None, 503, RATE_LIMITED])
            if fault is not None:
                fake.script(SCRIPTED[operation], fault)
            task = asyncio.create_task(run_operation(client, operation, run))
            await asyncio.sleep(rng.uniform(0.0, 0.012))
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                cancelled += 1
            else:
                completed += 1
            assert asyncio.all_tasks() == {this_task}, f"run {run}: a task leaked"
            assert limiter.waiting == 0, f"run {run}: the limiter queue is not empty"
            assert limiter.in_flight == 0, f"run {run}: a token was not released"
            assert not session.connector._acquired, f"run {run}: a connection is held"
            fake.clear_script()
            project = await client.projects.get_default()  # the next call succeeds
            assert project.is_default
    gc.collect()
    assert cancelled >= RUNS // 3  # most runs were cut short somewhere, not all finished first
    assert completed >= 1
    assert cancelled + completed == RUNS


async def test_cancellation_of_a_limiter_wait_gives_the_place_back(
    threaded_fake: FakeDigitalOcean,
) -> None:
    async with do.Client(
        token=TOKEN,
        base_url=threaded_fake.base_url,
        rate_limiter=do.RateLimits(burst_limit=1, burst_window=0.5),
    ) as client:
        limiter = client.rate_limiter
        assert isinstance(limiter, do.TokenBucketLimiter)
        await client.projects.get_default()  # spends the only token for half a second
        waiting = [asyncio.create_task(client.projects.get_default()) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert limiter.waiting == 3
        waiting[0].cancel()
        waiting[1].cancel()
        await asyncio.gather(*waiting[:2], return_exceptions=True)
        assert limiter.waiting == 1
        project = await asyncio.wait_for(waiting[2], 2.0)
        assert project.is_default
        assert limiter.waiting == 0


async def test_cancellation_propagates_as_cancelled_not_a_library_error(
    threaded_fake: FakeDigitalOcean,
) -> None:
    threaded_fake.latency = 0.5
    async with do.Client(token=TOKEN, base_url=threaded_fake.base_url) as client:
        task = asyncio.create_task(client.projects.get_default())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        threaded_fake.latency = 0.0
        assert (await client.projects.get_default()).is_default
