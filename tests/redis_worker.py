"""One worker process of the Redis limiter's integration tests (run as a script).

The only argument is a JSON object: where the fake and Redis are, the limiter's settings,
and what to do (``delay``: seconds to wait past the start); once imported it prints
``ready`` and reads ``start_at`` and ``stop_at`` from a JSON line on its standard input.
``mode="calls"``: ``tasks`` tasks call the fake from ``start_at`` to
``stop_at`` (wall-clock seconds), then one JSON line reports the outcome.
``mode="hold"``: make one call, take ``hold`` slots, print their lease ids, and hang until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

import aiodo_projects as do
from aiodo_projects.redis import RedisLimiter


def report(value: object) -> None:
    """Write one line to the test (standard output is the channel, not a log)."""
    sys.stdout.write((value if isinstance(value, str) else json.dumps(value)) + "\n")
    sys.stdout.flush()


async def calls(config: dict[str, Any], limiter: RedisLimiter) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    async with do.Client(
        token=config["token"], base_url=config["base_url"], rate_limiter=limiter, timeout=30.0
    ) as client:

        async def task() -> None:
            while time.time() < config["stop_at"]:
                try:
                    await client.projects.get_default()
                except do.DigitalOceanError as exc:
                    outcomes[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)  # as an application backs off a failed call
                else:
                    outcomes["ok"] += 1

        await asyncio.sleep(max(0.0, config["start_at"] + config.get("delay", 0) - time.time()))
        await asyncio.gather(*(task() for _ in range(config["tasks"])))
    return dict(outcomes)


async def hold(config: dict[str, Any], limiter: RedisLimiter) -> None:
    await asyncio.sleep(max(0.0, config["start_at"] - time.time()))
    async with do.Client(
        token=config["token"], base_url=config["base_url"], rate_limiter=limiter
    ) as client:
        await client.projects.get_default()  # an answer ends the hourly budget's probe
    for _ in range(config["hold"]):
        await limiter.acquire(30.0)
    report({"holding": [str(lease) for lease in limiter._leases]})
    await asyncio.sleep(3600)  # the heartbeat keeps the leases alive until the kill


async def main(config: dict[str, Any]) -> None:
    async with RedisLimiter(
        config["redis_url"],
        config["token"],
        failure_policy=config["policy"],
        workers=config["workers"],
        limit=config["limit"],
        window=config["window"],
        lease_ttl=config["lease_ttl"],
        cooldown=0.5,
    ) as limiter:
        if config["mode"] == "hold":
            await hold(config, limiter)
        else:
            report(await calls(config, limiter))


if __name__ == "__main__":
    settings = json.loads(sys.argv[1])
    report("ready")  # imported: the test then sends the start and stop times
    settings.update(json.loads(sys.stdin.readline()))
    asyncio.run(main(settings))
