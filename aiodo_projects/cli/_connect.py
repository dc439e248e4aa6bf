"""Opening the client a command runs on: the real API, or an in-process fake with demo data."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, Literal

import aiohttp
import attrs

import aiodo_projects as do
from aiodo_projects.cli._errors import EXIT_USAGE, TOKEN_HINT, CLIError

if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import AsyncIterator

__all__ = [
    "DEMO_PROJECTS",
    "Connection",
    "RequestCounter",
    "SharedLimits",
    "connect",
    "resolve_token",
]

TOKEN_ENV: Final = "DIGITALOCEAN_TOKEN"  # noqa: S105 - the variable's name, not a secret
REDIS_URL_ENV: Final = "AIODO_REDIS_URL"
RedisFailurePolicy = Literal["closed", "local", "open"]
DEMO_PROJECTS: Final = 300
DEFAULT_BASE_URL: Final = "https://api.digitalocean.com"


class RequestCounter:
    """Counts every HTTP request the session sends, retries included."""

    def __init__(self) -> None:
        self.count = 0

    async def _on_request_start(self, *_: object) -> None:
        self.count += 1

    def trace_config(self) -> aiohttp.TraceConfig:
        """Return an aiohttp trace config that does the counting."""
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._on_request_start)
        return trace


class Connection:
    """The client a command uses, and the count of requests it has sent."""

    def __init__(self, client: do.Client, requests: RequestCounter) -> None:
        self.client = client
        self._requests = requests

    @property
    def requests(self) -> int:
        """How many HTTP requests were sent so far."""
        return self._requests.count


@attrs.frozen
class SharedLimits:
    """Where each token's rate limits are shared with other processes: a Redis, or nowhere.

    From ``--redis-url`` (else ``$AIODO_REDIS_URL``), ``--redis-failure-policy`` and
    ``--redis-workers``; without a URL every client keeps its limits in this process.
    """

    url: str | None = None
    failure_policy: RedisFailurePolicy = "closed"
    workers: int | None = None

    @classmethod
    def from_args(cls, args: Namespace) -> SharedLimits:
        """Read the Redis options, refusing a combination the limiter cannot run with."""
        url = args.redis_url or os.environ.get(REDIS_URL_ENV, "").strip() or None
        policy, workers = args.redis_failure_policy, args.redis_workers
        if workers is not None and workers < 1:
            raise CLIError("--redis-workers must be 1 or more", EXIT_USAGE)
        if url is not None and policy == "local" and workers is None:
            raise CLIError(
                "--redis-failure-policy local needs --redis-workers N: how many processes"
                " share the token, so each keeps to its share while Redis is away",
                EXIT_USAGE,
            )
        return cls(url, policy, workers)

    @asynccontextmanager
    async def limiter(self, token: str, limits: do.RateLimits) -> AsyncIterator[do.Limiter | None]:
        """Yield the Redis limiter of ``token`` (closed afterwards), or ``None`` without Redis."""
        if self.url is None:
            yield None
            return
        try:
            from aiodo_projects.redis import RedisLimiter  # noqa: PLC0415 - only with --redis-url
        except ImportError:
            raise CLIError(
                "--redis-url needs the redis extra: pip install 'aiodo-projects[redis]'",
                EXIT_USAGE,
            ) from None
        try:
            shared = RedisLimiter(
                self.url,
                token,
                failure_policy=self.failure_policy,
                workers=self.workers,
                limit=limits.burst_limit,
                window=limits.burst_window,
                hourly=limits.hourly,
            )
        except ValueError as exc:  # redis-py's word on a URL it cannot read
            raise CLIError(f"--redis-url: {exc}", EXIT_USAGE) from None
        async with shared:
            yield shared


def resolve_token(token: str | None) -> str | None:
    """Return ``--token``, else ``DIGITALOCEAN_TOKEN``, else ``None`` (blank counts as unset)."""
    for candidate in (token, os.environ.get(TOKEN_ENV)):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return None


@asynccontextmanager
async def connect(args: Namespace) -> AsyncIterator[Connection]:
    """Yield a connection for the global options: ``--fake``, or a token and ``--base-url``."""
    if args.fake:
        if args.base_url is not None:
            raise CLIError("--fake and --base-url exclude each other", EXIT_USAGE)
        async with (
            _demo_fake(args.token) as (fake_token, base_url),
            _open(fake_token, base_url, args) as connection,
        ):
            yield connection
        return
    token = resolve_token(args.token)
    if token is None:
        raise CLIError(f"no API token: {TOKEN_HINT}", EXIT_USAGE)
    async with _open(token, args.base_url or DEFAULT_BASE_URL, args) as connection:
        yield connection


@asynccontextmanager
async def _open(token: str, base_url: str, args: Namespace) -> AsyncIterator[Connection]:
    # A borrowed session lets the trace count what is really sent; the client never closes it.
    requests = RequestCounter()
    async with (
        SharedLimits.from_args(args).limiter(token, do.RateLimits()) as shared,
        aiohttp.ClientSession(trace_configs=[requests.trace_config()]) as session,
        do.Client(
            token=token,
            base_url=base_url,
            timeout=args.timeout,
            session=session,
            rate_limiter="auto" if shared is None else shared,
        ) as client,
    ):
        yield Connection(client, requests)


@asynccontextmanager
async def _demo_fake(token: str | None) -> AsyncIterator[tuple[str, str]]:
    from aiodo_projects.testing import FakeDigitalOcean  # noqa: PLC0415 - only --fake needs it

    fake = FakeDigitalOcean() if token is None else FakeDigitalOcean(token=token)
    async with fake:
        fake.seed_demo(projects=DEMO_PROJECTS)
        yield fake.token, fake.base_url
