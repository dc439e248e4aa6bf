"""Where a listing's CPU goes, per project: ``python -m benchmarks.breakdown``.

The end-to-end scenarios say how far the client is from the floor; this says why. It times,
in one process and without HTTP, the steps a listing takes per project on pages of 200
realistic projects (distinct ids, names and timestamps): decoding the body's bytes into the
typed models (and freeing them again), beside what ``json.loads`` alone costs the floor for
the same bytes, and the ``async for`` protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
from yarl import URL

from aiodo_projects import Page, PageLinks, Project
from aiodo_projects._convert import converter
from aiodo_projects._pagination import Paginator

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["main", "measure", "page_body", "report"]

PER_PAGE = 200
PAGES = 50
REPEATS = 7
ENVIRONMENTS = ("Development", "Staging", "Production")


def page_body(number: int, pages_count: int = PAGES, per_page: int = PER_PAGE) -> bytes:
    """Page ``number`` (from 0) of ``per_page`` projects, as DigitalOcean would send it."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    projects = []
    for index in range(per_page):
        n = number * per_page + index
        created = start + timedelta(minutes=37 * n)
        projects.append(
            {
                "id": str(uuid.UUID(int=n + 1)),
                "owner_uuid": "99525febec065ca37b2ffe4f852fd2b2581895e7",
                "owner_id": 258992,
                "name": f"project-{n:05d}",
                "description": f"Project number {n}",
                "purpose": "Service or API",
                "environment": ENVIRONMENTS[n % 3],
                "is_default": False,
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_at": (created + timedelta(days=n % 5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    body = {"projects": projects, "links": {}, "meta": {"total": pages_count * per_page}}
    return json.dumps(body).encode()


def _decoding(bodies: list[bytes]) -> dict[str, Callable[[], float]]:
    def parse() -> float:
        started = time.process_time()
        for body in bodies:
            json.loads(body)
        return time.process_time() - started

    def decode() -> float:
        started = time.process_time()
        for body in bodies:
            converter.structure(body, Page[Project])
        return time.process_time() - started

    return {"json.loads": parse, "decode": decode}


def _iterating(bodies: list[bytes]) -> dict[str, Callable[[], float]]:
    link = "https://api.example/v2/projects?page={}"
    pages = [
        attrs.evolve(
            converter.structure(body, Page[Project]),
            links=PageLinks(next=link.format(number + 2) if number + 1 < len(bodies) else None),
        )
        for number, body in enumerate(bodies)
    ]

    async def fetch(url: URL) -> Any:  # noqa: ANN401 -- a decoded Page
        return pages[int(url.query["page"]) - 1]

    async def walk() -> float:
        paginator: Paginator[Any] = Paginator(fetch, URL(link.format(1)), URL(link))
        started = time.process_time()
        async for _ in paginator:
            pass
        elapsed = time.process_time() - started
        if paginator.pages_fetched != len(pages):
            msg = f"the walk fetched {paginator.pages_fetched} of {len(pages)} pages"
            raise RuntimeError(msg)
        return elapsed

    async def loop() -> float:
        started = time.process_time()
        for page in pages:
            for _ in page.items:
                pass
        return time.process_time() - started

    return {"async for": lambda: asyncio.run(walk()), "plain for": lambda: asyncio.run(loop())}


def measure(pages_count: int = PAGES, repeats: int = REPEATS) -> dict[str, float]:
    """Time each step of a listing, in microseconds per project, with this process's parser.

    Each step is timed ``repeats`` times and the fastest is kept. Pages are handled one after
    the other and let go, as in a listing, so memory is reused the way it is there.
    """
    bodies = [page_body(number, pages_count) for number in range(pages_count)]
    steps = {**_decoding(bodies), **_iterating(bodies)}
    gc.collect()
    per_project = 1e6 / (pages_count * PER_PAGE)
    return {name: min(step() for _ in range(repeats)) * per_project for name, step in steps.items()}


def report(steps: dict[str, float], pages_count: int = PAGES) -> list[str]:
    """The breakdown as lines of text."""
    parse, decode = steps["json.loads"], steps["decode"]
    protocol = steps["async for"] - steps["plain for"]
    return [
        f"microseconds of CPU per project ({pages_count} pages of {PER_PAGE})",
        f"  json.loads into dicts (and free them), the floor's parse  {parse:6.3f}",
        f"  typed models from the bytes (and free them)               {decode:6.3f}",
        f"  ... as a share of json.loads                              {decode / parse:6.2f}",
        f"  async for over a Paginator, beyond a for                  {protocol:6.3f}",
        f"  typed models and async for, in all                        {decode + protocol:6.3f}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the breakdown."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.breakdown", description=__doc__)
    parser.add_argument("--pages", type=int, default=PAGES, help="pages of 200 projects")
    args = parser.parse_args(argv)
    print("\n".join(report(measure(args.pages), args.pages)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
