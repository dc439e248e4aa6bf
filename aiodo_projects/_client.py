"""The Client: its options, the aiohttp session it owns or borrows, and ``client.projects``."""

from __future__ import annotations

import asyncio
import contextlib
from ssl import SSLContext
from typing import TYPE_CHECKING, Literal

import aiohttp

from aiodo_projects._closing import AsyncClosing
from aiodo_projects._options import (
    RateLimits,
    Timeout,
    check_headers,
    check_limiter,
    check_timeout,
    check_trace_configs,
    token_from,
)
from aiodo_projects._projects import Projects
from aiodo_projects._retry import RetryPolicy
from aiodo_projects._session import APISession
from aiodo_projects._validation import check_base_url, check_callable, check_count
from aiodo_projects.errors import ClientClosedError, ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterable, Mapping

    from yarl import URL

    from aiodo_projects._limiter import Limiter
    from aiodo_projects._ratelimit import RateLimit
    from aiodo_projects._retry import RetryEvent, WaitEvent

__all__ = ["DEFAULT_BASE_URL", "Client"]

DEFAULT_BASE_URL = "https://api.digitalocean.com"
DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024


def _retry_policy(policy: object) -> RetryPolicy:
    if policy is None:
        return RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise ValidationError(
            f"retry_policy must be a RetryPolicy or None, not {type(policy).__name__}"
        )
    return policy


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

    ``token`` defaults to the ``DIGITALOCEAN_TOKEN`` environment variable. ``base_url`` is an
    origin only (no path: page links name paths from the origin). Pass ``session`` to share
    your own ``aiohttp.ClientSession`` (it is never closed by the client); otherwise one is
    created on first use, inside the running event loop, with ``trace_configs`` if given.
    ``ssl`` takes an ``ssl.SSLContext`` (for a private CA). Every argument is checked here: a
    bad one raises :class:`ValidationError` naming it.

    - ``timeout``: seconds for a whole call, or a :class:`Timeout` that also bounds each
      attempt and the longest rate-limit wait accepted.
    - ``max_retries`` (default 3; 0 turns retries off) and ``retry_policy``
      (:class:`RetryPolicy`: backoff, retried statuses, idempotent methods, retry budget).
    - ``rate_limiter``: ``True`` shares one :class:`TokenBucketLimiter` of the default size
      among every client of this token and origin in the process, a :class:`RateLimits` the
      same of that size; ``False`` turns it off; or pass any :class:`Limiter`. The default,
      ``"auto"``, is ``True`` except for a loopback ``base_url`` (the embedded fake), where
      DigitalOcean's limits do not apply.
    - ``on_retry`` and ``on_wait`` are called with a :class:`RetryEvent` before each retry
      and a :class:`WaitEvent` after each limiter wait, to meter them.

    Once closed, a call raises :class:`ClientClosedError`. The session the client creates
    belongs to the running event loop and is closed when that loop ends, even without
    :meth:`aclose`; a later loop (another ``asyncio.run()``) gets a session of its own.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | URL = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout = 30.0,
        max_retries: int = 3,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: Limiter | RateLimits | bool | Literal["auto"] = "auto",
        ssl: SSLContext | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        on_retry: Callable[[RetryEvent], object] | None = None,
        on_wait: Callable[[WaitEvent], object] | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] | None = None,
    ) -> None:
        token = token_from(token)
        self._base_url = check_base_url(base_url)
        checked_timeout = check_timeout(timeout)
        max_retries = check_count("max_retries", max_retries, least=0)
        policy = _retry_policy(retry_policy)
        if ssl is not None and not isinstance(ssl, SSLContext):
            raise ValidationError(
                f"ssl must be an ssl.SSLContext or None, not {ssl!r}; TLS is always verified"
                " (for a private CA, pass a context that trusts it)"
            )
        max_body_size = check_count("max_body_size", max_body_size, least=1)
        check_callable("on_retry", on_retry)
        check_callable("on_wait", on_wait)
        traces = check_trace_configs(trace_configs)
        self._borrowed = _borrowed_session(session, traces)
        self._owned: aiohttp.ClientSession | None = None
        self._owned_loop: asyncio.AbstractEventLoop | None = None
        self._watcher: AsyncGenerator[None] | None = None
        self._trace_configs = traces
        self._closed = False
        self._parent: Client | None = None
        self._api = APISession(
            token=token,
            get_http=self._http,
            timeout=checked_timeout,
            ssl_context=ssl,
            max_body_size=max_body_size,
            max_retries=max_retries,
            retry_policy=policy,
            limiter=check_limiter(self._base_url, token, choice=rate_limiter),
            on_retry=on_retry,
            on_wait=on_wait,
            http_has_headers=self._borrowed is None,
        )
        self.projects = Projects(self._api, self._base_url)

    def with_options(
        self,
        *,
        timeout: float | Timeout | None = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Client:
        """Return a client with other options, sharing this one's session, limiter and budget.

        For a per-call override: a web handler's 2 s budget where the application's batch
        jobs keep 5 minutes, or a request id to pass on. An option not given (``None``) stays
        as it is here; ``headers`` are added to every request (the client's own
        ``Authorization``, ``Content-Type``, ``Accept`` and ``User-Agent`` stay).

        >>> quick = client.with_options(timeout=2.0, headers={"X-Request-Id": rid})  # doctest:+SKIP
        >>> project = await quick.projects.get(project_id)  # doctest: +SKIP

        The derived client never closes the session: its :meth:`aclose` only stops it, and
        once this client is closed, so is every client derived from it.
        """
        api = self._api
        root = self._parent or self
        derived = Client.__new__(Client)
        derived._base_url = self._base_url  # noqa: SLF001 -- a Client filling in a Client
        derived._closed = False  # noqa: SLF001
        derived._parent = root  # noqa: SLF001
        derived._api = api.derive(  # noqa: SLF001
            get_http=derived._http,  # noqa: SLF001
            timeout=api.timeout if timeout is None else check_timeout(timeout),
            max_retries=(
                api.max_retries
                if max_retries is None
                else check_count("max_retries", max_retries, least=0)
            ),
            retry_policy=api.policy if retry_policy is None else _retry_policy(retry_policy),
            headers=None if headers is None else check_headers(headers),
        )
        derived.projects = Projects(derived._api, self._base_url)  # noqa: SLF001
        return derived

    def __repr__(self) -> str:
        api = self._api
        limiter = api.limiter or False
        return (
            f"Client(base_url={str(self._base_url)!r}, timeout={api.timeout!r},"
            f" max_retries={api.max_retries}, rate_limiter={limiter!r}, closed={self.is_closed})"
        )

    @property
    def base_url(self) -> URL:
        """The API origin every request goes to."""
        return self._base_url

    @property
    def timeout(self) -> Timeout:
        """How long a call, an attempt and a rate-limit wait may take."""
        return self._api.timeout

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
        """Whether :meth:`aclose` has been called (on this client or the one it derives from)."""
        return self._closed or (self._parent is not None and self._parent.is_closed)

    def _http(self) -> aiohttp.ClientSession:
        """Return the session for the next attempt, in the running event loop."""
        if self._closed:
            raise ClientClosedError(
                "this Client is closed (aclose() was called, or its async with block ended), so"
                " it sends nothing more: create a new Client"
            )
        parent = self._parent
        if parent is not None:
            if parent._closed:  # noqa: SLF001 -- the Client this one was derived from
                raise ClientClosedError(
                    "the Client this one was derived from (with_options) is closed, so it sends"
                    " nothing more"
                )
            return parent._http()  # noqa: SLF001
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
            session = aiohttp.ClientSession(
                headers=self._api.session_headers, trace_configs=self._trace_configs or None
            )
            self._owned, self._owned_loop = session, loop
            self._watcher = _close_with_loop(session)
        return self._owned

    async def aclose(self) -> None:
        """Close the session the client created (a borrowed session stays open).

        Calls still running then end with :class:`ClientClosedError`, or with
        :class:`AmbiguousWriteError` for a write that may have been processed. A client made
        by :meth:`with_options` only stops: the session is its parent's.
        """
        self._closed = True
        if self._parent is not None:
            return
        self._owned = None
        watcher, self._watcher = self._watcher, None
        # A session made in another loop is closed by that loop as it ends.
        if watcher is not None and self._owned_loop is asyncio.get_running_loop():
            await watcher.aclose()  # closes the session
