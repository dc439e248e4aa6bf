"""``aiodo-projects fake-server``: the fake API on a loopback port, for trying other tools."""

from __future__ import annotations

import asyncio
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

    if args.projects < 0:
        raise CLIError(f"--projects must be 0 or more, not {args.projects}", EXIT_USAGE)
    if args.latency < 0:
        raise CLIError(f"--latency must be 0 or more seconds, not {args.latency:g}", EXIT_USAGE)
    options: dict[str, object] = {}
    if args.token is not None:
        options["token"] = args.token
    try:
        fake = FakeDigitalOcean(
            host=args.host,
            port=args.port,
            latency=args.latency,
            limits=LimitConfig(enforce=args.enforce_limits),
            **options,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    if not args.empty and args.projects:
        fake.seed_demo(projects=args.projects)
    shown_token = "the one given with --token" if args.token is not None else fake.token

    def ready(running: FakeDigitalOcean) -> None:
        projects = len(running.projects)
        sys.stdout.write(
            f"listening on {running.base_url} (token: {shown_token}; {projects} projects)\n"
            f"try: aiodo-projects --base-url {running.base_url} --token TOKEN audit\n"
            "press Ctrl-C to stop\n"
        )
        sys.stdout.flush()

    asyncio.run(serve(fake, on_ready=ready))
    return 0
