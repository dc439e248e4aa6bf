"""The only HTTP code: URLs, auth, JSON, the size cap, status -> error, the retry loop.

Every body is read to the end inside ``async with`` so the connection is back in the pool
before any caller code runs. Every attempt, retries included, goes through the rate limiter;
one deadline (``timeout``) covers the limiter's waits, the attempts and the backoff between
them. The rules for what is retried are in :mod:`aiodo_projects._retry` (DESIGN §3).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
import attrs

from aiodo_projects._convert import snippet
from aiodo_projects._ratelimit import RateLimit, RateLimitParser
from aiodo_projects._redaction import redact_chain
from aiodo_projects._retrier import DEFAULT_MAX_RATE_LIMIT_WAIT, Retrier, ambiguous, tag
from aiodo_projects._retry import (
    Failure,
    RetryPolicy,
    parse_http_date,
    rate_limit_wait,
)
from aiodo_projects._version import __version__
from aiodo_projects.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DecodeError,
    DigitalOceanError,
    RateLimitError,
    bounded,
    error_class_for_status,
)

if TYPE_CHECKING:
    import ssl

    from yarl import URL

    from aiodo_projects._limiter import Limiter
    from aiodo_projects._retry import RetryEvent, WaitEvent

__all__ = ["DEFAULT_MAX_RATE_LIMIT_WAIT", "USER_AGENT", "APISession", "Response"]

logger = logging.getLogger("aiodo_projects")

USER_AGENT = f"aiodo-projects/{__version__}"
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None)


@attrs.frozen
class Response:
    """A response whose body has been read in full."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    rate_limit: RateLimit | None = None


class _Failed(Exception):  # noqa: N818 -- internal signal, never escapes this module
    """An attempt failed in a way the retry rules decide on."""

    def __init__(self, failure: Failure, error: DigitalOceanError) -> None:
        self.failure = failure
        self.error = error


def _classify(exc: aiohttp.ClientError) -> Failure | None:
    """Say how a transport error failed, or ``None`` when no retry can help (TLS)."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return None
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return Failure.NOT_SENT  # no connection was made: the request never left
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return Failure.TIMEOUT
    return Failure.LOST  # reset, disconnected, truncated: the request may have been read


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
        retry_policy: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        on_retry: Callable[[RetryEvent], object] | None = None,
        on_wait: Callable[[WaitEvent], object] | None = None,
    ) -> None:
        self._get_http = get_http
        self._timeout = timeout
        self._ssl: ssl.SSLContext | bool = True if ssl_context is None else ssl_context
        self._max_body_size = max_body_size
        self._token = token
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self.retrier = Retrier(
            policy=retry_policy or RetryPolicy(),
            limiter=limiter,
            max_wait=max_rate_limit_wait,
            timeout=timeout,
            on_retry=on_retry,
            on_wait=on_wait,
        )
        self.limiter = limiter
        self._attempt_timeout = self.retrier.policy.attempt_timeout
        self._date: tuple[str | None, float | None] = (None, None)
        self._parse_rate_limit = RateLimitParser()
        self.rate_limit: RateLimit | None = None
        self.last_attempts = 0  # of the last call that succeeded, for errors raised decoding it

    def __repr__(self) -> str:
        return f"<APISession timeout={self._timeout}>"

    async def request(self, method: str, url: URL, *, body: object = None) -> object:
        """Send one call (with its retries) and return its JSON body, as bytes to decode.

        Returns ``None`` for an empty 2xx answer (204).
        """
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        retrier = self.retrier
        limiter = self.limiter
        send = self._send if self._attempt_timeout is None else self._send_bounded
        sent = spent = 0  # attempts that left the client; retry budget taken
        waiting = sending = False  # where the call is, should its deadline pass
        try:
            async with asyncio.timeout(self._timeout) as deadline:
                while True:
                    if limiter is not None:
                        waiting = True
                        await retrier.acquire(
                            limiter, method, url.path, attempt=sent + 1, deadline=deadline
                        )
                        waiting = False
                    sent += 1
                    sending = True
                    try:
                        # One attempt, awaited here rather than through a helper coroutine:
                        # the success path is the common one and every layer costs.
                        status, headers, raw = await send(method, url, payload)
                        result = self._outcome(method, url, status, headers, raw)
                    except _Failed as failed:
                        sending = False
                        delay, cost = retrier.plan(
                            method, url.path, attempt=sent, failure=failed.failure,
                            error=failed.error, deadline=deadline,
                        )  # fmt: skip
                        spent += cost
                        if delay > 0:
                            await asyncio.sleep(delay)
                    else:
                        retrier.budget.refund(spent)
                        self.last_attempts = sent
                        return result
        except TimeoutError as exc:
            if not deadline.expired():
                raise
            error = retrier.timed_out(method, url.path, sent, exc, sending=sending, waiting=waiting)
            raise self._finished(error, sent) from error.__cause__
        except DigitalOceanError as exc:
            self._finished(exc, sent)
            raise

    def _finished(self, error: DigitalOceanError, sent: int) -> DigitalOceanError:
        """Record the call's attempts and rate limit on its error; mask the token in it."""
        tag(error, sent, self.rate_limit)
        if isinstance(error.__cause__, DigitalOceanError):
            tag(error.__cause__, sent, self.rate_limit)
        return redact_chain(error, self._token)

    def _outcome(
        self,
        method: str,
        url: URL,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> object:
        """Release the limiter's token and return the decoded body of an answered attempt.

        Raise :class:`_Failed` when the retry rules must decide, or the final error.
        """
        rate_limit = self._parse_rate_limit(headers)
        if rate_limit is not None:
            self.rate_limit = rate_limit
        if self.limiter is not None:
            self._release(self.limiter, headers, rate_limit)
        cap = self._max_body_size
        if 200 <= status < 300:  # noqa: PLR2004
            try:
                if len(body) > cap:
                    _refuse_over_cap(method, url, status, headers, cap)
                return self._decode_success(method, url, status, headers, body)
            except DecodeError as exc:
                if method in self.retrier.policy.idempotent_methods:
                    raise
                # A write the server accepted but whose result is unreadable: what it made
                # (which project, which id) is unknown, so the outcome is ambiguous.
                raise ambiguous(method, url.path, exc) from exc
        # An error status decides on its own; a body over the cap is kept only up to it.
        response = Response(status=status, headers=headers, body=body[:cap], rate_limit=rate_limit)
        error = self.status_error(response)
        failure = self.retrier.status_failure(method, status)
        if failure is None:
            raise error
        raise _Failed(failure, error)

    async def _send_bounded(
        self, method: str, url: URL, payload: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        seconds = self._attempt_timeout
        try:
            async with asyncio.timeout(seconds):
                return await self._send(method, url, payload)
        except TimeoutError as exc:  # only the bound raises it: _send turns aiohttp's into _Failed
            error = APITimeoutError(f"{method} {url.path}: no answer within {seconds:g} s")
            error.__cause__ = exc
            raise _Failed(Failure.TIMEOUT, error) from exc

    def _release(
        self, limiter: Limiter, headers: Mapping[str, str], rate_limit: RateLimit | None
    ) -> None:
        """Tell the limiter an attempt was answered; time ``ratelimit-reset`` by the server."""
        if rate_limit is None:
            limiter.release(answered=True)
            return
        date = headers.get("Date")
        text, server_now = self._date
        if date != text:  # Date changes once a second: parse it once, not per response
            server_now = parse_http_date(date)
            self._date = (date, server_now)
        if server_now is None:
            server_now = time.time()
        reset_in = max(0.0, rate_limit.reset.timestamp() - server_now)
        limiter.release(answered=True, rate_limit=rate_limit, reset_in=reset_in)

    async def _send(
        self, method: str, url: URL, payload: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request; return its status, headers and whole body.

        If it ends without an answer (an error, a cancellation), the limiter gets its token back.
        """
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0
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
                raw = await self._read_capped(resp.content)
                status, headers = resp.status, resp.headers
        except BaseException as exc:
            if self.limiter is not None:
                self.limiter.release(answered=False)
            if not isinstance(exc, aiohttp.ClientError):
                raise
            error = APIConnectionError(
                bounded(f"{method} {url.path} failed: {type(exc).__name__}: {exc}")
            )
            error.__cause__ = exc
            failure = _classify(exc)
            if failure is None:
                raise error from exc
            if failure is Failure.TIMEOUT:
                error = APITimeoutError(bounded(f"{method} {url.path} timed out: {exc}"))
                error.__cause__ = exc
            raise _Failed(failure, error) from exc
        if debug:
            logger.debug(
                "%s %s -> %s in %.1f ms",
                method,
                url.path_qs,
                status,
                (time.perf_counter() - started) * 1000,
            )
        return status, headers, raw

    async def _read_capped(self, content: aiohttp.StreamReader) -> bytes:
        """Read the body as aiohttp decodes it (gzip, deflate), stopping once over the cap.

        The running total counts decoded bytes, so neither a ``Content-Length`` (the size on
        the wire) nor a small compressed body can smuggle a larger one in. A body over the
        cap comes back as its first ``cap + 1`` bytes; the rest is never read, and leaving
        the response unread closes its connection.
        """
        cap = self._max_body_size
        chunks: list[bytes] = []
        size = 0
        while chunk := await content.readany():
            size += len(chunk)
            if size > cap:
                chunks.append(chunk[: len(chunk) - (size - cap - 1)])
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode_success(
        self, method: str, url: URL, status: int, headers: Mapping[str, str], body: bytes
    ) -> bytes | None:
        """Return a 2xx body to decode (the caller knows its type), or ``None`` for a 204."""
        if not body.strip():
            if status == 204:  # noqa: PLR2004
                return None
            raise DecodeError(f"{method} {url.path} answered {status} with an empty body")
        content_type = headers.get("Content-Type", "")
        if "json" not in content_type.lower():
            raise DecodeError(
                f"{method} {url.path} answered {status} with {content_type or 'no'}"
                " content type instead of JSON",
                snippet=snippet(body),
            )
        return body

    def status_error(self, response: Response) -> APIStatusError:
        """Build the typed error for an error status, tolerating any body."""
        error_id, message, request_id = _error_fields(response)
        cls = error_class_for_status(response.status)
        kwargs: dict[str, Any] = {"request_id": request_id, "rate_limit": self.rate_limit}
        if cls is RateLimitError:
            kwargs["retry_after"] = rate_limit_wait(
                response.headers, response.rate_limit, time.time()
            )
        error = cls(response.status, error_id, message, **kwargs)
        error.attempts = 1
        return error


def _refuse_over_cap(
    method: str, url: URL, status: int, headers: Mapping[str, str], cap: int
) -> NoReturn:
    """Raise the DecodeError for a 2xx body that grew over the cap while it was read."""
    encoding = headers.get("Content-Encoding", "identity").strip().lower()
    length = headers.get("Content-Length", "")
    if encoding != "identity":
        body = f"a {encoding} body that decodes to more than the {cap}-byte cap"
    elif length.isdigit():
        body = f"a body of {length} bytes, over the {cap}-byte cap"
    else:
        body = f"a body over the {cap}-byte cap"
    raise DecodeError(f"{method} {url.path} answered {status} with {body}; reading stopped there")


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
