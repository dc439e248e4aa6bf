"""The Redis limiter's Lua scripts and its failure handling, on fakeredis (with Lua).

Times come from Redis ``TIME`` (real time here), so the windows are short and the waits
bounded; the scripts are driven through :class:`RedisLimiter` and read back from Redis.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from typing import Any

import fakeredis
import pytest

import aiodo_projects as do
from aiodo_projects._redis_breaker import Breaker
from aiodo_projects._redis_scripts import keys
from aiodo_projects.redis import LimiterUnavailableError, RedisLimiter
from aiodo_projects.testing import FakeDigitalOcean, LimitConfig

TOKEN = "secret-token-value"


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


def limiter(server: fakeredis.FakeServer, **options: Any) -> RedisLimiter:
    client = fakeredis.FakeAsyncRedis(server=server)
    settings: dict[str, Any] = {
        "failure_policy": "closed", "limit": 2, "window": 0.2, "hourly": False,
        "lease_ttl": 1.0, "poll_interval": 0.005, **options,
    }  # fmt: skip
    return RedisLimiter(client, TOKEN, **settings)


async def members(server: fakeredis.FakeServer, name: str) -> list[bytes]:
    client = fakeredis.FakeAsyncRedis(server=server)
    key = next(k for k in keys(digest()) if k.endswith(":" + name))
    found = [m for m in await client.zrange(key, 0, -1) if isinstance(m, bytes)]
    await client.aclose()
    return found


def digest() -> str:
    import hashlib  # noqa: PLC0415

    return hashlib.sha256(TOKEN.encode()).hexdigest()[:32]


async def test_redis_scripts_keys_share_one_hash_tag_never_the_token_and_expire(
    server: fakeredis.FakeServer,
) -> None:
    lim = limiter(server)
    await lim.acquire(1.0)
    lim.release(answered=True)
    await lim.aclose()
    client = fakeredis.FakeAsyncRedis(server=server)
    stored = sorted(await client.keys("*"))
    assert stored
    for key in stored:
        assert isinstance(key, bytes)
        assert key.startswith(f"{{aiodo:{digest()}}}:".encode())
        assert TOKEN.encode() not in key
        assert await client.pttl(key) > 0
    await client.aclose()
    assert TOKEN not in repr(lim)


async def test_redis_scripts_slot_comes_back_one_window_after_the_attempt_ends(
    server: fakeredis.FakeServer,
) -> None:
    async with limiter(server, limit=1) as lim:
        await lim.acquire(1.0)
        await asyncio.sleep(0.1)  # the attempt takes a while: the window counts from its end
        lim.release(answered=True)
        ended = time.monotonic()
        await lim.acquire(1.0)
        waited = time.monotonic() - ended
    assert 0.2 - 0.01 <= waited < 0.2 + 0.15


@pytest.mark.slow
async def test_redis_scripts_waiters_are_served_in_ticket_order_across_limiters(
    server: fakeredis.FakeServer,
) -> None:
    first, second = limiter(server, limit=1), limiter(server, limit=1)
    order: list[int] = []
    await first.acquire(1.0)

    async def waiter(lim: RedisLimiter, n: int) -> None:
        await lim.acquire(5.0)
        order.append(n)
        lim.release(answered=True)

    async def queued(count: int) -> None:
        while len(await members(server, "queue")) < count:  # noqa: ASYNC110 - Redis state, no event
            await asyncio.sleep(0.005)

    tasks = []
    for n in range(6):
        tasks.append(asyncio.create_task(waiter((first, second)[n % 2], n)))
        await asyncio.wait_for(queued(n + 1), 5.0)  # each holds its ticket before the next
    first.release(answered=True)
    await asyncio.wait_for(asyncio.gather(*tasks), 10.0)
    await first.aclose()
    await second.aclose()
    assert order == list(range(6))


async def test_redis_scripts_cancelled_acquire_leaves_no_ticket_and_no_lease(
    server: fakeredis.FakeServer,
) -> None:
    async with limiter(server, limit=1) as lim:
        await lim.acquire(1.0)
        task = asyncio.create_task(lim.acquire(5.0))
        await asyncio.sleep(0.05)
        assert len(await members(server, "queue")) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)  # the cleanup runs in the background
        assert await members(server, "queue") == []
        assert len(await members(server, "leases")) == 1  # only the one acquired
        lim.release(answered=True)


async def test_redis_scripts_lease_of_a_dead_worker_returns_after_ttl_and_window(
    server: fakeredis.FakeServer,
) -> None:
    dead = limiter(server, limit=1, lease_ttl=0.1)
    await dead.acquire(1.0)
    assert dead._heartbeat is not None
    dead._heartbeat.cancel()  # it froze: no heartbeat, no release
    died = time.monotonic()
    async with limiter(server, limit=1, lease_ttl=0.1) as alive:
        await alive.acquire(2.0)
        waited = time.monotonic() - died
    assert 0.1 + 0.2 - 0.01 <= waited < 0.1 + 0.2 + 0.2


async def test_redis_scripts_heartbeat_keeps_a_long_attempt_leased(
    server: fakeredis.FakeServer,
) -> None:
    async with limiter(server, limit=1, lease_ttl=0.1) as lim:
        await lim.acquire(1.0)
        await asyncio.sleep(0.3)  # three lease lifetimes
        assert len(await members(server, "leases")) == 1
        assert await members(server, "log") == []
        lim.release(answered=False)
        assert lim._tasks
    assert len(await members(server, "log")) == 1


async def test_redis_scripts_pause_is_shared_and_too_long_raises_at_once(
    server: fakeredis.FakeServer,
) -> None:
    first, second = limiter(server, limit=5), limiter(server, limit=5)
    first.pause(30.0)
    await asyncio.sleep(0.02)
    started = time.monotonic()
    with pytest.raises(do.WaitTooLong) as caught:
        await second.acquire(1.0)
    assert time.monotonic() - started < 0.5
    assert 29.0 < caught.value.seconds <= 30.0
    assert await members(server, "queue") == []
    await first.aclose()
    await second.aclose()


async def test_redis_scripts_hourly_budget_is_learned_from_headers_and_shared(
    server: fakeredis.FakeServer,
) -> None:
    first = limiter(server, limit=10, hourly=True)
    second = limiter(server, limit=10, hourly=True)
    await first.acquire(1.0)
    probe = asyncio.create_task(second.acquire(1.0))  # one probe until an answer comes
    await asyncio.sleep(0.05)
    assert not probe.done()
    reset = do.RateLimit(limit=5000, remaining=0, reset=_at(time.time() + 60))
    first.release(answered=True, rate_limit=reset, reset_in=60.0)
    with pytest.raises(do.WaitTooLong) as caught:
        await asyncio.wait_for(probe, 2.0)
    assert 59.0 < caught.value.seconds <= 60.0
    await first.aclose()
    await second.aclose()


def _at(epoch: float) -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.fromtimestamp(epoch, tz=UTC)


def test_redis_scripts_breaker_opens_after_failures_and_closes_on_success() -> None:
    now = [0.0]
    breaker = Breaker(failures=2, cooldown=5.0, clock=lambda: now[0])
    assert breaker.failed()  # the first of a streak
    assert breaker.allows()
    assert not breaker.failed()
    assert not breaker.allows()
    now[0] = 5.0
    assert breaker.allows()  # one try after the cool-down
    assert breaker.succeeded()
    assert not breaker.failing
    with pytest.raises(ValueError, match="failures"):
        Breaker(failures=0, cooldown=1.0)
    with pytest.raises(ValueError, match="cooldown"):
        Breaker(failures=1, cooldown=float("inf"))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"failure_policy": "maybe"}, "failure_policy"),
        ({"failure_policy": "local"}, "workers"),
        ({"failure_policy": "open", "window": 0.0}, "window"),
        ({"failure_policy": "open", "limit": 0}, "limit"),
    ],
)
def test_redis_scripts_invalid_settings_raise_validation_error(
    options: dict[str, Any], match: str
) -> None:
    with pytest.raises(do.ValidationError, match=match):
        RedisLimiter("redis://127.0.0.1:1", TOKEN, **options)


async def test_redis_scripts_failure_policies_when_redis_is_unreachable(
    server: fakeredis.FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.connected = False
    caplog.set_level(logging.WARNING, logger="aiodo_projects")
    closed = limiter(server)
    with pytest.raises(LimiterUnavailableError, match="closed"):
        await closed.acquire(1.0)
    opened = limiter(server, failure_policy="open", limit=1)
    for _ in range(5):
        await opened.acquire(0.0)  # nothing limits
    for _ in range(5):
        opened.release(answered=True)
    local = limiter(server, failure_policy="local", workers=2, limit=4, window=5.0, cooldown=0)
    await local.acquire(1.0)
    local.release(answered=True)
    await local.acquire(1.0)
    assert local._local.in_flight == 1  # the local share: 4 // 2 slots
    assert "cannot reach Redis" in caplog.text
    assert TOKEN not in caplog.text
    local.release(answered=True)
    server.connected = True  # Redis is back: what the local share sent is counted there
    await local.acquire(1.0)
    await asyncio.sleep(0.05)
    assert len(await members(server, "log")) == 2
    assert len(await members(server, "leases")) == 1
    assert "reaches Redis again" in caplog.text
    for lim in (closed, opened, local):
        await lim.aclose()


async def test_redis_scripts_client_through_redis_limiter_sends_no_429(
    server: fakeredis.FakeServer,
) -> None:
    limits = LimitConfig(per_minute=5, minute_window=0.3, enforce=True)
    async with FakeDigitalOcean(token=TOKEN, limits=limits) as fake:
        async with (
            limiter(server, limit=5, window=0.3, hourly=True) as lim,
            do.Client(token=TOKEN, base_url=fake.base_url, rate_limiter=lim) as client,
        ):
            await asyncio.gather(*(client.projects.get_default() for _ in range(12)))
        assert sum(r.status == 429 for r in fake.requests) == 0
        assert fake.received() == 12


def test_redis_scripts_importing_the_package_does_not_import_redis() -> None:
    code = "import sys, aiodo_projects; print('redis' in sys.modules)"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
