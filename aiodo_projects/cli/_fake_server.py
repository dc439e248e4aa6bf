"""``aiodo-projects fake-server``: the fake API on a loopback port, for trying other tools."""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import TYPE_CHECKING

from aiodo_projects.cli._errors import EXIT_USAGE, CLIError

if TYPE_CHECKING:
    from argparse import Namespace

    from aiodo_projects.testing import FakeDigitalOcean

__all__ = ["run_fake_server"]


def run_fake_server(args: Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM (both a normal stop: exit 0)."""
    from aiodo_projects.testing import FakeDigitalOcean, LimitConfig, serve  # noqa: PLC0415
    from aiodo_projects.testing._serve import SERVER_RECORD_LIMIT  # noqa: PLC0415

    if args.demo_projects < 0:
        raise CLIError(f"--projects must be 0 or more, not {args.demo_projects}", EXIT_USAGE)
    if args.latency < 0:
        raise CLIError(f"--latency must be 0 or more seconds, not {args.latency:g}", EXIT_USAGE)
    try:
        make = functools.partial(
            FakeDigitalOcean,
            host=args.host,
            port=args.port,
            latency=args.latency,
            limits=LimitConfig(enforce=args.enforce_limits),
            record_limit=SERVER_RECORD_LIMIT,
        )
        fake = make() if args.token is None else make(token=args.token)
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    if not args.empty and args.demo_projects:
        fake.seed_demo(projects=args.demo_projects)
    # A token given with --token is the user's to know; only the fake's own default is shown.
    shown_token = "TOKEN" if args.token is not None else fake.token

    def ready(running: FakeDigitalOcean) -> None:
        sys.stdout.write(
            f"listening on {running.base_url} with {len(running.projects)} projects\n"
            f"try: aiodo-projects --base-url {running.base_url} --token {shown_token} audit\n"
            "press Ctrl-C to stop\n"
        )
        sys.stdout.flush()

    asyncio.run(serve(fake, on_ready=ready))
    return 0
