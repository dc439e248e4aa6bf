"""The fake API as a standalone server, for trying other tools against it.

``aiodo-projects fake-server`` and ``python -m aiodo_projects.testing`` are the same server:
both take the options :func:`add_fake_server_arguments` defines and build the fake with
:func:`make_fake`, so an option cannot mean one thing in one and another in the other.
This module imports the fake only when a server starts, so that parsing a command line
stays cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from typing import TYPE_CHECKING, Final

from aiodo_projects.cli._errors import EXIT_USAGE, CLIError

if TYPE_CHECKING:
    from argparse import Namespace

    from aiodo_projects.testing import FakeDigitalOcean

__all__ = [
    "DEMO_PROJECTS",
    "SERVER_RECORD_LIMIT",
    "add_fake_server_arguments",
    "make_fake",
    "run_fake_server",
]

DEMO_PROJECTS: Final = 300
SERVER_RECORD_LIMIT: Final = 10_000
"""A standalone server runs long: it keeps only the latest requests in its log."""
_MAX_PORT: Final = 65535


def _port(text: str) -> int:
    port = _integer(text)
    if not 0 <= port <= _MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is 0 to {_MAX_PORT}, not {text}")
    return port


def _count(text: str) -> int:
    count = _integer(text)
    if count < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return count


def _positive(text: str) -> int:
    count = _integer(text)
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return count


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text}")
    return seconds


def add_fake_server_arguments(parser: argparse.ArgumentParser, *, token: bool) -> None:
    """Add the server's options to ``parser`` (``--token`` too, unless it has one already)."""
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port, 0 to 65535 (default 0: any free one)"
    )
    seeding = parser.add_mutually_exclusive_group()
    seeding.add_argument(
        "--projects",
        type=_count,
        default=DEMO_PROJECTS,
        metavar="N",
        help=f"projects to seed besides the default one ({DEMO_PROJECTS})",
    )
    seeding.add_argument(
        "--empty", action="store_true", help="seed nothing but the default project"
    )
    parser.add_argument(
        "--numbered",
        action="store_true",
        help="seed plain numbered projects (project-00001, ...) without resources, "
        "instead of realistic demo data",
    )
    if token:
        parser.add_argument("--token", help="the bearer token to accept (default: test-token)")
    parser.add_argument(
        "--accounts",
        type=_positive,
        default=1,
        metavar="N",
        help="accounts to serve, each with its own data and limits; the first opens with the"
        " token, account k with TOKEN-k (1)",
    )
    parser.add_argument(
        "--latency", type=_seconds, default=0.0, metavar="SECONDS", help="delay before answers"
    )
    parser.add_argument(
        "--enforce-limits", action="store_true", help="answer 429 past DigitalOcean's rate limits"
    )
    parser.add_argument(
        "--record-limit",
        type=_count,
        default=SERVER_RECORD_LIMIT,
        metavar="N",
        help=f"requests kept in the log ({SERVER_RECORD_LIMIT:,})",
    )


def make_fake(args: Namespace) -> FakeDigitalOcean:
    """Build and seed the fake the options describe; a ``ValueError`` if they are refused."""
    from aiodo_projects.testing import FakeDigitalOcean, LimitConfig  # noqa: PLC0415

    accepted = {} if args.token is None else {"token": args.token}
    fake = FakeDigitalOcean(
        **accepted,
        host=args.host,
        port=args.port,
        latency=args.latency,
        limits=LimitConfig(enforce=args.enforce_limits),
        record_limit=args.record_limit,
    )
    projects = 0 if args.empty else args.projects
    accounts = [fake, *(fake.add_account(f"{fake.token}-{k}") for k in account_numbers(args))]
    for number, account in enumerate(accounts):
        if args.numbered:
            account.seed(projects)
        else:
            account.seed_demo(projects, seed=number)
    return fake


def account_numbers(args: Namespace) -> range:
    """Return the numbers of the accounts after the first (their tokens end ``-2``...)."""
    return range(2, args.accounts + 1)


def run_fake_server(args: Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM (both a normal stop: exit 0)."""
    from aiodo_projects.testing import serve  # noqa: PLC0415

    try:
        fake = make_fake(args)
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    # A token given with --token is the user's to know; only the fake's own default is shown.
    shown_token = "TOKEN" if args.token is not None else fake.token

    def ready(running: FakeDigitalOcean) -> None:
        url = running.base_url
        projects = sum(len(account.projects) for account in running.accounts)
        sys.stdout.write(f"listening on {url} with {projects} projects\n")
        if len(running.accounts) > 1:
            more = [f"{shown_token}-{k}" for k in account_numbers(args)]
            tokens = ", ".join([shown_token, *more])
            sys.stdout.write(f"{len(running.accounts)} accounts, with the tokens {tokens}\n")
        sys.stdout.write(
            f"try: aiodo-projects --base-url {url} --token {shown_token} audit\n"
            "press Ctrl-C to stop\n"
        )
        sys.stdout.flush()

    asyncio.run(serve(fake, on_ready=ready))
    return 0
