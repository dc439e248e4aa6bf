"""The Client: configuration, the aiohttp session it owns or borrows, and ``client.projects``."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable
from ssl import SSLContext
from typing import TYPE_CHECKING, Literal

import aiohttp
import attrs

from aiodo_projects._closing import AsyncClosing
from aiodo_projects._limiter import (
    DEFAULT_BURST_LIMIT,
    DEFAULT_BURST_WINDOW,
    Limiter,
    shared_limiter,
)
from aiodo_projects._projects import Projects
from aiodo_projects._retrier import DEFAULT_MAX_RATE_LIMIT_WAIT
from aiodo_projects._retry import RetryPolicy
from aiodo_projects._session import APISession
from aiodo_projects._validation import (
    check_base_url,
    check_callable,
    check_count,
    check_seconds,
    check_token,
    is_loopback,
)
from aiodo_projects.errors import ClientClosedError, ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable

    from yarl import URL

    from aiodo_projects._ratelimit import RateLimit
    from aiodo_projects._retry import RetryEvent, WaitEvent

__all__ = ["DEFAULT_BASE_URL", "Client"]

DEFAULT_BASE_URL = "https://api.digitalocean.com"
TOKEN_ENV = "DIGITALOCEAN_TOKEN"  # noqa: S105 -- the variable's name, not a secret
DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024


def _token(token: object) -> str:
    if token is not None:
        return check_token(token, "token")
    from_env = os.environ.get(TOKEN_ENV)
    if from_env is None or not from_env.strip():
        raise ValidationError(
            f"no API token: pass Client(token=...) or set the {TOKEN_ENV} environment variable"
        )
    return check_token(from_env, f"the {TOKEN_ENV} environment variable")


def _retry_policy(max_retries: object, policy: object) -> RetryPolicy:
    if policy is None:
        policy = RetryPolicy()
    elif not isinstance(policy, RetryPolicy):
        raise ValidationError(
            f"retry_policy must be a RetryPolicy or None, not {type(policy).__name__}"
        )
    if max_retries is None:
        return policy
    return attrs.evolve(policy, max_retries=check_count("max_retries", max_retries, least=0))


def _limiter(
    base_url: URL,
    token: str,
    *,
    choice: Limiter | bool | Literal["auto"] | None,
    limit: int,
    window: float,
    hourly: bool,
) -> Limiter | None:
    if choice == "auto":
        # DigitalOcean's limits do not apply to a loopback server (the embedded fake, a local
        # mock), which is the only kind plain http may reach: there the limiter is opt-in.
        choice = not is_loopback(base_url.host or "")
    if choice is None or choice is False:
        return None
    if choice is True:
        try:
            return shared_limiter(
                str(base_url.origin()), token, limit=limit, window=window, hourly=hourly
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    if not isinstance(choice, Limiter):
        raise ValidationError(
            "rate_limiter must be 'auto', True, False, None or an object with acquire, release"
            " and pause"
        )
    return choice


def _trace_configs(trace_configs: object) -> list[aiohttp.TraceConfig]:
    if trace_configs is None:
        return []
    if isinstance(trace_configs, str | bytes) or not isinstance(trace_configs, Iterable):
        raise ValidationError("trace_configs must be a list of aiohttp.TraceConfig or None")
    traces = list(trace_configs)
    for trace in traces:
        if not isinstance(trace, aiohttp.TraceConfig):
            raise ValidationError(
                f"trace_configs must hold aiohttp.TraceConfig objects, not {type(trace).__name__}"
            )
    return traces


async def _closed_with_its_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None]:
    """Wait, suspended, until the event loop shuts its async generators down; then close."""
    try:
        yield
    finally:
        await session.close()


def _close_with_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None]:
    """Have the running loop close ``session`` when it shuts down, if nobody did before.

    asyncio offers no callback on a loop's end, but ``asyncio.run`` (and any runner) closes the
    async generators still suspended in the loop before closing it: a generator started here,
    in the running loop, and suspended at its ``yield`` is one of those.
    """
    watcher = _closed_with_its_loop(session)
    with contextlib.suppress(StopIteration):  # it stops at its yield, known to the loop
        watcher.asend(None).send(None)
    return watcher


def _borrowed_session(
    session: object, traces: list[aiohttp.TraceConfig]
) -> aiohttp.ClientSession | None:
    if session is None:
        return None
    if not isinstance(session, aiohttp.ClientSession):
        name = type(session).__name__
        raise ValidationError(f"session must be an aiohttp.ClientSession or None, not {name}")
    if session.closed:
        raise ValidationError("session is closed: pass an open aiohttp.ClientSession")
    if traces:
        raise ValidationError(
            "trace_configs apply to the session the client creates; add them to your own"
            " session instead"
        )
    return session


class Client(AsyncClosing):
    """An async client for the DigitalOcean Projects API.

    >>> import aiodo_projects as do
    >>> async with do.Client() as client:  # doctest: +SKIP
    ...     async for project in client.projects.iter_all():
    ...         print(project.name)

    ``token`` defaults to the ``DIGITALOCEAN_TOKEN`` environment variable. Pass ``session`` to
    share your own ``aiohttp.ClientSession`` (it is never closed by the client); otherwise one
    is created on first use, inside the running event loop, with ``trace_configs`` if given.
    ``timeout`` bounds each whole call in seconds: rate-limiter waits, attempts and backoff
    together. ``ssl`` takes an ``ssl.SSLContext`` (for a private CA). Every argument is checked
    here: a bad one raises :class:`ValidationError` naming it. ``base_url`` is an origin only
    (no path: page links name paths from the origin).

    Once closed, a call raises :class:`ClientClosedError`. The session the client creates
    belongs to the running event loop and is closed when that loop ends, even without
    :meth:`aclose`; a later loop (another ``asyncio.run()``) gets a session of its own.

    Reliability (see the README's "Rate limits and retries"):

    - ``max_retries`` (default 3; 0 turns retries off) or a whole ``retry_policy``
      (:class:`RetryPolicy`: backoff, statuses, per-attempt timeout, retry budget).
    - ``rate_limiter``: ``True`` shares one :class:`TokenBucketLimiter` among every client of
      this token and origin in the process, sized by ``burst_limit`` requests per
      ``burst_window`` seconds and, with ``hourly_limit``, the hourly budget DigitalOcean
      reports; ``False`` or ``None`` turns it off; or pass any :class:`Limiter`. The default,
      ``"auto"``, is ``True`` except for a loopback ``base_url`` (the embedded fake), where
      DigitalOcean's limits do not apply.
    - ``max_rate_limit_wait``: a rate-limit wait longer than this (seconds) raises
      :class:`RateLimitError` at once instead of sleeping.
    - ``on_retry`` and ``on_wait`` are called with a :class:`RetryEvent` before each retry
      and a :class:`WaitEvent` after each limiter wait, to meter them.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | URL = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        ssl: SSLContext | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: Limiter | bool | Literal["auto"] | None = "auto",
        burst_limit: int = DEFAULT_BURST_LIMIT,
        burst_window: float = DEFAULT_BURST_WINDOW,
        hourly_limit: bool = True,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        on_retry: Callable[[RetryEvent], object] | None = None,
        on_wait: Callable[[WaitEvent], object] | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] | None = None,
    ) -> None:
        token = _token(token)
        self._base_url = check_base_url(base_url)
        timeout = check_seconds("timeout", timeout)
        if ssl is not None and not isinstance(ssl, SSLContext):
            raise ValidationError(
                f"ssl must be an ssl.SSLContext or None, not {ssl!r}; TLS is always verified"
                " (for a private CA, pass a context that trusts it)"
            )
        max_body_size = check_count("max_body_size", max_body_size, least=1)
        policy = _retry_policy(max_retries, retry_policy)
        burst_limit = check_count("burst_limit", burst_limit, least=1)
        burst_window = check_seconds("burst_window", burst_window)
        if type(hourly_limit) is not bool:
            raise ValidationError(f"hourly_limit must be True or False, not {hourly_limit!r}")
        max_rate_limit_wait = check_seconds(
            "max_rate_limit_wait", max_rate_limit_wait, zero=True, infinite=True
        )
        check_callable("on_retry", on_retry)
        check_callable("on_wait", on_wait)
        traces = _trace_configs(trace_configs)
        self._borrowed = _borrowed_session(session, traces)
        self._owned: aiohttp.ClientSession | None = None
        self._owned_loop: asyncio.AbstractEventLoop | None = None
        self._watcher: AsyncGenerator[None] | None = None
        self._trace_configs = traces
        self._closed = False
        self._api = APISession(
            token=token,
            get_http=self._http,
            timeout=timeout,
            ssl_context=ssl,
            max_body_size=max_body_size,
            retry_policy=policy,
            limiter=_limiter(
                self._base_url,
                token,
                choice=rate_limiter,
                limit=burst_limit,
                window=burst_window,
                hourly=hourly_limit,
            ),
            max_rate_limit_wait=max_rate_limit_wait,
            on_retry=on_retry,
            on_wait=on_wait,
        )
        self.projects = Projects(self._api, self._base_url)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Client base_url={str(self._base_url)!r} {state}>"

    @property
    def base_url(self) -> URL:
        """The API origin every request goes to."""
        return self._base_url

    @property
    def rate_limit(self) -> RateLimit | None:
        """The ``ratelimit-*`` figures from the last response, or ``None`` before any."""
        return self._api.rate_limit

    @property
    def rate_limiter(self) -> Limiter | None:
        """The rate limiter every attempt goes through, or ``None`` when it is off."""
        return self._api.limiter

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    def _http(self) -> aiohttp.ClientSession:
        """Return the session for the next attempt, in the running event loop."""
        if self._closed:
            raise ClientClosedError(
                "this Client is closed (aclose() was called, or its async with block ended), so"
                " it sends nothing more: create a new Client"
            )
        borrowed = self._borrowed
        if borrowed is not None:
            if borrowed.closed:
                raise ClientClosedError(
                    "the aiohttp session this Client borrows (session=...) is closed, so the"
                    " Client sends nothing more"
                )
            return borrowed
        loop = asyncio.get_running_loop()
        if self._owned is None or self._owned_loop is not loop:
            # A session belongs to the loop it was made in (each asyncio.run() has its own):
            # one made in an earlier loop was closed as that loop ended, or will be when it
            # does (its watcher, dropped here, is finalized in that loop).
            session = aiohttp.ClientSession(trace_configs=self._trace_configs or None)
            self._owned, self._owned_loop = session, loop
            self._watcher = _close_with_loop(session)
        return self._owned

    async def aclose(self) -> None:
        """Close the session the client created (a borrowed session stays open).

        Calls still running then end with :class:`ClientClosedError`, or with
        :class:`AmbiguousWriteError` for a write that may have been processed.
        """
        self._closed = True
        self._owned = None
        watcher, self._watcher = self._watcher, None
        # A session made in another loop is closed by that loop as it ends.
        if watcher is not None and self._owned_loop is asyncio.get_running_loop():
            await watcher.aclose()  # closes the session
