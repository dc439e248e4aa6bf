"""Start the embedded fake API, seed 1,000 projects and stream them all with ``iter_all``.

Run it with ``python examples/stream_fake.py``: no DigitalOcean account is needed.
"""

from __future__ import annotations

import asyncio
import time

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean


async def main(projects: int = 1000) -> int:
    """Seed the fake, stream every project, print a line per 100 and a summary; return the count."""
    async with FakeDigitalOcean() as fake:
        fake.seed(projects=projects)
        async with do.Client(token=fake.token, base_url=fake.base_url) as client:
            started = time.perf_counter()
            count = 0
            iterator = client.projects.iter_all(per_page=200)
            async for project in iterator:
                count += 1
                if count % 100 == 0 or project.is_default:
                    print(f"{count:>5}  {project.id}  {project.name:<16} {project.environment}")
            elapsed = time.perf_counter() - started
            print(
                f"streamed {count} projects in {iterator.pages_fetched} pages "
                f"({elapsed * 1000:.0f} ms); rate limit left: "
                f"{client.rate_limit.remaining if client.rate_limit else 'unknown'}"
            )
            return count


if __name__ == "__main__":
    asyncio.run(main())
