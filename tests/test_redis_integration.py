"""RedisLimiter across real processes on a real redis-server, against the fake's limits.

Each test starts its own ``redis-server`` on a free loopback port (no persistence) and
runs worker processes (``tests/redis_worker.py``) on one token against one
``FakeDigitalOcean`` that enforces scaled limits; the fake's own request log is the judge.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from aiodo_projects.testing import FakeDigitalOcean, LimitConfig

if TYPE_CHECKING:
    from aiodo_projects.testing import RecordedRequest
    from tests.redis_support import RedisServer

pytestmark = pytest.mark.slow

TOKEN = "integration-token"
WORKER = Path(__file__).with_name("redis_worker.py")


async def spawn(config: dict[str, Any]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        json.dumps(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def start(processes: list[asyncio.subprocess.Process], seconds: float) -> float:
    """Start every worker at once, when all have imported; return the start time."""
    for process in processes:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30.0) == b"ready\n"
    start_at = time.time() + 0.2
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(
            json.dumps({"start_at": start_at, "stop_at": start_at + seconds}).encode()
        )
        process.stdin.write(b"\n")
        await process.stdin.drain()
    return start_at


async def outcome(process: asyncio.subprocess.Process, within: float) -> dict[str, int]:
    stdout, _ = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode == 0
    result: dict[str, int] = json.loads(stdout)
    return result


def worst_window(requests: list[RecordedRequest], window: float) -> int:
    """The most admitted arrivals in any ``window`` seconds, as the fake counts them."""
    times = sorted(r.time for r in requests if r.status != 429)
    worst = start = 0
    for end, arrived in enumerate(times):
        while times[start] <= arrived - window:
            start += 1
        worst = max(worst, end - start + 1)
    return worst


def settings(fake: FakeDigitalOcean, redis: RedisServer, **extra: Any) -> dict[str, Any]:
    return {
        "base_url": fake.base_url, "redis_url": redis.url, "token": TOKEN, "mode": "calls",
        "policy": "local", "workers": 4, "tasks": 4, "lease_ttl": 0.5,
        **extra,
    }  # fmt: skip


async def test_redis_limiter_four_processes_share_the_limit_without_a_429(
    redis_server: RedisServer,
) -> None:
    limit, window, seconds = 40, 1.0, 4
    limits = LimitConfig(per_minute=limit, minute_window=window, enforce=True)
    async with FakeDigitalOcean(token=TOKEN, limits=limits) as fake:
        config = settings(fake, redis_server, limit=limit, window=window)
        workers = [await spawn(config) for _ in range(4)]
        started = await start(workers, seconds * window)
        results = [await outcome(w, 30.0) for w in workers]
        requests = fake.requests
    assert [set(r) for r in results] == [{"ok"}] * 4
    assert sum(r.status == 429 for r in requests) == 0
    assert worst_window(requests, window) <= limit
    counted = [r for r in requests if r.time < started + seconds * window]
    assert len(counted) >= 0.95 * limit * seconds
    assert min(r["ok"] for r in results) >= 0.5 * limit * seconds / 4  # FIFO: no one starves


async def test_redis_limiter_slots_of_a_killed_worker_come_back_within_lease_ttl_and_window(
    redis_server: RedisServer,
) -> None:
    limit, window, lease_ttl, held = 20, 1.0, 0.5, 10
    limits = LimitConfig(per_minute=limit, minute_window=window, enforce=True)
    async with FakeDigitalOcean(token=TOKEN, limits=limits) as fake:
        config = settings(fake, redis_server, limit=limit, window=window, lease_ttl=lease_ttl)
        holder = await spawn({**config, "mode": "hold", "hold": held})
        workers = [await spawn({**config, "delay": 0.5}) for _ in range(3)]
        started = await start([holder, *workers], 5.0)
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 10.0)
        leases = json.loads(line)["holding"]
        assert len(leases) == held
        await asyncio.sleep(started + 1.5 - time.time())
        holder.send_signal(signal.SIGKILL)
        killed = time.time()
        await holder.wait()
        redis = Redis.from_url(redis_server.url)
        try:
            while True:  # until the killed worker's slots are neither leased nor logged
                async with redis.pipeline() as pipe:
                    for lease in leases:
                        pipe.zscore(f"{{aiodo:{digest(TOKEN)}}}:leases", lease)
                        pipe.zscore(f"{{aiodo:{digest(TOKEN)}}}:log", lease)
                    scores = await pipe.execute()
                    if all(score is None for score in scores):
                        break
                assert time.time() - killed < lease_ttl + window + 1.0
                await asyncio.sleep(0.02)
            recovered = time.time() - killed
        finally:
            await redis.aclose()
        results = [await outcome(w, 30.0) for w in workers]
        requests = fake.requests
    assert recovered <= lease_ttl + window + 0.1
    assert sum(r.status == 429 for r in requests) == 0
    assert worst_window(requests, window) <= limit
    after = [r for r in requests if killed + lease_ttl + window <= r.time < killed + 3.5]
    assert len(after) >= 0.9 * limit * (3.5 - lease_ttl - window) / window
    assert all(set(r) == {"ok"} for r in results)


def digest(token: str) -> str:
    import hashlib  # noqa: PLC0415 -- the key layout, as the limiter computes it

    return hashlib.sha256(token.encode()).hexdigest()[:32]


@pytest.mark.parametrize("policy", ["local", "open", "closed"])
async def test_redis_limiter_redis_restarted_mid_run_keeps_the_failure_policy(
    redis_server: RedisServer, policy: str
) -> None:
    limit, window = 20, 0.5
    limits = LimitConfig(per_minute=limit, minute_window=window, enforce=True)
    async with FakeDigitalOcean(token=TOKEN, limits=limits) as fake:
        config = settings(fake, redis_server, limit=limit, window=window, policy=policy)
        workers = [await spawn(config) for _ in range(4)]
        start_at = await start(workers, 5.0)
        await asyncio.sleep(start_at + 1.0 - time.time())
        redis_server.stop()
        stopped = time.time()
        await asyncio.sleep(1.0)
        redis_server.start()
        restarted = time.time()
        results = [await outcome(w, 30.0) for w in workers]  # nothing hangs or crashes
        requests = fake.requests
    down = [r for r in requests if stopped + window <= r.time < restarted]
    ok = sum(r.get("ok", 0) for r in results)
    refused = sum(r.get("LimiterUnavailableError", 0) for r in results)
    if policy == "closed":  # refused while Redis was away, shared limits before and after
        assert refused > 0
        assert not down
        assert sum(r.status == 429 for r in requests) == 0
    else:
        assert refused == 0
    if policy == "local":  # each process keeps to its share: at most the limit in all
        assert 0 < worst_window(down, window) <= limit
    if policy == "open":  # no limiting: the fake's 429s are the retries' business
        assert len(down) > 0
    back = [r for r in requests if restarted + 2 * window <= r.time < start_at + 5.0]
    assert back
    assert worst_window(back, window) <= limit
    assert ok > 0
