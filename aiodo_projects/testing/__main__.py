"""Run the fake DigitalOcean API as a standalone server: ``python -m aiodo_projects.testing``.

It prints ``listening on http://127.0.0.1:PORT`` once ready and runs until SIGINT or
SIGTERM. Only loopback hosts are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from aiodo_projects.testing._fake import FakeDigitalOcean
from aiodo_projects.testing._limits import LimitConfig
from aiodo_projects.testing._serve import SERVER_RECORD_LIMIT, serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m aiodo_projects.testing",
        description="Run the in-memory DigitalOcean Projects API on a loopback port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    parser.add_argument("--projects", type=int, default=0, help="add N numbered projects")
    parser.add_argument("--demo", action="store_true", help="add realistic demo data")
    parser.add_argument("--token", default="test-token", help="the accepted bearer token")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answers")
    parser.add_argument(
        "--enforce-limits", action="store_true", help="answer 429 beyond 250/min, 5000/h"
    )
    parser.add_argument(
        "--record-limit",
        type=int,
        default=SERVER_RECORD_LIMIT,
        help=f"requests kept in the log (default {SERVER_RECORD_LIMIT:,})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the fake until a signal; return the exit status."""
    args = parse_args(argv)
    try:
        fake = FakeDigitalOcean(
            token=args.token,
            host=args.host,
            port=args.port,
            latency=args.latency,
            limits=LimitConfig(enforce=args.enforce_limits),
            record_limit=args.record_limit,
        )
        fake.seed(args.projects)
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if args.demo:
        fake.seed_demo()

    def ready(running: FakeDigitalOcean) -> None:
        sys.stdout.write(f"listening on {running.base_url}\n")
        sys.stdout.flush()

    # A SIGINT that comes before `serve` handles it interrupts asyncio.run instead.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(fake, on_ready=ready))
    return 0


if __name__ == "__main__":  # pragma: no cover - the tests run it in a subprocess
    sys.exit(main())
