"""The Client: configuration, the aiohttp session it owns or borrows, and ``client.projects``."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Self

import aiohttp
from yarl import URL

from aiodo_projects._projects import Projects
from aiodo_projects._session import APISession
from aiodo_projects.errors import ValidationError

if TYPE_CHECKING:
    import ssl
    from types import TracebackType

    from aiodo_projects._ratelimit import RateLimit

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


class Client:
    """An async client for the DigitalOcean Projects API.

    >>> import aiodo_projects as do
    >>> async with do.Client() as client:  # doctest: +SKIP
    ...     async for project in client.projects.iter_all():
    ...         print(project.name)

    ``token`` defaults to the ``DIGITALOCEAN_TOKEN`` environment variable. Pass ``session`` to
    share your own ``aiohttp.ClientSession`` (it is never closed by the client); otherwise one
    is created on first use, inside the running event loop. ``timeout`` bounds each whole call
    in seconds. ``ssl`` takes an ``ssl.SSLContext`` (for a private CA).
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
        self._base_url = _check_base_url(base_url)
        self._borrowed = session
        self._owned: aiohttp.ClientSession | None = None
        self._closed = False
        self._api = APISession(
            token=token.strip(),
            get_http=self._http,
            timeout=timeout,
            ssl_context=ssl,
            max_body_size=max_body_size,
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
            self._owned = aiohttp.ClientSession()
        return self._owned

    async def aclose(self) -> None:
        """Close the session the client created (a borrowed session stays open)."""
        self._closed = True
        owned, self._owned = self._owned, None
        if owned is not None:
            await owned.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
