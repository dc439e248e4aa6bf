"""The Client: configuration, the aiohttp session it owns or borrows, and ``client.projects``."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Literal

import aiohttp
import attrs
from yarl import URL

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
from aiodo_projects.errors import ValidationError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Sequence

    from aiodo_projects._ratelimit import RateLimit
    from aiodo_projects._retry import RetryEvent, WaitEvent

__all__ = ["DEFAULT_BASE_URL", "Client"]

DEFAULT_BASE_URL = "https://api.digitalocean.com"
TOKEN_ENV = "DIGITALOCEAN_TOKEN"  # noqa: S105 -- the variable's name, not a secret
DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str | URL) -> URL:
    url = URL(base_url)
    if not url.is_absolute() or url.scheme not in {"http", "https"}:
        raise ValidationError(f"base_url must be an absolute https URL, not {str(base_url)!r}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ValidationError(
            "base_url must use https; plain http is allowed only for loopback hosts "
            f"(127.0.0.0/8, ::1, localhost), not {url.host!r}"
        )
    if url.query_string or url.fragment:
        raise ValidationError("base_url must not carry a query or a fragment")
    return url


def _retry_policy(max_retries: int | None, policy: RetryPolicy | None) -> RetryPolicy:
    policy = policy or RetryPolicy()
    if max_retries is None or max_retries == policy.max_retries:
        return policy
    try:
        return attrs.evolve(policy, max_retries=max_retries)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


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
        choice = not _is_loopback(base_url.host)
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
    together. ``ssl`` takes an ``ssl.SSLContext`` (for a private CA).

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
        ssl: ssl.SSLContext | None = None,
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
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        if not token or not token.strip():
            raise ValidationError(
                f"no API token: pass Client(token=...) or set the {TOKEN_ENV} environment variable"
            )
        if any(ch in token for ch in "\r\n\0"):
            raise ValidationError("the API token contains a control character")
        if not timeout > 0:
            raise ValidationError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if max_body_size < 1:
            raise ValidationError("max_body_size must be at least 1 byte")
        if not max_rate_limit_wait >= 0:
            raise ValidationError("max_rate_limit_wait must be a number of seconds >= 0")
        if session is not None and trace_configs:
            raise ValidationError(
                "trace_configs apply to the session the client creates; add them to your own"
                " session instead"
            )
        self._base_url = _check_base_url(base_url)
        self._borrowed = session
        self._owned: aiohttp.ClientSession | None = None
        self._trace_configs = list(trace_configs or ())
        self._closed = False
        token = token.strip()
        self._api = APISession(
            token=token,
            get_http=self._http,
            timeout=timeout,
            ssl_context=ssl,
            max_body_size=max_body_size,
            retry_policy=_retry_policy(max_retries, retry_policy),
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
        if self._closed:
            msg = "this Client is closed"
            raise RuntimeError(msg)
        if self._borrowed is not None:
            return self._borrowed
        if self._owned is None:
            self._owned = aiohttp.ClientSession(trace_configs=self._trace_configs or None)
        return self._owned

    async def aclose(self) -> None:
        """Close the session the client created (a borrowed session stays open)."""
        self._closed = True
        owned, self._owned = self._owned, None
        if owned is not None:
            await owned.close()
