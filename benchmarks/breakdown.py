"""Where a listing's CPU goes, per project: ``python -m benchmarks.breakdown [--parser NAME]``.

The end-to-end scenarios say how far the client is from the floor; this says why. It times,
in one process and without HTTP, the steps a listing takes per project on pages of 200
realistic projects (distinct ids, names and timestamps): parsing the body, making the typed
models, freeing them again, and the ``async for`` protocol. Without ``--parser`` it runs once
per JSON library installed, each in its own process (the decoders are built for one library
at import).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["main", "measure", "page_body"]

PER_PAGE = 200
PAGES = 50
REPEATS = 7
ENVIRONMENTS = ("Development", "Staging", "Production")


def page_body(number: int, pages_count: int = PAGES) -> bytes:
    """Page ``number`` (from 0) of ``PER_PAGE`` projects, as DigitalOcean would send it."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    projects = []
    for index in range(PER_PAGE):
        n = number * PER_PAGE + index
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
    body = {"projects": projects, "links": {}, "meta": {"total": pages_count * PER_PAGE}}
    return json.dumps(body).encode()


def _decoding(bodies: list[bytes]) -> dict[str, Callable[[], float]]:
    from aiodo_projects import Project  # noqa: PLC0415 -- after orjson is hidden
    from aiodo_projects._convert import decode_page, loads  # noqa: PLC0415

    def parse() -> float:
        started = time.process_time()
        for body in bodies:
            loads(body)
        return time.process_time() - started

    def parse_and_decode() -> float:
        started = time.process_time()
        for body in bodies:
            decode_page(loads(body), "projects", Project, owned=True)
        return time.process_time() - started

    return {"parse": parse, "parse+decode": parse_and_decode}


def _iterating(bodies: list[bytes]) -> dict[str, Callable[[], float]]:
    import attrs  # noqa: PLC0415
    from yarl import URL  # noqa: PLC0415

    from aiodo_projects import PageLinks, Project  # noqa: PLC0415 -- after orjson is hidden
    from aiodo_projects._convert import decode_page, loads  # noqa: PLC0415
    from aiodo_projects._pagination import Paginator  # noqa: PLC0415

    link = "https://api.example/v2/projects?page={}"
    pages = [
        attrs.evolve(
            decode_page(loads(body), "projects", Project, owned=True),
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


def _report(parser: str, steps: dict[str, float]) -> list[str]:
    decode = steps["parse+decode"] - steps["parse"]
    protocol = steps["async for"] - steps["plain for"]
    return [
        f"{parser}: microseconds of CPU per project ({PAGES} pages of {PER_PAGE})",
        f"  parse the body into dicts (and free them)    {steps['parse']:6.3f}",
        f"  make typed models of them (and free those)   {decode:6.3f}",
        f"  async for over a Paginator, beyond a for     {protocol:6.3f}",
        f"  typed models and async for, in all           {decode + protocol:6.3f}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the breakdown for one parser, or for each installed one in its own process."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.breakdown", description=__doc__)
    parser.add_argument("--parser", choices=["json", "orjson"], help="one parser only")
    args = parser.parse_args(argv)
    if args.parser is None:
        parsers = ["json"]
        if importlib.util.find_spec("orjson") is not None:
            parsers.append("orjson")
        for name in parsers:
            command = [sys.executable, "-m", "benchmarks.breakdown", "--parser", name]
            subprocess.run(command, check=True)  # noqa: S603 -- this module, by path
        return 0
    if args.parser == "json":
        sys.modules["orjson"] = None  # type: ignore[assignment] # as the default install
    from aiodo_projects._convert import JSON_LIBRARY  # noqa: PLC0415

    if args.parser != JSON_LIBRARY:
        sys.stderr.write(f"{args.parser} is not installed\n")
        return 2
    print("\n".join(_report(args.parser, measure())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
