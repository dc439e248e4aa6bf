"""The only HTTP code: URLs, auth, JSON, the size cap and status -> error mapping.

Every body is read to the end inside ``async with`` so the connection is back in the pool
before any caller code runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs

from aiodo_projects._convert import loads, snippet
from aiodo_projects._ratelimit import RateLimit
from aiodo_projects._version import __version__
from aiodo_projects.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DecodeError,
    RateLimitError,
    error_class_for_status,
)

if TYPE_CHECKING:
    import ssl

    from yarl import URL

__all__ = ["USER_AGENT", "APISession", "Response"]

logger = logging.getLogger("aiodo_projects")

USER_AGENT = f"aiodo-projects/{__version__}"
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None)


@attrs.frozen
class Response:
    """A response whose body has been read in full."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class APISession:
    """Sends requests to one API origin with one token and turns answers into values or errors."""

    def __init__(
        self,
        *,
        token: str,
        get_http: Callable[[], aiohttp.ClientSession],
        timeout: float,
        ssl_context: ssl.SSLContext | None,
        max_body_size: int,
    ) -> None:
        self._get_http = get_http
        self._timeout = timeout
        self._ssl: ssl.SSLContext | bool = True if ssl_context is None else ssl_context
        self._max_body_size = max_body_size
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self.rate_limit: RateLimit | None = None

    def __repr__(self) -> str:
        return f"<APISession timeout={self._timeout}>"

    async def request(self, method: str, url: URL, *, body: object = None) -> object:
        """Send one call and return its decoded JSON body (``None`` for an empty 2xx answer)."""
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._send(method, url, payload)
        except TimeoutError as exc:
            error = APITimeoutError(
                f"{method} {url.path} did not complete within {self._timeout} s"
            )
            error.rate_limit = self.rate_limit
            error.attempts = 1
            raise error from exc
        return self._interpret(method, url, response)

    async def _send(self, method: str, url: URL, payload: bytes | None) -> Response:
        started = time.perf_counter()
        try:
            async with self._get_http().request(
                method,
                url,
                data=payload,
                headers=self._headers,
                ssl=self._ssl,
                allow_redirects=False,
                timeout=_NO_TIMEOUT,
            ) as resp:
                raw = await self._read_capped(resp)
                status, headers = resp.status, resp.headers
        except aiohttp.ClientError as exc:
            error = APIConnectionError(f"{method} {url.path} failed: {type(exc).__name__}: {exc}")
            error.rate_limit = self.rate_limit
            error.attempts = 1
            raise error from exc
        rate_limit = RateLimit.from_headers(headers)
        if rate_limit is not None:
            self.rate_limit = rate_limit
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s in %.1f ms",
                method,
                url.path_qs,
                status,
                (time.perf_counter() - started) * 1000,
            )
        return Response(status=status, headers=headers, body=raw)

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self._max_body_size
        length = resp.content_length
        if length is not None:
            if length > cap:
                raise DecodeError(f"the response body ({length} bytes) is over the {cap}-byte cap")
            return await resp.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > cap:
                raise DecodeError(f"the response body is over the {cap}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)

    def _interpret(self, method: str, url: URL, response: Response) -> object:
        status = response.status
        if 200 <= status < 300:  # noqa: PLR2004
            return self._decode_success(method, url, response)
        raise self.status_error(response)

    def _decode_success(self, method: str, url: URL, response: Response) -> object:
        if not response.body.strip():
            if response.status == 204:  # noqa: PLR2004
                return None
            raise DecodeError(f"{method} {url.path} answered {response.status} with an empty body")
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type.lower():
            raise DecodeError(
                f"{method} {url.path} answered {response.status} with {content_type or 'no'}"
                " content type instead of JSON",
                snippet=snippet(response.body),
            )
        try:
            return loads(response.body)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(
                f"{method} {url.path} answered {response.status} with a body that is not JSON",
                snippet=snippet(response.body),
            ) from exc

    def status_error(self, response: Response) -> APIStatusError:
        """Build the typed error for an error status, tolerating any body."""
        error_id, message, request_id = _error_fields(response)
        cls = error_class_for_status(response.status)
        kwargs: dict[str, Any] = {"request_id": request_id, "rate_limit": self.rate_limit}
        if cls is RateLimitError:
            kwargs["retry_after"] = _retry_after_seconds(response.headers)
        error = cls(response.status, error_id, message, **kwargs)
        error.attempts = 1
        return error


def _error_fields(response: Response) -> tuple[str, str, str | None]:
    request_id = response.headers.get("x-request-id")
    error_id, message = f"http_{response.status}", ""
    try:
        data = json.loads(response.body) if response.body else None
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("id"), str):
            error_id = data["id"]
        if isinstance(data.get("message"), str):
            message = data["message"]
        if isinstance(data.get("request_id"), str):
            request_id = data["request_id"]
    if not message:
        message = snippet(response.body) or "(no message)"
    return error_id, message, request_id


def _retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):  # noqa: PLR0124
        return None
    return seconds
