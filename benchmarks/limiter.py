"""The rate limiter's own cost: in-process against Redis on loopback, and one Redis's ops/s.

Run ``python -m benchmarks.limiter`` (it starts a ``redis-server`` on a free loopback
port, or uses ``--redis-url``). Limits are set far above the load, so what is timed is the
bookkeeping, never a wait.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import time

from aiodo_projects import TokenBucketLimiter
from aiodo_projects.redis import RedisLimiter

BIG = 10**9


async def in_process(rounds: int) -> float:
    """Seconds per acquire + release of the in-process limiter."""
    limiter = TokenBucketLimiter(limit=BIG, window=60.0, hourly=False)
    started = time.perf_counter()
    for _ in range(rounds):
        await limiter.acquire(1.0)
        limiter.release(answered=True)
    return (time.perf_counter() - started) / rounds


def redis_limiter(url: str, token: str) -> RedisLimiter:
    return RedisLimiter(url, token, failure_policy="closed", limit=BIG, window=60.0, hourly=False)


async def on_redis(url: str, rounds: int) -> float:
    """Seconds per acquire + release (both scripts answered) from one task."""
    async with redis_limiter(url, "bench-latency") as limiter:
        started = time.perf_counter()
        for _ in range(rounds):
            await limiter.acquire(1.0)
            limiter.release(answered=True)
            await asyncio.gather(*limiter._tasks)  # noqa: SLF001 -- the release has answered
        return (time.perf_counter() - started) / rounds


async def throughput(url: str, clients: int, tasks: int, seconds: float) -> float:
    """Scripts per second Redis answers for ``clients`` limiters of ``tasks`` tasks."""
    done = 0
    stop = time.perf_counter() + seconds

    async def work(limiter: RedisLimiter) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await limiter.acquire(1.0)
            limiter.release(answered=True)
            done += 2

    limiters = [redis_limiter(url, f"bench-{n}") for n in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(work(lim) for lim in limiters for _ in range(tasks)))
    for limiter in limiters:
        await limiter.aclose()
    return done / (time.perf_counter() - started)


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed; pass --redis-url")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL)  # noqa: S603
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.01)
    return process, f"redis://127.0.0.1:{port}"


async def run(url: str) -> None:
    local = await in_process(20_000)
    remote = await on_redis(url, 2_000)
    print(f"{'what':<44} {'figure':>14}")
    print(f"{'in-process acquire+release':<44} {local * 1e6:>11.1f} us")
    print(f"{'Redis (loopback) acquire+release':<44} {remote * 1e6:>11.1f} us")
    for clients, tasks in ((1, 8), (4, 8), (8, 8)):
        rate = await throughput(url, clients, tasks, 3.0)
        print(f"{f'Redis scripts/s, {clients} clients x {tasks} tasks':<44} {rate:>12.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", help="an existing Redis (default: start one)")
    url = parser.parse_args().redis_url
    process = None
    if url is None:
        process, url = start_redis()
    try:
        asyncio.run(run(url))
    finally:
        if process is not None:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
